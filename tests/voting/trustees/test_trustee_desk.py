"""The trustee desk: its pages (what to do next, one page per step, inputs that can never be submitted)
and the trustee JSON API reached with the session cookie and the CSRF header, as the desk's pages call
it. The payloads are built by the Python trustee code the commands use (standing in for dgcrypto.js,
which is tested against the server on its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, live_site, login, make_member, reload
from tests.voting.committee_helpers import announcement_payload, appoint, ceremony_of, trustee_token
from tests.voting.counting_helpers import after_close, make_secret_election, ready_committee
from tests.voting.factories import make_election, post_ballot
from voting.committees.models import CommitteeStatus, CommitteeTrustee, TrusteeCommittee
from voting.counting import services as counting
from voting.counting.models import DecryptionShareRecord
from voting.crypto.keyfile import load_keyfile
from voting.elections.models import Election, ElectionState, Secrecy
from voting.record import tally
from voting.trustees import client as tc
from voting.trustees import decrypt as tcount

API = "/api/v1/trustee"


class _Page(HTMLParser):
    """The tags of a page, with their attributes, and which of them sit inside form#trustee-step."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, Any], bool]] = []
        self._depth = 0  # > 0 inside the step form
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "trustee-step":
            self._depth = 1
            self.form = attributes
        elif tag == "form" and self._depth:
            self._depth += 1
        self.tags.append((tag, attributes, self._depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._depth:
            self._depth -= 1

    def inside(self, tag: str) -> list[dict[str, Any]]:
        return [a for t, a, inside in self.tags if t == tag and inside]


def _page(client, url: str, status: int = 200) -> tuple[str, _Page]:
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:3000]
    return html, _Page(html)


def _signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def _csrf(client) -> str:
    """The session's CSRF token, as every page of the site carries it (the desk's pages in data-csrf)."""
    return csrf_token(client.get("/").data)


def _post(client, url: str, payload: Any, token: str | None, **headers: str):
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(url, json=payload, headers=headers)


def _error(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["error"]["message"]


@pytest.fixture
def steward(db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"))


# ---------------------------------------------------------------- the API with the session cookie


def test_the_session_api_needs_the_csrf_header_and_the_trustee_role(app, client, db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 1)
    cid, url = committee.id, f"{API}/committees/{committee.id}/announcement"
    payload = announcement_payload(ceremony_of(committee), seats[0].secrets)
    trustee = _signed_in(app, "t1@example.org")
    listed = trustee.get(f"{API}/committees")
    assert listed.status_code == 200
    assert listed.get_json()["committees"][0]["next_step"] == "announce"
    assert trustee.get(f"{API}/committees/{cid}").get_json()["me"] == {"index": 1, "next_step": "announce"}
    # A proxy's HTTP Basic credentials are not a token: the session still counts.
    assert trustee.get(f"{API}/committees", headers={"Authorization": "Basic abc"}).status_code == 200

    # A forged cross-site POST carries the cookie but cannot know the token: refused, nothing written.
    assert "security token" in _error(_post(trustee, url, payload, None, Origin="https://evil.example"), 400)
    assert "security token" in _error(_post(trustee, url, payload, "not-the-token"), 400)
    forged_form = trustee.post(url, data={"announcement": "x"}, headers={"Origin": "https://evil.example"})
    assert forged_form.status_code == 400
    assert count_rows(db_session, CommitteeTrustee, CommitteeTrustee.announced_at.is_not(None)) == 0

    # Not signed in and no token: 401, as before.
    assert "Bearer dgp_" in _error(_post(client, url, payload, None), 401)
    assert "Bearer dgp_" in _error(client.get(f"{API}/committees"), 401)

    # A member without the trustee role, and a trustee of another committee: 403, even with a valid token.
    member_client = _signed_in(app, make_member(db_session, "m@example.org").email)
    assert "trustee role" in _error(member_client.get(f"{API}/committees"), 403)
    assert "trustee role" in _error(_post(member_client, url, payload, _csrf(member_client)), 403)
    other = _signed_in(app, make_member(db_session, "o@example.org", roles=("member", "trustee")).email)
    assert "not a trustee" in _error(other.get(f"{API}/committees/{cid}"), 403)
    assert "not a trustee" in _error(_post(other, url, payload, _csrf(other)), 403)

    # The trustee's own page token: accepted, and the audit names the trustee.
    answer = _post(trustee, url, payload, _csrf(trustee))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["committee"]["my_index"] == 1
    assert "already submitted" in _error(_post(trustee, url, payload, _csrf(trustee)), 409)
    stored = reload(db_session, TrusteeCommittee, cid)
    assert stored.trustees[0].announcement == payload["announcement"]

    # Bearer tokens work exactly as before (no CSRF header), even from a client with a session.
    _row, token = trustee_token(db_session, seats[1].member, "laptop")
    db_session.commit()
    second = announcement_payload(ceremony_of(committee), seats[1].secrets)
    answer = trustee.post(url, json=second, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["committee"]["my_index"] == 2
    assert reload(db_session, TrusteeCommittee, cid).status == CommitteeStatus.DEALING


def test_a_whole_ceremony_and_a_count_through_the_session_api(app, db_session, steward):
    """Every POST the desk's pages make, with payloads built as the commands build them."""
    committee, seats = appoint(db_session, steward, 2, 2, prefix="desk")
    cid, ceremony = committee.id, ceremony_of(committee)
    clients = [_signed_in(app, f"desk{i}@example.org") for i in (1, 2)]
    tokens = [_csrf(c) for c in clients]
    base = f"{API}/committees/{cid}"
    for seat, c, token in zip(seats, clients, tokens, strict=True):
        state = c.get(base).get_json()
        secrets = tc.bind_to_ceremony(seat.secrets, ceremony, tc.my_index(state))
        assert _post(c, f"{base}/announcement", announcement_payload(ceremony, secrets), token).status_code == 200
    for seat, c, token in zip(seats, clients, tokens, strict=True):
        state = c.get(base).get_json()
        assert state["me"]["next_step"] == "deal"
        seat.secrets, payload = tc.dealing_payload(ceremony, seat.secrets, tc.checked_roster(ceremony, state,
                                                                                           seat.secrets))
        assert _post(c, f"{base}/dealing", payload, token).status_code == 200
    for seat, c, token in zip(seats, clients, tokens, strict=True):
        state = c.get(base).get_json()
        confirmation = tc.confirmation_payload(ceremony, seat.secrets, tc.checked_roster(ceremony, state,
                                                                                         seat.secrets), state)
        assert _post(c, f"{base}/confirmation", confirmation.payload, token).status_code == 200
    assert reload(db_session, TrusteeCommittee, cid).status == CommitteeStatus.READY
    for seat, c in zip(seats, clients, strict=True):
        state = c.get(f"{base}?all_shares=1").get_json()
        roster = tc.checked_roster(ceremony, state, seat.secrets)
        joint = tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"])
        seat.secrets = tc.derive_share(ceremony, seat.secrets, roster, state, joint)

    db_session.expire_all()  # the ceremony went through the site, not this session
    setup = make_secret_election(db_session, db_session.get(TrusteeCommittee, cid), voters=2,
                                 now=datetime.now(UTC) - timedelta(days=30))  # decided now, by the site's clock
    _s, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[1, 0, 0]], now=setup.now)
    post_ballot(db_session, setup.election, b, [[1, 0, 0]], now=setup.now)
    counting.close_election(db_session, setup.election, now=after_close(setup))
    db_session.commit()
    eid = setup.election.id
    entries = clients[0].get(f"/elections/{eid}/board.json").get_json()["entries"]
    for seat, c, token in zip(seats, clients, tokens, strict=True):
        state = c.get(f"{API}/elections/{eid}/tally").get_json()
        joint = tcount.checked_joint_key(state, seat.secrets)
        document = tcount.recomputed_tally(state, entries)
        payload = tcount.decryption_payload(state, seat.secrets, joint, document)
        assert "security token" in _error(_post(c, f"{API}/elections/{eid}/decryption", payload, None), 400)
        answer = _post(c, f"{API}/elections/{eid}/decryption", payload, token)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    state = answer.get_json()
    assert state["election"]["state"] == "decided"
    for seat, c, token in zip(seats, clients, tokens, strict=True):
        state = c.get(f"{API}/elections/{eid}/tally").get_json()
        result = tcount.checked_result(state, tcount.checked_joint_key(state, seat.secrets),
                                       tcount.recomputed_tally(state, entries))
        payload = tcount.signature_payload(seat.secrets, result)
        assert "security token" in _error(_post(c, f"{API}/elections/{eid}/result-signature", payload, None), 400)
        assert _post(c, f"{API}/elections/{eid}/result-signature", payload, token).status_code == 200
    election = reload(db_session, Election, eid)
    assert election.result["totals"] == [[2, 0, 0]]
    assert election.result_certificate["signers"] == [1, 2]
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)


# ---------------------------------------------------------------- the pages


def _assert_step_form(html: str, page: _Page, *, command: str) -> dict[str, Any]:
    """The step form: hidden until the module runs, no input with a name, the scripts linked as modules,
    the no-JavaScript explanation with the equivalent command; returns the form's attributes."""
    form = page.form
    assert "hidden" in form
    inputs = page.inside("input")
    assert inputs
    assert all("name" not in i for i in inputs), inputs
    assert not page.inside("textarea")
    assert not page.inside("select")
    scripts = [a for t, a, _ in page.tags if t == "script"]  # one, loaded with Subresource Integrity
    assert [(a["type"], a["src"]) for a in scripts] == [("module", "/static/js/trustee/pages.js")]
    assert scripts[0]["integrity"].startswith("sha384-")
    assert '<link rel="modulepreload" href="/static/js/trustee/dgcrypto.js">' in html
    assert "onclick" not in html
    assert "<script>" not in html
    assert "needs JavaScript" in html
    assert command in html
    assert form["data-csrf"]
    assert 'id="trustee-progress" role="status" aria-live="polite"' in html
    return form


def test_the_desk_shows_each_trustee_the_next_step(app, db_session, steward, make_logged_in_client):
    committee, seats = appoint(db_session, steward, 2, 1, prefix="nx")
    cid = committee.id
    first, second = (_signed_in(app, f"nx{i}@example.org") for i in (1, 2))
    html, _ = _page(first, "/trustee")
    assert "Step 1 of 4: make a key file and announce your keys." in html
    assert f'href="/trustee/committees/{cid}/announce"' in html
    assert f'href="/trustee/committees/{cid}/keygen"' in html
    assert 'href="/trustee">Trustee desk' in first.get("/").get_data(as_text=True)  # the nav
    assert 'href="/trustee"' in first.get(f"/committees/{cid}").get_data(as_text=True)

    announced = _post(first, f"{API}/committees/{cid}/announcement",
                      announcement_payload(ceremony_of(committee), seats[0].secrets), _csrf(first))
    assert announced.status_code == 200
    html, _ = _page(first, "/trustee")
    assert "Step 1 of 4 done: waiting for the other trustees to announce." in html
    assert "Nothing waits for you now." in html
    html, page = _page(first, f"/trustee/committees/{cid}/announce")
    assert "This is not your step now" in html
    assert not page.inside("input")
    assert "pages.js" not in html

    _post(second, f"{API}/committees/{cid}/announcement",
          announcement_payload(ceremony_of(committee), seats[1].secrets), _csrf(second))
    html, _ = _page(second, "/trustee")
    assert "Step 2 of 4: deal your shares." in html
    html, page = _page(second, f"/trustee/committees/{cid}/deal")
    form = _assert_step_form(html, page, command=f"dataguild trustee deal --site http://localhost --committee {cid} "
                                                 f"--key trustee-committee-{cid}.json")
    assert form["data-step"] == "deal"
    assert form["data-state-url"] == f"{API}/committees/{cid}"
    assert form["data-post-url"] == f"{API}/committees/{cid}/dealing"
    assert form["data-key-file"] == f"trustee-committee-{cid}.json"
    assert 'id="trustee-download" href="#" download="trustee-committee-' in html
    assert 'id="trustee-send" disabled' in html  # sent only once the updated key file is saved


def test_the_keygen_page_sends_nothing(app, db_session, steward):
    committee, _seats = appoint(db_session, steward, 1, 1, prefix="kg")
    client = _signed_in(app, "kg1@example.org")
    html, page = _page(client, f"/trustee/committees/{committee.id}/keygen")
    form = _assert_step_form(html, page,
                             command=f"dataguild trustee keygen --out trustee-committee-{committee.id}.json")
    assert form["data-step"] == "keygen"
    assert "data-post-url" not in form
    assert "data-state-url" not in form
    assert [i["type"] for i in page.inside("input")] == ["password", "password"]
    assert "Nothing is sent to the" in html


def test_who_may_open_the_desk_and_its_pages(app, client, db_session, steward, make_logged_in_client):
    committee, _seats = appoint(db_session, steward, 1, 1, prefix="who")
    cid = committee.id
    setup = make_election(db_session, secrecy=Secrecy.OPEN, kind="payout_policy")
    db_session.commit()
    assert client.get("/trustee").status_code == 302  # to sign in
    assert client.get(f"/trustee/committees/{cid}/announce").status_code == 302
    for roles in (("member",), ("observer",), ("member", "steward")):
        outsider, _ = make_logged_in_client(*roles)
        assert outsider.get("/trustee").status_code == 403
        assert outsider.get(f"/trustee/committees/{cid}/announce").status_code == 403
        assert 'href="/trustee"' not in outsider.get("/").get_data(as_text=True)
    other, _ = make_logged_in_client("member", "trustee")
    html, _ = _page(other, "/trustee")
    assert "You are not a trustee of any committee yet." in html
    assert other.get(f"/trustee/committees/{cid}/announce").status_code == 403
    assert other.get(f"/trustee/committees/{cid}/keygen").status_code == 403
    seated = _signed_in(app, "who1@example.org")
    assert seated.get("/trustee/committees/999/announce").status_code == 404
    assert seated.get(f"/trustee/committees/{cid}/publish").status_code == 404
    assert seated.get("/trustee/elections/999/decrypt").status_code == 404
    assert seated.get(f"/trustee/elections/{setup.election.id}/decrypt").status_code == 404  # open roll call


def test_counting_from_the_desk(app, db_session, steward, make_logged_in_client):
    committee, trustees = ready_committee(db_session, steward, 3, 2, "cnt")
    cid = committee.id
    setup = make_secret_election(db_session, committee, voters=2, now=datetime.now(UTC) - timedelta(days=30))
    _s, a, _b = setup.voters
    post_ballot(db_session, setup.election, a, [[0, 1, 0]], now=setup.now)
    db_session.commit()
    eid = setup.election.id
    first = _signed_in(app, "cnt1@example.org")
    html, _ = _page(first, "/trustee")
    assert "Ready. Step 4 of 4, once: store your key share" in html
    assert f'href="/trustee/committees/{cid}/confirm"' in html
    html, page = _page(first, f"/trustee/committees/{cid}/confirm")
    assert "Step 4 of 4: Store your key share" in html
    _assert_step_form(html, page, command=f"dataguild trustee confirm --site http://localhost --committee {cid}")
    assert "Voting has ended; counting starts when the site closes the election" in _page(first, "/trustee")[0]
    html, page = _page(first, f"/trustee/elections/{eid}/decrypt")
    assert "Nothing to do here now" in html
    assert not page.inside("input")

    counting.close_election(db_session, setup.election, now=after_close(setup))
    db_session.commit()
    html, _ = _page(first, "/trustee")
    assert f"Election #{eid} is waiting for your decryption." in html
    assert f'href="/trustee/elections/{eid}/decrypt"' in html
    html, page = _page(first, f"/trustee/elections/{eid}/decrypt")
    form = _assert_step_form(html, page, command=f"dataguild trustee decrypt --site http://localhost --key "
                                                 f"trustee-committee-{cid}.json --election {eid}")
    assert (form["data-tally-url"], form["data-decryption-url"], form["data-signature-url"], form["data-board-url"]) \
        == (f"{API}/elections/{eid}/tally", f"{API}/elections/{eid}/decryption",
            f"{API}/elections/{eid}/result-signature", f"/elections/{eid}/board.json")
    assert "Check the tally and decrypt" in html
    outsider, _ = make_logged_in_client("member", "trustee")
    assert outsider.get(f"/trustee/elections/{eid}/decrypt").status_code == 403

    # Trustees 1, then 3, decrypt through the API as the page would; in between the desk says it waits for one more.
    def decrypt(client, secrets) -> None:
        state = client.get(f"{API}/elections/{eid}/tally").get_json()
        entries = client.get(f"/elections/{eid}/board.json").get_json()["entries"]
        payload = tcount.decryption_payload(state, secrets, tcount.checked_joint_key(state, secrets),
                                            tcount.recomputed_tally(state, entries))
        answer = _post(client, f"{API}/elections/{eid}/decryption", payload, _csrf(client))
        assert answer.status_code == 200, answer.get_data(as_text=True)

    decrypt(first, trustees[1].secrets)
    assert "Your decryption is in; waiting for 1 more trustee(s)." in _page(first, "/trustee")[0]
    decrypt(_signed_in(app, "cnt3@example.org"), trustees[3].secrets)
    assert count_rows(db_session, DecryptionShareRecord) == 2
    html, _ = _page(first, "/trustee")
    assert f"Election #{eid} is decided: check and co-sign its result." in html
    html, _ = _page(first, f"/trustee/elections/{eid}/decrypt")
    assert "Check and co-sign the" in html
    third = _signed_in(app, "cnt2@example.org")
    assert "Decided; nothing to do." in _page(third, "/trustee")[0]
    assert reload(db_session, Election, eid).state == ElectionState.DECIDED


# ---------------------------------------------------------------- in a real browser

PASSPHRASE = "a passphrase typed into the page only"
#: What the desk's pages must work under (no inline script or style); added to their responses here.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"


def _with_csp(route: Any) -> None:
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


def _run_step(page: Any, url: str, key: Path | None, tmp_path: Path, name: str, *, saves: bool, sends: bool,
              done: str, passphrase: str = PASSPHRASE) -> Path | None:
    """Open a step page, choose the key file, type the passphrase, run; download the updated key file
    when one is offered (ticking "saved" and sending when the step sends); wait for ``done``."""
    page.goto(url)
    assert page.locator("#trustee-step").is_visible()
    assert page.locator("[data-js-missing]").is_hidden()
    if key is not None:
        page.set_input_files("#trustee-key-file", str(key))
    page.fill("#trustee-passphrase", passphrase)
    page.click("#trustee-run")
    saved = None
    if saves:
        page.locator("#trustee-save").wait_for(state="visible", timeout=120_000)
        with page.expect_download() as download:
            page.click("#trustee-download")
        saved = tmp_path / name
        download.value.save_as(saved)
        assert download.value.suggested_filename.startswith("trustee-committee-")
        if sends:
            assert page.locator("#trustee-send").is_disabled()
            page.check("#trustee-saved")
            page.click("#trustee-send")
    page.locator("#trustee-progress", has_text=done).wait_for(timeout=120_000)
    assert page.locator("#trustee-error").is_hidden(), page.locator("#trustee-error").inner_text()
    return saved


def test_a_trustee_runs_every_step_in_a_real_browser(app, db_session, steward, tmp_path, browser):
    """Keygen, announce, deal, confirm and store, decrypt and co-sign: pages.js with dgcrypto.js in
    Chromium against the running site, under a strict Content-Security-Policy."""
    committee, _seats = appoint(db_session, steward, 1, 1, prefix="web")
    cid = committee.id
    with live_site(app) as base:
        context = browser.new_context(accept_downloads=True)
        context.route(f"{base}/trustee/**", _with_csp)
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/login")
        page.fill("#email", "web1@example.org")
        page.fill("#password", DEFAULT_PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(f"{base}/")

        assert page.goto(f"{base}/trustee/committees/{cid}/keygen").headers["content-security-policy"] == CSP
        assert page.locator("#trustee-step").is_visible()
        page.fill("#trustee-passphrase", PASSPHRASE)
        page.fill("#trustee-passphrase-again", PASSPHRASE + "x")
        page.click("#trustee-run")
        page.locator("#trustee-error", has_text="The two passphrases differ").wait_for()
        page.fill("#trustee-passphrase-again", PASSPHRASE)
        page.click("#trustee-run")
        page.locator("#trustee-progress", has_text="Your key file is ready").wait_for(timeout=60_000)
        assert page.input_value("#trustee-passphrase") == ""  # emptied: nothing lingers in the form
        with page.expect_download() as download:
            page.click("#trustee-download")
        assert download.value.suggested_filename == f"trustee-committee-{cid}.json"
        key0 = tmp_path / "key0.json"
        download.value.save_as(key0)
        assert load_keyfile(key0.read_text(encoding="utf-8"), PASSPHRASE).fingerprint is None

        # A wrong passphrase: a clear refusal, nothing sent.
        page.goto(f"{base}/trustee/committees/{cid}/announce")
        page.set_input_files("#trustee-key-file", str(key0))
        page.fill("#trustee-passphrase", "wrong")
        page.click("#trustee-run")
        error = page.locator("#trustee-error")
        error.wait_for(state="visible", timeout=60_000)
        assert error.inner_text() == "This passphrase does not open the key file. Nothing was sent to the site."
        assert count_rows(db_session, CommitteeTrustee, CommitteeTrustee.announced_at.is_not(None)) == 0

        key1 = _run_step(page, f"{base}/trustee/committees/{cid}/announce", key0, tmp_path, "key1.json", saves=True,
                         sends=True, done="Announced as trustee 1.")
        key2 = _run_step(page, f"{base}/trustee/committees/{cid}/deal", key1, tmp_path, "key2.json", saves=True,
                         sends=True, done="Sent your commitment and 0 encrypted shares.")
        key3 = _run_step(page, f"{base}/trustee/committees/{cid}/confirm", key2, tmp_path, "key3.json", saves=True,
                         sends=False, done="Your key share is in the updated key file")
        assert reload(db_session, TrusteeCommittee, cid).status == CommitteeStatus.READY
        secrets = load_keyfile(key3.read_text(encoding="utf-8"), PASSPHRASE)
        assert secrets.share is not None
        assert secrets.polynomial == load_keyfile(key2.read_text(encoding="utf-8"), PASSPHRASE).polynomial
        _run_step(page, f"{base}/trustee/committees/{cid}/confirm", key3, tmp_path, "-", saves=False, sends=False,
                  done="Your key share is already in this key file.")

        db_session.expire_all()
        setup = make_secret_election(db_session, db_session.get(TrusteeCommittee, cid), voters=2,
                                     now=datetime.now(UTC) - timedelta(days=30))
        _s, a, b = setup.voters
        post_ballot(db_session, setup.election, a, [[0, 1, 0]], now=setup.now)
        post_ballot(db_session, setup.election, b, [[0, 1, 0]], now=setup.now)
        counting.close_election(db_session, setup.election, now=after_close(setup))
        db_session.commit()
        eid = setup.election.id
        _run_step(page, f"{base}/trustee/elections/{eid}/decrypt", key3, tmp_path, "-", saves=False, sends=False,
                  done="the certificate now has the signatures of trustee(s) 1.")
        assert "the sum of the 2 counted ballot(s)" in page.locator("#trustee-progress").inner_text()
        assert problems == []
        context.close()
    election = reload(db_session, Election, eid)
    assert election.state == ElectionState.DECIDED
    assert election.result["totals"] == [[0, 2, 0]]
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    assert election.result_certificate["signers"] == [1]
