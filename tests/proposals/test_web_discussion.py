"""Discussion, amendments and notification settings through the site."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from governance.sitecontext import utcnow
from proposals import services
from proposals.models import Amendment, AmendmentStatus, Comment, NotificationPreference, Proposal, ProposalState
from tests.conftest import count_rows, fetch_all, reload
from tests.proposals.factories import make_proposal, seed_governance
from tests.proposals.webform import submit

S = ProposalState


def _main(response) -> str:
    html = response.data.decode()
    return html[html.find("<main"):]


def _token(client, path: str = "/proposals") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).data.decode()).group(1)


def _checked(html: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return " checked" in tag


def _comments(db_session) -> list[Comment]:
    return fetch_all(db_session, select(Comment).order_by(Comment.id))


@pytest.fixture
def discussed(db_session, make_logged_in_client):
    """A proposal in discussion, its author's client, and another member's client."""
    seed_governance(db_session)
    author_client, author = make_logged_in_client("member")
    member_client, member = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION, title="Research only")
    db_session.commit()
    return proposal, (author_client, author), (member_client, member)


def test_members_comment_and_reply_one_level_deep(discussed, db_session, make_logged_in_client, client):
    proposal, (author_client, _), (member_client, member) = discussed
    pid = proposal.id
    response = submit(member_client, f"/proposals/{pid}", {"text": "Why all datasets?"},
                      action=f"/proposals/{pid}/comments")
    assert response.status_code == 302
    top = _comments(db_session)[0]
    assert (top.author_id, top.parent_id, top.text) == (member.id, None, "Why all datasets?")
    page = author_client.get(f"/proposals/{pid}").data.decode()
    assert "Why all datasets?" in page
    # The author replies with the reply form under the comment (the first form posting to /comments).
    response = submit(author_client, f"/proposals/{pid}", {"text": "Simpler to audit."},
                      action=f"/proposals/{pid}/comments")
    assert response.status_code == 302
    reply = _comments(db_session)[1]
    assert reply.parent_id == top.id
    # One level only: answering the reply joins the same thread.
    response = member_client.post(f"/proposals/{pid}/comments", data={"csrf_token": _token(member_client),
                                                                       "parent_id": str(reply.id), "text": "Deeper"})
    assert response.status_code == 302
    assert _comments(db_session)[2].parent_id == top.id
    # A reply to nothing that belongs to this proposal is refused, nothing saved.
    response = member_client.post(f"/proposals/{pid}/comments", data={"csrf_token": _token(member_client),
                                                                       "parent_id": "999", "text": "Lost"})
    assert response.status_code == 422
    assert "not part of this proposal" in _main(response)
    assert len(_comments(db_session)) == 3
    # An empty comment is explained next to the field.
    response = submit(member_client, f"/proposals/{pid}", {"text": "  "}, action=f"/proposals/{pid}/comments")
    assert response.status_code == 400
    assert "Write something first." in _main(response)
    assert len(_comments(db_session)) == 3
    # Visitors read the discussion but have no form.
    anonymous = client.get(f"/proposals/{pid}").data.decode()
    assert "Simpler to audit." in anonymous
    assert f'action="/proposals/{pid}/comments"' not in anonymous


def test_comments_are_closed_on_drafts_and_finished_proposals(db_session, make_logged_in_client):
    seed_governance(db_session)
    client, author = make_logged_in_client("member")
    withdrawn = make_proposal(db_session, author, "payout_policy", S.WITHDRAWN)
    db_session.commit()
    page = client.get(f"/proposals/{withdrawn.id}").data.decode()
    assert "The discussion is closed." in page
    response = client.post(f"/proposals/{withdrawn.id}/comments", data={"csrf_token": _token(client), "text": "Hi"})
    assert response.status_code == 409
    assert count_rows(db_session, Comment) == 0


def test_own_comment_can_be_edited_for_fifteen_minutes_only(discussed, db_session):
    proposal, _, (member_client, member) = discussed
    pid = proposal.id
    fresh = services.add_comment(db_session, proposal, actor=member, text="Frist!", now=utcnow())
    old = services.add_comment(db_session, proposal, actor=member, text="Old thought",
                               now=utcnow() - timedelta(minutes=16))
    db_session.commit()
    page = member_client.get(f"/proposals/{pid}").data.decode()
    assert f"/proposals/{pid}/comments/{fresh.id}/edit" in page
    assert f"/proposals/{pid}/comments/{old.id}/edit" not in page
    response = submit(member_client, f"/proposals/{pid}/comments/{fresh.id}/edit", {"text": "First!"})
    assert response.status_code == 302
    edited = reload(db_session, Comment, fresh.id)
    assert edited.text == "First!"
    assert edited.edited_at is not None
    assert "edited" in member_client.get(f"/proposals/{pid}").data.decode()
    # After the window: the page says so instead of offering the form; posting anyway is refused, unchanged.
    late_page = member_client.get(f"/proposals/{pid}/comments/{old.id}/edit").data.decode()
    assert "the 15 minutes have passed" in late_page
    assert "Save the comment" not in late_page
    response = member_client.post(f"/proposals/{pid}/comments/{old.id}/edit",
                                  data={"csrf_token": _token(member_client), "text": "Rewritten history"})
    assert response.status_code == 422
    assert "15 minutes" in _main(response)
    assert reload(db_session, Comment, old.id).text == "Old thought"


def test_nobody_edits_someone_elses_comment(discussed, db_session, make_logged_in_client):
    proposal, (author_client, _), (_, member) = discussed
    comment = services.add_comment(db_session, proposal, actor=member, text="Mine", now=utcnow())
    db_session.commit()
    steward_client, _ = make_logged_in_client("member", "steward")
    for client in (author_client, steward_client):
        assert client.get(f"/proposals/{proposal.id}/comments/{comment.id}/edit").status_code == 403
        response = client.post(f"/proposals/{proposal.id}/comments/{comment.id}/edit",
                               data={"csrf_token": _token(client), "text": "Yours"})
        assert response.status_code == 403
    assert reload(db_session, Comment, comment.id).text == "Mine"


def test_stewards_hide_a_comment_with_a_reason_shown_in_its_place(discussed, db_session, make_logged_in_client):
    proposal, (author_client, _), (member_client, member) = discussed
    pid = proposal.id
    comment = services.add_comment(db_session, proposal, actor=member, text="Buy my crypto", now=utcnow())
    db_session.commit()
    steward_client, steward = make_logged_in_client("member", "steward")
    # Members have no hide form, and posting anyway is refused.
    assert "Hide this comment" not in author_client.get(f"/proposals/{pid}").data.decode()
    response = author_client.post(f"/proposals/{pid}/comments/{comment.id}/hide",
                                  data={"csrf_token": _token(author_client), "reason": "spam"})
    assert response.status_code == 403
    # A steward must give a reason.
    response = submit(steward_client, f"/proposals/{pid}", {"reason": ""},
                      action=f"/proposals/{pid}/comments/{comment.id}/hide")
    assert response.status_code == 400
    assert "Give a reason." in _main(response)
    assert reload(db_session, Comment, comment.id).hidden_at is None
    response = submit(steward_client, f"/proposals/{pid}", {"reason": "Advertising"},
                      action=f"/proposals/{pid}/comments/{comment.id}/hide")
    assert response.status_code == 302
    hidden = reload(db_session, Comment, comment.id)
    assert (hidden.hidden_by_id, hidden.hidden_reason) == (steward.id, "Advertising")
    page = member_client.get(f"/proposals/{pid}").data.decode()
    assert "Hidden by a steward: Advertising" in page
    assert "Buy my crypto" not in page


def test_amendment_errors_are_shown_and_nothing_is_saved(discussed, db_session):
    proposal, (author_client, _), (member_client, _) = discussed
    pid = proposal.id
    response = submit(member_client, f"/proposals/{pid}/amendments/new",
                      {"rationale": "", "changes-0-rule-constraints-min_cohort_size": "0"})
    assert response.status_code == 422
    html = _main(response)
    assert "Explain why you propose this change." in html
    assert re.search(r'id="changes-0-rule-constraints-min_cohort_size-error"', html)
    unchanged = submit(member_client, f"/proposals/{pid}/amendments/new", {"rationale": "Same"})
    assert unchanged.status_code == 422
    assert "changes nothing" in _main(unchanged)
    assert count_rows(db_session, Amendment) == 0
    # The author amends by other means: the page says so.
    own = author_client.get(f"/proposals/{pid}/amendments/new")
    assert own.status_code == 403


def test_the_author_declines_with_a_reason_and_the_proposer_may_withdraw(discussed, db_session,
                                                                        make_logged_in_client):
    proposal, (author_client, _), (member_client, _member) = discussed
    pid = proposal.id
    third_client, _ = make_logged_in_client("member")
    ids = []
    for client, title in ((member_client, "Narrower"), (third_client, "Broader")):
        response = submit(client, f"/proposals/{pid}/amendments/new", {"rationale": "Better", "title": title})
        assert response.status_code == 302
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    first, second = ids
    # Only the author decides.
    response = member_client.post(f"/proposals/{pid}/amendments/{second}/accept",
                                  data={"csrf_token": _token(member_client)})
    assert response.status_code == 403
    response = submit(author_client, f"/proposals/{pid}/amendments/{first}", {"decline-reason": ""},
                      action=f"/proposals/{pid}/amendments/{first}/decline")
    assert response.status_code == 400
    assert reload(db_session, Amendment, first).status == AmendmentStatus.OPEN
    response = submit(author_client, f"/proposals/{pid}/amendments/{first}", {"decline-reason": "Too narrow"},
                      action=f"/proposals/{pid}/amendments/{first}/decline")
    assert response.status_code == 302
    declined = reload(db_session, Amendment, first)
    assert (declined.status, declined.decision_reason) == (AmendmentStatus.DECLINED, "Too narrow")
    assert "Too narrow" in member_client.get(f"/proposals/{pid}/amendments/{first}").data.decode()
    # The other proposer withdraws theirs; the author can no longer accept it.
    response = submit(third_client, f"/proposals/{pid}/amendments/{second}",
                      action=f"/proposals/{pid}/amendments/{second}/withdraw")
    assert response.status_code == 302
    late = author_client.post(f"/proposals/{pid}/amendments/{second}/accept",
                              data={"csrf_token": _token(author_client)})
    assert late.status_code == 422
    assert "already withdrawn" in _main(late)
    assert reload(db_session, Proposal, pid).current_version == 1
    listing = author_client.get(f"/proposals/{pid}").data.decode()
    assert "declined" in listing
    assert "withdrawn" in listing


def test_an_amendment_of_another_proposal_is_not_found(discussed, db_session, make_logged_in_client):
    proposal, (_, author), (member_client, _) = discussed
    other = make_proposal(db_session, author, "payout_policy", S.DISCUSSION)
    db_session.commit()
    response = submit(member_client, f"/proposals/{proposal.id}/amendments/new", {"rationale": "R", "title": "T"})
    aid = int(response.headers["Location"].rsplit("/", 1)[1])
    assert member_client.get(f"/proposals/{other.id}/amendments/{aid}").status_code == 404


def test_notification_settings_one_checkbox_per_topic(db_session, make_logged_in_client, client):
    seed_governance(db_session)
    member_client, member = make_logged_in_client("member")
    page = member_client.get("/settings/notifications")
    assert page.status_code == 200
    for topic in ("discussion_opened", "voting_opened", "closing_soon", "outcome"):
        assert f'name="topic_{topic}"' in page.data.decode()
    response = submit(member_client, "/settings/notifications", {"topic_closing_soon": None, "topic_outcome": None})
    assert response.status_code == 302
    stored = {p.topic: p.enabled for p in fetch_all(db_session, select(NotificationPreference)
                                                     .where(NotificationPreference.member_id == member.id))}
    assert stored == {"discussion_opened": True, "voting_opened": True, "closing_soon": False, "outcome": False}
    again = member_client.get("/settings/notifications").data.decode()
    assert _checked(again, "topic_discussion_opened")
    assert not _checked(again, "topic_outcome")
    assert "/login" in client.get("/settings/notifications").headers["Location"]
