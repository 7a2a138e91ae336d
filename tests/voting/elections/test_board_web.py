"""The public election pages: election, manifest, roll, board, heads, and checking receipts (page and API)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, login
from tests.voting.factories import make_election, post_ballot
from voting.crypto import bls, merkle
from voting.elections import board
from voting.elections.models import ElectionState, EntryKind, Secrecy, TreeHead
from voting.record import canonical as record


def assert_unique_ids(html: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def _setup_with_ballots(db_session, secrecy=Secrecy.SECRET):
    setup = make_election(db_session, secrecy=secrecy, voters=2)
    election, ann, bob, t = setup.election, setup.voters[1], setup.voters[2], setup.now
    post_ballot(db_session, election, ann, [[1, 0, 0]], now=t)
    post_ballot(db_session, election, bob, [[0, 1, 0]], now=t + timedelta(seconds=1), kind=EntryKind.AUDITED)
    post_ballot(db_session, election, bob, [[0, 0, 1]], now=t + timedelta(seconds=2))
    post_ballot(db_session, election, ann, [[0, 1, 0]], now=t + timedelta(seconds=3))
    db_session.commit()
    return setup


def test_election_page_is_public_and_shows_the_fingerprint_and_turnout(client, db_session) -> None:
    setup = _setup_with_ballots(db_session)
    election = setup.election
    page = client.get(f"/elections/{election.id}")
    assert page.status_code == 200
    html = page.data.decode()
    grouped = "".join(f"<span>{election.fingerprint[i:i + 8]}</span>" for i in range(0, 64, 8))
    assert grouped in html
    assert "Election fingerprint" in html
    assert "Open for voting" in html
    assert "one member, one vote" in html.lower()
    assert "2 of 3 voted" in html
    assert "1 earlier ballot replaced" in html
    assert "1 audited (never counted)" in html
    assert f"/elections/{election.id}/manifest.json" in html
    assert f"/elections/{election.id}/board" in html
    assert "You are on the roll" not in html
    assert_unique_ids(html)
    assert client.get("/elections/999").status_code == 404

    election.state = ElectionState.TALLYING  # counting has begun: the page no longer says it is open
    db_session.commit()
    html = client.get(f"/elections/{election.id}").data.decode()
    assert "Closed" in html
    assert "Open for voting" not in html


def test_a_member_on_the_roll_sees_their_own_alias_only(app, db_session) -> None:
    from governance.auth.passwords import password_hasher

    setup = _setup_with_ballots(db_session)
    ann, bob = setup.voters[1], setup.voters[2]
    ann.password_hash = password_hasher({"ENV_NAME": "test"}).hash(DEFAULT_PASSWORD)
    db_session.commit()
    from voting.elections.services import roll_entry_of

    ann_alias = roll_entry_of(db_session, setup.election, ann).alias
    bob_alias = roll_entry_of(db_session, setup.election, bob).alias
    db_session.commit()
    client = app.test_client()
    login(client, ann.email)
    html = client.get(f"/elections/{setup.election.id}").data.decode()
    assert "You are on the roll" in html
    assert ann_alias in html
    assert bob_alias not in html


def test_manifest_is_served_as_its_canonical_bytes(client, db_session) -> None:
    setup = make_election(db_session, voters=1)
    db_session.commit()
    response = client.get(f"/elections/{setup.election.id}/manifest.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert hashlib.sha256(response.data).hexdigest() == setup.election.fingerprint
    assert response.data == record.canonical_bytes(json.loads(response.data))


def test_roll_json_lists_sorted_aliases_and_their_hash(client, db_session) -> None:
    setup = make_election(db_session, voters=3)
    db_session.commit()
    data = client.get(f"/elections/{setup.election.id}/roll.json").get_json()
    assert data["size"] == 4
    assert data["aliases"] == sorted(data["aliases"])
    assert data["roll_hash"] == record.roll_hash(data["aliases"]) == setup.election.roll_hash
    assert data["fingerprint"] == setup.election.fingerprint


def test_secret_board_marks_superseded_and_audited_and_hides_aliases(client, db_session) -> None:
    setup = _setup_with_ballots(db_session)
    html = client.get(f"/elections/{setup.election.id}/board").data.decode()
    entries = board.board_entries(db_session, setup.election)
    db_session.commit()
    for entry, alias in entries:
        assert entry.tracking_code in html
        assert alias not in html
    assert "superseded by" in html
    assert "audited, not counted" in html
    assert "Voter alias" not in html
    assert html.count('class="entry-superseded"') == 1
    assert html.count('class="entry-audited"') == 1
    assert "Signed tree heads" in html
    assert "never how anyone voted" in html
    assert_unique_ids(html)


def test_open_board_shows_aliases_and_choices(client, db_session) -> None:
    setup = _setup_with_ballots(db_session, secrecy=Secrecy.OPEN)
    html = client.get(f"/elections/{setup.election.id}/board").data.decode()
    entries = board.board_entries(db_session, setup.election)
    db_session.commit()
    assert "Voter alias" in html
    for _entry, alias in entries:
        assert alias in html
    assert "<td>yes</td>" in html
    assert "<td>abstain</td>" in html
    assert_unique_ids(html)


def test_board_pages_and_json_pages(client, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    for i in range(101):
        post_ballot(db_session, setup.election, setup.voters[1], [[0, 0, 1]], now=setup.now + timedelta(seconds=i))
    db_session.commit()
    eid = setup.election.id
    first = client.get(f"/elections/{eid}/board").data.decode()
    assert 'id="leaf-99"' in first
    assert 'id="leaf-100"' not in first
    assert "Page 1 of 2" in first
    second = client.get(f"/elections/{eid}/board?page=2").data.decode()
    assert 'id="leaf-100"' in second
    assert 'id="leaf-0"' not in second
    assert 'id="leaf-100"' in client.get(f"/elections/{eid}/board?page=99").data.decode()  # clamped to the last

    data = client.get(f"/elections/{eid}/board.json?limit=60").get_json()
    assert data["size"] == 101
    assert len(data["entries"]) == 60
    assert data["next"].endswith("offset=60&limit=60")
    rest = client.get(f"/elections/{eid}/board.json?offset=60&limit=60").get_json()
    assert len(rest["entries"]) == 41
    assert rest["next"] is None
    for item in data["entries"][:3] + rest["entries"][-3:]:
        fields = {k: item[k] for k in ("leaf_index", "kind", "alias", "tracking_code", "cast_at", "payload")}
        assert item["leaf_hash"] == record.leaf_hash_hex(fingerprint=data["fingerprint"], **fields)
    assert rest["entries"][-1]["superseded_by"] is None
    assert data["entries"][0]["superseded_by"] == 1


def test_heads_json_heads_verify_and_are_consistent(client, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    for i in range(4):  # minutes apart: a head each time the board doubles (sizes 1, 2, 4)
        post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now + timedelta(minutes=2 * i))
    post_ballot(db_session, setup.election, setup.voters[1], [[0, 1, 0]],  # six hours on: size 5 signed too
                now=setup.now + timedelta(minutes=6) + board.HEAD_MAX_AGE)
    db_session.commit()
    data = client.get(f"/elections/{setup.election.id}/heads.json").get_json()
    assert [h["size"] for h in data["heads"]] == [0, 1, 2, 4, 5]
    public = bls.BlsPublicKey.from_hex(data["board_public_key"])
    assert data["board_public_key"] == setup.election.manifest["board_public_key"]
    heads = [merkle.SignedTreeHead.from_json({k: h[k] for k in ("fingerprint", "size", "root", "timestamp",
                                                                 "previous", "signature")}) for h in data["heads"]]
    assert heads[0].previous == merkle.NO_PREVIOUS
    assert [h.previous for h in heads[1:]] == [h.head_hash() for h in heads[:-1]]  # one chain
    for previous, (current, raw) in zip(heads, list(zip(heads, data["heads"], strict=True))[1:], strict=False):
        merkle.verify_head_consistency(previous, current, [bytes.fromhex(p) for p in raw["consistency_from_previous"]],
                                       public)


def test_reading_pages_never_signs_a_head(client, db_session) -> None:
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    for i in range(2):  # sizes 1 and 2 double the board: both signed at the cast
        post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now + timedelta(seconds=i))
    _e, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[0, 1, 0]],
                              now=setup.now + timedelta(seconds=2))  # size 3: no head yet
    db_session.commit()
    before = count_rows(db_session, TreeHead)
    eid = setup.election.id
    for url in (f"/elections/{eid}", f"/elections/{eid}/board", f"/elections/{eid}/board.json",
                f"/elections/{eid}/heads.json", f"/elections/{eid}/roll.json", "/receipts/check"):
        assert client.get(url).status_code == 200
    assert client.post("/api/v1/receipts/check", json=receipt.to_json()).get_json()["status"] == "pending"
    assert count_rows(db_session, TreeHead) == before


# ---------------------------------------------------------------- checking receipts through the site

def _one_receipt(db_session):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=1)
    _entry, receipt = post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    db_session.commit()
    return setup, receipt


def test_check_page_pasted_and_uploaded_receipts(client, db_session) -> None:
    _setup, receipt = _one_receipt(db_session)
    form = client.get("/receipts/check")
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.data.decode()
    pasted = client.post("/receipts/check", data={"receipt": json.dumps(receipt.to_json(), indent=2),
                                                  "csrf_token": csrf_token(form.data)})
    html = pasted.data.decode()
    assert pasted.status_code == 200
    assert "Every check passed." in html
    assert html.count("✓ Passed") == 8
    assert "In the signed board" in html
    assert "it is the one that counts" in html
    assert_unique_ids(html)

    upload = client.post("/receipts/check", content_type="multipart/form-data", data={
        "receipt": "", "csrf_token": csrf_token(form.data),
        "receipt_file": (io.BytesIO(json.dumps(receipt.to_json()).encode()), "receipt.json")})
    assert upload.status_code == 200
    assert "Every check passed." in upload.data.decode()


def test_check_page_refusals(client, db_session) -> None:
    _setup, receipt = _one_receipt(db_session)
    token = csrf_token(client.get("/receipts/check").data)

    bad_json = client.post("/receipts/check", data={"receipt": "{oops", "csrf_token": token})
    assert bad_json.status_code == 400
    assert "This is not valid JSON" in bad_json.data.decode()
    assert 'aria-invalid="true"' in bad_json.data.decode()

    unknown = client.post("/receipts/check", data={"receipt": json.dumps({**receipt.to_json(), "election_id": 999}),
                                                   "csrf_token": token})
    assert unknown.status_code == 422
    assert "This site has no election #999" in unknown.data.decode()

    forged = {**receipt.to_json(), "signature": "22" * 64}
    wrong = client.post("/receipts/check", data={"receipt": json.dumps(forged), "csrf_token": token})
    html = wrong.data.decode()
    assert wrong.status_code == 422
    assert "At least one check failed." in html
    assert "✗ Failed" in html
    assert "Signed by the election server" in html

    no_token = client.post("/receipts/check", data={"receipt": json.dumps(receipt.to_json())})
    assert no_token.status_code == 400
    assert "Every check passed" not in no_token.data.decode()


def test_api_checks_receipts_without_csrf(client, db_session) -> None:
    _setup, receipt = _one_receipt(db_session)
    ok = client.post("/api/v1/receipts/check", json=receipt.to_json())
    assert ok.status_code == 200
    data = ok.get_json()
    assert data["status"] == "pass"
    assert {c["status"] for c in data["checks"]} == {"pass"}
    assert data["tree_head"]["size"] == 1
    assert data["receipt"] == receipt.to_json()

    tampered = client.post("/api/v1/receipts/check", json={**receipt.to_json(), "leaf_hash": "11" * 32})
    assert tampered.status_code == 422
    assert tampered.get_json()["status"] == "fail"
    unknown = client.post("/api/v1/receipts/check", json={**receipt.to_json(), "election_id": 999})
    assert unknown.status_code == 422
    assert "no election #999" in unknown.get_json()["detail"]
    garbage = client.post("/api/v1/receipts/check", data="{x", content_type="application/json")
    assert garbage.status_code == 400
    assert "not valid JSON" in garbage.get_json()["detail"]
    wrong_shape = client.post("/api/v1/receipts/check", json={"receipt": 1})
    assert wrong_shape.status_code == 400
    assert "lacks" in wrong_shape.get_json()["detail"]
    assert wrong_shape.mimetype == "application/problem+json"


def test_an_observer_checks_the_whole_board_from_the_public_json(client, db_session) -> None:
    setup = _setup_with_ballots(db_session)
    board.sign_head(db_session, setup.election, setup.now + timedelta(minutes=5))  # as at close
    db_session.commit()
    eid = setup.election.id
    manifest_bytes = client.get(f"/elections/{eid}/manifest.json").data
    manifest = json.loads(manifest_bytes)
    fingerprint = hashlib.sha256(manifest_bytes).hexdigest()
    roll = client.get(f"/elections/{eid}/roll.json").get_json()
    assert record.roll_hash(roll["aliases"]) == manifest["roll"]["hash"]
    assert len(roll["aliases"]) == manifest["roll"]["size"]
    keys = client.get("/.well-known/dataguild-keys.json").get_json()
    assert keys["bip340_public_key"] == manifest["receipt_public_key"]
    assert keys["bls_public_key"] == manifest["board_public_key"]

    entries = client.get(f"/elections/{eid}/board.json").get_json()["entries"]
    log = merkle.MerkleLog()
    latest_cast: dict[str, int] = {}
    for item in entries:
        assert item["alias"] in roll["aliases"]
        fields = {k: item[k] for k in ("leaf_index", "kind", "alias", "tracking_code", "cast_at", "payload")}
        leaf_hash = record.leaf_hash_hex(fingerprint=fingerprint, **fields)
        assert leaf_hash == item["leaf_hash"]
        assert log.append_hash(bytes.fromhex(leaf_hash)) == item["leaf_index"]
        receipt = record.Receipt(election_id=eid, fingerprint=fingerprint, leaf_index=item["leaf_index"],
                                 kind=item["kind"], tracking_code=item["tracking_code"], cast_at=item["cast_at"],
                                 leaf_hash=leaf_hash, server_public_key=manifest["receipt_public_key"],
                                 signature=item["receipt_signature"], head=item["receipt_head"])
        record.verify_receipt(receipt, manifest["receipt_public_key"])
        if item["kind"] == "cast":
            latest_cast[item["alias"]] = item["leaf_index"]
    counted = {i["leaf_index"] for i in entries if i["kind"] == "cast" and i["superseded_by"] is None}
    assert counted == set(latest_cast.values())  # supersession follows from aliases and order alone

    final = client.get(f"/elections/{eid}/heads.json").get_json()["heads"][-1]
    assert final["size"] == len(entries)
    assert final["root"] == log.root().hex()
    sth = merkle.SignedTreeHead.from_json({k: final[k] for k in ("fingerprint", "size", "root", "timestamp",
                                                                 "previous", "signature")})
    sth.verify(bls.BlsPublicKey.from_hex(manifest["board_public_key"]))
