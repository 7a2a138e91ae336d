"""Proposal pages as markup: every page of a busy proposal renders for each kind of viewer, element
ids are unique (labels and error messages point at the right control), and observers read only."""

from __future__ import annotations

import re
from collections import Counter

from governance.sitecontext import utcnow
from proposals import services
from proposals.models import ProposalState
from tests.proposals.factories import example_body, make_proposal, new_member, seed_governance

S = ProposalState


def _duplicate_ids(html: str) -> list[str]:
    return [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]


def test_busy_pages_render_with_unique_ids_for_every_viewer(db_session, make_logged_in_client, client):
    seed_governance(db_session)
    author_client, author = make_logged_in_client("member")
    member_client, member = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    observer_client, _ = make_logged_in_client("observer")
    deal = make_proposal(db_session, author, "deal_approval", S.DISCUSSION)
    now = utcnow()
    first = services.add_comment(db_session, deal, actor=member, text="First thoughts", now=now)
    services.add_comment(db_session, deal, actor=author, text="Thanks", parent_id=first.id, now=now)
    services.add_comment(db_session, deal, actor=author, text="Another thread", now=now)
    amendment = services.propose_amendment(db_session, deal, actor=member, title="Cheaper", summary="",
                                           body=example_body("deal_approval", variant=2), rationale="Price", now=now)
    draft = make_proposal(db_session, author, "data_use_rule", S.DRAFT)
    db_session.commit()

    pages = [f"/proposals/{deal.id}", f"/proposals/{deal.id}/amendments/{amendment.id}",
             f"/proposals/{deal.id}/compare?a=1&b=1", "/proposals"]
    for viewer in (author_client, member_client, steward_client, observer_client, client):
        for path in pages:
            response = viewer.get(path)
            assert response.status_code == 200, path
            assert _duplicate_ids(response.data.decode()) == [], path
    for path in (f"/proposals/{draft.id}", f"/proposals/{draft.id}/edit", "/proposals/new/deal_approval",
                 f"/proposals/{deal.id}/amendments/new", f"/proposals/{deal.id}/comments/{first.id}/edit",
                 "/settings/notifications"):
        viewer = member_client if "amendments/new" in path or "comments" in path else author_client
        response = viewer.get(path)
        assert response.status_code == 200, path
        assert _duplicate_ids(response.data.decode()) == [], path

    # Every comment has its reply and hide forms only where they belong.
    steward_page = steward_client.get(f"/proposals/{deal.id}").data.decode()
    assert steward_page.count("Hide this comment") == 3
    assert steward_page.count("Post the reply") == 2  # one per thread, not per reply
    observer_page = observer_client.get(f"/proposals/{deal.id}").data.decode()
    assert "First thoughts" in observer_page
    assert "Post the comment" not in observer_page
    assert "Co-sponsor this proposal" not in observer_page
    assert "Members with the member role can comment." in observer_page


def test_decided_proposals_show_their_result(db_session, client):
    seed_governance(db_session)
    author = new_member(db_session, "member")
    payout = make_proposal(db_session, author, "payout_policy", S.ADOPTED)
    rule = make_proposal(db_session, author, "data_use_rule", S.REJECTED)
    db_session.commit()
    page = client.get(f"/proposals/{payout.id}").data.decode()
    assert "Turnout" in page
    assert "10 of 10 members" in page
    assert re.search(r"<dt>Equal split</dt>\s*<dd>10 <span class=\"badge badge-state-adopted\">chosen</span>", page)
    assert "Enacted" in page
    page = client.get(f"/proposals/{rule.id}").data.decode()
    assert re.search(r"<dt>Yes</dt><dd>2</dd><dt>No</dt><dd>8</dd>", page)
    assert "Rejected: nothing changes." in page


def test_a_stale_amendment_cannot_be_accepted_from_its_page(db_session, make_logged_in_client):
    seed_governance(db_session)
    author_client, author = make_logged_in_client("member")
    first_member = new_member(db_session, "member")
    second_member = new_member(db_session, "member")
    proposal = make_proposal(db_session, author, "deal_approval", S.DISCUSSION)
    now = utcnow()
    stale = services.propose_amendment(db_session, proposal, actor=first_member, title="A", summary="",
                                       body=example_body("deal_approval", variant=2), rationale="One", now=now)
    taken = services.propose_amendment(db_session, proposal, actor=second_member, title="B", summary="",
                                       body=example_body("deal_approval", variant=3), rationale="Two", now=now)
    services.accept_amendment(db_session, taken, actor=author, now=now)
    db_session.commit()
    page = author_client.get(f"/proposals/{proposal.id}/amendments/{stale.id}").data.decode()
    assert "can no longer be accepted" in page
    assert "Accept the amendment" not in page
    assert "Decline the amendment" in page
