"""Lifecycle buttons through the site: each shown only to who may use it; posted anyway by someone
else or in the wrong state, a clear error and nothing changed; no CSRF token, nothing changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.sitecontext import utcnow
from proposals.models import Proposal, ProposalState, ProposalStateChange, Sponsorship
from tests.conftest import count_rows, fetch_all, reload
from tests.proposals.factories import add_sponsors, example_deal, example_rule, make_proposal, seed_governance
from tests.proposals.test_web_journey import start_discussion_days_ago
from tests.proposals.webform import submit

S = ProposalState


def _token(client, path: str = "/proposals") -> str:
    """A valid CSRF token of this client's session (every page has one, in the sign-out form)."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).data.decode()).group(1)


def _main(response) -> str:
    html = response.data.decode()
    return html[html.find("<main"):]


def _state(db_session, pid: int) -> ProposalState:
    return reload(db_session, Proposal, pid).state


def _history_len(db_session, pid: int) -> int:
    return count_rows(db_session, ProposalStateChange, ProposalStateChange.proposal_id == pid)


@pytest.fixture
def steward(db_session):
    member = seed_governance(db_session)
    db_session.commit()
    return member


def test_buttons_match_what_the_viewer_may_do(steward, db_session, make_logged_in_client, client):
    author_client, author = make_logged_in_client("member")
    member_client, _ = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    draft = make_proposal(db_session, author, "data_use_rule", S.DRAFT)
    published = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION)
    db_session.commit()

    page = author_client.get(f"/proposals/{draft.id}").data.decode()
    assert "Publish for discussion" in page
    assert "Edit the draft" in page
    assert "Withdraw the proposal" in page
    assert "Open voting" not in page
    assert "Cancel the proposal" not in page

    author_page = author_client.get(f"/proposals/{published.id}").data.decode()
    assert "Withdraw the proposal" in author_page
    assert "Co-sponsor this proposal" not in author_page  # not one's own
    assert "Propose an amendment" not in author_page
    member_page = member_client.get(f"/proposals/{published.id}").data.decode()
    assert "Co-sponsor this proposal" in member_page
    assert "Propose an amendment" in member_page
    assert "Withdraw the proposal" not in member_page
    assert "Open voting" not in member_page
    steward_page = steward_client.get(f"/proposals/{published.id}").data.decode()
    assert "Open voting" in steward_page
    assert "Cancel the proposal" in steward_page
    anonymous = client.get(f"/proposals/{published.id}")
    assert anonymous.status_code == 200  # public once published
    assert "<form method=\"post\" action=\"/proposals" not in anonymous.data.decode()
    assert "Sign in</a> to take part" in anonymous.data.decode()


def test_publishing_twice_is_refused_with_a_clear_error_and_nothing_changes(steward, db_session,
                                                                           make_logged_in_client):
    client, author = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "payout_policy", S.DISCUSSION)
    db_session.commit()
    before = _history_len(db_session, proposal.id)
    response = client.post(f"/proposals/{proposal.id}/publish", data={"csrf_token": _token(client)})
    assert response.status_code == 409
    assert "Nothing was changed" in _main(response)
    assert "cannot become in discussion" in _main(response)
    assert _state(db_session, proposal.id) == S.DISCUSSION
    assert _history_len(db_session, proposal.id) == before


def test_only_the_author_withdraws(steward, db_session, make_logged_in_client):
    author_client, author = make_logged_in_client("member")
    other_client, _ = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "bylaw_change", S.DISCUSSION)
    db_session.commit()
    response = other_client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": _token(other_client)})
    assert response.status_code == 403
    assert "Only the author" in _main(response)
    assert _state(db_session, proposal.id) == S.DISCUSSION
    response = submit(author_client, f"/proposals/{proposal.id}", action=f"/proposals/{proposal.id}/withdraw")
    assert response.status_code == 302
    assert _state(db_session, proposal.id) == S.WITHDRAWN
    page = author_client.get(f"/proposals/{proposal.id}").data.decode()
    assert "Withdrawn" in page
    assert "Withdraw the proposal" not in page


def test_withdrawing_during_voting_is_refused(steward, db_session, make_logged_in_client):
    client, author = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "data_use_rule", S.VOTING)
    db_session.commit()
    response = client.post(f"/proposals/{proposal.id}/withdraw", data={"csrf_token": _token(client)})
    assert response.status_code == 409
    assert _state(db_session, proposal.id) == S.VOTING


def test_cancelling_needs_a_steward_and_a_reason(steward, db_session, make_logged_in_client):
    member_client, author = make_logged_in_client("member")
    steward_client, steward_member = make_logged_in_client("member", "steward")
    proposal = make_proposal(db_session, author, "deal_approval", S.DISCUSSION)
    db_session.commit()
    response = member_client.post(f"/proposals/{proposal.id}/cancel",
                                  data={"csrf_token": _token(member_client), "cancel-reason": "I dislike it"})
    assert response.status_code == 403
    assert _state(db_session, proposal.id) == S.DISCUSSION

    response = submit(steward_client, f"/proposals/{proposal.id}", {"cancel-reason": ""},
                      action=f"/proposals/{proposal.id}/cancel")
    assert response.status_code == 400
    assert "Give a reason." in _main(response)
    assert _state(db_session, proposal.id) == S.DISCUSSION

    response = submit(steward_client, f"/proposals/{proposal.id}", {"cancel-reason": "Duplicate of #1"},
                      action=f"/proposals/{proposal.id}/cancel")
    assert response.status_code == 302
    assert _state(db_session, proposal.id) == S.CANCELLED
    last = fetch_all(db_session, select(ProposalStateChange).where(ProposalStateChange.proposal_id == proposal.id)
                     .order_by(ProposalStateChange.id.desc()).limit(1))[0]
    assert (last.actor_id, last.reason) == (steward_member.id, "Duplicate of #1")
    history = _main(member_client.get(f"/proposals/{proposal.id}"))
    assert "Duplicate of #1" in history
    assert "In discussion → Cancelled" in history


def test_sponsoring_rules(steward, db_session, make_logged_in_client):
    author_client, author = make_logged_in_client("member")
    member_client, _member = make_logged_in_client("member")
    observer_client, _ = make_logged_in_client("observer")
    proposal = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION)
    db_session.commit()
    pid = proposal.id
    # Not one's own proposal.
    response = author_client.post(f"/proposals/{pid}/sponsor", data={"csrf_token": _token(author_client)})
    assert response.status_code == 403
    assert "your own proposal" in _main(response)
    # Observers have no member role.
    assert observer_client.post(f"/proposals/{pid}/sponsor",
                                data={"csrf_token": _token(observer_client)}).status_code == 403
    assert count_rows(db_session, Sponsorship) == 0
    # A member sponsors once; twice is refused; then withdraws the sponsorship.
    assert submit(member_client, f"/proposals/{pid}", action=f"/proposals/{pid}/sponsor").status_code == 302
    again = member_client.post(f"/proposals/{pid}/sponsor", data={"csrf_token": _token(member_client)})
    assert again.status_code == 422
    assert "already co-sponsor" in _main(again)
    assert count_rows(db_session, Sponsorship) == 1
    page = member_client.get(f"/proposals/{pid}").data.decode()
    assert "Withdraw my co-sponsorship" in page
    assert "Co-sponsors: 1 of 2 needed" in page
    assert submit(member_client, f"/proposals/{pid}", action=f"/proposals/{pid}/unsponsor").status_code == 302
    assert count_rows(db_session, Sponsorship) == 0


def test_a_post_without_csrf_token_changes_nothing(steward, db_session, make_logged_in_client):
    client, author = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    draft = make_proposal(db_session, author, "data_use_rule", S.DRAFT)
    discussed = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION)
    db_session.commit()
    audit_before = count_rows(db_session, AuditEntry)
    assert client.post(f"/proposals/{draft.id}/publish").status_code == 400
    assert client.post(f"/proposals/{discussed.id}/withdraw", data={"csrf_token": "forged"}).status_code == 400
    assert steward_client.post(f"/proposals/{discussed.id}/cancel", data={"cancel-reason": "x"}).status_code == 400
    assert steward_client.post(f"/proposals/{discussed.id}/elections").status_code == 400
    assert _state(db_session, draft.id) == S.DRAFT
    assert _state(db_session, discussed.id) == S.DISCUSSION
    assert count_rows(db_session, AuditEntry) == audit_before


def test_opening_the_vote_too_early_or_without_sponsors_lists_the_blockers(steward, db_session,
                                                                           make_logged_in_client):
    author_client, author = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    proposal = make_proposal(db_session, author, "payout_policy", S.DISCUSSION)
    db_session.commit()
    pid = proposal.id
    start_discussion_days_ago(db_session, pid, 0)
    member_try = author_client.post(f"/proposals/{pid}/elections", data={"csrf_token": _token(author_client)})
    assert member_try.status_code == 403
    response = submit(steward_client, f"/proposals/{pid}", action=f"/proposals/{pid}/elections")
    assert response.status_code == 422
    html = _main(response)
    assert "Needs 2 more co-sponsors" in html
    assert "Discussion lasts at least" in html
    assert _state(db_session, pid) == S.DISCUSSION


def test_a_steward_may_choose_when_voting_closes(steward, db_session, make_logged_in_client):
    author_client, author = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    proposal = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION)
    add_sponsors(db_session, proposal, 2, now=utcnow())
    db_session.commit()
    pid = proposal.id
    start_discussion_days_ago(db_session, pid, 30)
    past = submit(steward_client, f"/proposals/{pid}", {"closes_at": "2020-01-01T12:00"},
                  action=f"/proposals/{pid}/elections")
    assert past.status_code == 422
    assert "Choose a later closing time." in _main(past)
    assert _state(db_session, pid) == S.DISCUSSION
    response = submit(steward_client, f"/proposals/{pid}", {"closes_at": "2099-03-01T18:30"},
                      action=f"/proposals/{pid}/elections")
    assert response.status_code == 302
    opened = reload(db_session, Proposal, pid)
    assert opened.state == S.VOTING
    assert opened.voting_closes_at.strftime("%Y-%m-%d %H:%M") == "2099-03-01 18:30"
    assert "2099-03-01 18:30 UTC" in author_client.get(f"/proposals/{pid}").data.decode()


def test_a_conflicting_deal_is_flagged_and_a_rule_change_can_be_linked(steward, db_session, make_logged_in_client):
    """An adopted rule prohibits generative training; a deal permitting it is flagged on its page, and
    linking a rule change that removes the prohibition resolves it."""
    author_client, author = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    make_proposal(db_session, author, "data_use_rule", S.ADOPTED,
                  body={"changes": [{"op": "add", "rule": example_rule("no-genai-training")},
                                    {"op": "add", "rule": example_rule("allow-all", effect="permission",
                                                                       action="use")}]})

    deal = make_proposal(db_session, author, "deal_approval", S.DISCUSSION,
                         body=example_deal(action="train_generative_model"))
    repeal = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION, title="Repeal the GenAI ban",
                           body={"changes": [{"op": "remove", "rule_id": "no-genai-training"}]})
    db_session.commit()
    page = _main(steward_client.get(f"/proposals/{deal.id}"))
    assert "This deal conflicts with the rules the members adopted" in page
    assert "no-genai-training" in page
    assert "Override the conflicts" in page
    response = submit(steward_client, f"/proposals/{deal.id}", {"companion_id": str(repeal.id)},
                      action=f"/proposals/{deal.id}/companion")
    assert response.status_code == 302
    assert reload(db_session, Proposal, deal.id).companion_id == repeal.id
    page = _main(author_client.get(f"/proposals/{deal.id}"))
    assert "No conflicts" in page
    assert f"#{repeal.id}" in page
    # An override needs a reason; a member cannot override.
    response = author_client.post(f"/proposals/{deal.id}/override",
                                  data={"csrf_token": _token(author_client), "override-reason": "Because"})
    assert response.status_code == 403
    assert reload(db_session, Proposal, deal.id).override_reason is None
