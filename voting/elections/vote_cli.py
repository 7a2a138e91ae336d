"""``dataguild vote ELECTION_URL``: cast (or audit) a secret ballot from the member's own computer.

For members who do not want to trust the JavaScript a site serves, and for scripted tests. Like the
ballot page, it encrypts on this machine (:mod:`voting.elections.client`, stdlib and ``voting.crypto``
only): it signs in with the member's email and password (the site's own sign-in form, with its CSRF
token; personal tokens for members come with the public API), fetches the election's manifest, checks
it against ``--fingerprint`` (take it from another channel: the proposal's announcement, an observer)
or shows it, asks the choices in the terminal (or takes ``--choices``), encrypts and proves, and
posts only the encrypted ballot. ``--audit`` posts it as audited instead (its randomness revealed,
never counted) and writes the audited ballot to a file that ``dataguild-verify --audited`` checks.
After a cast it checks the receipt (the manifest's receipt key signed it, with this ballot's tracking
code) and saves it. Nothing secret is printed or logged.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click

from voting import InvalidChoice
from voting.elections import client
from voting.record.tally import specs_of

PASSWORD_ENV = "DATAGUILD_PASSWORD"  # noqa: S105 - the name of a variable
TIMEOUT_SECONDS = 60
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_ELECTION_URL = re.compile(r"^(https?://[^/]+(?:/.*?)?)/elections/(\d+)(?:/ballot)?/?$")


class VoteFailed(click.ClickException):
    """Shown as ``Error: <message>``; exit status 1."""


class Site:
    """A signed-in session on the site, with a cookie jar, as a browser would hold it."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        data, sent = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with self.opener.open(req, timeout=TIMEOUT_SECONDS) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except urllib.error.URLError as exc:
            raise VoteFailed(f"Cannot reach {self.base}: {exc.reason}") from None

    def csrf(self, path: str) -> tuple[str, str]:
        status, html = self.request("GET", path)
        match = _CSRF.search(html)
        if status != 200 or match is None:
            raise VoteFailed(f"{path} answered {status} without a form: {_said(html)}")
        return match.group(1) or match.group(2), html

    def sign_in(self, email: str, password: str) -> None:
        token, _ = self.csrf("/login")
        status, html = self.request("POST", "/login", form={"csrf_token": token, "email": email, "password": password})
        if status >= 400 or 'action="/login"' in html:
            raise VoteFailed("Sign-in failed: check the email address and the password.")


def _said(text: str) -> str:
    """The error message of a JSON answer, else a short hint of an HTML one."""
    try:
        return str(json.loads(text).get("error"))
    except (ValueError, AttributeError):
        match = re.search(r'role="alert"[^>]*>(.*?)</div>', text, re.S)
        return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else text[:200]


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
@click.option("--email", required=True, help="Your sign-in address.")
@click.option("--fingerprint", help="The election fingerprint you got from another channel; refuse any other.")
@click.option("--choices", "choices_json", help='The choices as JSON, one list per question, e.g. "[[1, 0, 0]]" '
              "(default: asked in the terminal).")
@click.option("--audit", is_flag=True, help="Audit the encrypted ballot instead of casting it (never counted).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to save the receipt (cast) or the audited ballot (audit). Default: in this folder.")
def vote_command(election_url: str, email: str, fingerprint: str | None, choices_json: str | None, audit: bool,
                 out: Path | None) -> None:
    """Encrypt a secret ballot on this computer and cast (or audit) it. The password is asked for, or
    read from $DATAGUILD_PASSWORD."""
    match = _ELECTION_URL.match(election_url.strip())
    if match is None:
        raise click.UsageError("ELECTION_URL must look like https://coop.example.org/elections/12")
    base, election_id = match.group(1), int(match.group(2))
    password = os.environ.get(PASSWORD_ENV) or click.prompt("Password", hide_input=True)
    site = Site(base)
    site.sign_in(email, password)
    status, text = site.request("GET", f"/elections/{election_id}/manifest.json")
    if status != 200:
        raise VoteFailed(f"The site has no election {election_id} ({status}).")
    manifest = json.loads(text)
    try:
        actual = client.check_manifest(manifest, fingerprint)
    except client.ClientError as exc:
        raise VoteFailed(str(exc)) from None
    if fingerprint is None:
        click.echo(f"Election fingerprint: {actual}\n(compare it with the one the cooperative announced; pass "
                   "--fingerprint next time to have it checked)")
    token, page = site.csrf(f"/elections/{election_id}/ballot")
    expected = re.search(r'name="expected_previous"[^>]*value="(\d+)"', page)
    if expected is None:
        raise VoteFailed(f"The ballot page takes no ballot now: {_said(page)}")
    choices = json.loads(choices_json) if choices_json else _ask_choices(manifest)
    try:
        prepared = client.prepare(manifest, choices)
    except (InvalidChoice, client.ClientError) as exc:
        raise VoteFailed(getattr(exc, "message", str(exc))) from None
    click.echo(f"Encrypted on this computer. Tracking code: {prepared.tracking_code}")
    body: dict[str, Any] = {"action": "audit" if audit else "cast", "ballot": prepared.to_json()}
    body.update({"reveal": prepared.reveal()} if audit else {"expected_previous": int(expected.group(1))})
    status, text = site.request("POST", f"/elections/{election_id}/ballot.json", body=body,
                                headers={"X-CSRFToken": token, "Accept": "application/json"})
    if status != 200:
        raise VoteFailed(f"The ballot was not {'audited' if audit else 'cast'}: {_said(text)}")
    answer = json.loads(text)
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
