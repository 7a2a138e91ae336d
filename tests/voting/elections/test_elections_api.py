"""``/api/v1`` of elections through the test client: reads, proofs, casting and auditing encrypted ballots with
real tokens and real crypto (the voter's device is ``voting.elections.client``), the role and scope checks of
the pages on their API twins, and stewards opening voting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sqlalchemy import select

from governance.api import services as tokens
from proposals.models import Proposal, ProposalState
from tests.conftest import csrf_token, fetch_all, make_member, make_token, reload
from tests.proposals.factories import add_sponsors, make_proposal, new_member, seed_governance
from tests.voting.elections.test_ballot_web import signed_in
from tests.voting.factories import MEMBERS_SINCE, make_election, post_ballot
from voting.crypto import bls
from voting.crypto.merkle import SignedTreeHead, verify_consistency, verify_head_consistency, verify_inclusion_hash
from voting.elections import client as device
from voting.elections.casting import PLAIN_CHOICES_REFUSED
from voting.elections.models import BoardEntry, Election, EntryKind, RollEntry, Secrecy
from voting.record import canonical as record

API = "/api/v1/elections"


def _problem(response, status: int, words: str = "") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert words in response.json["detail"], response.json["detail"]
    return response.json


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _board(db_session, eid: int) -> list[BoardEntry]:
    return fetch_all(db_session, select(BoardEntry).where(BoardEntry.election_id == eid)
                     .order_by(BoardEntry.leaf_index))


def _casts(db_session, eid: int, member_id: int) -> int:
    return fetch_all(db_session, select(RollEntry.ballots_cast).where(RollEntry.election_id == eid,
                                                                      RollEntry.member_id == member_id))[0]


# ---------------------------------------------------------------- reading


def _open_board(db_session, leaves: int = 5):
    """An open roll call with ``leaves`` ballots on its board (heads signed at sizes 0, 1, 2, 4, ...)."""
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=leaves)
    for voter in setup.voters[1:leaves + 1]:
        post_ballot(db_session, setup.election, voter, [[1, 0, 0]], now=setup.now)
    db_session.commit()
    return setup


def test_an_election_its_roll_board_and_heads_are_public_and_the_board_pages_by_cursor(client, db_session):
    setup = _open_board(db_session, leaves=5)
    eid, voter, outsider = setup.election.id, setup.voters[1], make_member(db_session, "late@example.org")
    read = make_token(db_session, voter, "read")

    detail = client.get(f"{API}/{eid}")
    assert detail.status_code == 200
    data = detail.json
    assert data["fingerprint"] == setup.election.fingerprint == record.manifest_fingerprint(data["manifest"])
    assert (data["state"], data["secrecy"], data["window_open"]) == ("open", "open", True)
    assert data["roll_size"] == 6
    assert data["board"]["size"] == 5
    assert data["board"]["voted"] == 5
    assert data["latest_head"]["size"] == 4
    assert data["opens_at"] == record.iso_seconds(setup.election.opens_at)
    _problem(client.get(f"{API}/999"), 404, "no election #999")

    anonymous = client.get(f"{API}/{eid}/roll").json
    assert anonymous == {"election_id": eid, "fingerprint": setup.election.fingerprint, "size": 6,
                         "roll_hash": setup.election.roll_hash, "you": None}
    mine = client.get(f"{API}/{eid}/roll", headers={"Authorization": read}).json["you"]
    alias = fetch_all(db_session, select(RollEntry.alias).where(RollEntry.election_id == eid,
                                                                RollEntry.member_id == voter.id))[0]
    assert mine == {"on_roll": True, "alias": alias, "ballots_cast": 1, "current_leaf_index": 0}
    not_on_roll = client.get(f"{API}/{eid}/roll", headers={"Authorization": make_token(db_session, outsider, "read")})
    assert not_on_roll.json["you"] == {"on_roll": False, "alias": None, "ballots_cast": None,
                                       "current_leaf_index": None}
    draft_only = make_token(db_session, voter, "draft")  # neither read nor vote: the public part only
    assert client.get(f"{API}/{eid}/roll", headers={"Authorization": draft_only}).json["you"] is None

    pages, url = [], f"{API}/{eid}/board?limit=2"
    while url:
        answer = client.get(url)
        assert answer.status_code == 200
        pages.append(answer.json)
        cursor = answer.json["next_cursor"]
        assert ("Link" in answer.headers) == (cursor is not None)
        url = f"{API}/{eid}/board?limit=2&cursor={cursor}" if cursor else None
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert {p["size"] for p in pages} == {5}
    leaves = [item for p in pages for item in p["items"]]
    assert [leaf["leaf_index"] for leaf in leaves] == [0, 1, 2, 3, 4]
    assert leaves == client.get(f"/elections/{eid}/board.json").json["entries"]  # the page's JSON, the same leaves
    for leaf in leaves:  # each leaf hash recomputes from what the API publishes
        fields = {k: leaf[k] for k in ("leaf_index", "kind", "alias", "tracking_code", "cast_at", "payload")}
        assert record.leaf_hash_hex(fingerprint=setup.election.fingerprint, **fields) == leaf["leaf_hash"]
    _problem(client.get(f"{API}/{eid}/board?cursor=nonsense"), 400, "cursor")
    _problem(client.get(f"{API}/{eid}/board?limit=0"), 400, "limit")

    heads = client.get(f"{API}/{eid}/heads").json
    assert [h["size"] for h in heads["heads"]] == [0, 1, 2, 4]
    assert heads["board_public_key"] == setup.election.manifest["board_public_key"]
    assert heads["heads"][1]["previous"] == heads["heads"][0]["hash"]


def test_inclusion_and_consistency_proofs_verify_with_the_pure_merkle_code(client, db_session):
    setup = _open_board(db_session, leaves=5)
    eid = setup.election.id
    heads = {h["size"]: h for h in client.get(f"{API}/{eid}/heads").json["heads"]}
    leaves = client.get(f"{API}/{eid}/board?limit=10").json["items"]

    for leaf_index, size in ((0, 1), (0, 4), (1, 2), (3, 4)):
        proof = client.get(f"{API}/{eid}/board/{leaf_index}/proof?size={size}").json
        assert proof["leaf_hash"] == leaves[leaf_index]["leaf_hash"]
        assert proof["tree_head"]["root"] == heads[size]["root"]
        verify_inclusion_hash(bytes.fromhex(proof["leaf_hash"]), leaf_index, size, _hashes(proof["proof"]),
                              bytes.fromhex(heads[size]["root"]))
    latest = client.get(f"{API}/{eid}/board/2/proof").json  # default: the latest head that covers the leaf
    assert latest["tree_size"] == 4
    _problem(client.get(f"{API}/{eid}/board/4/proof"), 409, "No signed tree head covers leaf 4 yet")
    _problem(client.get(f"{API}/{eid}/board/3/proof?size=2"), 422, "does not cover leaf 3")
    _problem(client.get(f"{API}/{eid}/board/1/proof?size=3"), 404, "No signed tree head of size 3")
    _problem(client.get(f"{API}/{eid}/board/9/proof"), 404, "no leaf 9")

    for first, second in ((0, 4), (1, 4), (2, 4), (1, 2), (4, 4)):
        answer = client.get(f"{API}/{eid}/consistency?first={first}&second={second}").json
        assert (answer["first"]["size"], answer["second"]["size"]) == (first, second)
        verify_consistency(first, second, bytes.fromhex(heads[first]["root"]), bytes.fromhex(heads[second]["root"]),
                           _hashes(answer["proof"]))
    # What an observer checks between two published heads: both BLS-signed with the manifest's board key.
    answer = client.get(f"{API}/{eid}/consistency?first=1&second=4").json
    unsigned = ({k: v for k, v in answer[name].items() if k not in ("signing_key", "hash")}
                for name in ("first", "second"))
    verify_head_consistency(*(SignedTreeHead.from_json(h) for h in unsigned), _hashes(answer["proof"]),
                            bls.BlsPublicKey.from_hex(setup.election.manifest["board_public_key"]))
    _problem(client.get(f"{API}/{eid}/consistency?first=4&second=1"), 422, "must not be larger")
    _problem(client.get(f"{API}/{eid}/consistency?first=1&second=3"), 404, "size 3")
    _problem(client.get(f"{API}/{eid}/consistency?second=4"), 400, "“first” is required")


# ---------------------------------------------------------------- casting and auditing


def test_a_vote_token_casts_an_encrypted_ballot_whose_receipt_checks_and_replays_are_refused(client, db_session):
    setup = make_election(db_session, voters=2)
    db_session.commit()
    eid, voter = setup.election.id, setup.voters[1]
    vote = {"Authorization": make_token(db_session, voter, "read", "vote")}

    # The device: read the election, check the manifest against the fingerprint it was given, encrypt.
    election = client.get(f"{API}/{eid}").json
    device.check_manifest(election["manifest"], setup.election.fingerprint)
    you = client.get(f"{API}/{eid}/roll", headers=vote).json["you"]
    prepared = device.prepare(election["manifest"], [[1, 0, 0]])
    body = {"ballot": prepared.to_json(), "expected_previous": you["ballots_cast"]}

    plain = client.post(f"{API}/{eid}/ballots", json={**body, "choices": [[1, 0, 0]]}, headers=vote)
    assert _problem(plain, 400, PLAIN_CHOICES_REFUSED)["field"] == "choices"
    assert _board(db_session, eid) == []

    cast = client.post(f"{API}/{eid}/ballots", json=body, headers=vote)
    assert cast.status_code == 201, cast.get_data(as_text=True)
    answer = cast.json
    assert device.receipt_problems(answer["receipt"], election["manifest"], prepared.tracking_code) == []
    assert (answer["tracking_code"], answer["leaf_index"], answer["replaced"]) == (prepared.tracking_code, 0, None)
    assert cast.headers["Location"].endswith(f"/elections/{eid}/receipts/{prepared.tracking_code}.json")
    checked = client.post("/api/v1/receipts/check", json=answer["receipt"])
    assert checked.status_code == 200
    assert checked.json["status"] == "pass", checked.json["checks"]
    (entry,) = _board(db_session, eid)
    assert entry.payload == prepared.to_json()  # only the encrypted ballot reached the server
    assert client.get(f"{API}/{eid}/roll", headers=vote).json["you"]["current_leaf_index"] == 0

    double = client.post(f"{API}/{eid}/ballots", json=body, headers=vote)  # the same request again
    _problem(double, 409, "You voted in another window or tab")
    same_ballot = client.post(f"{API}/{eid}/ballots", json={**body, "expected_previous": 1}, headers=vote)
    _problem(same_ballot, 422, "already on the board")
    assert len(_board(db_session, eid)) == 1
    assert _casts(db_session, eid, voter.id) == 1

    again = device.prepare(election["manifest"], [[0, 1, 0]])
    revote = client.post(f"{API}/{eid}/ballots", json={"ballot": again.to_json(), "expected_previous": 1},
                         headers=vote)
    assert revote.status_code == 201
    assert (revote.json["leaf_index"], revote.json["replaced"]) == (1, 0)

    forged = device.prepare(election["manifest"], [[0, 0, 1]]).to_json()
    forged["answers"][0]["selections"][0]["proof"] = again.to_json()["answers"][0]["selections"][0]["proof"]
    bad = client.post(f"{API}/{eid}/ballots", json={"ballot": forged, "expected_previous": 2}, headers=vote)
    _problem(bad, 422, "proofs do not verify")
    _problem(client.post(f"{API}/{eid}/ballots", json={"ballot": {"x": 1}, "expected_previous": 2}, headers=vote),
             422, "cannot be read")
    _problem(client.post(f"{API}/999/ballots", json=body, headers=vote), 404)


def test_who_may_cast_observers_tokens_without_vote_revoked_expired_and_outsiders_cannot(app, client, db_session):
    setup = make_election(db_session, voters=2)
    observer = new_member(db_session, "observer", now=setup.now - MEMBERS_SINCE)
    db_session.commit()
    eid, voter, other = setup.election.id, setup.voters[1], setup.voters[2]
    late = make_member(db_session, "joined-later@example.org")  # not on the frozen roll
    prepared = device.prepare(setup.election.manifest, [[0, 0, 1]])
    body = {"ballot": prepared.to_json(), "expected_previous": 0}

    def cast(headers):
        return client.post(f"{API}/{eid}/ballots", json=body, headers=headers)

    _problem(cast({}), 401, "Sign in, or send a personal access token")
    _problem(cast({"Authorization": make_token(db_session, observer, "read")}), 403, "lacks the scope “vote”")
    _problem(cast({"Authorization": make_token(db_session, voter, "read", "draft")}), 403, "lacks the scope “vote”")
    _problem(cast({"Authorization": make_token(db_session, late, "vote")}), 403, "not on this election's roll")

    row, token = tokens.create_token(db_session, member=voter, label="old", scopes=["vote"], lifetime_days=7,
                                     now=datetime.now(UTC))
    db_session.commit()
    tokens.revoke_token(db_session, member=voter, token_id=row.id, now=datetime.now(UTC))
    db_session.commit()
    _problem(cast({"Authorization": f"Bearer {token}"}), 401, "revoked")
    _row, token = tokens.create_token(db_session, member=voter, label="short", scopes=["vote"], lifetime_days=7,
                                      now=datetime.now(UTC) - timedelta(days=8))
    db_session.commit()
    _problem(cast({"Authorization": f"Bearer {token}"}), 401, "expired")

    # Session twins: an observer's browser is refused by role; a voter's needs the page's CSRF header.
    watcher = signed_in(app, db_session, observer)
    _problem(watcher.post(f"{API}/{eid}/ballots", json=body,
                          headers={"X-CSRFToken": csrf_token(watcher.get("/receipts/check").data)}),
             403, "needs the role member")
    browser = signed_in(app, db_session, other)
    _problem(browser.post(f"{API}/{eid}/ballots", json=body), 400, "CSRF")
    assert _board(db_session, eid) == []
    cast_by_session = browser.post(f"{API}/{eid}/ballots", json=body,
                                   headers={"X-CSRFToken": csrf_token(browser.get("/receipts/check").data)})
    assert cast_by_session.status_code == 201
    assert _casts(db_session, eid, other.id) == 1
    assert _casts(db_session, eid, voter.id) == 0


def test_a_closed_window_and_an_open_roll_call_refuse_api_ballots(client, db_session):
    closed = make_election(db_session, voters=1, now=datetime.now(UTC) - timedelta(days=30))
    open_call = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    db_session.commit()
    late_voter, open_voter = closed.voters[1], open_call.voters[1]
    ballot = device.prepare(closed.election.manifest, [[1, 0, 0]]).to_json()
    refused = client.post(f"{API}/{closed.election.id}/ballots", json={"ballot": ballot, "expected_previous": 0},
                          headers={"Authorization": make_token(db_session, late_voter, "vote")})
    _problem(refused, 409, "closed at")
    roll_call = client.post(f"{API}/{open_call.election.id}/ballots", json={"ballot": ballot, "expected_previous": 0},
                            headers={"Authorization": make_token(db_session, open_voter, "vote")})
    _problem(roll_call, 422, "open roll call")
    assert _board(db_session, closed.election.id) == [] == _board(db_session, open_call.election.id)


def test_an_audited_ballot_is_posted_opened_and_never_counted(client, db_session):
    setup = make_election(db_session, kind="payout_policy", voters=1)
    db_session.commit()
    eid, voter = setup.election.id, setup.voters[1]
    vote = {"Authorization": make_token(db_session, voter, "vote")}
    prepared = device.prepare(setup.election.manifest, [[2, -1]])

    plain = client.post(f"{API}/{eid}/audits", json={"choices": [[2, -1]]}, headers=vote)
    _problem(plain, 400, "encrypted on your own device")
    wrong = device.prepare(setup.election.manifest, [[1, 1]])
    mismatch = client.post(f"{API}/{eid}/audits", json={"ballot": prepared.to_json(), "reveal": wrong.reveal()},
                           headers=vote)
    _problem(mismatch, 422, "does not reopen")
    _problem(client.post(f"{API}/{eid}/audits", json={"ballot": prepared.to_json(), "reveal": prepared.reveal()},
                         headers={"Authorization": make_token(db_session, voter, "read")}), 403, "scope “vote”")

    audited = client.post(f"{API}/{eid}/audits", json={"ballot": prepared.to_json(), "reveal": prepared.reveal()},
                          headers=vote)
    assert audited.status_code == 201, audited.get_data(as_text=True)
    assert audited.json["choices"] == [[2, -1]]
    assert audited.headers["Location"].endswith(f"/elections/{eid}/audited/{prepared.tracking_code}.json")
    (entry,) = _board(db_session, eid)
    assert EntryKind(entry.kind) == EntryKind.AUDITED
    assert _casts(db_session, eid, voter.id) == 0
    assert client.get(audited.headers["Location"]).json["reveal"] == prepared.reveal()


# ---------------------------------------------------------------- opening voting


def _in_discussion(db_session) -> tuple[int, list]:
    seed_governance(db_session)
    now = datetime.now(UTC)
    members = [new_member(db_session, "member", now=now - MEMBERS_SINCE) for _ in range(2)]
    proposal = make_proposal(db_session, members[0], state=ProposalState.DISCUSSION, now=now)
    add_sponsors(db_session, proposal, 2, now=now - timedelta(days=30))
    db_session.commit()
    return proposal.id, members


def test_stewards_open_voting_and_members_cannot(app, client, db_session):
    pid, members = _in_discussion(db_session)
    steward = new_member(db_session, "member", "steward", now=datetime.now(UTC) - MEMBERS_SINCE)
    db_session.commit()
    url = f"/api/v1/proposals/{pid}/election"
    member_token = {"Authorization": make_token(db_session, members[1], "read", "vote", "draft")}
    steward_token = {"Authorization": make_token(db_session, steward, "steward")}

    _problem(client.post(url, json={"secrecy": "open"}, headers=member_token), 403, "lacks the scope “steward”")
    member_browser = signed_in(app, db_session, members[1])
    _problem(member_browser.post(url, json={"secrecy": "open"},
                                 headers={"X-CSRFToken": csrf_token(member_browser.get("/receipts/check").data)}),
             403, "needs the role steward")
    _problem(client.post(url, json={"secrecy": "open"}), 401)

    no_committee = client.post(url, json={"secrecy": "secret"}, headers=steward_token)
    assert _problem(no_committee, 422, "Choose a trustee committee")["field"] == "committee_id"
    _problem(client.post(url, json={"secrecy": "open", "closes_at": "2020-01-01T12:00:00Z"}, headers=steward_token),
             422, "must close in the future")
    _problem(client.post(url, json={"secrecy": "open", "closes_at": "next week"}, headers=steward_token), 400,
             "ISO 8601")
    _problem(client.post(url, json={"secrecy": "roll-call"}, headers=steward_token), 400, "secret or open")
    assert reload(db_session, Proposal, pid).state == ProposalState.DISCUSSION
    assert fetch_all(db_session, select(Election)) == []

    closes = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    opened = client.post(url, json={"secrecy": "open", "closes_at": closes.isoformat()}, headers=steward_token)
    assert opened.status_code == 201, opened.get_data(as_text=True)
    election = opened.json
    assert (election["secrecy"], election["state"], election["window_open"]) == ("open", "open", True)
    assert election["closes_at"] == record.iso_seconds(closes)
    assert opened.headers["Location"].endswith(f"/api/v1/elections/{election['election_id']}")
    assert client.get(opened.headers["Location"]).json == election
    assert reload(db_session, Proposal, pid).state == ProposalState.VOTING
    _problem(client.post(url, json={"secrecy": "open"}, headers=steward_token), 409, "in discussion")
    _problem(client.post("/api/v1/proposals/999/election", json={"secrecy": "open"}, headers=steward_token), 404)


def test_the_openapi_document_validates_and_describes_the_election_operations(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document, cls=OpenAPIV31SpecValidator)
    paths = document["paths"]
    for path, method in (("/api/v1/elections/{election_id}", "get"), ("/api/v1/elections/{election_id}/roll", "get"),
                         ("/api/v1/elections/{election_id}/board", "get"),
                         ("/api/v1/elections/{election_id}/heads", "get"),
                         ("/api/v1/elections/{election_id}/board/{leaf_index}/proof", "get"),
                         ("/api/v1/elections/{election_id}/consistency", "get"),
                         ("/api/v1/elections/{election_id}/ballots", "post"),
                         ("/api/v1/elections/{election_id}/audits", "post"),
                         ("/api/v1/proposals/{proposal_id}/election", "post"),
                         ("/api/v1/receipts/check", "post")):
        assert method in paths[path], path
    cast = paths["/api/v1/elections/{election_id}/ballots"]["post"]
    assert cast["security"][0] == {"bearerAuth": ["vote"]}
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(cast["responses"])
    assert paths["/api/v1/proposals/{proposal_id}/election"]["post"]["security"][0] == {"bearerAuth": ["steward"]}
    assert {} in paths["/api/v1/elections/{election_id}/board"]["get"]["security"]   # public
    assert "Link" in paths["/api/v1/elections/{election_id}/board"]["get"]["responses"]["200"]["headers"]
