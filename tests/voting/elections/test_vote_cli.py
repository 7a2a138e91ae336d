"""``dataguild vote`` against a live server (werkzeug on a free port, real HTTP, the public API with a personal
access token): it encrypts on the member's computer, casts, audits, checks the receipt; and ``dataguild-verify
--audited`` checks the audited ballot it saved, alone and against the election's record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.conftest import fetch_all, live_site, make_member, make_token
from tests.voting.factories import make_election
from tests.voting.verify_helpers import run_verify
from voting.counting import record_export
from voting.elections.models import BoardEntry, EntryKind
from voting.elections.vote_cli import vote_command
from voting.record import canonical as record
from voting.record.verify import main as verify_main


@pytest.fixture
def election_and_site(app, db_session):
    setup = make_election(db_session, voters=1)
    token = make_token(db_session, setup.voters[1], "vote", "read").removeprefix("Bearer ")
    db_session.rollback()
    with live_site(app) as base:
        yield setup, token, base


def _vote(base: str, eid: int, token: str, *extra: str):
    return CliRunner().invoke(vote_command, [f"{base}/elections/{eid}", *extra], env={"DATAGUILD_TOKEN": token})


def _board(db_session, eid: int) -> list[tuple[EntryKind, str, dict]]:
    """(kind, tracking code, payload) of each leaf; ends the read so that the live server can write."""
    db_session.expire_all()
    rows = [(EntryKind(e.kind), e.tracking_code, e.payload) for e in fetch_all(
        db_session, select(BoardEntry).where(BoardEntry.election_id == eid).order_by(BoardEntry.leaf_index))]
    db_session.rollback()
    return rows


def test_the_command_line_client_audits_then_casts(election_and_site, db_session, tmp_path: Path) -> None:
    setup, voter, base = election_and_site
    eid, fingerprint, manifest = setup.election.id, setup.election.fingerprint, setup.election.manifest
    db_session.rollback()  # end the read: the live server writes to the same database

    audited_file = tmp_path / "audited.json"
    done = _vote(base, eid, voter, "--fingerprint", fingerprint, "--choices", "[[0, 1, 0]]", "--audit",
                 "--out", str(audited_file))
    assert done.exit_code == 0, done.output
    assert "Audited (never counted): it opens to [[0, 1, 0]]" in done.output
    saved = json.loads(audited_file.read_text())
    assert set(saved) == {"manifest", "ballot", "reveal", "receipt"}
    ((kind, tracking_code, _payload),) = _board(db_session, eid)
    assert kind == EntryKind.AUDITED
    assert tracking_code == saved["receipt"]["tracking_code"]

    receipt_file = tmp_path / "receipt.json"
    done = _vote(base, eid, voter, "--fingerprint", fingerprint, "--choices", "[[1, 0, 0]]",
                 "--out", str(receipt_file))
    assert done.exit_code == 0, done.output
    assert "Your ballot is recorded" in done.output
    receipt = record.Receipt.from_json(json.loads(receipt_file.read_text()))
    record.verify_receipt(receipt, manifest["receipt_public_key"])
    _audited, (kind, tracking_code, payload) = _board(db_session, eid)
    assert (kind, tracking_code) == (EntryKind.CAST, receipt.tracking_code)
    assert "choices" not in payload  # only the encrypted ballot reached the site

    # The audited ballot, checked without the site: alone, then against the election's record.
    assert verify_main(["--audited", str(audited_file)]) == 0
    rec = record_export.election_record(db_session, setup.election)
    db_session.rollback()
    _code, out = run_verify(rec, tmp_path, "--audited", str(audited_file))  # (a test key: no committee)
    audited_check = next(c for c in out["checks"] if c["name"] == "audited")
    assert audited_check["status"] == "PASS", audited_check
    assert "opens to exactly" in audited_check["details"]
    assert "no 1" in audited_check["details"]

    lying = dict(saved, reveal={**saved["reveal"], "answers": [{**saved["reveal"]["answers"][0],
                                                                "values": [1, 0, 0]}]})
    lie_file = tmp_path / "lie.json"
    lie_file.write_text(json.dumps(lying))
    assert verify_main(["--audited", str(lie_file)]) == 1  # the reveal no longer reopens the ballot
    other = dict(saved, ballot=json.loads(json.dumps(saved["ballot"])))
    other["ballot"]["answers"][0]["sum_proof"]["responses"][0] = "0" * 63 + "1"
    lie_file.write_text(json.dumps(other))
    assert verify_main(["--audited", str(lie_file)]) == 1
    lie_file.write_text("{not json")
    assert verify_main(["--audited", str(lie_file)]) == 2


def test_the_client_refuses_a_wrong_fingerprint_bad_choices_and_a_token_that_cannot_vote(election_and_site,
                                                                                         db_session) -> None:
    setup, voter, base = election_and_site
    eid = setup.election.id
    db_session.rollback()
    done = _vote(base, eid, voter, "--fingerprint", "ab" * 32, "--choices", "[[1, 0, 0]]")
    assert done.exit_code == 1
    assert "does not hash to the election's fingerprint" in done.output
    done = _vote(base, eid, voter, "--choices", "[[1, 1, 0]]")
    assert done.exit_code == 1
    assert "Choose only one option" in done.output
    done = _vote(base, eid, "dgp_not-a-token", "--choices", "[[1, 0, 0]]")
    assert done.exit_code == 1
    assert "HTTP 401" in done.output
    observer = make_member(db_session, "watcher@example.org", roles=("observer",))
    done = _vote(base, eid, make_token(db_session, observer, "read").removeprefix("Bearer "), "--choices",
                 "[[1, 0, 0]]")
    assert done.exit_code == 1
    assert "not on this election's roll" in done.output
    done = CliRunner().invoke(vote_command, ["https://example.org/proposals/3"], env={"DATAGUILD_TOKEN": voter})
    assert done.exit_code == 2
    done = CliRunner().invoke(vote_command, [f"{base}/elections/{eid}"], env={"DATAGUILD_TOKEN": ""})
    assert done.exit_code == 2
    assert "vote scope" in done.output
    assert _board(db_session, eid) == []
