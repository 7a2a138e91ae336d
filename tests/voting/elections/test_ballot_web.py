"""The ballot pages through the real forms (with CSRF): vote, audit, re-vote, refusals, receipts as
JSON and by email, and opening an election from the proposal page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.auth.passwords import password_hasher
from governance.mail.models import OutboxMail
from proposals.models import Proposal, ProposalState
from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, fetch_all, login, reload
from tests.proposals.factories import add_sponsors, make_proposal, new_member, seed_governance
from tests.proposals.webform import fill, find_form
from tests.voting.counting_helpers import ready_committee
from tests.voting.factories import MEMBERS_SINCE, device, make_election
from voting import InvalidChoice
from voting.crypto.ballot import EncryptedBallot, check_audited_ballot
from voting.elections import client as voter_client
from voting.elections.models import BoardEntry, Election, EntryKind, RollEntry, Secrecy
from voting.elections.services import election_key
from voting.record import canonical as record


def signed_in(app, session, member):
    """A browser signed in as ``member`` (a factory member: give them a password first)."""
    member.password_hash = password_hasher({"ENV_NAME": "test"}).hash(DEFAULT_PASSWORD)
    session.commit()
    client = app.test_client()
    login(client, member.email)
    return client


def main_html(response) -> str:
    """The page's main element, with the fingerprint box's groups of 8 hex digits joined again."""
    html = response.data.decode()
    return re.sub(r"</span><span>", "", html[html.find("<main"):])


def press(client, page_path: str, button_value: str, changes=None, *, action: str | None = None):
    """Open the page, fill its form, press the submit button ``name="action"`` with ``button_value``."""
    page = client.get(page_path)
    assert page.status_code == 200, main_html(page)[:2000]
    form = find_form(page.data, action)
    assert ("action", button_value) in form["buttons"], form["buttons"]
    data = fill(form["fields"], changes or {})
    data.add("action", button_value)
    return client.post(form["action"], data=data)


def board_of(session, election_id: int) -> list[BoardEntry]:
    return fetch_all(session, select(BoardEntry).where(BoardEntry.election_id == election_id)
                     .order_by(BoardEntry.leaf_index))


def casts_of(session, election_id: int, member_id: int) -> int:
    return fetch_all(session, select(RollEntry.ballots_cast).where(RollEntry.election_id == election_id,
                                                                   RollEntry.member_id == member_id))[0]


# ---------------------------------------------------------------- voting


def test_vote_secretly_download_and_email_the_receipt_then_revote(app, client, db_session) -> None:
    setup = make_election(db_session, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    ballot_path = f"/elections/{eid}/ballot"

    page = browser.get(ballot_path)
    html = main_html(page)
    assert page.status_code == 200
    assert "Yes means the rule change is adopted" in html
    assert "Abstain means you take part" in html
    assert setup.election.fingerprint in html
    rule = setup.election.manifest["rule"]  # the rule that decides, shown before anyone votes
    assert "How this vote is decided" in html
    assert f"at least {rule['quorum_percent']}% of the" in html
    assert f"{rule['threshold_numerator']}/{rule['threshold_denominator']} of the yes and no votes" in html
    assert "Audit it instead" in html
    assert "You voted at" not in html
    assert "js/ballot/page.js" in html
    assert "This secret ballot needs JavaScript" in html
    assert "dataguild vote" in html
    # No form submission can carry a choice: the choice inputs have no name.
    fields = dict(find_form(page.data, ballot_path)["fields"])
    assert not [name for name in fields if name.startswith("q")]
    plain = browser.post(ballot_path, data={"csrf_token": csrf_token(page.data), "expected_previous": "0",
                                            "q0": "0", "action": "cast"})
    assert plain.status_code == 400
    assert "encrypted on your own device" in main_html(plain)
    plain_json = browser.post(f"/elections/{eid}/ballot.json", json={"choices": [[1, 0, 0]]},
                              headers={"X-CSRFToken": csrf_token(page.data)})
    assert plain_json.status_code == 400
    assert "encrypted on your own device" in plain_json.get_json()["error"]
    assert board_of(db_session, eid) == []

    response, prepared = device(browser, eid, [[1, 0, 0]])
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    (entry,) = board_of(db_session, eid)
    assert entry.tracking_code == prepared.tracking_code
    assert answer["url"].endswith(f"/elections/{eid}/receipts/{entry.tracking_code}")
    assert voter_client.receipt_problems(answer["receipt"], setup.election.manifest, prepared.tracking_code) == []
    receipt_page = browser.get(answer["url"])
    html = main_html(receipt_page)
    assert receipt_page.status_code == 200
    assert entry.tracking_code in html
    assert entry.receipt_signature in html
    assert "Your ballot is cast." in receipt_page.data.decode()
    assert setup.election.fingerprint in html

    # The receipt as JSON is public (anyone may check it), and it verifies.
    download = client.get(f"/elections/{eid}/receipts/{entry.tracking_code}.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    receipt = record.Receipt.from_json(json.loads(download.data))
    record.verify_receipt(receipt, setup.election.manifest["receipt_public_key"])
    assert (receipt.tracking_code, receipt.leaf_index) == (entry.tracking_code, 0)

    # Email me this receipt: to the voter's own address only.
    mailed = press_mail(browser, eid, entry.tracking_code)
    assert mailed.status_code == 302
    mails = fetch_all(db_session, select(OutboxMail).where(OutboxMail.to_address == voter.email,
                                                           OutboxMail.subject.startswith("Your ballot receipt")))
    assert len(mails) == 1
    assert entry.tracking_code in mails[0].body
    assert receipt.signature in mails[0].body

    # Re-voting: the page says so first; the new ballot supersedes the old one.
    html = main_html(browser.get(ballot_path))
    assert "You voted at" in html
    assert "voting again replaces that ballot" in html
    again, _ = device(browser, eid, [[0, 1, 0]])
    assert again.status_code == 200
    assert again.get_json()["replaced"] == 0
    assert "replaces your earlier ballot" in browser.get(again.get_json()["url"]).data.decode()
    first, second = board_of(db_session, eid)
    assert first.superseded_by == second.leaf_index == 1
    assert second.superseded_at is None
    assert casts_of(db_session, eid, voter.id) == 2
    assert "replaced by a later ballot" in main_html(browser.get(f"/elections/{eid}/receipts/{first.tracking_code}"))


def press_mail(browser, eid: int, tracking_code: str):
    page = browser.get(f"/elections/{eid}/receipts/{tracking_code}")
    form = find_form(page.data, f"/receipts/{tracking_code}/email")
    return browser.post(form["action"], data=fill(form["fields"], {}))


def test_only_the_voter_can_have_a_receipt_emailed(app, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=2)
    eid, ann, bob = setup.election.id, setup.voters[1], setup.voters[2]
    ann_browser, bob_browser = signed_in(app, db_session, ann), signed_in(app, db_session, bob)
    assert press(ann_browser, f"/elections/{eid}/ballot", "cast", {"q0": "2"}).status_code == 302
    (entry,) = board_of(db_session, eid)
    response = bob_browser.get(f"/elections/{eid}/receipts/{entry.tracking_code}")
    page = main_html(response)
    assert "Email me this receipt" not in page
    assert "Download receipt (JSON)" in page
    forged = bob_browser.post(f"/elections/{eid}/receipts/{entry.tracking_code}/email",
                              data={"csrf_token": csrf_token(response.data)})
    assert forged.status_code == 403
    assert count_rows(db_session, OutboxMail, OutboxMail.subject.startswith("Your ballot receipt")) == 0


def test_a_second_tab_with_the_same_page_is_refused_as_stale(app, db_session) -> None:
    setup = make_election(db_session, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    tab_one, tab_two = browser.get(f"/elections/{eid}/ballot"), browser.get(f"/elections/{eid}/ballot")
    sent = [device(browser, eid, choice, page=tab)[0] for tab, choice in ((tab_one, [[1, 0, 0]]),
                                                                           (tab_two, [[0, 1, 0]]))]
    assert sent[0].status_code == 200
    assert sent[1].status_code == 409
    assert "you voted in another window or tab a moment ago; reload" in sent[1].get_json()["error"].lower()
    assert len(board_of(db_session, eid)) == 1
    assert casts_of(db_session, eid, voter.id) == 1


def test_audit_a_ballot_then_cast_the_real_one(app, db_session) -> None:
    setup = make_election(db_session, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    response, prepared = device(browser, eid, [[0, 0, 1]], action="audit")
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["choices"] == [[0, 0, 1]]
    (entry,) = board_of(db_session, eid)
    assert entry.kind == EntryKind.AUDITED
    assert entry.tracking_code == prepared.tracking_code
    assert answer["url"].endswith(f"/elections/{eid}/audited/{entry.tracking_code}")
    assert voter_client.receipt_problems(answer["receipt"], setup.election.manifest, prepared.tracking_code) == []
    html = main_html(browser.get(answer["url"]))
    assert "never be counted" in html
    assert "Now cast your real ballot" in html
    assert re.search(r"<td>Abstain</td><td>yes</td>", html)
    assert re.search(r"<td>Yes</td><td>—</td>", html)
    election = reload(db_session, Election, eid)
    ballot = EncryptedBallot.from_json(entry.payload["ballot"])
    assert check_audited_ballot(ballot, entry.payload["reveal"], election_key(election)) == [[0, 0, 1]]
    assert casts_of(db_session, eid, voter.id) == 0
    # Not yet voted: the ballot page does not say "You voted".
    assert "You voted at" not in main_html(browser.get(f"/elections/{eid}/ballot"))
    assert device(browser, eid, [[1, 0, 0]])[0].status_code == 200
    assert [e.kind for e in board_of(db_session, eid)] == [EntryKind.AUDITED, EntryKind.CAST]


def test_quadratic_ballot_checks_credits_without_js_and_refuses_over_budget(app, db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", secrecy=Secrecy.OPEN, voters=1)  # quadratic, 100
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    path = f"/elections/{eid}/ballot"
    html = main_html(browser.get(path))
    assert "You have 100 voice credits" in html
    assert 'data-quadratic-budget="100"' in html
    assert 'min="-10"' in html
    assert 'max="10"' in html
    assert "js/quadratic.js" in html

    checked = press(browser, path, "check", {"q0-o0": "6", "q0-o1": "-3"})
    assert checked.status_code == 200
    html = main_html(checked)
    assert re.search(r"Credits spent: <strong data-credits-spent>45</strong> of 100", html)
    assert re.search(r"left: <strong data-credits-left>55</strong>", html)
    assert 'value="6"' in html
    assert 'value="-3"' in html
    assert board_of(db_session, eid) == []

    over = press(browser, path, "cast", {"q0-o0": "8", "q0-o1": "7"})
    assert over.status_code == 422
    assert "this ballot spends 113 voice credits and the budget is 100" in main_html(over)
    word = press(browser, path, "cast", {"q0-o0": "many", "q0-o1": "1"})
    assert word.status_code == 422
    assert "must be a whole number" in main_html(word)
    assert board_of(db_session, eid) == []

    cast = press(browser, path, "cast", {"q0-o0": "-6", "q0-o1": "8"})
    assert cast.status_code == 302
    assert casts_of(db_session, eid, voter.id) == 1


def test_a_secret_quadratic_ballot_is_checked_and_encrypted_on_the_device(app, db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", voters=1)  # secret quadratic, 100 credits
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    html = main_html(browser.get(f"/elections/{eid}/ballot"))
    assert 'data-quadratic-budget="100"' in html  # the live credit counter (js/quadratic.js) stays
    assert "js/quadratic.js" in html
    assert "Check my ballot" not in html  # no server-side check: it would send the choices
    with pytest.raises(InvalidChoice, match="this ballot spends 113 voice credits and the budget is 100"):
        device(browser, eid, [[8, 7]])
    assert device(browser, eid, [[-6, 8]])[0].status_code == 200
    assert casts_of(db_session, eid, voter.id) == 1


def test_an_open_ballot_offers_no_audit_and_puts_the_choice_on_the_board(app, db_session) -> None:
    setup = make_election(db_session, kind="payout_policy", method="one_member_one_vote",
                          secrecy=Secrecy.OPEN, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    html = main_html(browser.get(f"/elections/{eid}/ballot"))
    assert "Audit this ballot instead" not in html
    assert "Choose one of the 2 alternatives" in html
    assert press(browser, f"/elections/{eid}/ballot", "cast", {"q0": "1"}).status_code == 302
    assert board_of(db_session, eid)[0].payload["choices"] == [[0, 1]]


def test_refusals_on_the_ballot_page_write_nothing(app, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    outsider = new_member(db_session, "member", now=setup.now)  # joined after voting opened
    browser, stranger = signed_in(app, db_session, voter), signed_in(app, db_session, outsider)
    path = f"/elections/{eid}/ballot"

    page = stranger.get(path)
    assert page.status_code == 403
    assert "not on this election's roll" in main_html(page)
    posted = stranger.post(path, data={"csrf_token": csrf_token(page.data), "expected_previous": "0", "q0": "0",
                                       "action": "cast"})
    assert posted.status_code == 403
    assert "not on this election's roll" in main_html(posted)
    checked = stranger.post(path, data={"csrf_token": csrf_token(page.data), "expected_previous": "0", "q0": "0",
                                        "action": "check"})
    assert checked.status_code == 403

    no_csrf = browser.post(path, data={"expected_previous": "0", "q0": "0", "action": "cast"})
    assert no_csrf.status_code == 400
    none_chosen = press(browser, path, "cast")
    assert none_chosen.status_code == 422
    assert "Choose one option." in main_html(none_chosen)
    bogus = press(browser, path, "cast", {"q0": "7"})
    assert bogus.status_code == 422
    assert "not on this ballot" in main_html(bogus)
    assert board_of(db_session, eid) == []
    assert casts_of(db_session, eid, voter.id) == 0


def test_refusals_of_encrypted_ballots_write_nothing(app, db_session) -> None:
    setup = make_election(db_session, voters=1)
    other = make_election(db_session, voters=1)
    eid, voter = setup.election.id, setup.voters[1]
    outsider = new_member(db_session, "member", now=setup.now)
    browser, stranger = signed_in(app, db_session, voter), signed_in(app, db_session, outsider)
    page = browser.get(f"/elections/{eid}/ballot")
    token, url = csrf_token(page.data), f"/elections/{eid}/ballot.json"
    good = voter_client.prepare(setup.election.manifest, [[1, 0, 0]]).to_json()

    assert stranger.post(url, json={"ballot": good, "expected_previous": 0},
                         headers={"X-CSRFToken": csrf_token(stranger.get("/").data)}).status_code == 403
    assert browser.post(url, json={"ballot": good, "expected_previous": 0}).status_code == 400  # no CSRF token
    assert browser.post(url, data="not json", headers={"X-CSRFToken": token}).status_code == 400
    foreign = voter_client.prepare(other.election.manifest, [[1, 0, 0]]).to_json()
    refused = browser.post(url, json={"ballot": foreign, "expected_previous": 0}, headers={"X-CSRFToken": token})
    assert refused.status_code == 422
    assert "another election" in refused.get_json()["error"]
    broken = json.loads(json.dumps(good))
    proof = broken["answers"][0]["sum_proof"]["responses"]
    proof[0] = proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1")
    refused = browser.post(url, json={"ballot": broken, "expected_previous": 0}, headers={"X-CSRFToken": token})
    assert refused.status_code == 422
    assert "proofs do not verify" in refused.get_json()["error"]
    assert browser.post(url, json={"action": "vote", "ballot": good}, headers={"X-CSRFToken": token}).status_code == 400
    assert board_of(db_session, eid) == []
    assert casts_of(db_session, eid, voter.id) == 0


def test_the_ballot_refuses_after_the_window_closes(app, db_session) -> None:
    setup = make_election(db_session, voters=1, now=datetime.now(UTC) - timedelta(days=30))  # closed long ago
    eid, voter = setup.election.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    path = f"/elections/{eid}/ballot"
    html = main_html(browser.get(path))
    assert "closed at" in html
    assert "Encrypt my ballot" not in html
    ballot = voter_client.prepare(setup.election.manifest, [[1, 0, 0]]).to_json()
    late = browser.post(f"/elections/{eid}/ballot.json", json={"ballot": ballot, "expected_previous": 0},
                        headers={"X-CSRFToken": csrf_token(browser.get(path).data)})
    assert late.status_code == 409
    assert "closed at" in late.get_json()["error"]
    assert board_of(db_session, eid) == []


def _ready_for_voting(db_session) -> tuple[int, list]:
    seed_governance(db_session)
    now = datetime.now(UTC)
    members = [new_member(db_session, "member", now=now - MEMBERS_SINCE) for _ in range(2)]
    proposal = make_proposal(db_session, members[0], state=ProposalState.DISCUSSION, now=now)
    add_sponsors(db_session, proposal, 2, now=now - timedelta(days=30))
    db_session.commit()
    return proposal.id, members


def test_a_steward_opens_an_open_roll_call_election_from_the_proposal_page(app, db_session) -> None:
    pid, members = _ready_for_voting(db_session)
    steward = new_member(db_session, "member", "steward", now=datetime.now(UTC) - MEMBERS_SINCE)
    browser = signed_in(app, db_session, steward)
    page = main_html(browser.get(f"/proposals/{pid}"))
    assert f'action="/proposals/{pid}/elections"' in page
    assert "/open-voting" not in page  # voting's panel replaces the proposals' own form
    assert "No trustee committee is ready" in page

    response = browser.post(f"/proposals/{pid}/elections",
                            data=fill(find_form(page, f"/proposals/{pid}/elections")["fields"], {"secrecy": "open"}))
    assert response.status_code == 302, main_html(response)[:3000]
    assert reload(db_session, Proposal, pid).state == ProposalState.VOTING
    election = fetch_all(db_session, select(Election).where(Election.proposal_id == pid))[0]
    assert election.secrecy == Secrecy.OPEN
    assert election.manifest["election_key"] is None
    roll = set(fetch_all(db_session, select(RollEntry.member_id).where(RollEntry.election_id == election.id)))
    assert {steward.id, *(m.id for m in members)} <= roll

    # The proposal page now offers the vote to members on the roll, with the fingerprint.
    voter_browser = signed_in(app, db_session, members[1])
    page = main_html(voter_browser.get(f"/proposals/{pid}"))
    assert election.fingerprint in page
    assert f'href="/elections/{election.id}/ballot">Vote</a>' in page
    assert press(voter_browser, f"/elections/{election.id}/ballot", "cast", {"q0": "0"}).status_code == 302
    assert "You voted; vote again" in main_html(voter_browser.get(f"/proposals/{pid}"))


def test_members_cannot_open_an_election_and_a_refusal_keeps_the_proposal_in_discussion(app, db_session) -> None:
    pid, members = _ready_for_voting(db_session)
    steward = new_member(db_session, "member", "steward", now=datetime.now(UTC) - MEMBERS_SINCE)
    member_browser, steward_browser = signed_in(app, db_session, members[1]), signed_in(app, db_session, steward)
    response = member_browser.get(f"/proposals/{pid}")
    member_page = main_html(response)
    assert "/elections" not in member_page
    assert "Open voting" not in member_page
    refused = member_browser.post(f"/proposals/{pid}/elections",
                                  data={"csrf_token": csrf_token(response.data), "secrecy": "open"})
    assert refused.status_code == 403

    # A secret ballot needs a ready trustee committee: the refusal rolls back opening the vote too.
    page = main_html(steward_browser.get(f"/proposals/{pid}"))
    data = fill(find_form(page, f"/proposals/{pid}/elections")["fields"], {"secrecy": "secret"})
    secret = steward_browser.post(f"/proposals/{pid}/elections", data=data)
    assert secret.status_code == 422
    assert "Nothing was changed." in main_html(secret)
    too_soon = steward_browser.post(f"/proposals/{pid}/elections", data=fill(data.items(multi=True), {
        "secrecy": "open", "closes_at": "2020-01-01T12:00"}))
    assert too_soon.status_code == 422
    assert "Choose a later closing time." in main_html(too_soon)
    assert reload(db_session, Proposal, pid).state == ProposalState.DISCUSSION
    assert count_rows(db_session, Election) == 0
    assert fetch_all(db_session, select(Proposal.voting_opened_at).where(Proposal.id == pid)) == [None]


def test_a_steward_opens_a_secret_election_with_a_ready_committee_and_members_vote(app, db_session) -> None:
    from voting.committees.services import joint_key_of

    pid, members = _ready_for_voting(db_session)
    steward = new_member(db_session, "member", "steward", now=datetime.now(UTC) - MEMBERS_SINCE)
    committee, _ = ready_committee(db_session, steward, 2, 2, "ballot-web")
    committee_id, key_hex = committee.id, joint_key_of(db_session, committee.id).election_key().hex()
    browser = signed_in(app, db_session, steward)
    page = main_html(browser.get(f"/proposals/{pid}"))
    assert "No trustee committee is ready" not in page
    assert "Committee ballot-web (2 of 2 trustees)" in page
    fields = find_form(page, f"/proposals/{pid}/elections")["fields"]
    assert ("secrecy", "secret") in fields  # the default when a committee is ready
    no_committee = browser.post(f"/proposals/{pid}/elections", data=fill(fields, {"committee_id": ""}))
    assert no_committee.status_code == 422
    assert "Choose a trustee committee" in main_html(no_committee)
    assert reload(db_session, Proposal, pid).state == ProposalState.DISCUSSION

    opened = browser.post(f"/proposals/{pid}/elections", data=fill(fields, {"committee_id": str(committee_id)}))
    assert opened.status_code == 302, main_html(opened)[:3000]
    election = fetch_all(db_session, select(Election).where(Election.proposal_id == pid))[0]
    assert election.secrecy == Secrecy.SECRET
    assert election.committee_id == committee_id
    assert election.manifest["election_key"] == key_hex
    assert election.manifest["committee"]

    voter_browser = signed_in(app, db_session, members[1])
    assert device(voter_browser, election.id, [[0, 1, 0]])[0].status_code == 200
    (entry,) = board_of(db_session, election.id)
    assert EncryptedBallot.from_json(entry.payload).tracking_code() == entry.tracking_code


def test_ballot_receipt_audit_and_proposal_pages_have_unique_element_ids(app, db_session) -> None:
    from tests.voting.elections.test_board_web import assert_unique_ids

    setup = make_election(db_session, kind="payout_policy", voters=1)
    eid, pid, voter = setup.election.id, setup.proposal.id, setup.voters[1]
    browser = signed_in(app, db_session, voter)
    audited = device(browser, eid, [[1, 2]], action="audit")[0].get_json()
    cast = device(browser, eid, [[3, -2]])[0].get_json()
    refused = browser.post(f"/elections/{eid}/ballot", data={"csrf_token": csrf_token(browser.get("/").data)})
    assert refused.status_code == 400
    for html in (browser.get(f"/elections/{eid}/ballot").data.decode(), refused.data.decode(),
                 browser.get(audited["url"]).data.decode(),
                 browser.get(cast["url"]).data.decode(),
                 browser.get(f"/proposals/{pid}").data.decode(),
                 signed_in(app, db_session, setup.steward).get(f"/proposals/{pid}").data.decode()):
        assert_unique_ids(html)
    discussed, _ = _ready_for_voting(db_session)  # the steward's open-election form
    steward_page = signed_in(app, db_session, setup.steward).get(f"/proposals/{discussed}").data.decode()
    assert f"/proposals/{discussed}/elections" in steward_page
    assert_unique_ids(steward_page)


def test_a_deal_suspension_ballot_names_the_counterparty_and_what_yes_means(app, db_session) -> None:
    from governance.policy.agreements import enact_deal
    from governance.policy.terms.bodies import DealBody
    from governance.policy.terms.parsing import from_json
    from tests.policy.samples import deal_json

    seed_governance(db_session)
    agreement = enact_deal(db_session, actor=None, deal=from_json(DealBody, deal_json(
        start_date="2026-01-01", end_date="2099-12-31")), proposal_id=None)
    db_session.flush()
    setup = make_election(db_session, kind="deal_suspension", secrecy=Secrecy.OPEN,
                          body={"agreement_id": agreement.id, "reason": "They trained a generative model."})
    voter = setup.voters[1]
    client = signed_in(app, db_session, voter)
    page = main_html(client.get(f"/elections/{setup.election.id}/ballot"))
    assert f"{agreement.counterparty_name}" in page
    assert "the agreement is suspended at once" in page
