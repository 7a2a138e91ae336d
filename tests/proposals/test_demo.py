"""The demo cooperative's proposals: every kind in every state, made through the real services, with
versions, amendments, threaded comments, sponsors, an adopted policy and a conflicting deal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.audit.services import verify_audit_log
from governance.auth.passwords import password_hasher
from governance.constitution.rules import KINDS
from governance.constitution.services import current_constitution, verify_versions
from governance.operations.demo import seed_demo
from governance.policy.agreements import agreement_status, list_agreements
from governance.policy.integrity import verify_policy_chain
from governance.policy.services import (
    DATA_USE,
    PAYOUT,
    current_payout_formula,
    current_rules,
    list_datasets,
    list_policy_versions,
)
from governance.signing import site_keys
from governance.sitecontext import SiteSettings, as_utc
from proposals.lifecycle import voting_blockers
from proposals.models import Amendment, AmendmentStatus, Comment, Proposal, ProposalState
from proposals.services import proposal_conflicts
from proposals.transitions import shown_state

S = ProposalState
#: The demo seeds every kind in every state except deal suspensions (emergency votes on the demo's
#: deals, not seeded: an adopted one would suspend a demo deal the policy pages show in force).
DEMO_KINDS = tuple(kind for kind in KINDS if kind != "deal_suspension")


@pytest.fixture
def demo(app, db_session):
    site = SiteSettings.from_config(app.config)
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=site)
    db_session.commit()
    return db_session


def _proposals(session) -> list[Proposal]:
    return list(session.execute(select(Proposal).order_by(Proposal.id)).scalars())


def _by_title(session, words: str) -> Proposal:
    return next(p for p in _proposals(session) if words in p.title)


# Seeding takes seconds, so two tests share the work: the lifecycle and what it produced, then the
# discussion and the pages.


def test_every_kind_in_every_state_with_verifiable_logs_and_enacted_policy(demo):
    _every_kind_is_in_every_state(demo)
    _the_logs_and_chains_verify(demo)
    _adopted_proposals_are_enacted(demo)


def test_discussion_conflicts_and_catalogue_page(demo, client):
    _discussion_has_versions_amendments_threads_and_sponsors(demo)
    _the_generative_ai_deal_in_discussion_conflicts_with_the_rules(demo)
    _the_catalogue_page_shows_the_demo_datasets_and_the_rules_naming_them(demo, client)
    _the_policy_pages_show_the_demo_policy_and_deals(client)


def _every_kind_is_in_every_state(demo):
    now = datetime.now(UTC)
    seen = {(p.kind, shown_state(p, now)) for p in _proposals(demo)}
    assert seen == {(kind, state) for kind in DEMO_KINDS for state in S}
    # "Counting" is a vote whose window has ended: derived from the clock, nothing stored it.
    counting = [p for p in _proposals(demo) if shown_state(p, now) == S.COUNTING]
    assert {p.state for p in counting} == {S.VOTING}


def _the_logs_and_chains_verify(demo):
    assert verify_audit_log(demo) == []
    assert verify_policy_chain(demo) == []
    assert verify_versions(demo) == []
    actions = set(demo.execute(select(AuditEntry.action)).scalars())
    for action in ("dataset.added", "policy.version_enacted", "policy.agreement_approved", "proposal.enacted",
                   "proposal.comment_hidden", "proposal.amendment_accepted", "proposal.amendment_declined",
                   "proposal.conflicts_overridden", "proposal.sponsored", "proposal.version_saved",
                   "proposal.cancelled", "proposal.withdrawn", "constitution.amended"):
        assert action in actions, action


def _adopted_proposals_are_enacted(demo):
    adopted = [p for p in _proposals(demo) if p.state == S.ADOPTED]
    assert {p.kind for p in adopted} == set(DEMO_KINDS)
    assert all(p.enacted_at is not None for p in adopted)
    # (The last rule comes from the demo's secret election: voting.demo.elections, tests/voting/demo/.)
    assert [r.id for r in current_rules(demo)] == ["research-aggregate", "no-genai-written-works", "no-sale",
                                                   "no-ai-training-work-data"]
    research = current_rules(demo)[0]
    assert (research.constraints.min_cohort_size, research.constraints.retention_days) == (50, 365)
    assert research.constraints.regions == ("EEA",)  # changed by the second version
    founding, europe = _by_title(demo, "Founding"), _by_title(demo, "Research data stays in Europe")
    ai_training = _by_title(demo, "No AI training on our work data")
    assert [v.proposal_id for v in reversed(list_policy_versions(demo, DATA_USE))] == [founding.id, europe.id,
                                                                                      ai_training.id]
    first_payout, by_days = _by_title(demo, "First payout policy"), _by_title(demo, "Count days worked")
    assert [v.proposal_id for v in reversed(list_policy_versions(demo, PAYOUT))] == [first_payout.id, by_days.id]
    assert current_payout_formula(demo).method == "hybrid"  # the first alternative won the quadratic election
    today = datetime.now(UTC).date()
    statuses = {a.counterparty_name: agreement_status(a, today) for a in list_agreements(demo)}
    assert statuses == {"Open Mobility Lab": "active", "Urban Freight Lab": "expired"}
    # The expired deal was approved through the real services a month ago, before its dates passed.
    pilot = next(a for a in list_agreements(demo) if a.counterparty_name == "Urban Freight Lab")
    assert as_utc(pilot.approved_at).date() < pilot.start_date < pilot.end_date < today
    assert pilot.proposal_id == _by_title(demo, "Urban Freight Lab").id
    # Every version and agreement is signed with the site's key (verify_policy_chain checked the signatures).
    key = site_keys(demo).bls_public_hex
    signed = [*list_policy_versions(demo, DATA_USE), *list_policy_versions(demo, PAYOUT), *list_agreements(demo)]
    assert {record.signing_key for record in signed} == {key}
    constitution = current_constitution(demo)
    assert constitution.number == 2
    assert constitution.snapshot()["deal_approval"].min_discussion_days == 10
    assert len(list_datasets(demo)) >= 6


def _discussion_has_versions_amendments_threads_and_sponsors(demo):
    proposals = _proposals(demo)
    assert any(len(p.versions) >= 3 for p in proposals)
    assert {a.status for a in demo.execute(select(Amendment)).scalars()} == set(AmendmentStatus)
    comments = list(demo.execute(select(Comment)).scalars())
    assert any(c.parent_id is not None for c in comments)
    assert any(c.edited_at is not None for c in comments)
    [hidden] = [c for c in comments if c.hidden_at is not None]
    assert "phone number" in hidden.hidden_reason
    assert all(len(p.sponsorships) >= 2 for p in proposals if p.voting_opened_at is not None)
    waiting = _by_title(demo, "minimum research cohort")
    assert any("more co-sponsor" in b for b in voting_blockers(demo, waiting, datetime.now(UTC)))


def _the_generative_ai_deal_in_discussion_conflicts_with_the_rules(demo):
    deal = _by_title(demo, "Quillstream")
    assert deal.state == S.DISCUSSION
    conflicts = proposal_conflicts(demo, deal)
    assert ("prohibited", "no-genai-written-works") in {(c.code, c.rule_id) for c in conflicts}
    assert any("conflicts with the adopted data-use rules" in b for b in voting_blockers(demo, deal, datetime.now(UTC)))


def _the_catalogue_page_shows_the_demo_datasets_and_the_rules_naming_them(demo, client):
    demo.rollback()  # end the reading transaction: on SQLite it holds the write lock the request needs
    html = client.get("/datasets").data.decode()
    for title in ("Ride logs", "Delivery routes", "Written works", "Health wearables"):
        assert title in html
    assert "<code>no-genai-written-works</code>" in html


def _the_policy_pages_show_the_demo_policy_and_deals(client):
    policy = client.get("/policy").data.decode()
    for rule_id in ("research-aggregate", "no-genai-written-works", "no-sale"):
        assert f'id="rule-{rule_id}"' in policy
    assert "In these terms since version 2" in policy  # the research rule, changed by the second version
    assert "signed</span> by the cooperative's key" in policy
    compare = client.get("/policy/compare?line=data_use&from=1&to=2")
    assert compare.status_code == 200
    assert "European Economic Area" in compare.data.decode()
    deals = client.get("/deals").data.decode()
    assert "Open Mobility Lab" in deals
    assert "Urban Freight Lab" in deals
    assert ">Expired</span>" in deals
    assert ">Active</span>" in deals
    assert "Half equal, half by records" in client.get("/policy/payout").data.decode()
