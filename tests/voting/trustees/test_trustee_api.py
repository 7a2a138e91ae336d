"""The trustees' JSON API through the test client, with personal tokens and real crypto."""

from __future__ import annotations

import pytest

from governance.api.models import ApiToken
from governance.api.services import revoke_token
from tests.conftest import make_member, make_token, reload
from tests.voting.committee_helpers import NOW, announcement_payload, appoint, ceremony_of, trustee_token
from voting.committees.models import CommitteeStatus, TrusteeCommittee
from voting.trustees import client as tc

BASE = "/api/v1/trustee/committees"


@pytest.fixture
def steward(db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"))


def _token(session, member, label="laptop"):
    row, token = trustee_token(session, member, label)
    session.commit()
    return row.id, {"Authorization": f"Bearer {token}"}


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["error"]


def test_missing_unknown_and_revoked_tokens_are_refused(client, db_session):
    trustee = make_member(db_session, "t@example.org", roles=("member", "trustee"))
    token_id, headers = _token(db_session, trustee)
    assert "Bearer dgp_" in _error(client.get(BASE), 401)["message"]
    assert _error(client.get(BASE, headers={"Authorization": "Basic abc"}), 401)
    assert "not known" in _error(client.get(BASE, headers={"Authorization": "Bearer dgt_nope"}), 401)["message"]
    assert client.get(BASE, headers=headers).get_json() == {"committees": []}
    assert reload(db_session, ApiToken, token_id).last_used_at is not None
    revoke_token(db_session, member=trustee, token_id=token_id, now=NOW)
    db_session.commit()
    assert "revoked" in _error(client.get(BASE, headers=headers), 401)["message"]
    assert "revoked" in _error(client.post(f"{BASE}/1/announcement", json={}, headers=headers), 401)["message"]


def test_only_the_trustee_scope_opens_the_trustee_api_and_it_counts_against_the_rate_limit(app, client, db_session):
    trustee = make_member(db_session, "scoped@example.org", roles=("member", "trustee"))
    read_only = make_token(db_session, trustee, "read")
    assert "lacks the scope “trustee”" in _error(client.get(BASE, headers={"Authorization": read_only}), 403)[
        "message"]
    _token_id, headers = _token(db_session, trustee)
    app.config["API_RATE_LIMIT_REQUESTS"] = 1
    assert client.get(BASE, headers=headers).status_code == 200
    assert "more than 1 requests" in _error(client.get(BASE, headers=headers), 429)["message"]


def test_a_2_of_3_ceremony_through_the_api(client, db_session, steward):
    committee, seats = appoint(db_session, steward, 3, 2)
    cid = committee.id
    headers = [_token(db_session, seat.member)[1] for seat in seats]
    outsider = make_member(db_session, "outsider@example.org", roles=("member", "trustee"))
    listed = client.get(BASE, headers=headers[1]).get_json()["committees"]
    assert listed == [{"id": cid, "name": "Committee t", "k": 2, "n": 3, "status": "announcing", "my_index": 2,
                       "next_step": "announce"}]
    assert "not a trustee" in _error(client.get(f"{BASE}/{cid}", headers=_token(db_session, outsider)[1]),
                                     403)["message"]
    assert _error(client.get(f"{BASE}/999", headers=headers[0]), 404)
    ceremony = ceremony_of(committee)
    for i, seat in enumerate(seats):
        answer = client.post(f"{BASE}/{cid}/announcement", json=announcement_payload(ceremony, seat.secrets),
                             headers=headers[i])
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["committee"]["next_step"] == "deal"
    again = client.post(f"{BASE}/{cid}/announcement", json=announcement_payload(ceremony, seats[0].secrets),
                        headers=headers[0])
    assert "already submitted" in _error(again, 409)["message"]
    assert "dealing step" in _error(client.post(f"{BASE}/{cid}/confirmation", json={"complaints": []},
                                                headers=headers[0]), 409)["message"]
    for i, seat in enumerate(seats):
        state = client.get(f"{BASE}/{cid}", headers=headers[i]).get_json()
        assert state["me"] == {"index": i + 1, "next_step": "deal"}
        roster = tc.checked_roster(ceremony, state, seat.secrets)
        seat.secrets, payload = tc.dealing_payload(ceremony, seat.secrets, roster)
        assert client.post(f"{BASE}/{cid}/dealing", json=payload, headers=headers[i]).status_code == 200
    for i, seat in enumerate(seats):
        state = client.get(f"{BASE}/{cid}", headers=headers[i]).get_json()
        assert [s["recipient"] for s in state["shares_to_me"]] == [i + 1, i + 1]
        confirmation = tc.confirmation_payload(ceremony, seat.secrets, tc.checked_roster(ceremony, state, seat.secrets),
                                               state)
        assert confirmation.payload == {"complaints": []}
        answer = client.post(f"{BASE}/{cid}/confirmation", json=confirmation.payload, headers=headers[i])
        assert answer.status_code == 200
    assert reload(db_session, TrusteeCommittee, cid).status == CommitteeStatus.READY
    state = client.get(f"{BASE}/{cid}?all_shares=1", headers=headers[2]).get_json()
    assert len(state["encrypted_shares"]) == 6
    assert [t["confirmed"] for t in state["trustees"]] == [True, True, True]
    roster = tc.checked_roster(ceremony, state, seats[2].secrets)
    joint = tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"])
    assert joint.to_json() == state["joint_key"]
    assert tc.derive_share(ceremony, seats[2].secrets, roster, state, joint).share is not None


def test_bad_requests_say_what_is_wrong_and_write_nothing(client, db_session, steward):
    committee, seats = appoint(db_session, steward, 2, 1)
    cid, headers = committee.id, _token(db_session, seats[0].member)[1]
    good = announcement_payload(ceremony_of(committee), seats[0].secrets)
    url = f"{BASE}/{cid}/announcement"
    assert "JSON" in _error(client.post(url, data="x", headers=headers), 415)["message"]
    assert "not valid JSON" in _error(client.post(url, data="{", content_type="application/json", headers=headers),
                                      400)["message"]
    assert "exactly the keys" in _error(client.post(url, json=[1], headers=headers), 400)["message"]
    forged = {**good, "announcement": {**good["announcement"], "signature": "33" * 64}}
    error = _error(client.post(url, json=forged, headers=headers), 400)
    assert error["message"].startswith("announcement: invalid signature")
    assert error["field"] == "announcement"
    off_curve = {**good, "announcement": {**good["announcement"], "encryption_key": "02" + "00" * 32}}
    assert "invalid point" in _error(client.post(url, json=off_curve, headers=headers), 400)["message"]
    wrong_pop = {**good, "bls_pop": announcement_payload(ceremony_of(committee), seats[1].secrets)["bls_pop"]}
    assert _error(client.post(url, json=wrong_pop, headers=headers), 400)["field"] == "bls_pop"
    assert reload(db_session, TrusteeCommittee, cid).trustees[0].announcement is None
