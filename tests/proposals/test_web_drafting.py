"""Drafting through the site: errors next to their fields with nothing saved, editing a draft into
versions, comparing versions, and who may see and edit a draft."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from proposals.models import Proposal, ProposalState, ProposalVersion
from tests.conftest import count_rows, fetch_all, reload
from tests.proposals.factories import make_proposal, seed_governance
from tests.proposals.test_web_journey import FORM_INPUT, proposal_id_from
from tests.proposals.webform import fill, form_fields, submit


def _main(response) -> str:
    html = response.data.decode()
    return html[html.find("<main"):]


def _error_next_to(html: str, field_id: str) -> str:
    """The error message shown under the field ``field_id`` (empty if none)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else ""


@pytest.fixture
def governance(db_session):
    steward = seed_governance(db_session)
    db_session.commit()
    return steward


def test_invalid_deal_is_refused_with_each_error_next_to_its_field_and_nothing_saved(
        governance, db_session, make_logged_in_client):
    client, _ = make_logged_in_client("member")
    bad = {**FORM_INPUT["deal_approval"], "price": "-5", "start_date": "2027-06-01", "end_date": "2027-01-01",
           "min_cohort_size": "0", "title": ""}
    response = submit(client, "/proposals/new/deal_approval", bad)
    assert response.status_code == 422
    html = _main(response)
    assert "Nothing was saved" in html
    assert _error_next_to(html, "title")
    assert _error_next_to(html, "price")
    assert _error_next_to(html, "end_date")
    assert _error_next_to(html, "min_cohort_size")
    # What the member typed is still there, so they only fix the marked fields.
    assert 'value="Example University"' in html
    assert count_rows(db_session, Proposal) == 0


def test_a_word_in_a_number_box_is_explained_before_anything_is_checked(governance, db_session,
                                                                      make_logged_in_client):
    client, _ = make_logged_in_client("member")
    response = submit(client, "/proposals/new/deal_approval",
                      {**FORM_INPUT["deal_approval"], "retention_days": "a year"})
    assert response.status_code == 400
    assert "whole number" in _error_next_to(_main(response), "retention_days")
    assert count_rows(db_session, Proposal) == 0


def test_adding_a_rule_change_redisplays_the_form_without_saving(governance, db_session, make_logged_in_client):
    client, _ = make_logged_in_client("member")
    response = submit(client, "/proposals/new/data_use_rule", FORM_INPUT["data_use_rule"], button="add_change")
    assert response.status_code == 200
    html = _main(response)
    assert 'name="changes-1-op"' in html
    assert 'value="no-genai-training"' in html  # the first change is kept as typed
    assert count_rows(db_session, Proposal) == 0


def test_editing_a_draft_makes_versions_that_can_be_compared(governance, db_session, make_logged_in_client):
    client, _author = make_logged_in_client("member")
    pid = proposal_id_from(submit(client, "/proposals/new/deal_approval", FORM_INPUT["deal_approval"]))
    response = submit(client, f"/proposals/{pid}/edit", {"price": "13500", "title": "Ride logs, better price",
                                                         "note": "Raised the price"})
    assert proposal_id_from(response) == pid
    versions = fetch_all(db_session, select(ProposalVersion).where(ProposalVersion.proposal_id == pid)
                         .order_by(ProposalVersion.number))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].body["price"] == "13500.00"
    assert versions[1].note == "Raised the price"
    page = client.get(f"/proposals/{pid}").data.decode()
    assert "Raised the price" in page
    assert f"/proposals/{pid}/compare?a=1&amp;b=2" in page
    compare = _main(client.get(f"/proposals/{pid}/compare?a=1&b=2"))
    assert "Ride logs for Example University" in compare
    assert "Ride logs, better price" in compare
    assert "12,000.00" in compare or "12000.00" in compare
    assert "13,500.00" in compare or "13500.00" in compare
    # Same version twice: nothing to show; an unknown version: 404.
    assert "No differences" in client.get(f"/proposals/{pid}/compare?a=2&b=2").data.decode()
    assert client.get(f"/proposals/{pid}/compare?a=1&b=9").status_code == 404


def test_saving_an_unchanged_draft_is_refused(governance, db_session, make_logged_in_client):
    client, author = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "payout_policy", ProposalState.DRAFT)
    db_session.commit()
    response = submit(client, f"/proposals/{proposal.id}/edit")
    assert response.status_code == 422
    assert "Nothing changed" in _main(response)
    assert reload(db_session, Proposal, proposal.id).current_version == 1


def test_a_draft_is_invisible_and_not_editable_for_other_members_but_stewards_may(
        governance, db_session, make_logged_in_client, client):
    _author_client, author = make_logged_in_client("member")
    other_client, _ = make_logged_in_client("member")
    steward_client, _ = make_logged_in_client("member", "steward")
    proposal = make_proposal(db_session, author, "data_use_rule", ProposalState.DRAFT, title="Secret idea")
    db_session.commit()
    pid = proposal.id
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/edit", f"/proposals/{pid}/compare?a=1&b=1"):
        assert other_client.get(path).status_code == 404
    for path in (f"/proposals/{pid}", f"/proposals/{pid}/compare?a=1&b=1"):
        assert client.get(path).status_code == 404  # anonymous visitors
    assert "/login" in client.get(f"/proposals/{pid}/edit").headers["Location"]
    not_found = other_client.get(f"/proposals/{pid}").data.decode()
    assert "Secret idea" not in not_found
    assert "Secret idea" not in other_client.get("/proposals?q=Secret").data.decode()
    # Posting the edit form anyway (with a valid token from another page) changes nothing.
    token_page = other_client.get("/proposals/new/data_use_rule").data.decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)
    response = other_client.post(f"/proposals/{pid}/edit", data={"csrf_token": token, "title": "Mine now"})
    assert response.status_code == 404
    assert reload(db_session, Proposal, pid).title == "Secret idea"
    # A steward sees and edits it.
    assert steward_client.get(f"/proposals/{pid}").status_code == 200
    response = submit(steward_client, f"/proposals/{pid}/edit", {"title": "Secret idea, tidied"})
    assert response.status_code == 302
    assert reload(db_session, Proposal, pid).current_version == 2


def test_a_proposal_in_discussion_cannot_be_edited(governance, db_session, make_logged_in_client):
    client, author = make_logged_in_client("member")
    proposal = make_proposal(db_session, author, "data_use_rule", ProposalState.DISCUSSION)
    db_session.commit()
    page = client.get(f"/proposals/{proposal.id}")
    assert "Edit the draft" not in page.data.decode()
    response = client.get(f"/proposals/{proposal.id}/edit")
    assert response.status_code == 409
    assert "no longer a draft" in response.data.decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.data.decode()).group(1)
    response = client.post(f"/proposals/{proposal.id}/edit", data={"csrf_token": token, "title": "Changed"})
    assert response.status_code == 409
    assert reload(db_session, Proposal, proposal.id).current_version == 1


def test_observers_and_visitors_cannot_draft(governance, make_logged_in_client, client):
    observer_client, _ = make_logged_in_client("observer")
    assert observer_client.get("/proposals/new").status_code == 403
    assert observer_client.get("/proposals/new/deal_approval").status_code == 403
    assert "Write a proposal" not in observer_client.get("/proposals").data.decode()
    response = client.get("/proposals/new/deal_approval")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_unknown_kind_is_not_found(governance, make_logged_in_client):
    client, _ = make_logged_in_client("member")
    assert client.get("/proposals/new/constitution_rewrite").status_code == 404


def test_posting_a_draft_without_the_csrf_token_saves_nothing(governance, db_session, make_logged_in_client):
    client, _ = make_logged_in_client("member")
    response = client.post("/proposals/new/payout_policy", data={"title": "No token",
                                                                 "alternatives-0-label": "Equal split"})
    assert response.status_code == 400
    assert count_rows(db_session, Proposal) == 0


def test_a_rule_change_starts_from_the_adopted_terms_of_the_rule_it_names(governance, db_session,
                                                                          make_logged_in_client):
    client, author = make_logged_in_client("member")
    adopted = make_proposal(db_session, author, "data_use_rule", ProposalState.ADOPTED)
    rule_id = adopted.latest.body["changes"][0]["rule"]["id"]  # a GenAI prohibition, now in force
    db_session.commit()
    named = {"title": "Soften the GenAI ban", "changes-0-op": "change", "changes-0-rule-id": rule_id}
    response = submit(client, "/proposals/new/data_use_rule", named, button="load_rule-0")
    assert response.status_code == 200
    html = _main(response)
    assert re.search(r'<option selected value="train_generative_model">', html)
    assert count_rows(db_session, Proposal) == 1  # only the adopted one: pressing the button saves nothing
    # The member changes one term of the filled-in rule and saves the draft.
    data = fill(form_fields(response.data), {"changes-0-rule-effect": "permission",
                              "changes-0-rule-constraints-min_cohort_size": "100"})
    response = client.post("/proposals/new/data_use_rule", data=data)
    pid = int(response.headers["Location"].rsplit("/", 1)[1])
    body = fetch_all(db_session, select(ProposalVersion.body).where(ProposalVersion.proposal_id == pid))[0]
    change = body["changes"][0]
    assert change["op"] == "change"
    assert change["rule"]["action"] == "train_generative_model"
    assert change["rule"]["effect"] == "permission"
    assert change["rule"]["constraints"]["min_cohort_size"] == 100


def test_drafting_before_the_constitution_is_adopted_says_how_to_adopt_it(db_session, make_logged_in_client):
    client, _ = make_logged_in_client("member")
    response = client.get("/proposals/new/data_use_rule")
    assert response.status_code == 503
    assert "dataguild constitution seed" in response.data.decode()
    assert count_rows(db_session, Proposal) == 0
