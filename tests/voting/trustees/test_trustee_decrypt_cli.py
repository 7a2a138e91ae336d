"""`dataguild count` and `dataguild trustee decrypt` against a live server (werkzeug in a thread, real
HTTP): a 2-of-3 committee counts a secret election, refuses a tally that is not the board's sum, and
certifies the result."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from governance.cli import main
from proposals.models import Proposal, ProposalState
from tests.conftest import count_rows, make_member, reload
from tests.voting.committee_helpers import trustee_token
from tests.voting.counting_helpers import make_secret_election, ready_committee
from tests.voting.factories import post_ballot
from tests.voting.trustees.test_trustee_cli import site  # noqa: F401 - the live-server fixture
from voting.counting import services as counting
from voting.counting.models import DecryptionShareRecord
from voting.crypto.keyfile import dump_keyfile
from voting.elections.models import Election, ElectionState
from voting.record import tally
from voting.trustees.cli import trustee_cli


def _run(*args: str, token: str, ok: bool = True) -> str:
    result = CliRunner().invoke(trustee_cli, list(args), env={"DATAGUILD_TRUSTEE_TOKEN": token})
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def test_two_trustees_decrypt_and_certify_with_the_command(app, site, db_session, tmp_path: Path):  # noqa: F811
    steward = make_member(db_session, "cli-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(db_session, steward, 3, 2, "cli")
    setup = make_secret_election(db_session, committee, voters=3, now=datetime.now(UTC) - timedelta(days=30))
    _s, a, b, c = setup.voters
    for voter, choice in ((a, [1, 0, 0]), (b, [0, 1, 0]), (c, [1, 0, 0]), (a, [0, 0, 1])):
        post_ballot(db_session, setup.election, voter, [choice], now=setup.now)
    tokens = {j: trustee_token(db_session, t.member, "cli")[1]
              for j, t in trustees.items()}
    keys = {}
    for j, trustee in trustees.items():
        keys[j] = tmp_path / f"trustee{j}.json"
        keys[j].write_text(dump_keyfile(trustee.secrets, None), encoding="utf-8")
    db_session.commit()
    eid, pid = setup.election.id, setup.proposal.id

    def decrypt(j: int, *, key: int | None = None, ok: bool = True) -> str:
        return _run("decrypt", "--site", site, "--key", str(keys[key or j]), "--election", str(eid),
                    token=tokens[j], ok=ok)

    assert "has not been closed yet" in decrypt(1, ok=False)
    counted = app.test_cli_runner().invoke(main, ["count"])
    assert counted.exit_code == 0, counted.output
    assert ("1 election(s) closed: 0 decided, 1 waiting for the trustees' decryptions, 0 cancelled (not counted), "
            "0 not counted") in counted.output
    election = reload(db_session, Election, eid)
    assert election.state == ElectionState.TALLYING
    assert "0 election(s) closed" in app.test_cli_runner().invoke(main, ["count"]).output

    assert "this key file is trustee 1's, but you are trustee 2" in decrypt(2, key=1, ok=False)
    # A site that asks for the decryption of anything but the board's sum is caught before any share is made.
    honest = copy.deepcopy(election.encrypted_tally)
    forged = copy.deepcopy(honest)
    forged["questions"][0][0], forged["questions"][0][1] = honest["questions"][0][1], honest["questions"][0][0]
    db_session.get(Election, eid).encrypted_tally = forged
    db_session.commit()
    assert "is not the sum of the counted ballots on the board" in decrypt(1, ok=False)
    assert count_rows(db_session, DecryptionShareRecord) == 0
    db_session.get(Election, eid).encrypted_tally = honest
    db_session.commit()

    first = decrypt(1)
    assert "the sum of the 3 counted ballots on the board" in first
    assert "Waiting for 1 more trustee(s)" in first
    second = decrypt(2)
    assert "Result checked here from the posted shares: totals [[1, 1, 1]], turnout 3 of 4." in second
    assert "certificate now has the signatures of trustee(s) [2]" in second
    assert "[1, 2]" in decrypt(1)
    assert "signed this result already" in decrypt(1)
    assert "only they sign its result" in decrypt(3)

    election = reload(db_session, Election, eid)
    assert election.state == ElectionState.DECIDED
    assert election.result["totals"] == [[1, 1, 1]]
    assert election.result_certificate["signers"] == [1, 2]
    tally.verify_certificate(election.manifest, election.result, election.result_certificate)
    proposal = reload(db_session, Proposal, pid)
    assert proposal.state == ProposalState.REJECTED  # one yes, one no: not more than half
    assert proposal.outcome["election_id"] == eid


def _error(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]["message"]


def test_the_counting_api_refuses_clearly_and_writes_nothing(client, db_session):
    steward = make_member(db_session, "api-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(db_session, steward, 3, 2, "api")
    setup = make_secret_election(db_session, committee, voters=1, now=datetime.now(UTC) - timedelta(days=30))
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]], now=setup.now)
    outsider = make_member(db_session, "outsider@example.org", roles=("member", "trustee"))

    def bearer(member) -> dict[str, str]:
        return {"Authorization": f"Bearer {trustee_token(db_session, member, 'x')[1]}"}

    headers = {j: bearer(t.member) for j, t in trustees.items()}
    stranger = bearer(outsider)
    db_session.commit()
    eid = setup.election.id
    base = f"/api/v1/trustee/elections/{eid}"

    assert _error(client.get(base + "/tally"), 401)
    assert "no election 999" in _error(client.get("/api/v1/trustee/elections/999/tally", headers=headers[1]), 404)
    assert "not a trustee of this election's committee" in _error(client.get(base + "/tally", headers=stranger), 403)
    assert "not been closed yet" in _error(client.post(base + "/decryption", headers=headers[1],
                                                       json={"trustee_index": 1, "shares": []}), 409)
    state = client.get(base + "/tally", headers=headers[1]).get_json()
    assert state["me"] == {"index": 1, "submitted": False, "signed": False}
    assert state["election"]["state"] == "open"
    assert state["encrypted_tally"] is None

    counting.close_election(db_session, db_session.get(Election, eid), now=datetime.now(UTC))
    db_session.commit()
    assert "Content-Type: application/json" in _error(client.post(base + "/decryption", headers=headers[1],
                                                                  data="{}"), 415)
    assert "not valid JSON" in _error(client.post(base + "/decryption", headers=headers[1], data="{",
                                                  content_type="application/json"), 400)
    assert "trustee_index" in _error(client.post(base + "/decryption", headers=headers[1],
                                                 json={"trustee_index": "1", "shares": []}), 400)
    assert "You are trustee 1" in _error(client.post(base + "/decryption", headers=headers[1],
                                                     json={"trustee_index": 2, "shares": []}), 403)
    assert "one list per question" in _error(client.post(base + "/decryption", headers=headers[1],
                                                         json={"trustee_index": 1, "shares": {}}), 400)
    assert "no result yet" in _error(client.post(base + "/result-signature", headers=headers[1],
                                                 json={"trustee_index": 1, "signature": "00"}), 409)
    assert count_rows(db_session, DecryptionShareRecord) == 0

    tally_state = client.get(base + "/tally", headers=headers[2]).get_json()
    cts = tally.tally_from_document(tally_state["encrypted_tally"])
    joint = tally.joint_key_of_manifest(tally_state["manifest"])
    for j in (2, 3):
        shares = tally.make_shares(joint, trustees[j].secrets, tally_state["election"]["fingerprint"], cts)
        answer = client.post(base + "/decryption", headers=headers[j], json={"trustee_index": j, "shares": shares})
        assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["totals"] == [[1, 0, 0]]
    assert "decided already" in _error(client.post(base + "/decryption", headers=headers[1],
                                                   json={"trustee_index": 1, "shares": shares}), 409)
    assert "signature was refused" in _error(client.post(base + "/result-signature", headers=headers[2],
                                                         json={"trustee_index": 2, "signature": "zz"}), 400)
    assert reload(db_session, Election, eid).result_certificate["signers"] == []
