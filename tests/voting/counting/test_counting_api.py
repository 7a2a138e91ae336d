"""``/api/v1`` of counting: an election's result (public once decided, 409 before) and its record (ETag, 304)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from proposals import lifecycle
from tests.voting.factories import make_election, post_ballot
from voting.counting import services as counting
from voting.elections.models import Secrecy
from voting.record import canonical as record
from voting.record import tally

API = "/api/v1/elections"
LONG_AGO = timedelta(days=30)


def _problem(response, status: int, words: str = "") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert words in response.json["detail"], response.json["detail"]
    return response.json


def test_the_result_and_certificate_are_public_once_decided(client, db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=3, now=datetime.now(UTC) - LONG_AGO)
    _steward, a, b, c = setup.voters
    for voter, choice in ((a, [1, 0, 0]), (b, [1, 0, 0]), (c, [0, 1, 0])):
        post_ballot(db_session, setup.election, voter, [choice], now=setup.now)
    db_session.commit()
    eid = setup.election.id

    _problem(client.get(f"{API}/{eid}/result"), 409, "the result is published once the election is closed")
    _problem(client.get(f"{API}/999/result"), 404, "no election #999")
    counting.close_election(db_session, setup.election, now=datetime.now(UTC), actor=setup.steward)
    db_session.commit()

    answer = client.get(f"{API}/{eid}/result")
    assert answer.status_code == 200
    data = answer.json
    assert (data["state"], data["outcome"], data["proposal_id"]) == ("decided", "adopted", setup.proposal.id)
    assert data["result"]["totals"] == [[2, 1, 0]]
    assert data["result"]["turnout"] == 3
    assert data["certificate"]["kind"] == "cooperative"
    assert data["certificate_verified"] is True
    assert data["decryptions"] == []
    assert data["record_hash"] == tally.result_hash(data["result"])
    tally.verify_certificate(setup.election.manifest, data["result"], data["certificate"])  # the pure check
    page = client.get(f"/elections/{eid}/result.json").json  # what the page's JSON says, the same
    assert {k: page[k] for k in ("result", "certificate", "record_hash", "outcome")} == \
        {k: data[k] for k in ("result", "certificate", "record_hash", "outcome")}


def test_a_tallying_or_cancelled_election_has_no_result_yet(client, db_session):
    tallying = make_election(db_session, voters=1, now=datetime.now(UTC) - LONG_AGO)
    post_ballot(db_session, tallying.election, tallying.voters[1], [[1, 0, 0]], now=tallying.now)
    counting.close_election(db_session, tallying.election, now=datetime.now(UTC))
    cancelled = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    lifecycle.cancel(db_session, cancelled.proposal, actor=cancelled.steward, reason="Withdrawn.",
                     now=datetime.now(UTC))
    counting.close_election(db_session, cancelled.election, now=datetime.now(UTC))
    db_session.commit()
    _problem(client.get(f"{API}/{tallying.election.id}/result"), 409, "encrypted tally is posted")
    _problem(client.get(f"{API}/{cancelled.election.id}/result"), 409, "closed uncounted")


def test_the_record_is_the_record_json_document_with_an_etag(client, db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=2)
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    eid = setup.election.id

    answer = client.get(f"{API}/{eid}/record")
    assert answer.status_code == 200
    download = client.get(f"/elections/{eid}/record.json")
    assert record.canonical_bytes(answer.json) == download.data  # the same document, re-encoded by RFC 8785
    assert answer.headers["X-Record-SHA256"] == hashlib.sha256(download.data).hexdigest()
    assert answer.json["state"] == "open"
    assert len(answer.json["board"]) == 1
    etag = answer.headers["ETag"]
    unchanged = client.get(f"{API}/{eid}/record", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""

    post_ballot(db_session, setup.election, setup.voters[2], [[0, 1, 0]], now=setup.now)
    db_session.commit()
    changed = client.get(f"{API}/{eid}/record", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(changed.json["board"]) == 2
    _problem(client.get(f"{API}/999/record"), 404, "no election #999")


def test_the_openapi_document_describes_the_counting_operations(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document, cls=OpenAPIV31SpecValidator)
    result = document["paths"]["/api/v1/elections/{election_id}/result"]["get"]
    assert {"200", "404", "409"} <= set(result["responses"])
    assert {} in result["security"]  # public
    record_op = document["paths"]["/api/v1/elections/{election_id}/record"]["get"]
    assert "304" in record_op["responses"]
    assert "ETag" in record_op["responses"]["200"]["headers"]
