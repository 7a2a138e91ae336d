"""The dataset catalogue through the site: public reading, stewards' forms with CSRF, role checks,
errors next to their fields with nothing written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.policy.models import Dataset
from governance.policy.services import add_dataset
from tests.conftest import count_rows, csrf_token, fetch_all, make_member


def _add(client, **fields):
    page = client.get("/datasets/new")
    assert page.status_code == 200
    data = {"slug": "ride-logs", "title": "Ride logs", "category": "Mobility", "description": "GPS traces"}
    data.update(fields)
    return client.post("/datasets/new", data={**data, "csrf_token": csrf_token(page.data)})


def _dataset(db_session, slug) -> Dataset:
    return fetch_all(db_session, select(Dataset).where(Dataset.slug == slug))[0]


def _seed(db_session, slug="ride-logs", title="Ride logs"):
    steward = make_member(db_session, f"keeper-{slug}@example.org", roles=("member", "steward"), commit=False)
    dataset = add_dataset(db_session, actor=steward, slug=slug, title=title, description="Traces",
                          category="Mobility")
    db_session.commit()
    return dataset


def test_catalogue_is_public(client, db_session):
    _seed(db_session)
    html = client.get("/datasets").data.decode()
    assert "Ride logs" in html
    assert "<code>ride-logs</code>" in html
    assert "Mobility" in html
    assert "Add a dataset" not in html
    assert "/datasets/ride-logs/edit" not in html


@pytest.mark.parametrize("roles", [("member",), ("observer",), ("member", "trustee")])
def test_members_observers_and_trustees_read_but_may_not_change(make_logged_in_client, db_session, roles):
    _seed(db_session)
    client, _ = make_logged_in_client(*roles)
    html = client.get("/datasets").data.decode()
    assert "Ride logs" in html
    assert "Add a dataset" not in html
    token = csrf_token(html)  # the sign-out form's: a valid token, so only the role can refuse
    assert client.get("/datasets/new").status_code == 403
    assert client.post("/datasets/new", data={"slug": "x", "title": "X", "csrf_token": token}).status_code == 403
    assert client.get("/datasets/ride-logs/edit").status_code == 403
    assert client.post("/datasets/ride-logs/edit", data={"title": "Mine", "csrf_token": token}).status_code == 403
    assert client.post("/datasets/ride-logs/retire", data={"csrf_token": token}).status_code == 403
    assert count_rows(db_session, Dataset) == 1
    assert _dataset(db_session, "ride-logs").retired_at is None


def test_visitors_are_sent_to_sign_in(client):
    response = client.get("/datasets/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_steward_adds_a_dataset_through_the_form(steward_client, db_session):
    response = _add(steward_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/datasets#dataset-ride-logs")
    dataset = _dataset(db_session, "ride-logs")
    assert (dataset.title, dataset.category, dataset.description) == ("Ride logs", "Mobility", "GPS traces")
    assert fetch_all(db_session, select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)) == \
        ["dataset.added"]
    html = steward_client.get("/datasets").data.decode()
    assert "Ride logs is in the catalogue." in html
    assert 'id="dataset-ride-logs"' in html
    assert "/datasets/ride-logs/edit" in html


@pytest.mark.parametrize(("fields", "errors"), [
    ({"slug": "Ride-Logs"}, {"slug": "lower-case letters"}),
    ({"slug": "ride logs"}, {"slug": "lower-case letters"}),
    ({"slug": ""}, {"slug": "Give a short name"}),
    ({"title": ""}, {"title": "Give the dataset a title"}),
    ({"slug": "Bad Slug", "title": ""}, {"slug": "lower-case letters", "title": "Give the dataset a title"}),
])
def test_bad_input_is_shown_next_to_the_fields_and_nothing_is_written(steward_client, db_session, fields, errors):
    before = count_rows(db_session, AuditEntry)
    response = _add(steward_client, **fields)
    assert response.status_code == 400
    html = response.data.decode()
    for name, words in errors.items():
        # The message sits in the field's error element, which the input names in aria-describedby.
        error = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
        assert error, html
        assert words in error.group(1)
        assert re.search(rf'<input[^>]*aria-describedby="[^"]*{name}-error"[^>]*id="{name}"', html) or \
            re.search(rf'<input[^>]*id="{name}"[^>]*aria-describedby="[^"]*{name}-error"', html)
        assert f'href="#{name}"' in html  # the summary links to the field
    assert "Nothing was saved" in html
    assert count_rows(db_session, Dataset) == 0
    assert count_rows(db_session, AuditEntry) == before


def test_duplicate_slug_is_refused_next_to_the_slug(steward_client, db_session):
    _seed(db_session)
    response = _add(steward_client, title="Another ride log")
    assert response.status_code == 400
    assert re.search(r'id="slug-error">There is already a dataset with the short name ride-logs',
                     response.data.decode())
    assert count_rows(db_session, Dataset) == 1


def test_form_without_csrf_token_changes_nothing(steward_client, db_session):
    response = steward_client.post("/datasets/new", data={"slug": "ride-logs", "title": "Ride logs"})
    assert response.status_code == 400
    assert count_rows(db_session, Dataset) == 0


def test_steward_edits_title_but_not_slug(steward_client, db_session):
    _seed(db_session)
    page = steward_client.get("/datasets/ride-logs/edit")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'value="Ride logs"' in html
    assert 'name="slug"' not in html
    response = steward_client.post("/datasets/ride-logs/edit", data={
        "title": "Ride logs (drivers)", "category": "Mobility", "description": "Traces",
        "slug": "hijacked", "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    dataset = _dataset(db_session, "ride-logs")
    assert dataset.title == "Ride logs (drivers)"
    assert count_rows(db_session, Dataset, Dataset.slug == "hijacked") == 0

    page = steward_client.get("/datasets/ride-logs/edit")
    response = steward_client.post("/datasets/ride-logs/edit", data={
        "title": "", "category": "Mobility", "description": "Traces", "csrf_token": csrf_token(page.data)})
    assert response.status_code == 400
    assert 'id="title-error">Give the dataset a title' in response.data.decode()
    assert _dataset(db_session, "ride-logs").title == "Ride logs (drivers)"


def test_unknown_dataset_is_404(steward_client):
    assert steward_client.get("/datasets/nothing-here/edit").status_code == 404
    assert steward_client.get("/datasets/nothing-here/retire").status_code == 404


def test_steward_retires_a_dataset_with_a_reason(steward_client, db_session):
    _seed(db_session)
    page = steward_client.get("/datasets/ride-logs/retire")
    assert page.status_code == 200
    assert "cannot be undone" in page.data.decode()
    response = steward_client.post("/datasets/ride-logs/retire", data={
        "reason": "The platform no longer shares ride logs", "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    assert _dataset(db_session, "ride-logs").retired_at is not None
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "dataset.retired"))[0]
    assert entry.details["reason"] == "The platform no longer shares ride logs"
    html = steward_client.get("/datasets").data.decode()
    assert "Retired datasets" in html
    assert "/datasets/ride-logs/retire" not in html
    # A retired dataset is not edited, and retiring again is refused (nothing new in the log).
    assert steward_client.get("/datasets/ride-logs/edit").status_code == 302
    page = steward_client.get("/datasets/ride-logs/retire")
    again = steward_client.post("/datasets/ride-logs/retire", data={"reason": "", "csrf_token": csrf_token(page.data)})
    assert again.status_code == 400
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "dataset.retired") == 1


def test_retire_without_csrf_token_changes_nothing(steward_client, db_session):
    _seed(db_session)
    response = steward_client.post("/datasets/ride-logs/retire", data={"reason": "x"})
    assert response.status_code == 400
    assert _dataset(db_session, "ride-logs").retired_at is None


def test_catalogue_pages_have_unique_ids(steward_client, db_session):
    _seed(db_session)
    for path in ("/datasets", "/datasets/new", "/datasets/ride-logs/edit", "/datasets/ride-logs/retire"):
        html = steward_client.get(path).data.decode()
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (path, ids)
