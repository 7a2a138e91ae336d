"""Drafts and versions, visibility, sponsors, comments, amendments, comparing versions, listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from governance.audit.models import AuditEntry
from proposals import lifecycle, services
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.models import Amendment, AmendmentStatus, Comment, ProposalState, ProposalVersion, Sponsorship
from tests.proposals.factories import example_body, make_proposal, make_world, new_member

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def world(app, db_session):
    return make_world(db_session)


def count(session, model, *where):
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def actions(session):
    return [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))]


def draft(world, kind="data_use_rule", **kwargs):
    return services.create_draft(world.session, actor=world.author, kind=kind, title=kwargs.get("title", "A title"),
                                 summary=kwargs.get("summary", "Why."), body=kwargs.get("body", example_body(kind)),
                                 now=NOW)


# ---------------------------------------------------------------- drafts and versions

@pytest.mark.parametrize("kind", ["data_use_rule", "deal_approval", "payout_policy", "bylaw_change"])
def test_a_draft_of_each_kind_stores_the_normalised_body_with_its_hash(world, kind):
    from governance.policy.canonical import sha256_hex

    proposal = draft(world, kind)
    version = proposal.latest
    assert (proposal.state, proposal.current_version, version.number) == (S.DRAFT, 1, 1)
    assert version.content_hash == sha256_hex({"title": "A title", "summary": "Why.", "kind": kind,
                                               "body": version.body})


def test_create_draft_lists_every_error_and_writes_nothing(world):
    s = world.session
    body = example_body("deal_approval")
    body["price"] = "-5.00"
    body["end_date"] = "2026-01-01"
    with pytest.raises(ProposalError) as raised:
        services.create_draft(s, actor=world.author, kind="deal_approval", title="  ", summary="", body=body, now=NOW)
    errors = raised.value.errors
    assert "title" in errors
    assert "price" in errors
    assert "end_date" in errors
    assert count(s, ProposalVersion) == 0


def test_create_draft_refuses_an_unknown_kind(world):
    with pytest.raises(ProposalError, match="Unknown kind"):
        services.create_draft(world.session, actor=world.author, kind="coup", title="t", summary="", body={}, now=NOW)


def test_save_version_adds_a_version_and_refuses_no_change(world):
    s = world.session
    proposal = draft(world)
    v2 = services.save_version(s, proposal, actor=world.author, title="A better title", summary="Why.",
                               body=example_body("data_use_rule"), note="clearer title", now=NOW)
    assert (v2.number, proposal.current_version, proposal.title, v2.note) == (2, 2, "A better title", "clearer title")
    assert "proposal.version_saved" in actions(s)
    with pytest.raises(ProposalError, match="Nothing changed"):
        services.save_version(s, proposal, actor=world.author, title="A better title", summary="Why.",
                              body=example_body("data_use_rule"), now=NOW)
    assert len(proposal.versions) == 2


def test_a_steward_may_edit_a_draft_another_member_may_not(world):
    s = world.session
    proposal = draft(world)
    with pytest.raises(NotPermitted):
        services.save_version(s, proposal, actor=world.other, title="Mine now", summary="", body=example_body(
            "data_use_rule"), now=NOW)
    services.save_version(s, proposal, actor=world.steward, title="Typo fixed", summary="Why.",
                          body=example_body("data_use_rule"), now=NOW)
    assert proposal.latest.created_by_id == world.steward.id


def test_no_editing_after_publishing(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    with pytest.raises(IllegalTransition, match="amendments"):
        services.save_version(s, proposal, actor=world.author, title="Changed", summary="",
                              body=example_body("data_use_rule"), now=NOW)
    assert len(proposal.versions) == 1


def test_visibility_and_editing_rights(world):
    s = world.session
    proposal = draft(world)
    assert services.can_view(proposal, world.author)
    assert services.can_view(proposal, world.steward)
    assert not services.can_view(proposal, world.other)
    assert not services.can_view(proposal, world.observer)
    assert not services.can_view(proposal, None)
    assert services.can_edit(proposal, world.author)
    assert not services.can_edit(proposal, world.other)
    lifecycle.publish(s, proposal, actor=world.author, now=NOW)
    assert services.can_view(proposal, None)
    assert services.can_view(proposal, world.observer)
    assert not services.can_edit(proposal, world.author)
    assert not services.can_edit(proposal, world.steward)


# ---------------------------------------------------------------- sponsors

def test_sponsoring(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    services.sponsor(s, proposal, actor=world.other, now=NOW)
    assert proposal.sponsor_ids == {world.other.id}
    with pytest.raises(ProposalError, match="already"):
        services.sponsor(s, proposal, actor=world.other, now=NOW)
    with pytest.raises(NotPermitted, match="own"):
        services.sponsor(s, proposal, actor=world.author, now=NOW)
    with pytest.raises(NotPermitted):
        services.sponsor(s, proposal, actor=world.observer, now=NOW)
    services.unsponsor(s, proposal, actor=world.other, now=NOW)
    assert proposal.sponsor_ids == set()
    assert count(s, Sponsorship) == 0
    with pytest.raises(ProposalError, match="do not co-sponsor"):
        services.unsponsor(s, proposal, actor=world.other, now=NOW)
    assert actions(s).count("proposal.sponsored") == 1
    assert actions(s).count("proposal.unsponsored") == 1


@pytest.mark.parametrize("state", [S.DRAFT, S.VOTING, S.ADOPTED])
def test_sponsoring_only_in_discussion(world, state):
    s = world.session
    proposal = make_proposal(s, world.author, state=state, now=NOW, steward=world.steward)
    before = len(proposal.sponsorships)
    with pytest.raises(IllegalTransition):
        services.sponsor(s, proposal, actor=world.other, now=NOW)
    assert len(proposal.sponsorships) == before


# ---------------------------------------------------------------- comments

def test_comments_thread_one_level(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    top = services.add_comment(s, proposal, actor=world.other, text="Why all datasets?", now=NOW)
    reply = services.add_comment(s, proposal, actor=world.author, text="Simpler.", parent_id=top.id, now=NOW)
    reply_to_reply = services.add_comment(s, proposal, actor=world.other, text="Hm.", parent_id=reply.id, now=NOW)
    assert reply.parent_id == top.id
    assert reply_to_reply.parent_id == top.id  # joins the thread, never a second level
    other = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    with pytest.raises(ProposalError, match="not part of this proposal"):
        services.add_comment(s, other, actor=world.other, text="x", parent_id=top.id, now=NOW)
    with pytest.raises(ProposalError) as raised:
        services.add_comment(s, proposal, actor=world.other, text="   ", now=NOW)
    assert "text" in raised.value.errors
    assert count(s, Comment) == 3


@pytest.mark.parametrize(("state", "allowed"), [(S.DRAFT, False), (S.DISCUSSION, True), (S.VOTING, True),
                                                (S.ADOPTED, False), (S.WITHDRAWN, False)])
def test_comments_are_open_in_discussion_and_voting(world, state, allowed):
    s = world.session
    proposal = make_proposal(s, world.author, state=state, now=NOW, steward=world.steward)
    if allowed:
        services.add_comment(s, proposal, actor=world.other, text="Fine.", now=NOW)
    else:
        with pytest.raises(IllegalTransition):
            services.add_comment(s, proposal, actor=world.other, text="Fine.", now=NOW)
    assert count(s, Comment) == int(allowed)


def test_observers_read_but_do_not_comment(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    with pytest.raises(NotPermitted):
        services.add_comment(s, proposal, actor=world.observer, text="Hello", now=NOW)


def test_editing_own_comment_within_the_window(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    comment = services.add_comment(s, proposal, actor=world.other, text="Frist", now=NOW)
    with pytest.raises(NotPermitted):
        services.edit_comment(s, comment, actor=world.author, text="hijacked", now=NOW)
    services.edit_comment(s, comment, actor=world.other, text="First", now=NOW + services.COMMENT_EDIT_WINDOW)
    assert comment.text == "First"
    assert comment.edited_at is not None
    with pytest.raises(ProposalError, match="15 minutes"):
        services.edit_comment(s, comment, actor=world.other, text="Too late",
                              now=NOW + services.COMMENT_EDIT_WINDOW + timedelta(seconds=1))
    assert comment.text == "First"


def test_stewards_hide_comments_with_a_reason(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    comment = services.add_comment(s, proposal, actor=world.other, text="Rude words", now=NOW)
    with pytest.raises(NotPermitted):
        services.hide_comment(s, comment, actor=world.author, reason="I dislike it", now=NOW)
    with pytest.raises(ProposalError) as raised:
        services.hide_comment(s, comment, actor=world.steward, reason="", now=NOW)
    assert "reason" in raised.value.errors
    assert comment.hidden_at is None
    services.hide_comment(s, comment, actor=world.steward, reason="Personal attack", now=NOW)
    assert comment.hidden_reason == "Personal attack"
    assert comment.hidden_by_id == world.steward.id
    with pytest.raises(ProposalError, match="hidden"):
        services.edit_comment(s, comment, actor=world.other, text="sorry", now=NOW)
    entry = s.execute(select(AuditEntry).where(AuditEntry.action == "proposal.comment_hidden")).scalar_one()
    assert entry.details == {"comment_id": comment.id, "reason": "Personal attack"}


# ---------------------------------------------------------------- amendments

def amend(world, proposal, actor=None, **overrides):
    body = overrides.pop("body", None) or example_body(proposal.kind, variant=1)
    return services.propose_amendment(world.session, proposal, actor=actor or world.other,
                                      title=overrides.get("title", proposal.title), summary=overrides.get(
                                          "summary", proposal.latest.summary), body=body,
                                      rationale=overrides.get("rationale", "Better this way."), now=NOW)


def test_accepting_an_amendment_makes_a_new_version(world):
    s = world.session
    proposal = make_proposal(s, world.author, "deal_approval", S.DISCUSSION, now=NOW)
    amendment = amend(world, proposal)
    assert (amendment.status, amendment.base_version) == (AmendmentStatus.OPEN, 1)
    with pytest.raises(NotPermitted):
        services.accept_amendment(s, amendment, actor=world.other, now=NOW)
    version = services.accept_amendment(s, amendment, actor=world.author, now=NOW)
    assert (version.number, proposal.current_version, version.amendment_id) == (2, 2, amendment.id)
    assert version.body["price"] == "13000.00"
    assert (amendment.status, amendment.resulting_version) == (AmendmentStatus.ACCEPTED, 2)
    with pytest.raises(ProposalError, match="already accepted"):
        services.decline_amendment(s, amendment, actor=world.author, reason="no", now=NOW)
    assert {"proposal.amendment_proposed", "proposal.amendment_accepted"} <= set(actions(s))


def test_an_amendment_to_an_older_version_cannot_be_accepted(world):
    s = world.session
    proposal = make_proposal(s, world.author, "payout_policy", S.DISCUSSION, now=NOW)
    first = amend(world, proposal)
    second = amend(world, proposal, actor=new_member(s, "member"), title="Another title")
    services.accept_amendment(s, first, actor=world.author, now=NOW)
    with pytest.raises(ProposalError, match="version 1"):
        services.accept_amendment(s, second, actor=world.author, now=NOW)
    assert second.status == AmendmentStatus.OPEN
    assert proposal.current_version == 2


def test_declining_and_withdrawing_amendments(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    first, second = amend(world, proposal), amend(world, proposal, title="Other title")
    with pytest.raises(ProposalError) as raised:
        services.decline_amendment(s, first, actor=world.author, reason=" ", now=NOW)
    assert "reason" in raised.value.errors
    services.decline_amendment(s, first, actor=world.author, reason="Out of scope", now=NOW)
    assert (first.status, first.decision_reason) == (AmendmentStatus.DECLINED, "Out of scope")
    with pytest.raises(NotPermitted):
        services.withdraw_amendment(s, second, actor=world.author, now=NOW)
    services.withdraw_amendment(s, second, actor=world.other, now=NOW)
    assert second.status == AmendmentStatus.WITHDRAWN
    assert proposal.current_version == 1


def test_amendment_rules(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    with pytest.raises(NotPermitted, match="You wrote this proposal"):
        amend(world, proposal, actor=world.author)
    with pytest.raises(NotPermitted):
        amend(world, proposal, actor=world.observer)
    with pytest.raises(ProposalError, match="changes nothing"):
        amend(world, proposal, body=proposal.latest.body)
    bad = example_body("data_use_rule")
    bad["changes"][0]["rule"]["constraints"]["min_cohort_size"] = 0
    with pytest.raises(ProposalError) as raised:
        amend(world, proposal, body=bad, rationale="")
    assert "changes.0.rule.constraints.min_cohort_size" in raised.value.errors
    assert "rationale" in raised.value.errors
    assert count(s, Amendment) == 0


def test_amendments_only_in_discussion(world):
    s = world.session
    proposal = make_proposal(s, world.author, state=S.DISCUSSION, now=NOW)
    amendment = amend(world, proposal)
    add = make_proposal(s, world.author, state=S.VOTING, now=NOW, steward=world.steward)
    with pytest.raises(IllegalTransition):
        amend(world, add)
    services.sponsor(s, proposal, actor=world.steward, now=NOW)
    services.sponsor(s, proposal, actor=new_member(s, "member"), now=NOW)
    lifecycle.open_voting(s, proposal, actor=world.steward, now=NOW + timedelta(days=8))
    with pytest.raises(IllegalTransition):
        services.accept_amendment(s, amendment, actor=world.author, now=NOW + timedelta(days=8))
    assert proposal.frozen_version == 1


# ---------------------------------------------------------------- listing and search

def test_list_filters_and_search(world):
    s = world.session
    mine_draft = make_proposal(s, world.author, "data_use_rule", S.DRAFT, now=NOW, title="No genAI training")
    deal = make_proposal(s, world.author, "deal_approval", S.DISCUSSION, now=NOW, title="University deal",
                         summary="Research on ride logs")
    theirs = make_proposal(s, world.other, "payout_policy", S.VOTING, now=NOW, title="Payout 2027",
                           steward=world.steward)
    hidden_draft = make_proposal(s, world.other, "bylaw_change", S.DRAFT, now=NOW, title="Secret draft")

    def ids(**kwargs):
        return {p.id for p in services.list_proposals(s, now=NOW, **kwargs)}

    assert ids(viewer=None) == {deal.id, theirs.id}
    assert ids(viewer=world.author) == {mine_draft.id, deal.id, theirs.id}
    assert ids(viewer=world.steward) == {mine_draft.id, deal.id, theirs.id, hidden_draft.id}
    assert ids(viewer=world.author, mine=True) == {mine_draft.id, deal.id}
    assert ids(viewer=None, mine=True) == set()
    assert ids(viewer=world.author, kind="deal_approval") == {deal.id}
    assert ids(viewer=world.author, state=S.VOTING) == {theirs.id}
    assert ids(viewer=world.author, query="university") == {deal.id}
    assert ids(viewer=world.author, query="RIDE LOGS") == {deal.id}          # the summary too
    assert ids(viewer=world.author, query=f"#{theirs.id}") == {theirs.id}
    assert ids(viewer=world.other, query="genai") == set()                   # not your draft
    # After the window, the list shows the vote as counting, with no tick having run.
    later = NOW + timedelta(days=30)
    assert {p.id for p in services.list_proposals(s, viewer=None, state=S.COUNTING, now=later)} == {theirs.id}


def test_mine_includes_what_i_co_sponsor(world):
    s = world.session
    proposal = make_proposal(s, world.other, state=S.DISCUSSION, now=NOW)
    services.sponsor(s, proposal, actor=world.author, now=NOW)
    assert [p.id for p in services.list_proposals(s, viewer=world.author, mine=True, now=NOW)] == [proposal.id]


# ---------------------------------------------------------------- comparing versions

def test_diff_versions_shows_title_summary_and_body_fields(world):
    s = world.session
    proposal = services.create_draft(s, actor=world.author, kind="deal_approval", title="University deal",
                                     summary="Line one.\nLine two.", body=example_body("deal_approval"), now=NOW)
    body = example_body("deal_approval")
    body["min_cohort_size"] = 100
    services.save_version(s, proposal, actor=world.author, title="University deal (bigger cohorts)",
                          summary="Line one.\nLine 2.", body=body, now=NOW)
    diff = services.diff_versions(s, proposal, 1, 2)
    assert diff.title_changed
    assert (diff.title_old, diff.title_new) == ("University deal", "University deal (bigger cohorts)")
    assert "-Line two." in diff.summary_lines
    assert "+Line 2." in diff.summary_lines
    [change] = diff.body_changes
    assert (change.old, change.new) == ("50", "100")
    assert services.diff_versions(s, proposal, 2, 2).unchanged
    with pytest.raises(ProposalError, match="no version 3"):
        services.diff_versions(s, proposal, 1, 3)


def test_search_takes_percent_and_underscore_literally(world):
    s = world.session
    fifty = make_proposal(s, world.author, "payout_policy", S.DISCUSSION, now=NOW, title="A 50% reserve")
    make_proposal(s, world.author, "payout_policy", S.DISCUSSION, now=NOW, title="A 500 reserve")
    make_proposal(s, world.author, "payout_policy", S.DISCUSSION, now=NOW, title="no_underscore here")
    assert [p.id for p in services.list_proposals(s, viewer=None, query="50%", now=NOW)] == [fifty.id]
    assert len(services.list_proposals(s, viewer=None, query="o_u", now=NOW)) == 1
