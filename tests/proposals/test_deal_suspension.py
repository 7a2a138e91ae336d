"""Deal suspensions by vote: an emergency proposal kind whose adoption suspends an approved agreement.

Body validation against the agreements that exist, drafting through the web form, the emergency
lifecycle (no minimum discussion), enactment (the agreement suspended, logged, shown on its page, no
longer permitting anything) and the refusals (rejected vote, agreement expired or suspended meanwhile).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.constitution.rules import DEFAULTS
from governance.policy.agreements import agreement_refs, enact_deal, suspend_agreement
from governance.policy.models import Agreement
from governance.policy.terms.bodies import AgreementRef, BodyContext, DealBody, InvalidBody
from governance.policy.terms.parsing import from_json, parse_body
from governance.policy.wording.describe import describe_body
from proposals import lifecycle
from proposals.errors import EnactmentFailed
from proposals.lifecycle import VoteResult
from proposals.models import Proposal, ProposalState
from tests.conftest import count_rows, fetch_all, reload
from tests.proposals.factories import (
    add_sponsors,
    allow_example_deals,
    example_deal,
    make_proposal,
    new_member,
    seed_governance,
)
from tests.proposals.test_web_journey import proposal_id_from
from tests.proposals.webform import form_fields, submit

S = ProposalState
UNIVERSITY = "https://university.example.org"
#: A moment in the recent past: the decision API answers about the past as it stood then.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
TODAY = NOW.date()
REASON = "The counterparty passed ride logs to a data broker."


def _agreement(session, *, start: date, end: date, name: str = "Example University",
               identifier: str = UNIVERSITY, proposal_id: int | None = None) -> Agreement:
    deal = example_deal()
    deal["counterparty"] = {**deal["counterparty"], "name": name, "identifier": identifier}
    deal["start_date"], deal["end_date"] = start.isoformat(), end.isoformat()
    return enact_deal(session, actor=None, deal=from_json(DealBody, deal), proposal_id=proposal_id,
                      now=NOW - timedelta(days=60))


@pytest.fixture
def coop(app, db_session):
    """The constitution, the catalogue, a steward and three agreements: one in force, one expired,
    one upcoming."""
    steward = seed_governance(db_session)
    allow_example_deals(db_session, now=NOW - timedelta(days=61))  # the rule that covers the deals
    active = _agreement(db_session, start=TODAY - timedelta(days=30), end=TODAY + timedelta(days=300))
    expired = _agreement(db_session, start=TODAY - timedelta(days=400), end=TODAY - timedelta(days=35),
                         name="Old Partner", identifier="https://old.example")
    upcoming = _agreement(db_session, start=TODAY + timedelta(days=30), end=TODAY + timedelta(days=300),
                          name="Future Labs", identifier="https://future.example")
    db_session.commit()
    return {"steward": steward, "active": active.id, "expired": expired.id, "upcoming": upcoming.id}


def _suspension(agreement_id: int, reason: str = REASON) -> dict:
    return {"agreement_id": agreement_id, "reason": reason}


# ---------------------------------------------------------------- the body, pure


CONTEXT = BodyContext(datasets=frozenset({"ride-logs"}), agreements={
    1: AgreementRef(1, "Example University", "active"),
    2: AgreementRef(2, "Old Partner", "expired"),
    3: AgreementRef(3, "Paused Ltd", "suspended"),
    4: AgreementRef(4, "Future Labs", "upcoming"),
})


@pytest.mark.parametrize("agreement_id", [1, 4])
def test_an_agreement_in_force_or_upcoming_can_be_suspended(agreement_id):
    body = parse_body("deal_suspension", _suspension(agreement_id, "  " + REASON + "\n"), CONTEXT)
    assert body.to_json() == {"agreement_id": agreement_id, "reason": REASON}


@pytest.mark.parametrize(("data", "errors"), [
    (_suspension(9), {"agreement_id": "There is no agreement #9; choose one of the approved deals."}),
    (_suspension(2), {"agreement_id": "The agreement with Old Partner (#2) has expired: it is no longer in force, "
                                      "so there is nothing to suspend."}),
    (_suspension(3), {"agreement_id": "The agreement with Paused Ltd (#3) is already suspended."}),
    ({"agreement_id": None, "reason": "   "}, {
        "agreement_id": "Choose the agreement to suspend.",
        "reason": "Say why the agreement should be suspended: members vote on your reason."}),
    ({"agreement_id": "one", "reason": REASON}, {"agreement_id": "The agreement must be a whole number."}),
    ({"agreement_id": True, "reason": REASON}, {"agreement_id": "The agreement must be a whole number."}),
    ({"agreement_id": 0, "reason": REASON}, {"agreement_id": "The agreement must be at least 1."}),
    ({"agreement_id": 1, "reason": "x" * 2001}, {
        "reason": "The reason must be at most 2000 characters long (now 2001)."}),
    ({"agreement_id": 1, "reason": 5}, {"reason": "The reason must be text."}),
    ({"agreement_id": 1}, {"reason": "The field 'reason' is missing from the body."}),
    ({"agreement_id": 1, "reason": REASON, "until": "2027-01-01"}, {"until": "Unknown field 'until' in the body."}),
    ([1], {"": "The body must be an object with named fields."}),
])
def test_bad_suspension_bodies_are_refused_with_every_error_at_its_field(data, errors):
    with pytest.raises(InvalidBody) as caught:
        parse_body("deal_suspension", data, CONTEXT)
    assert caught.value.errors == errors


def test_the_suspension_is_described_in_plain_words():
    sentences = describe_body("deal_suspension", _suspension(1), {}, agreements={1: "Example University"})
    assert sentences[0] == f"Suspend the agreement with Example University (#1) because: {REASON}"
    assert "no longer permits any use of the data" in sentences[1]
    # Without the names (an observer's tool, an old record) it still says which agreement.
    assert describe_body("deal_suspension", _suspension(7), {})[0].startswith("Suspend agreement #7 because")


def test_the_context_lists_every_agreement_with_its_status_today(coop, db_session):
    refs = agreement_refs(db_session, TODAY)
    assert {i: r.status for i, r in refs.items()} == {
        coop["active"]: "active", coop["expired"]: "expired", coop["upcoming"]: "upcoming"}


# ---------------------------------------------------------------- drafting through the site


def _error_next_to(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


def test_a_member_drafts_a_suspension_through_the_form(coop, db_session, make_logged_in_client):
    client, author = make_logged_in_client("member")
    assert "/proposals/new/deal_suspension" in client.get("/proposals/new").data.decode()
    page = client.get("/proposals/new/deal_suspension").data.decode()
    # Only agreements in force or upcoming are offered.
    assert f'<option value="{coop["active"]}">Example University (#{coop["active"]}), in force</option>' in page
    assert f'<option value="{coop["upcoming"]}">Future Labs (#{coop["upcoming"]}), not yet in force</option>' in page
    assert "Old Partner" not in page

    # Nothing chosen, no reason: each error next to its field, nothing saved.
    empty = submit(client, "/proposals/new/deal_suspension", {"title": "Stop the university deal"})
    assert empty.status_code == 422
    html = empty.data.decode()
    assert _error_next_to(html, "agreement_id") == "Choose the agreement to suspend."
    assert _error_next_to(html, "reason") == "Say why the agreement should be suspended: members vote on your reason."
    assert count_rows(db_session, Proposal) == 0

    # A stale page posting an agreement that has expired meanwhile: the reason, at the field.
    stale = submit(client, "/proposals/new/deal_suspension", {
        "title": "Stop the old deal", "agreement_id": str(coop["expired"]), "reason": REASON})
    assert stale.status_code == 422
    assert "has expired" in _error_next_to(stale.data.decode(), "agreement_id")
    assert count_rows(db_session, Proposal) == 0

    pid = proposal_id_from(submit(client, "/proposals/new/deal_suspension", {
        "title": "Stop the university deal", "summary": "They broke the terms.",
        "agreement_id": str(coop["active"]), "reason": REASON}))
    proposal = reload(db_session, Proposal, pid)
    assert (proposal.kind, proposal.author_id) == ("deal_suspension", author.id)
    assert proposal.latest.body == {"agreement_id": coop["active"], "reason": REASON}
    detail = client.get(f"/proposals/{pid}").data.decode()
    assert f"Suspend the agreement with Example University (#{coop['active']}) because: {REASON}" in detail

    # Editing the draft shows what was saved, and a new version can be compared in words.
    fields = dict(form_fields(client.get(f"/proposals/{pid}/edit").data))
    assert (fields["agreement_id"], fields["reason"].strip()) == (str(coop["active"]), REASON)
    assert submit(client, f"/proposals/{pid}/edit", {"agreement_id": str(coop["upcoming"])}).status_code == 302
    compare = client.get(f"/proposals/{pid}/compare?a=1&b=2").data.decode()
    assert "Agreement to suspend" in compare
    assert f"The agreement with Future Labs (#{coop['upcoming']})" in compare


# ---------------------------------------------------------------- lifecycle and enactment


def _vote_on_suspension(db_session, coop, agreement_id: int, *, opened: datetime) -> Proposal:
    """A suspension of ``agreement_id`` published, sponsored and put to vote, all at ``opened``."""
    proposal = make_proposal(db_session, new_member(db_session, "member"), "deal_suspension", S.DRAFT,
                             now=opened, body=_suspension(agreement_id))
    lifecycle.publish(db_session, proposal, actor=proposal.author, now=opened)
    add_sponsors(db_session, proposal, DEFAULTS["deal_suspension"].min_sponsors, now=opened)
    lifecycle.open_voting(db_session, proposal, actor=coop["steward"], now=opened)
    return proposal


def test_voting_may_open_as_soon_as_the_suspension_has_its_sponsors(coop, db_session):
    proposal = make_proposal(db_session, new_member(db_session, "member"), "deal_suspension", S.DRAFT, now=NOW,
                             body=_suspension(coop["active"]))
    lifecycle.publish(db_session, proposal, actor=proposal.author, now=NOW)
    assert lifecycle.voting_blockers(db_session, proposal, NOW) == ["Needs 2 more co-sponsors (2 needed)."]
    add_sponsors(db_session, proposal, 2, now=NOW)
    assert lifecycle.voting_blockers(db_session, proposal, NOW) == []  # no minimum discussion
    lifecycle.open_voting(db_session, proposal, actor=coop["steward"], now=NOW)
    assert proposal.state == S.VOTING
    assert proposal.voting_closes_at.replace(tzinfo=UTC) == NOW + timedelta(days=2)
    assert proposal.voting_method == "one_member_one_vote"
    # A routine kind still waits for its discussion period.
    deal = make_proposal(db_session, new_member(db_session, "member"), "deal_approval", S.DRAFT, now=NOW)
    lifecycle.publish(db_session, deal, actor=deal.author, now=NOW)
    add_sponsors(db_session, deal, 2, now=NOW)
    assert [b for b in lifecycle.voting_blockers(db_session, deal, NOW) if b.startswith("Discussion lasts")]


def test_an_adopted_suspension_suspends_the_agreement_from_that_moment(coop, db_session, client):
    proposal = make_proposal(db_session, new_member(db_session, "member"), "deal_suspension", S.ADOPTED, now=NOW,
                             body=_suspension(coop["active"]), steward=coop["steward"])
    db_session.commit()
    agreement = reload(db_session, Agreement, coop["active"])
    assert agreement.suspended_at.replace(tzinfo=UTC) == NOW
    assert (agreement.suspension_reason, agreement.suspended_by_proposal_id) == (REASON, proposal.id)
    assert proposal.enactment_ref == f"agreement:{coop['active']}:suspended"
    [entry] = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "policy.agreement_suspended"))
    assert (entry.subject_type, entry.subject_id) == ("agreement", str(coop["active"]))
    assert entry.details == {"agreement_id": coop["active"], "reason": REASON, "by": "vote",
                             "proposal_id": proposal.id, "election_id": None, "election_record_hash": None}
    # The deal page says it was the members' vote, and offers no more suspension.
    page = re.sub(r"\s+", " ", client.get(f"/deals/{coop['active']}").data.decode())
    assert f'suspended by vote (<a href="/proposals/{proposal.id}">proposal #{proposal.id}</a>)' in page
    assert f"Reason: {REASON}" in page
    assert "propose a deal suspension" not in page
    # The other agreements are untouched.
    assert reload(db_session, Agreement, coop["upcoming"]).suspended_at is None


def test_an_agreement_suspended_by_vote_stops_applying_at_once(coop, db_session, client):
    ask = {"party": UNIVERSITY, "action": "aggregate", "dataset": "ride-logs", "purpose": "AcademicResearch",
           "cohort_size": 60}
    before = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    at = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.post("/api/v1/policy/decide", json={**ask, "time": at}).json["decision"] == "permit"
    make_proposal(db_session, new_member(db_session, "member"), "deal_suspension", S.ADOPTED, now=NOW,
                  body=_suspension(coop["active"]), steward=coop["steward"])
    db_session.commit()
    earlier = client.post("/api/v1/policy/decide", json={**ask, "time": before}).json
    assert earlier["decision"] == "permit"  # the past stays as it was
    after = client.post("/api/v1/policy/decide", json={**ask, "time": at}).json
    assert f"/deals/{coop['active']}/agreement" not in str(after["policies"])
    # What is left is what the data-use rule permits everyone on its own terms: not the agreement's.
    assert after["rules"] == ["http://localhost/policy/data-use/v1#rule-allow-research-aggregation"]
    assert "compensate" not in [duty["kind"] for duty in after["duties"]]


def test_a_rejected_suspension_changes_nothing(coop, db_session):
    proposal = make_proposal(db_session, new_member(db_session, "member"), "deal_suspension", S.REJECTED, now=NOW,
                             body=_suspension(coop["active"]), steward=coop["steward"])
    db_session.commit()
    assert proposal.enacted_at is None
    assert reload(db_session, Agreement, coop["active"]).suspended_at is None
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "policy.agreement_suspended") == 0


def test_a_two_thirds_majority_is_needed(coop, db_session):
    proposal = _vote_on_suspension(db_session, coop, coop["active"], opened=NOW - timedelta(days=3))
    decided = lifecycle.record_outcome(db_session, proposal, VoteResult(electorate_size=10, turnout=10, yes=6, no=4),
                                       now=NOW)
    db_session.commit()
    assert decided == S.REJECTED  # 6 : 4 is more than half but less than two thirds
    assert reload(db_session, Agreement, coop["active"]).suspended_at is None


def test_enactment_is_refused_when_the_agreement_expired_meanwhile(coop, db_session):
    # Its last day is the clock's today (not TODAY, an hour back: between 00:00 and 01:00 UTC that is
    # yesterday, and the agreement would already have expired when the suspension is proposed).
    ending = _agreement(db_session, start=TODAY - timedelta(days=30), end=datetime.now(UTC).date(),
                        name="Short Deal", identifier="https://short.example")
    proposal = _vote_on_suspension(db_session, coop, ending.id, opened=NOW)
    db_session.commit()
    pid, ending_id = proposal.id, ending.id  # read before the rollback expires them
    later = NOW + timedelta(days=3)  # the vote closed after the agreement's last day
    with pytest.raises(EnactmentFailed) as caught:
        lifecycle.record_outcome(db_session, proposal, VoteResult(electorate_size=10, turnout=10, yes=10), now=later)
    assert "is already expired" in caught.value.message
    db_session.rollback()
    assert reload(db_session, Proposal, pid).state == S.VOTING  # nothing of the outcome was kept
    assert reload(db_session, Agreement, ending_id).suspended_at is None
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "policy.agreement_suspended") == 0


def test_enactment_is_refused_when_a_steward_suspended_the_agreement_meanwhile(coop, db_session):
    proposal = _vote_on_suspension(db_session, coop, coop["active"], opened=NOW - timedelta(days=3))
    agreement = db_session.get(Agreement, coop["active"])
    suspend_agreement(db_session, agreement, actor=coop["steward"], reason="Court order.", now=NOW - timedelta(days=2))
    db_session.commit()
    pid = proposal.id
    with pytest.raises(EnactmentFailed) as caught:
        lifecycle.record_outcome(db_session, proposal, VoteResult(electorate_size=10, turnout=10, yes=10), now=NOW)
    assert "is already suspended" in caught.value.message
    db_session.rollback()
    stored = reload(db_session, Agreement, coop["active"])
    assert (stored.suspension_reason, stored.suspended_by_proposal_id) == ("Court order.", None)
    assert reload(db_session, Proposal, pid).enacted_at is None
