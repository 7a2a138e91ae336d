"""The proposals list: filters (kind, state, mine), search, pages, empty states that explain."""

from __future__ import annotations

import re

import pytest

from governance.sitecontext import utcnow
from proposals import services
from proposals.models import ProposalState
from tests.proposals.factories import make_proposal, new_member, seed_governance

S = ProposalState


def _titles(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<h2 class="proposal-item-title"><a href="/proposals/\d+">#\d+ ([^<]+)</a>',
                      response.data.decode())


@pytest.fixture
def listed(db_session, make_logged_in_client):
    seed_governance(db_session)
    client, me = make_logged_in_client("member")
    other = new_member(db_session, "member")
    make_proposal(db_session, me, "data_use_rule", S.DRAFT, title="My private draft")
    make_proposal(db_session, other, "data_use_rule", S.DRAFT, title="Their private draft")
    make_proposal(db_session, me, "deal_approval", S.DISCUSSION, title="Ride logs for the university",
                  summary="A mobility study.")
    sponsored = make_proposal(db_session, other, "payout_policy", S.DISCUSSION, title="Equal shares")
    make_proposal(db_session, other, "bylaw_change", S.VOTING, title="Lower the quorum")
    make_proposal(db_session, other, "data_use_rule", S.ADOPTED, title="No generative AI training")
    services.sponsor(db_session, sponsored, actor=me, now=utcnow())
    db_session.commit()
    return client


def test_the_list_shows_what_the_viewer_may_see(listed, client):
    mine = _titles(listed.get("/proposals"))
    assert "My private draft" in mine
    assert "Their private draft" not in mine
    assert len(mine) == 5
    public = _titles(client.get("/proposals"))
    assert sorted(public) == sorted(["Ride logs for the university", "Equal shares", "Lower the quorum",
                                     "No generative AI training"])


def test_filters_by_kind_state_mine_and_words(listed):
    assert sorted(_titles(listed.get("/proposals?kind=data_use_rule"))) == ["My private draft",
                                                                           "No generative AI training"]
    assert _titles(listed.get("/proposals?state=voting")) == ["Lower the quorum"]
    assert sorted(_titles(listed.get("/proposals?mine=y"))) == ["Equal shares", "My private draft",
                                                               "Ride logs for the university"]
    assert _titles(listed.get("/proposals?q=mobility")) == ["Ride logs for the university"]  # the summary
    assert _titles(listed.get("/proposals?q=QUORUM")) == ["Lower the quorum"]
    assert _titles(listed.get("/proposals?kind=deal_approval&state=adopted")) == []
    # The form keeps the chosen filters.
    page = listed.get("/proposals?kind=bylaw_change&q=quorum").data.decode()
    assert re.search(r'<option selected value="bylaw_change">|<option value="bylaw_change" selected>', page)
    assert 'value="quorum"' in page


def test_a_filter_that_matches_nothing_says_so_and_offers_a_way_back(listed):
    page = listed.get("/proposals?q=blockchain").data.decode()
    assert "No proposal matches these filters." in page
    assert 'href="/proposals">show every proposal' in page


def test_unknown_filter_values_show_everything_rather_than_an_error(listed):
    assert len(_titles(listed.get("/proposals?kind=nonsense&state=unknown"))) == 5


def test_an_empty_list_explains_how_to_start(db_session, make_logged_in_client, client):
    seed_governance(db_session)
    db_session.commit()
    member_client, _ = make_logged_in_client("member")
    page = member_client.get("/proposals").data.decode()
    assert "There are no proposals yet." in page
    assert "Write the first proposal" in page
    visitor = client.get("/proposals").data.decode()
    assert "There are no proposals yet." in visitor
    assert "Write the first proposal" not in visitor


def test_long_lists_have_pages(db_session, make_logged_in_client):
    seed_governance(db_session)
    client, me = make_logged_in_client("member")
    for n in range(27):
        make_proposal(db_session, me, "payout_policy", S.DRAFT, title=f"Idea {n:02d}")
    db_session.commit()
    first = _titles(client.get("/proposals"))
    second = _titles(client.get("/proposals?page=2"))
    assert len(first) == 25
    assert len(second) == 2
    assert not set(first) & set(second)
    assert "Page 1 of 2" in client.get("/proposals").data.decode()
    assert _titles(client.get("/proposals?page=99")) == second  # past the end: the last page
