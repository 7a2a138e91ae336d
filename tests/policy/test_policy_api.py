"""``/api/v1/policy/...`` and ``/api/v1/agreements``: versions, the version in force, agreements, ETags."""

from __future__ import annotations

import pytest

from tests.policy.test_export_views import seed_site


@pytest.fixture
def agreement_id(db_session) -> int:
    found = seed_site(db_session)
    db_session.close()  # SQLite: no transaction may stay open across requests
    return found


def test_versions_page_newest_first_with_cursor_and_link(client, agreement_id):
    first = client.get("/api/v1/policy/data-use/versions?limit=1")
    assert first.status_code == 200
    assert [v["number"] for v in first.json["items"]] == [2]
    assert "document" not in first.json["items"][0]
    assert first.json["items"][0]["document_url"] == "http://localhost/policy/data-use/v2.jsonld"
    cursor = first.json["next_cursor"]
    assert f"cursor={cursor}" in first.headers["Link"]
    second = client.get(f"/api/v1/policy/data-use/versions?limit=1&cursor={cursor}")
    assert [v["number"] for v in second.json["items"]] == [1]
    assert second.json["next_cursor"] is None
    assert "Link" not in second.headers
    assert client.get("/api/v1/policy/payout/versions").json["items"][0]["line"] == "payout"
    for bad in ("?limit=0", "?limit=101", "?limit=x", "?cursor=nonsense", "?cursor=eyJhZnRlciI6IC0xfQ"):
        refused = client.get(f"/api/v1/policy/data-use/versions{bad}")
        assert refused.status_code == 400, bad
        assert refused.mimetype == "application/problem+json"
    assert client.get("/api/v1/policy/nothing/versions").status_code == 404


def test_a_version_carries_its_document_and_an_etag(client, agreement_id):
    answer = client.get("/api/v1/policy/data-use/versions/2")
    assert answer.status_code == 200
    assert answer.json["document"]["@id"] == "http://localhost/policy/data-use/v2"
    assert answer.json["document_hash"] == client.get("/api/v1/policy/data-use/versions?limit=1").json[
        "items"][0]["document_hash"]
    etag = answer.headers["ETag"]
    assert client.get("/api/v1/policy/data-use/versions/2", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/policy/data-use/versions/9").status_code == 404
    assert client.get("/api/v1/policy/data-use/versions/99999999999").status_code == 404   # beyond 32 bits


def test_the_version_in_force_at_a_time(client, agreement_id):
    assert client.get("/api/v1/policy/data-use/in-force?time=2026-11-01T12:00:00Z").json["number"] == 1
    assert client.get("/api/v1/policy/data-use/in-force?time=2026-11-02T12:00:00%2B01:00").json["number"] == 2
    assert client.get("/api/v1/policy/data-use/in-force").json["number"] == 2
    assert client.get("/api/v1/policy/data-use/in-force?time=2020-01-01T00:00:00Z").status_code == 404
    naive = client.get("/api/v1/policy/data-use/in-force?time=2026-11-02T12:00:00")
    assert naive.status_code == 400
    assert naive.json["field"] == "time"
    assert client.get("/api/v1/policy/data-use/in-force?time=yesterday").status_code == 400


def test_agreements_list_and_read(client, agreement_id):
    listing = client.get("/api/v1/agreements").json
    assert [a["id"] for a in listing["items"]] == [agreement_id]
    assert listing["items"][0]["status"] in ("upcoming", "active", "expired")
    one = client.get(f"/api/v1/agreements/{agreement_id}")
    assert one.status_code == 200
    assert one.json["document"]["@type"] == "Agreement"
    assert one.json["document_url"].endswith(f"/deals/{agreement_id}/agreement.jsonld")
    assert client.get(f"/api/v1/agreements/{agreement_id}", headers={"If-None-Match": one.headers["ETag"]}
                      ).status_code == 304
    assert client.get("/api/v1/agreements/999").status_code == 404
