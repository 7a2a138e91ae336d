"""The result page, its JSON and the steward's "Close and count" button (real forms with CSRF)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from proposals.models import Proposal, ProposalState
from tests.conftest import csrf_token, make_member, reload
from tests.proposals.webform import find_form
from tests.voting.counting_helpers import after_close, make_secret_election, ready_committee
from tests.voting.elections.test_ballot_web import main_html, signed_in
from tests.voting.elections.test_board_web import assert_unique_ids
from tests.voting.factories import make_election, post_ballot
from voting.counting import services as counting
from voting.counting.chart import LABEL_WIDTH, PLOT_WIDTH, VALUE_WIDTH, bar_chart
from voting.crypto import bls
from voting.elections.models import Election, ElectionState, Secrecy
from voting.record import tally
from voting.trustees.client import bls_secret_of

LONG_AGO = timedelta(days=30)


def _text(response) -> str:
    """The page's main element with runs of white space collapsed (sentences span template lines)."""
    return " ".join(main_html(response).split())


def _svg_numbers(html: str) -> list[str]:
    svg = html[html.find("<svg"):html.find("</svg>")]
    return re.findall(r'font-weight="700"[^>]*>(-?\d+)</text>', svg)


def test_a_steward_closes_an_open_roll_call_and_everyone_sees_the_result(app, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=3, now=datetime.now(UTC) - LONG_AGO)
    steward, a, b, c = setup.voters
    for voter, choice in ((a, [[1, 0, 0]]), (b, [[1, 0, 0]]), (c, [[0, 1, 0]])):
        post_ballot(db_session, setup.election, voter, [choice[0]], now=setup.now)
    db_session.commit()
    eid, pid = setup.election.id, setup.proposal.id
    path = f"/elections/{eid}/result"

    anonymous = app.test_client()
    before = _text(anonymous.get(path))
    assert "Not decided yet" in before
    assert "Close and count" not in before
    member = signed_in(app, db_session, a)
    page = member.get(path)
    assert "Close and count" not in _text(page)
    refused = member.post(f"/elections/{eid}/close", data={"csrf_token": csrf_token(page.data)})
    assert refused.status_code == 403
    assert reload(db_session, Election, eid).state == ElectionState.OPEN

    browser = signed_in(app, db_session, steward)
    html = _text(browser.get(path))
    assert "Close and count" in html
    assert find_form(browser.get(f"/elections/{eid}").data, f"/elections/{eid}/close")["fields"]  # also there
    assert "Close and count" not in _text(anonymous.get(f"/elections/{eid}"))
    assert browser.post(f"/elections/{eid}/close", data={}).status_code == 400  # no CSRF token
    assert reload(db_session, Election, eid).state == ElectionState.OPEN
    form = find_form(browser.get(path).data, f"/elections/{eid}/close")
    closed = browser.post(form["action"], data=dict(form["fields"]))
    assert closed.status_code == 302
    html = _text(browser.get(path))
    assert "The election is closed and counted." in html
    assert "Adopted" in html
    assert "3 of 4 members on the roll voted" in html
    assert "the quorum is 20% (1 member): reached" in html
    assert 'role="img"' in html
    assert "<title id=\"chart-0-title\">Totals per option</title>" in html
    assert _svg_numbers(html) == ["2", "1", "0"]
    assert re.search(r'<th scope="row">Yes</th><td>2</td>', html)
    assert "yes: the signature verifies for the result above" in html
    assert "Close and count" not in html
    assert_unique_ids(browser.get(path).data.decode())
    assert reload(db_session, Proposal, pid).state == ProposalState.ADOPTED

    data = anonymous.get(f"/elections/{eid}/result.json").get_json()
    assert data["state"] == "decided"
    assert data["result"]["totals"] == [[2, 1, 0]]
    assert data["certificate"]["kind"] == "cooperative"
    assert data["certificate_verified"] is True
    assert data["record_hash"] == tally.result_hash(data["result"])
    assert data["outcome"] == "adopted"
    election_page = _text(anonymous.get(f"/elections/{eid}"))
    assert f'<a href="/elections/{eid}/result">The result</a>' in election_page
    proposal_page = _text(anonymous.get(f"/proposals/{pid}"))
    assert "The ballots are counted: see the result." in proposal_page
    assert f'<a href="/elections/{eid}/result">The result</a>' in proposal_page


def test_closing_too_early_says_when_voting_ends(app, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    db_session.commit()
    eid = setup.election.id
    browser = signed_in(app, db_session, setup.steward)
    page = browser.get(f"/elections/{eid}/result")
    assert "Close and count" not in _text(page)
    early = browser.post(f"/elections/{eid}/close", data={"csrf_token": csrf_token(page.data)})
    assert early.status_code == 409
    assert "Voting is open until" in _text(early)
    assert reload(db_session, Election, eid).state == ElectionState.OPEN
    assert app.test_client().get("/elections/999/result").status_code == 404


def test_a_cancelled_proposal_closes_its_election_uncounted_from_the_result_page(app, db_session) -> None:
    from proposals import lifecycle

    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]])
    lifecycle.cancel(db_session, setup.proposal, actor=setup.steward, reason="The counterparty withdrew.",
                     now=datetime.now(UTC))
    db_session.commit()
    eid = setup.election.id
    browser = signed_in(app, db_session, setup.steward)
    page = browser.get(f"/elections/{eid}/result")
    assert "was stopped: the proposal was cancelled" in _text(page)
    closed = browser.post(f"/elections/{eid}/close", data={"csrf_token": csrf_token(page.data)})
    assert closed.status_code == 302
    assert reload(db_session, Election, eid).state == ElectionState.CANCELLED
    after = _text(app.test_client().get(f"/elections/{eid}/result"))
    assert "Not counted: the proposal was cancelled" in after
    assert "Close and count" not in after


def test_a_secret_election_shows_the_trustees_progress_then_the_certified_result(app, db_session) -> None:
    steward = make_member(db_session, "web-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(db_session, steward, 3, 2, "web")
    setup = make_secret_election(db_session, committee, kind="payout_policy", voters=2,
                                 now=datetime.now(UTC) - LONG_AGO)
    _s, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[-3, 1]], now=setup.now)
    post_ballot(db_session, setup.election, b, [[1, 2]], now=setup.now)
    now = after_close(setup)
    election = counting.close_election(db_session, setup.election, now=now)
    db_session.commit()
    eid, path = election.id, f"/elections/{election.id}/result"
    client = app.test_client()

    def submit(j):
        cts = tally.tally_from_document(election.encrypted_tally)
        shares = tally.make_shares(tally.joint_key_of_manifest(election.manifest), trustees[j].secrets,
                                   election.fingerprint, cts)
        counting.submit_decryption(db_session, election, trustees[j].member, trustee_index=j, shares_json=shares,
                                   now=now)
        db_session.commit()

    submit(2)
    html = _text(client.get(path))
    assert "Not decided yet" in html
    assert "The encrypted tally of 2 ballots was posted" in html
    assert "2 of the 3 trustees must decrypt it; 1 has so far." in html
    assert '<th scope="row">Trustee 2</th><td>submitted and checked</td>' in html
    assert '<th scope="row">Trustee 1</th><td>waiting</td>' in html
    pending = client.get(f"/elections/{eid}/result.json").get_json()
    assert pending["state"] == "tallying"
    assert [d["trustee_index"] for d in pending["decryptions"]] == [2]
    assert pending["result"] is None

    submit(3)
    html = _text(client.get(path))
    assert "Decrypted by trustees 2, 3 (2 of 3 needed). Signed by: no trustee yet." in html
    assert "not yet signed" in html
    assert _svg_numbers(html) == ["-2", "3"]
    assert "alternative 2" in html
    message = tally.result_message(election.result)
    counting.sign_result(db_session, election, trustees[3].member, trustee_index=3,
                         signature_hex=bls.sign(bls_secret_of(trustees[3].secrets), message).to_hex(), now=now)
    db_session.commit()
    html = _text(client.get(path))
    assert "Signed by: trustee 3." in html
    assert "yes: the signature verifies for the result above" in html
    assert_unique_ids(client.get(path).data.decode())
    assert client.get(f"/elections/{eid}/result.json").get_json()["certificate_verified"] is True


def test_bar_chart_geometry() -> None:
    plain = bar_chart([("Yes", 4), ("No", 2), ("Abstain", 0)])
    assert plain.zero_x == LABEL_WIDTH
    assert [b.width for b in plain.bars] == [PLOT_WIDTH, PLOT_WIDTH // 2, 0]
    assert plain.width == LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    assert not plain.has_negative
    mixed = bar_chart([("A", -2), ("B", 6)])
    assert mixed.has_negative
    assert mixed.zero_x == LABEL_WIDTH + VALUE_WIDTH + PLOT_WIDTH // 4
    negative = mixed.bars[0]
    assert (negative.x + negative.width, negative.text_anchor) == (mixed.zero_x, "end")
    assert negative.text_x > LABEL_WIDTH  # the number never runs into the labels
    empty = bar_chart([("A", 0)])
    assert empty.bars[0].width == 0
