"""``dataguild trustee ...``: a trustee's part of the key ceremony, run on the trustee's own computer.

All cryptography runs here; the key file never leaves the machine and nothing secret is printed.
The commands talk to the site's JSON API (:mod:`voting.trustees.api`) with a personal token
(``--token`` or the environment variable ``DATAGUILD_TRUSTEE_TOKEN``, a personal access token with the
``trustee`` scope) through :mod:`governance.client` (httpx). Needs neither the site's configuration nor its
database: only that client and :mod:`voting.crypto`.

Key files are rewritten atomically (temporary file, fsync, rename) and the previous version is kept
as ``<file>.bak``; one key file serves one committee. See docs/trustees.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from governance.client import Client, ClientError
from voting.crypto.errors import CryptoError
from voting.crypto.keyfile import (
    CorruptKeyFile,
    TrusteeSecrets,
    WrongPassphrase,
    dump_keyfile,
    generate_trustee,
    load_keyfile,
)
from voting.trustees import client as tc
from voting.trustees import decrypt as tcount

TOKEN_ENV = "DATAGUILD_TRUSTEE_TOKEN"  # noqa: S105 - the name of a variable
TIMEOUT_SECONDS = 60


# ---------------------------------------------------------------- the site's API


class Site:
    """The trustee API of one site, through :class:`governance.client.Client` (errors become click's)."""

    def __init__(self, url: str, token: str | None) -> None:
        if not token:
            raise click.UsageError(f"Give your personal trustee token with --token or ${TOKEN_ENV} "
                                   "(create one with the trustee scope on the site: your account page, Access tokens).")
        try:
            self.api = Client(url, token, timeout=TIMEOUT_SECONDS, user_agent="dataguild-trustee")
        except ValueError as exc:
            raise click.UsageError(f"--site must be the site's address, e.g. https://coop.example.org (got {url!r})"
                                   ) from exc
        self.base = self.api.site + "/api/v1/trustee"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return _json(self.api.request(method, "/api/v1/trustee" + path, json=body))
        except ClientError as exc:
            raise click.ClickException(str(exc)) from exc

    def get_public(self, url: str) -> dict[str, Any]:
        """A public JSON page of the same site (``url`` absolute, e.g. a board.json ``next`` link)."""
        try:
            return self.api.get_public(url)
        except ClientError as exc:
            raise click.ClickException(str(exc)) from exc

    def board_entries(self, election: int) -> list[dict[str, Any]]:
        """Every entry of the election's public bulletin board, following the pages."""
        url: str | None = self.api.site + f"/elections/{election}/board.json"
        entries: list[dict[str, Any]] = []
        while url:
            page = self.get_public(url)
            entries.extend(page["entries"])
            url = page.get("next")
        return entries

    def state(self, committee: int, *, all_shares: bool = False) -> dict[str, Any]:
        return self.request("GET", f"/committees/{committee}" + ("?all_shares=1" if all_shares else ""))


def _json(response: Any) -> dict[str, Any]:
    try:
        return response.json()
    except ValueError as exc:
        raise click.ClickException(f"The site's answer is not JSON ({exc}); is --site the right address?") from exc


# ---------------------------------------------------------------- the key file


class KeyFile:
    """A loaded key file and the passphrase it was opened with (to write it back the same way)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"Cannot read the key file {path}: {exc.strerror}") from exc
        self.passphrase = None if _unencrypted(text) else click.prompt(f"Passphrase of {path.name}",
                                                                        hide_input=True)
        try:
            self.secrets = load_keyfile(text, self.passphrase)
        except (WrongPassphrase, CorruptKeyFile) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc

    def save(self, secrets: TrusteeSecrets) -> None:
        write_keyfile(self.path, dump_keyfile(secrets, self.passphrase), backup=True)
        self.secrets = secrets


def _unencrypted(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return True  # load_keyfile reports the corrupt file; no passphrase can help
    return not isinstance(data, dict) or data.get("encryption") == "none"


def write_keyfile(path: Path, text: str, *, backup: bool) -> None:
    """Atomically (write a temporary file, fsync, rename), readable by the owner only; with ``backup``
    the previous version is first kept as ``<name>.bak``."""
    if backup and path.exists():
        write_keyfile(path.with_name(path.name + ".bak"), path.read_text(encoding="utf-8"), backup=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# ---------------------------------------------------------------- commands

site_option = click.option("--site", required=True, help="The site's address, e.g. https://coop.example.org")
token_option = click.option("--token", envvar=TOKEN_ENV, help=f"Your personal trustee token (or ${TOKEN_ENV}).")
key_option = click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                          help="Your key file (from `dataguild trustee keygen`).")
committee_option = click.option("--committee", required=True, type=int, help="The committee's number on the site.")


@click.group("trustee")
def trustee_cli() -> None:
    """A trustee's part of the key ceremony (keys stay on this computer)."""


def _fail(exc: CryptoError, what: str) -> click.ClickException:
    return click.ClickException(f"{what}: {exc}")


def _next(site: str, committee: int, step: str | None, key: Path) -> str:
    if step is None:
        return "Nothing to do for now; `dataguild trustee status` shows the progress."
    return (f"Next: dataguild trustee {step} --site {site} --committee {committee} --key {key}")


@trustee_cli.command("keygen")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new key file (must not exist).")
@click.option("--no-passphrase", is_flag=True, help="Do not encrypt the key file (tests and demos only).")
def keygen_command(out: Path, no_passphrase: bool) -> None:
    """Make a new key file for one committee (encrypted with a passphrase)."""
    if out.exists():
        raise click.ClickException(f"{out} exists; refusing to overwrite a key file. Choose another --out.")
    passphrase = None if no_passphrase else click.prompt("Passphrase for the new key file", hide_input=True,
                                                         confirmation_prompt=True)
    text = dump_keyfile(generate_trustee(1), passphrase)  # numbered when announced to a committee
    try:
        write_keyfile(out, text, backup=False)
    except FileExistsError as exc:
        raise click.ClickException(f"{out} appeared meanwhile; refusing to overwrite it.") from exc
    except OSError as exc:
        raise click.ClickException(f"Cannot write {out}: {exc.strerror}") from exc
    click.echo(f"Key file written to {out}. Keep it (and a copy on a separate medium) safe: it never leaves "
               "this computer, and nobody can recover it for you.")


@trustee_cli.command("announce")
@site_option
@token_option
@key_option
@committee_option
def announce_command(site: str, token: str | None, key_path: Path, committee: int) -> None:
    """Step 1: publish your ceremony keys (and the BLS key that will co-sign results)."""
    api, key = Site(site, token), KeyFile(key_path)
    state = api.state(committee)
    if state["me"]["next_step"] != "announce":
        raise click.ClickException(f"Committee {committee} is not waiting for your announcement "
                                   f"(step: {state['committee']['status']}).")
    try:
        ceremony = tc.ceremony_of_state(state)
        secrets = tc.bind_to_ceremony(key.secrets, ceremony, tc.my_index(state))
        payload = tc.announcement_payload(ceremony, secrets)
    except CryptoError as exc:
        raise _fail(exc, "Cannot announce") from exc
    key.save(secrets)  # numbered for this committee before anything is sent
    answer = api.request("POST", f"/committees/{committee}/announcement", payload)
    click.echo(f"Announced as trustee {secrets.index} of committee {committee}.")
    click.echo(_next(site, committee, answer["committee"]["next_step"], key_path))


@trustee_cli.command("deal")
@site_option
@token_option
@key_option
@committee_option
def deal_command(site: str, token: str | None, key_path: Path, committee: int) -> None:
    """Step 2: check everyone's keys, then publish your commitment and encrypted shares."""
    api, key = Site(site, token), KeyFile(key_path)
    state = api.state(committee)
    if state["me"]["next_step"] != "deal":
        raise click.ClickException(f"Committee {committee} is not waiting for your dealing "
                                   f"(step: {state['committee']['status']}).")
    try:
        ceremony = tc.ceremony_of_state(state)
        secrets = tc.bind_to_ceremony(key.secrets, ceremony, tc.my_index(state))
        roster = tc.checked_roster(ceremony, state, secrets)
        secrets, payload = tc.dealing_payload(ceremony, secrets, roster)
    except CryptoError as exc:
        raise _fail(exc, "Cannot deal") from exc
    key.save(secrets)  # the polynomial is kept before the shares are sent (a re-run reuses it)
    answer = api.request("POST", f"/committees/{committee}/dealing", payload)
    click.echo(f"Checked {len(roster)} announcements; sent your commitment and {len(payload['shares'])} "
               "encrypted shares.")
    click.echo(_next(site, committee, answer["committee"]["next_step"], key_path))


@trustee_cli.command("confirm")
@site_option
@token_option
@key_option
@committee_option
def confirm_command(site: str, token: str | None, key_path: Path, committee: int) -> None:
    """Step 3: check the shares sent to you (complaining about bad ones); once the committee is ready,
    store your key share in the key file."""
    api, key = Site(site, token), KeyFile(key_path)
    state = api.state(committee)
    try:
        ceremony = tc.ceremony_of_state(state)
        secrets = tc.bind_to_ceremony(key.secrets, ceremony, tc.my_index(state))
        if state["me"]["next_step"] == "confirm":
            roster = tc.checked_roster(ceremony, state, secrets)
            confirmation = tc.confirmation_payload(ceremony, secrets, roster, state)
            api.request("POST", f"/committees/{committee}/confirmation", confirmation.payload)
            click.echo(f"Shares checked: {len(confirmation.accepted_from)} good"
                       + (f"; complained about dealer(s) {list(confirmation.complaints_against)}"
                          if confirmation.complaints_against else "") + ".")
            state = api.state(committee)
        status = state["committee"]["status"]
        if status == "failed":
            raise click.ClickException(f"The ceremony failed: {state['committee']['failure_reason']}")
        if status != "ready":
            click.echo("Waiting for the other trustees; run this command again when the committee is ready "
                       "to store your key share.")
            return
        if secrets.share is not None:
            click.echo("Your key share is already in the key file. Nothing to do.")
            return
        state = api.state(committee, all_shares=True)
        roster = tc.checked_roster(ceremony, state, secrets)
        joint = tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"])
        secrets = tc.derive_share(ceremony, secrets, roster, state, joint)
    except CryptoError as exc:
        raise _fail(exc, "Cannot confirm") from exc
    key.save(secrets)
    click.echo(f"The committee is ready (election key {joint.election_key().hex()}, recomputed here from the "
               f"ceremony messages). Your key share is stored in {key_path}; the previous version is in "
               f"{key_path.name}.bak. Keep a copy of the key file safe.")


@trustee_cli.command("status")
@site_option
@token_option
@click.option("--committee", type=int, help="One committee in detail (default: list yours).")
def status_command(site: str, token: str | None, committee: int | None) -> None:
    """Your committees, or one committee's ceremony progress."""
    api = Site(site, token)
    if committee is None:
        rows = api.request("GET", "/committees")["committees"]
        if not rows:
            click.echo("You are not a trustee of any committee.")
        for row in rows:
            click.echo(f"#{row['id']} {row['name']}: {row['k']} of {row['n']}, {row['status']}, you are trustee "
                       f"{row['my_index']}" + (f" — next: {row['next_step']}" if row["next_step"] else ""))
        return
    state = api.state(committee)
    info = state["committee"]
    click.echo(f"#{info['id']} {info['name']}: {info['k']} of {info['n']}, step {info['status']}"
               + (f" ({info['failure_reason']})" if info["failure_reason"] else ""))
    for t in state["trustees"]:
        marks = [word for word, done in (("announced", t["announced"]), ("dealt", t["dealt"]),
                                         ("confirmed", t["confirmed"])) if done]
        extra = f"; complained {t['complaints_filed']}x" if t["complaints_filed"] else ""
        extra += f"; disqualified: {t['disqualified']}" if t["disqualified"] else ""
        click.echo(f"  trustee {t['index']} {t['name']}: {', '.join(marks) or 'nothing yet'}{extra}")
    for c in state["complaints"]:
        click.echo(f"  complaint of trustee {c['complaint']['recipient']} against {c['complaint']['dealer']}: "
                   f"{'upheld' if c['upheld'] else 'unfounded'} ({c['verdict']})")
    click.echo(_next(site, committee, state["me"]["next_step"], Path("YOUR-KEY-FILE")))


@trustee_cli.command("decrypt")
@site_option
@token_option
@key_option
@click.option("--election", required=True, type=int, help="The election's number on the site.")
def decrypt_command(site: str, token: str | None, key_path: Path, election: int) -> None:
    """Count an election: check the posted tally against the public board, post your partial
    decryptions and, once the result is decided, check it and co-sign it. Run it again to sign when
    the other trustees were not done yet."""
    api, key = Site(site, token), KeyFile(key_path)
    path = f"/elections/{election}"
    state = api.request("GET", path + "/tally")
    status = state["election"]["state"]
    if status == "open":
        raise click.ClickException(f"Election {election} has not been closed yet: there is no tally to decrypt.")
    try:
        joint = tcount.checked_joint_key(state, key.secrets)
        document = tcount.recomputed_tally(state, api.board_entries(election))
        click.echo(f"The encrypted tally is the sum of the {document['ballots']} counted ballots on the board "
                   "(recomputed here).")
        if not state["me"]["submitted"] and status == "tallying":
            state = api.request("POST", path + "/decryption", tcount.decryption_payload(state, key.secrets, joint,
                                                                                          document))
            click.echo("Your partial decryptions are posted.")
        if state["election"]["state"] != "decided":
            waiting = state["election"]["threshold"] - len(state["shares"])
            click.echo(f"Waiting for {waiting} more trustee(s); run this command again to sign the result.")
            return
        result = tcount.checked_result(state, joint, document)
    except CryptoError as exc:
        raise _fail(exc, "Cannot decrypt") from exc
    click.echo(f"Result checked here from the posted shares: totals {result['totals']}, turnout {result['turnout']} "
               f"of {result['roll_size']}.")
    if not state["me"]["submitted"]:
        click.echo("Other trustees decrypted this election; only they sign its result.")
    elif state["me"]["signed"]:
        click.echo("You have signed this result already.")
    else:
        answer = api.request("POST", path + "/result-signature", tcount.signature_payload(key.secrets, result))
        click.echo(f"Result signed; the certificate now has the signatures of trustee(s) "
                   f"{answer['certificate']['signers']}.")
