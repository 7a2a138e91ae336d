"""The "done when" of proposals, tried through the site as a new member would: draft each kind with
the real forms, publish, gather co-sponsors, receive and accept an amendment, and a steward opens the
vote. Every step goes through a page's own form (with its CSRF token) and is checked in the database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from governance.audit.models import AuditEntry
from governance.mail.models import OutboxMail
from governance.sitecontext import utcnow
from proposals.models import Amendment, AmendmentStatus, Proposal, ProposalState, ProposalStateChange
from tests.conftest import count_rows, fetch_all, reload, separate_session
from tests.proposals.factories import RESEARCH, seed_governance
from tests.proposals.webform import submit

#: What a member types into the new-proposal form of each kind (field name → value).
FORM_INPUT: dict[str, dict[str, str | list[str]]] = {
    "data_use_rule": {
        "title": "No training of generative AI on our data",
        "summary": "Members do not want their rides to train chatbots.",
        "changes-0-op": "add", "changes-0-rule-id": "no-genai-training", "changes-0-rule-effect": "prohibition",
        "changes-0-rule-datasets": ["*"], "changes-0-rule-action": "train_generative_model",
    },
    "deal_approval": {
        "title": "Ride logs for Example University",
        "summary": "Aggregated ride statistics for a mobility study.",
        "counterparty-name": "Example University", "counterparty-identifier": "https://university.example.org",
        "counterparty-contact": "data-office@university.example.org", "counterparty-category": "academic",
        "datasets": ["ride-logs"], "permitted-0-action": "aggregate", "permitted-0-purposes": [RESEARCH],
        "prohibited_actions": ["sell"], "price": "12000", "currency": "EUR", "payment_schedule": "once",
        "start_date": "2027-01-01", "end_date": "2027-12-31", "retention_days": "365", "min_cohort_size": "50",
        "reporting_every_days": "90", "audit": "y",
    },
    "payout_policy": {
        "title": "Share revenue equally",
        "alternatives-0-label": "Equal split", "alternatives-0-method": "equal",
        "alternatives-0-reserve_fraction": "0.10", "alternatives-0-operating_cost_fraction": "0.05",
        "alternatives-0-minimum_per_member": "0",
    },
    "bylaw_change": {
        "title": "Three co-sponsors for rule changes",
        "changes-data_use_rule-min_sponsors": "3",
    },
}

#: What the amending member changes (a field of the body, so the new version differs in structure).
AMENDMENT_INPUT: dict[str, dict[str, str | list[str]]] = {
    "data_use_rule": {"changes-0-rule-datasets": ["ride-logs"]},
    "deal_approval": {"price": "15000"},
    "payout_policy": {"alternatives-0-reserve_fraction": "0.20"},
    "bylaw_change": {"changes-data_use_rule-min_sponsors": "4"},
}


def proposal_id_from(response) -> int:
    assert response.status_code == 302, response.data.decode()[response.data.decode().find("<main"):][:3000]
    path = response.headers["Location"].split("#")[0]
    return int(path.rstrip("/").rsplit("/", 1)[1])


def start_discussion_days_ago(db_session, proposal_id: int, days: int) -> None:
    """Time passes: the discussion began ``days`` ago (the only row written by hand in these tests)."""
    with separate_session(db_session) as s:
        s.execute(update(Proposal).where(Proposal.id == proposal_id)
                  .values(discussion_started_at=utcnow() - timedelta(days=days)))
        s.commit()


@pytest.mark.parametrize("kind", list(FORM_INPUT))
def test_a_member_drafts_publishes_gathers_sponsors_accepts_an_amendment_and_a_steward_opens_voting(
        app, db_session, make_logged_in_client, kind):
    seed_governance(db_session)
    db_session.commit()
    author_client, author = make_logged_in_client("member")
    first_client, first = make_logged_in_client("member")
    second_client, second = make_logged_in_client("member")
    amender_client, amender = make_logged_in_client("member")
    steward_client, steward = make_logged_in_client("member", "steward")

    # The author finds the form from the list page and the kind chooser, and saves a draft.
    assert "Write a proposal" in author_client.get("/proposals").data.decode()
    assert f"/proposals/new/{kind}" in author_client.get("/proposals/new").data.decode()
    pid = proposal_id_from(submit(author_client, f"/proposals/new/{kind}", FORM_INPUT[kind]))
    page = author_client.get(f"/proposals/{pid}").data.decode()
    assert "Draft" in page
    assert "only its author and the stewards can see it" in page
    assert FORM_INPUT[kind]["title"] in page
    # Private: another member gets a 404, exactly as for a proposal that does not exist.
    assert first_client.get(f"/proposals/{pid}").status_code == 404
    assert FORM_INPUT[kind]["title"] not in first_client.get("/proposals").data.decode()

    # Publish with the button on the proposal page.
    response = submit(author_client, f"/proposals/{pid}", action=f"/proposals/{pid}/publish")
    assert response.status_code == 302
    assert reload(db_session, Proposal, pid).state == ProposalState.DISCUSSION
    assert FORM_INPUT[kind]["title"] in first_client.get("/proposals").data.decode()
    told = fetch_all(db_session, select(OutboxMail.to_address)
                     .where(OutboxMail.subject.contains(FORM_INPUT[kind]["title"])))
    assert first.email in told
    assert steward.email in told

    # Two other members co-sponsor; the page counts them against the constitution's number.
    for client in (first_client, second_client):
        assert submit(client, f"/proposals/{pid}", action=f"/proposals/{pid}/sponsor").status_code == 302
    proposal = reload(db_session, Proposal, pid)
    assert proposal.sponsor_ids == {first.id, second.id}
    assert "Co-sponsors: 2 of 2 needed" in author_client.get(f"/proposals/{pid}").data.decode()

    # Another member proposes an amendment through the amendment form (it starts as the current version).
    response = submit(amender_client, f"/proposals/{pid}/amendments/new",
                      {"rationale": "A narrower proposal has better chances.", **AMENDMENT_INPUT[kind]})
    assert response.status_code == 302, response.data.decode()[response.data.decode().find("<main"):][:3000]
    amendment = fetch_all(db_session, select(Amendment).where(Amendment.proposal_id == pid))[0]
    assert amendment.status == AmendmentStatus.OPEN
    assert amendment.proposer_id == amender.id
    amendment_page = author_client.get(f"/proposals/{pid}/amendments/{amendment.id}").data.decode()
    assert "A narrower proposal has better chances." in amendment_page
    assert "Accept the amendment" in amendment_page
    assert "Accept the amendment" not in amender_client.get(f"/proposals/{pid}/amendments/{amendment.id}").data.decode()

    # The author accepts: version 2, comparable with version 1.
    response = submit(author_client, f"/proposals/{pid}/amendments/{amendment.id}",
                      action=f"/proposals/{pid}/amendments/{amendment.id}/accept")
    assert response.status_code == 302
    assert reload(db_session, Amendment, amendment.id).status == AmendmentStatus.ACCEPTED
    assert reload(db_session, Proposal, pid).current_version == 2
    compare = author_client.get(f"/proposals/{pid}/compare?a=1&b=2")
    assert compare.status_code == 200
    assert "No differences" not in compare.data.decode()

    # The steward sees why the vote cannot open yet, and after the minimum discussion opens it.
    steward_page = steward_client.get(f"/proposals/{pid}").data.decode()
    assert "Open voting" in steward_page
    assert "Discussion lasts at least" in steward_page
    assert "Open voting" not in author_client.get(f"/proposals/{pid}").data.decode()
    start_discussion_days_ago(db_session, pid, 30)
    if kind == "deal_approval":
        # No adopted rule permits anything yet, so the deal conflicts; the steward overrides, with a reason.
        assert "No data-use rule permits" in steward_page
        response = submit(steward_client, f"/proposals/{pid}", {"override-reason": "The members asked for a vote."},
                          action=f"/proposals/{pid}/override")
        assert response.status_code == 302
        assert reload(db_session, Proposal, pid).override_reason == "The members asked for a vote."
    response = submit(steward_client, f"/proposals/{pid}", action=f"/proposals/{pid}/elections")
    assert response.status_code == 302, response.data.decode()[response.data.decode().find("<main"):][:3000]
    proposal = reload(db_session, Proposal, pid)
    assert proposal.state == ProposalState.VOTING
    assert proposal.frozen_version == 2
    page = first_client.get(f"/proposals/{pid}").data.decode()
    assert "Voting closes in" in page
    history = fetch_all(db_session, select(ProposalStateChange.to_state, ProposalStateChange.actor_id)
                        .where(ProposalStateChange.proposal_id == pid).order_by(ProposalStateChange.id))
    assert [tuple(row) for row in history] == [(ProposalState.DRAFT, author.id), (ProposalState.DISCUSSION, author.id),
                                               (ProposalState.VOTING, steward.id)]
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "proposal.amendment_accepted") == 1
