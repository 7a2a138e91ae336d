"""The browser's trustee cryptography (static/js/trustee/, run here in Node) against the Python side:
key files both ways, the encoding and hash-to-scalar, BLS as py-ecc checks it, and whole ceremonies and
counts through the real trustee API with some trustees in JavaScript and some in Python.

Needs ``node`` (20+); skipped without it unless ``DATAGUILD_TEST_REQUIRE_BROWSER=1`` (CI), which turns
the skip into a failure."""

from __future__ import annotations

import copy
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_member, node_or_skip, reload
from tests.voting.committee_helpers import announcement_payload, appoint, ceremony_of, trustee_keys, trustee_token
from tests.voting.counting_helpers import make_secret_election
from tests.voting.factories import post_ballot
from voting.committees import services as svc
from voting.committees.models import CommitteeStatus, TrusteeCommittee
from voting.counting import services as counting
from voting.crypto import bls, hashing
from voting.crypto import trustees as T
from voting.crypto.group import IDENTITY, base_mult
from voting.crypto.keyfile import CorruptKeyFile, WrongPassphrase, dump_keyfile, generate_trustee, load_keyfile
from voting.elections.models import Election, ElectionState
from voting.record import canonical as record
from voting.record import tally
from voting.trustees import client as tc
from voting.trustees import decrypt as tcount

DRIVER = Path(__file__).parent / "js" / "driver.mjs"
BASE = "/api/v1/trustee"
PASSPHRASE = "correct horse battery staple ✓"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def node() -> str:
    return node_or_skip("the browser trustee crypto")


def js(op: str, **request: Any) -> dict[str, Any]:
    """Run one request through js/driver.mjs beside this file; returns its answer ({ok, result | name, message})."""
    done = subprocess.run([shutil.which("node") or "node", str(DRIVER)], input=json.dumps({"op": op, **request}),  # noqa: S603 - our own driver script
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ok(op: str, **request: Any) -> Any:
    answer = js(op, **request)
    assert answer["ok"], answer
    return answer["result"]


def refused(op: str, **request: Any) -> tuple[str, str]:
    answer = js(op, **request)
    assert not answer["ok"], answer
    return answer["name"], answer["message"]


# ---------------------------------------------------------------- primitives


def _item(x: Any) -> Any:
    if isinstance(x, list):
        return [_item(i) for i in x]
    if isinstance(x, bytes):
        return {"bytes": x.hex()}
    if isinstance(x, str):
        return {"str": x}
    if isinstance(x, int):
        return {"int": str(x)}
    return {"point": None if x.is_identity else x.hex()}


def test_encoding_and_hash_to_scalar_match_python():
    p = base_mult(12345)
    cases = [
        ("proof/disjunctive-cp", ["dataguild-ballot-v1", "secp256k1", bytes(32), [0, 1], p]),
        ("x", [0, -1, 1, 127, 128, -128, -129, 255, 256, 2**255, -(2**255), 2**256 - 1, "ünïcødé ✓", b"", []]),
        ("ceremony/complaint-dleq", [[[p, IDENTITY], [1, [2, [3, "a"]]]], bytes(range(70))]),
    ]
    answers = ok("vectors", cases=[{"purpose": purpose, "items": _item(items)} for purpose, items in cases])
    for (purpose, items), answer in zip(cases, answers, strict=True):
        assert answer["encode"] == hashing.encode(*items).hex()
        assert int(answer["scalar"], 16) == hashing.hash_to_scalar(hashing.dst(purpose), *items)


def test_canonical_json_matches_rfc8785_as_python_writes_it():
    values = [
        {"b": 1, "a": [True, False, None, -7, 2**53 - 1], "A": "x", "é": "“quoted” ünïcödé", "😀": "emoji key",
         "\u00ff": "ÿ", "ctrl": "tab\t nl\n bell\u0007 quote\" backslash\\ slash/ \u2028 \u007f"},
        [], {}, "", 0, [{"z": {"y": {"x": []}}}],
    ]
    assert ok("canonical", values=values) == [record.canonical_bytes(v).hex() for v in values]


def test_bls_signatures_verify_in_py_ecc():
    ikm = bytes(range(1, 33))
    answer = ok("bls", ikm=ikm.hex(), message=b"a result message".hex())
    secret = bls.keygen(ikm, tc.BLS_KEY_INFO)
    public = bls.BlsPublicKey.from_hex(answer["public"])
    assert public.to_hex() == secret.public_key().to_hex()
    bls.pop_verify(public, bls.BlsSignature.from_hex(answer["pop"]))
    bls.verify(public, b"a result message", bls.BlsSignature.from_hex(answer["signature"]))
    assert answer["signature"] == bls.sign(secret, b"a result message").to_hex()


# ---------------------------------------------------------------- key files


def test_key_files_open_both_ways_with_the_right_errors():
    secrets = generate_trustee(4, T.deterministic_rng(b"js-keyfile"))
    python_text = dump_keyfile(secrets, PASSPHRASE)  # the real n = 2^17
    opened = ok("openKeyFile", keyFile=python_text, passphrase=PASSPHRASE)
    TIMINGS["scrypt 2^17 open (ms)"] = opened["ms"]
    assert opened["key"] == secrets.to_json()
    assert opened["sealed"] is True
    # Byte for byte the same file for the same salt.
    salt = bytes(range(16))
    assert ok("dumpKeyFile", key=secrets.to_json(), passphrase=PASSPHRASE, n=2**10, salt=salt.hex()) == \
        dump_keyfile(secrets, PASSPHRASE, scrypt_n=2**10, salt=salt)
    plain = dump_keyfile(secrets, None)
    assert ok("openKeyFile", keyFile=plain, passphrase="")["key"] == secrets.to_json()

    made = ok("newKeyFile", passphrase=PASSPHRASE)
    TIMINGS["scrypt 2^17 write (ms)"] = made["ms"]
    mine = load_keyfile(made["keyFile"], PASSPHRASE)
    assert (mine.index, mine.fingerprint, mine.share) == (1, None, None)
    with pytest.raises(WrongPassphrase):
        load_keyfile(made["keyFile"], "not it")
    assert json.loads(ok("newKeyFile", passphrase="")["keyFile"])["encryption"] == "none"

    small = dump_keyfile(secrets, PASSPHRASE, scrypt_n=2**10)
    assert refused("openKeyFile", keyFile=small, passphrase="not it") == \
        ("WrongPassphrase", "This passphrase does not open the key file.")
    assert refused("openKeyFile", keyFile=small, passphrase="")[0] == "WrongPassphrase"
    data = json.loads(small)
    data["ciphertext"] = ("1" if data["ciphertext"][0] != "1" else "2") + data["ciphertext"][1:]
    name, message = refused("openKeyFile", keyFile=json.dumps(data), passphrase=PASSPHRASE)
    assert name == "CorruptKeyFile"
    assert "altered" in message
    with pytest.raises(CorruptKeyFile):
        load_keyfile(json.dumps(data), PASSPHRASE)
    data = json.loads(small)
    data["kdf"]["n"] = 2**11  # altered parameters: the check value differs, as in Python
    assert refused("openKeyFile", keyFile=json.dumps(data), passphrase=PASSPHRASE)[0] == "WrongPassphrase"
    assert refused("openKeyFile", keyFile="{not json", passphrase="")[0] == "CorruptKeyFile"
    assert refused("openKeyFile", keyFile=json.dumps({"format": "other"}), passphrase="")[0] == "CorruptKeyFile"
    bad = json.loads(plain)
    bad["key"]["encryption_secret"] = "00" * 32
    assert refused("openKeyFile", keyFile=json.dumps(bad), passphrase="")[0] == "CorruptKeyFile"


# ---------------------------------------------------------------- through the real trustee API


class Site:
    """The trustee API through the Flask test client, one bearer token per trustee."""

    def __init__(self, client, session, members: dict[int, Any]) -> None:
        self.client = client
        tokens = {j: trustee_token(session, m, "browser")[1] for j, m in members.items()}
        self.headers = {j: {"Authorization": f"Bearer {token}"} for j, token in tokens.items()}
        session.commit()

    def get(self, j: int, path: str) -> dict[str, Any]:
        answer = self.client.get(BASE + path, headers=self.headers[j])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()

    def post(self, j: int, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post(BASE + path, json=payload, headers=self.headers[j])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()

    def board(self, election_id: int) -> list[dict[str, Any]]:
        pages, url = [], f"/elections/{election_id}/board.json"
        while url:
            page = self.client.get(url).get_json()
            pages.append(page)
            url = page["next"] and page["next"].removeprefix("http://localhost")
        return pages


class BrowserTrustee:
    """A trustee whose key file only ever meets the JavaScript library (as in the browser)."""

    def __init__(self, passphrase: str) -> None:
        self.passphrase = passphrase
        self.key_file = ok("newKeyFile", passphrase=passphrase)["keyFile"]

    def step(self, op: str, state: dict[str, Any]) -> dict[str, Any]:
        result = ok(op, state=state, keyFile=self.key_file, passphrase=self.passphrase)
        if result["keyFile"] is not None:  # the page offers the new key file before it sends anything
            self.key_file = result["keyFile"]
        return result

    def count(self, op: str, **inputs: Any) -> dict[str, Any]:
        return ok(op, inputs=inputs, keyFile=self.key_file, passphrase=self.passphrase)

    def secrets(self):
        return load_keyfile(self.key_file, self.passphrase or None)


def _ceremony(site: Site, committee: TrusteeCommittee, browser: dict[int, BrowserTrustee], python: dict[int, Any],
              committee_session: Any) -> dict[int, list[int]]:
    """Announce, deal and confirm through the API; browser trustees in JS, the others with the CLI's code."""
    cid, ceremony = committee.id, ceremony_of(committee)
    n = committee.n
    committee_session.rollback()
    path = f"/committees/{cid}"
    for j in sorted([*browser, *python]):
        if j in browser:
            payload = browser[j].step("announce", site.get(j, path))["payload"]
        else:
            payload = announcement_payload(ceremony, python[j])
        assert site.post(j, path + "/announcement", payload)["ok"]
    for j in sorted([*browser, *python]):
        state = site.get(j, path)
        if j in browser:
            result = browser[j].step("deal", state)
            assert result["checked"] == {"announcements": n}
            payload = result["payload"]
        else:
            python[j], payload = tc.dealing_payload(ceremony, python[j], tc.checked_roster(ceremony, state, python[j]))
        site.post(j, path + "/dealing", payload)
    confirmations = {}
    for j in sorted([*browser, *python]):
        state = site.get(j, path)
        if j in browser:
            result = browser[j].step("confirm", state)
            assert result["stage"] == "confirm"
            confirmations[j] = result["complaintsAgainst"]
            payload = result["payload"]
        else:
            confirmation = tc.confirmation_payload(ceremony, python[j], tc.checked_roster(ceremony, state, python[j]),
                                                   state)
            confirmations[j] = list(confirmation.complaints_against)
            payload = confirmation.payload
        site.post(j, path + "/confirmation", payload)
    return confirmations


def test_a_2_of_3_ceremony_count_and_certificate_with_browser_and_cli_trustees(client, db_session):
    steward = make_member(db_session, "js-steward@example.org", roles=("member", "steward"))
    committee, seats = appoint(db_session, steward, 3, 2, prefix="js")
    cid, ceremony = committee.id, ceremony_of(committee)
    db_session.rollback()
    site = Site(client, db_session, {i: seat.member for i, seat in enumerate(seats, start=1)})
    browser = {1: BrowserTrustee(PASSPHRASE), 3: BrowserTrustee("")}
    python = {2: seats[1].secrets}

    # Refusals before anything is sent: not this step; a key file of another committee.
    assert refused("deal", state=site.get(1, f"/committees/{cid}"), keyFile=browser[1].key_file,
                   passphrase=PASSPHRASE) == ("InvalidInput", f"Committee {cid} is not waiting for your dealing "
                                              "(step: announcing).")
    other = replace(trustee_keys("elsewhere"), fingerprint=bytes(32))
    name, message = refused("announce", state=site.get(3, f"/committees/{cid}"), keyFile=dump_keyfile(other),
                            passphrase="")
    assert name == "CeremonyMismatch"
    assert "another committee" in message

    # Everyone's dealing is good, the browser's ones by the CLI's checks and the other way round.
    assert _ceremony(site, committee, browser, python, db_session) == {1: [], 2: [], 3: []}
    db_session.expire_all()
    assert db_session.get(TrusteeCommittee, cid).status == CommitteeStatus.READY
    joint = svc.joint_key_of(db_session, cid)
    db_session.rollback()

    # A site that lies about the joint key is caught before the key share is stored.
    state = site.get(1, f"/committees/{cid}?all_shares=1")
    lying = copy.deepcopy(state)
    lying["joint_key"]["commitments"]["2"][0] = lying["joint_key"]["commitments"]["1"][0]
    assert refused("confirm", state=lying, keyFile=browser[1].key_file, passphrase=PASSPHRASE)[0] == "CeremonyMismatch"
    assert refused("confirm", state=site.get(1, f"/committees/{cid}"), keyFile=browser[1].key_file,
                   passphrase=PASSPHRASE)[0] == "InvalidInput"  # without ?all_shares=1
    for j, trustee in browser.items():
        stored = trustee.step("confirm", site.get(j, f"/committees/{cid}?all_shares=1"))
        assert stored["stage"] == "stored"
        assert stored["electionKey"] == joint.election_key().hex()
        secrets = trustee.secrets()
        assert (secrets.index, secrets.fingerprint) == (j, joint.ceremony.fingerprint)
        assert base_mult(secrets.share) == joint.verification_key(j)
    assert json.loads(browser[1].key_file)["encryption"] != "none"
    assert json.loads(browser[3].key_file)["encryption"] == "none"
    assert browser[1].step("confirm", site.get(1, f"/committees/{cid}?all_shares=1"))["stage"] == "done"
    state = site.get(2, f"/committees/{cid}?all_shares=1")
    roster = tc.checked_roster(ceremony, state, python[2])
    python[2] = tc.derive_share(ceremony, python[2], roster, state,
                                tc.checked_joint_key(ceremony, roster, state, state["encrypted_shares"]))

    # A one-member-one-vote election counted by browser trustee 1 and CLI trustee 2.
    setup = make_secret_election(db_session, committee, voters=3, now=datetime.now(UTC) - timedelta(days=30))
    _s, a, b, c = setup.voters
    for voter, choice in ((a, [1, 0, 0]), (b, [0, 1, 0]), (c, [1, 0, 0]), (a, [0, 0, 1])):
        post_ballot(db_session, setup.election, voter, [choice], now=setup.now)
    db_session.commit()
    eid = setup.election.id
    tally_path = f"/elections/{eid}/tally"
    assert "has not been closed yet" in refused("decrypt", inputs={"state": site.get(1, tally_path), "board": []},
                                               keyFile=browser[1].key_file, passphrase=PASSPHRASE)[1]
    counting.close_election(db_session, db_session.get(Election, eid), now=datetime.now(UTC))
    db_session.commit()
    board = site.board(eid)
    state = site.get(1, tally_path)

    # Refusals: another trustee's key file; a tally that is not the board's sum; a stuffed ballot;
    # a manifest that does not hash to the fingerprint.
    name, message = refused("decrypt", inputs={"state": site.get(3, tally_path), "board": board},
                            keyFile=browser[1].key_file, passphrase=PASSPHRASE)
    assert (name, message) == ("CeremonyMismatch", "This key file is trustee 1's, but you are trustee 3.")
    state3 = site.get(3, tally_path)
    forged = copy.deepcopy(state3)
    questions = forged["encrypted_tally"]["questions"][0]
    questions[0], questions[1] = questions[1], questions[0]
    name, message = refused("decrypt", inputs={"state": forged, "board": board}, keyFile=browser[3].key_file,
                            passphrase="")
    assert name == "CeremonyMismatch"
    assert "not the sum of the counted ballots" in message
    stuffed = copy.deepcopy(board)
    proof = stuffed[0]["entries"][1]["payload"]["answers"][0]["selections"][0]["proof"]
    proof["responses"][0] = f"{(int(proof['responses'][0], 16) + 1) % T.N:064x}"
    name, message = refused("decrypt", inputs={"state": state3, "board": stuffed}, keyFile=browser[3].key_file,
                            passphrase="")
    assert name == "CeremonyMismatch"
    assert "The ballot at leaf 1 does not verify" in message
    renamed = copy.deepcopy(state3)
    renamed["manifest"]["cooperative"] = "Somebody else"
    assert refused("decrypt", inputs={"state": renamed, "board": board}, keyFile=browser[3].key_file,
                   passphrase="") == ("CeremonyMismatch", "The manifest does not hash to the election's fingerprint.")

    first = browser[1].count("decrypt", state=state, board=board)
    TIMINGS["decrypt, 3 counted ballots of 4, 3 options (ms, incl. scrypt)"] = first["ms"]
    assert first["checked"] == {"ballots": 3, "boardSize": 4, "countedLeaves": [1, 2, 3]}
    answer = site.post(1, tally_path.removesuffix("/tally") + "/decryption", first["payload"])
    assert answer["election"]["state"] == "tallying"
    waiting = browser[1].count("signResult", state=answer, tally=first["tally"])
    assert (waiting["stage"], waiting["waitingFor"]) == ("waiting", 1)
    # CLI trustee 2 decrypts (its own checks pass over the browser's share) and the result is decided.
    state2 = site.get(2, tally_path)
    document = tcount.recomputed_tally(state2, [e for page in board for e in page["entries"]])
    joint2 = tcount.checked_joint_key(state2, python[2])
    payload = tcount.decryption_payload(state2, python[2], joint2, document)
    answer = site.post(2, f"/elections/{eid}/decryption", payload)
    assert answer["election"]["state"] == "decided"
    assert answer["result"]["totals"] == [[1, 1, 1]]

    lying = copy.deepcopy(site.get(1, tally_path))
    lying["result"]["totals"] = [[2, 0, 1]]
    name, message = refused("signResult", inputs={"state": lying, "tally": first["tally"]}, keyFile=browser[1].key_file,
                            passphrase=PASSPHRASE)
    assert name == "CeremonyMismatch"
    assert "differs from the one computed here" in message
    signed = browser[1].count("signResult", state=site.get(1, tally_path), board=board)
    TIMINGS["signResult after recomputing the tally (ms, incl. scrypt)"] = signed["ms"]
    assert signed["stage"] == "sign"
    assert signed["result"]["totals"] == [[1, 1, 1]]
    answer = site.post(1, f"/elections/{eid}/result-signature", signed["payload"])
    assert answer["certificate"]["signers"] == [1]
    state2 = site.get(2, tally_path)
    result = tcount.checked_result(state2, joint2, document)
    answer = site.post(2, f"/elections/{eid}/result-signature", tcount.signature_payload(python[2], result))
    assert answer["certificate"]["signers"] == [1, 2]
    election = reload(db_session, Election, eid)
    assert election.state == ElectionState.DECIDED
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    db_session.rollback()  # SQLite: no transaction left open while the site writes
    assert browser[1].count("signResult", state=site.get(1, tally_path), tally=first["tally"])["stage"] == "signed"
    late = browser[3].count("decrypt", state=site.get(3, tally_path), board=board)
    assert late["payload"] is None
    assert browser[3].count("signResult", state=site.get(3, tally_path), tally=late["tally"])["stage"] == \
        "not-a-decryptor"

    # A quadratic vote with negative votes, counted by another subset: browser trustee 3 and CLI trustee 2.
    setup = make_secret_election(db_session, committee, kind="payout_policy", voters=2,
                                 now=datetime.now(UTC) - timedelta(days=30))
    _s, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[-1, 9]], now=setup.now)
    post_ballot(db_session, setup.election, b, [[2, -5]], now=setup.now)
    counting.close_election(db_session, setup.election, now=datetime.now(UTC))
    db_session.commit()
    eid = setup.election.id
    tally_path, board = f"/elections/{eid}/tally", site.board(eid)
    state2 = site.get(2, tally_path)
    document = tcount.recomputed_tally(state2, [e for page in board for e in page["entries"]])
    joint2 = tcount.checked_joint_key(state2, python[2])
    site.post(2, f"/elections/{eid}/decryption", tcount.decryption_payload(state2, python[2], joint2, document))
    third = browser[3].count("decrypt", state=site.get(3, tally_path), board=board)
    answer = site.post(3, f"/elections/{eid}/decryption", third["payload"])
    assert answer["result"]["totals"] == [[1, 4]]
    signed = browser[3].count("signResult", state=answer, tally=third["tally"])
    answer = site.post(3, f"/elections/{eid}/result-signature", signed["payload"])
    assert answer["certificate"]["signers"] == [3]
    election = reload(db_session, Election, eid)
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    print("\nJS timings (Node):", json.dumps({k: round(v) for k, v in TIMINGS.items()}))


def test_a_bad_share_to_a_browser_trustee_is_complained_about_and_its_dealer_disqualified(client, db_session):
    steward = make_member(db_session, "js-steward2@example.org", roles=("member", "steward"))
    committee, seats = appoint(db_session, steward, 3, 2, prefix="jsbad")
    cid, ceremony = committee.id, ceremony_of(committee)
    db_session.rollback()
    site = Site(client, db_session, {i: seat.member for i, seat in enumerate(seats, start=1)})
    browser = {1: BrowserTrustee(""), 3: BrowserTrustee("")}
    dealer = seats[1].secrets
    path = f"/committees/{cid}"
    site.post(1, path + "/announcement", browser[1].step("announce", site.get(1, path))["payload"])
    site.post(2, path + "/announcement", announcement_payload(ceremony, dealer))
    site.post(3, path + "/announcement", browser[3].step("announce", site.get(3, path))["payload"])

    # A roster with a forged announcement is refused before anything is dealt.
    forged = site.get(1, path)
    signature = forged["announcements"][1]["signature"]
    forged["announcements"][1]["signature"] = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert refused("deal", state=forged, keyFile=browser[1].key_file, passphrase="") == \
        ("InvalidInput", "Trustee 2: the announcement signature does not verify.")
    site.post(1, path + "/dealing", browser[1].step("deal", site.get(1, path))["payload"])
    state = site.get(2, path)
    roster = tc.checked_roster(ceremony, state, dealer)
    dealer, payload = tc.dealing_payload(ceremony, dealer, roster)
    wrong = (T.evaluate_polynomial(dealer.polynomial, 1) + 1) % T.N
    bad = T.encrypt_share(ceremony, dealer, roster, 1, value=wrong).to_json()
    payload["shares"] = [bad if s["recipient"] == 1 else s for s in payload["shares"]]
    site.post(2, path + "/dealing", payload)
    site.post(3, path + "/dealing", browser[3].step("deal", site.get(3, path))["payload"])

    confirmation = browser[1].step("confirm", site.get(1, path))
    assert confirmation["complaintsAgainst"] == [2]
    assert confirmation["acceptedFrom"] == [3]
    site.post(1, path + "/confirmation", confirmation["payload"])
    state = site.get(2, path)
    site.post(2, path + "/confirmation",
              tc.confirmation_payload(ceremony, dealer, tc.checked_roster(ceremony, state, dealer), state).payload)
    site.post(3, path + "/confirmation", browser[3].step("confirm", site.get(3, path))["payload"])
    state = site.get(1, path + "?all_shares=1")
    assert state["committee"]["status"] == "ready"
    assert [(c["complaint"]["recipient"], c["complaint"]["dealer"], c["upheld"]) for c in state["complaints"]] == \
        [(1, 2, True)]  # the site's (Python) judgement of the browser's complaint
    assert sorted(state["joint_key"]["disqualified"]) == ["2"]
    joint = T.JointKey.from_json(state["joint_key"])
    for j, trustee in browser.items():
        assert trustee.step("confirm", site.get(j, path + "?all_shares=1"))["stage"] == "stored"
        assert base_mult(trustee.secrets().share) == joint.verification_key(j)


# ---------------------------------------------------------------- in Chromium


@pytest.fixture
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "headless_shell"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("DATAGUILD_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail("DATAGUILD_TEST_REQUIRE_BROWSER=1 but no Chromium is on PATH (chromium, chromium-browser, "
                    "google-chrome or headless_shell).")
    pytest.skip("Chromium is not installed")


@pytest.fixture
def static_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """The repository's files over HTTP (as the site serves static/), plus in-memory fixtures."""
    extra: dict[str, bytes] = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path in extra:
                body = extra[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

        def log_message(self, *args: Any) -> None:
            pass

    root = Path(__file__).resolve().parents[3]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", extra
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_the_library_runs_in_headless_chromium(chromium, static_server, tmp_path):
    base, extra = static_server
    ceremony = T.Ceremony(bytes(range(32)), 3, 2)
    secrets = generate_trustee(1, T.deterministic_rng(b"chromium"))
    extra["/fixture.json"] = json.dumps({
        "passphrase": PASSPHRASE, "keyFile": dump_keyfile(secrets),
        "state": {"committee": {"id": 7, "status": "announcing", "ceremony": ceremony.to_json()},
                  "me": {"index": 2, "next_step": "announce"}}}).encode()
    done = subprocess.run(  # noqa: S603 - a browser on our own test page
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions", f"--user-data-dir={tmp_path}",
         "--virtual-time-budget=120000", "--dump-dom", f"{base}/tests/voting/trustees/js/browser_check.html"],
        capture_output=True, text=True, timeout=240, check=False)
    match = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stdout[-2000:] + done.stderr[-2000:]
    answer = json.loads(html.unescape(match.group(1)))
    assert answer["ok"], answer
    TIMINGS["Chromium scrypt 2^17 write / open (ms)"] = answer["writeMs"], answer["openMs"]
    assert answer["wrong"] == "WrongPassphrase"
    assert load_keyfile(answer["keyFile"], PASSPHRASE).index == 1
    # The announcement made in the browser passes the Python checks the site makes.
    payload = answer["announced"]
    announcement = T.Announcement.from_json(payload["announcement"])
    announcement.verify(ceremony)
    assert announcement.index == 2
    assert announcement.encryption_key == secrets.encryption_key
    bls_secret = tc.bls_secret_of(secrets)
    assert payload["bls_public_key"] == bls_secret.public_key().to_hex()
    bls.pop_verify(bls.BlsPublicKey.from_hex(payload["bls_public_key"]), bls.BlsSignature.from_hex(payload["bls_pop"]))
    rewritten = load_keyfile(answer["rewritten"], PASSPHRASE)  # the new key file, numbered for the committee
    assert (rewritten.index, rewritten.fingerprint) == (2, ceremony.fingerprint)
    print("\nJS timings:", TIMINGS)
