"""``dataguild vote ELECTION_URL``: cast (or audit) a secret ballot from the member's own computer.

For members who do not want to trust the JavaScript a site serves, and for scripts. Like the ballot page,
it encrypts on this machine (:mod:`voting.elections.client`, stdlib and ``voting.crypto`` only) and talks
to the site's public API (docs/api.md) through :mod:`governance.client` with a personal access token of
scope ``vote`` (``--token`` or ``$DATAGUILD_TOKEN``; create it on the account page). It fetches the
election's manifest, checks it against ``--fingerprint`` (take it from another channel: the proposal's
announcement, an observer) or shows it, asks the choices in the terminal (or takes ``--choices``),
encrypts and proves, and posts only the encrypted ballot. ``--audit`` posts it as audited instead (its
randomness revealed, never counted) and writes the audited ballot to a file that ``dataguild-verify
--audited`` checks. After a cast it checks the receipt (the manifest's receipt key signed it, with this
ballot's tracking code) and saves it. Nothing secret is printed or logged.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import click

from governance.client import ApiError, Client, ClientError
from voting import InvalidChoice
from voting.elections import client
from voting.record.tally import specs_of

TOKEN_ENV = "DATAGUILD_TOKEN"  # noqa: S105 - the name of a variable
TIMEOUT_SECONDS = 60
_ELECTION_URL = re.compile(r"^(https?://[^/]+(?:/.*?)?)/elections/(\d+)(?:/ballot)?/?$")


class VoteFailed(click.ClickException):
    """Shown as ``Error: <message>``; exit status 1."""


def _ask_choices(manifest: dict[str, Any]) -> list[list[int]]:
    """One list of integers per question, asked in the terminal."""
    choices = []
    for q, spec in enumerate(specs_of(manifest)):
        options = ", ".join(f"{i}: {name}" for i, name in enumerate(spec.options))
        if spec.KIND == "choice":
            low, high = spec.min_selections, spec.max_selections
            answer = click.prompt(f"Question {q + 1} ({options}); choose {low} to {high}, numbers separated by commas",
                                  default="" if low == 0 else None, show_default=False)
            picked = {int(x) for x in re.findall(r"-?\d+", answer)}
            choices.append([1 if i in picked else 0 for i in range(len(spec.options))])
        else:
            click.echo(f"Question {q + 1}: {spec.budget} voice credits; n votes on an option cost n².")
            choices.append([click.prompt(f"  votes on {name}", type=int, default=0) for name in spec.options])
    return choices



@click.command("vote")
@click.argument("election_url")
@click.option("--token", help=f"A personal access token with the vote scope (default: ${TOKEN_ENV}).")
@click.option("--fingerprint", help="The election fingerprint you got from another channel; refuse any other.")
@click.option("--choices", "choices_json", help='The choices as JSON, one list per question, e.g. "[[1, 0, 0]]" '
              "(default: asked in the terminal).")
@click.option("--audit", is_flag=True, help="Audit the encrypted ballot instead of casting it (never counted).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the receipt (cast) or the audited ballot (audit). Default: in this folder.")
def vote_command(election_url: str, token: str | None, fingerprint: str | None, choices_json: str | None,
                 audit: bool, out: Path | None) -> None:
    """Encrypt a secret ballot on this computer and cast (or audit) it through the site's API."""
    match = _ELECTION_URL.match(election_url.strip())
    if match is None:
        raise click.UsageError("ELECTION_URL must look like https://coop.example.org/elections/12")
    base, election_id = match.group(1), int(match.group(2))
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise click.UsageError(f"Give a personal access token with the vote scope with --token or ${TOKEN_ENV} "
                               "(create one on the site: your account page, Access tokens).")
    with Client(base, token, timeout=TIMEOUT_SECONDS, user_agent="dataguild-vote") as api:
        try:
            _vote(api, election_id, fingerprint=fingerprint, choices_json=choices_json, audit=audit, out=out)
        except ClientError as exc:
            raise VoteFailed(str(exc)) from None


def _vote(api: Client, election_id: int, *, fingerprint: str | None, choices_json: str | None, audit: bool,
          out: Path | None) -> None:
    try:
        election = api.get(f"/elections/{election_id}")
    except ApiError as exc:
        if exc.status == 404:
            raise VoteFailed(f"The site has no election {election_id}.") from None
        raise
    manifest = election["manifest"]
    try:
        actual = client.check_manifest(manifest, fingerprint)
    except client.ClientError as exc:
        raise VoteFailed(str(exc)) from None
    if fingerprint is None:
        click.echo(f"Election fingerprint: {actual}\n(compare it with the one the cooperative announced; pass "
                   "--fingerprint next time to have it checked)")
    you = api.get(f"/elections/{election_id}/roll")["you"]
    if not you or not you["on_roll"]:
        raise VoteFailed("You are not on this election's roll (the members when voting opened).")
    choices = json.loads(choices_json) if choices_json else _ask_choices(manifest)
    try:
        prepared = client.prepare(manifest, choices)
    except (InvalidChoice, client.ClientError) as exc:
        raise VoteFailed(getattr(exc, "message", str(exc))) from None
    click.echo(f"Encrypted on this computer. Tracking code: {prepared.tracking_code}")
    try:
        if audit:
            answer = api.post(f"/elections/{election_id}/audits",
                              {"ballot": prepared.to_json(), "reveal": prepared.reveal()})
        else:
            answer = api.post(f"/elections/{election_id}/ballots",
                              {"ballot": prepared.to_json(), "expected_previous": you["ballots_cast"]})
    except ApiError as exc:
        raise VoteFailed(f"The ballot was not {'audited' if audit else 'cast'}: {exc.detail}") from None
    problems = client.receipt_problems(answer.get("receipt"), manifest, prepared.tracking_code)
    if problems:
        raise VoteFailed("WARNING: the site's receipt does not match the ballot sent; do not assume it was "
                         "recorded, keep this output and tell the observers. " + " ".join(problems))
    name = f"{'audited' if audit else 'receipt'}-election-{election_id}-{prepared.tracking_code[:16]}.json"
    path = out or Path(name)
    saved = ({"manifest": manifest, "ballot": prepared.to_json(), "reveal": prepared.reveal(),
              "receipt": answer["receipt"]} if audit else answer["receipt"])
    path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if audit:
        click.echo(f"Audited (never counted): it opens to {answer['choices']}. Saved to {path}; check it with "
                   f"`dataguild-verify --audited {path}`. Now cast your real ballot.")
    else:
        click.echo(f"Your ballot is recorded: the receipt is signed by the election's key and carries your "
                   f"tracking code. Saved to {path}.")
