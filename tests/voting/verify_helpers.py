"""Real election records for the verifier tests: real ceremony, casting, counting and signing on a
throwaway SQLite database, exported with ``voting.counting.record_export.election_record``. Building them
takes tens of seconds, so the test modules build them once (module-scoped fixtures) and deep-copy."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from governance.sitecontext import as_utc
from proposals.models import Proposal, ProposalState
from tests.conftest import make_test_app
from tests.voting.counting_helpers import make_secret_election
from tests.voting.factories import cast
from tests.voting.record_scenarios import decide_secret, open_scenario, secret_scenario
from voting.counting import record_export
from voting.counting import services as counting
from voting.elections.services import QUADRATIC, question_specs
from voting.record.verify import main as verify_main

ROOT = Path(__file__).resolve().parents[2]


def build_records(tmp: Path) -> dict[str, Any]:
    """{"secret", "quadratic", "open", "cancelled"}: records (dicts), plus "receipts" of the secret
    election by leaf name ("a", "b-first", "b", "c-audit", "c")."""
    app = make_test_app(f"sqlite:///{tmp}/records.sqlite", tmp)
    database = app.extensions["dataguild_db"]
    database.create_all()
    out: dict[str, Any] = {}
    session = database.Session()
    try:
        scenario = secret_scenario(session, prefix="ver")
        out["secret"] = record_export.election_record(session, scenario.election)
        out["receipts"] = {}
        from voting.elections import board
        for name, leaf in scenario.leaves.items():
            entry = board.entry_by_index(session, scenario.election, leaf)
            out["receipts"][name] = board.receipt_for_entry(scenario.election, entry).to_json()
        committee_id = scenario.election.committee_id
        from voting.committees.models import TrusteeCommittee
        committee = session.get(TrusteeCommittee, committee_id)

        quad = make_secret_election(session, committee, voters=3, method=QUADRATIC, now=scenario.setup.now)
        session.commit()
        specs = question_specs(quad.election)
        moment = as_utc(quad.election.opens_at) + timedelta(minutes=1)
        votes = [[1] + [0] * (len(specs[0].options) - 1), [0] * len(specs[0].options)]
        votes[1][-1] = 1
        for member, choice in zip(quad.voters[1:3], votes, strict=True):
            moment += timedelta(minutes=1)
            cast(session, quad.election, member, [choice], expected_previous=0, now=moment)
            session.commit()
        decide_secret(session, quad, scenario.trustees, deciders=(2, 3))
        out["quadratic"] = record_export.election_record(session, quad.election)

        out["open"] = record_export.election_record(session, open_scenario(session, now=scenario.setup.now).election)

        cancelled = make_secret_election(session, committee, voters=2, now=scenario.setup.now)
        session.commit()
        moment = as_utc(cancelled.election.opens_at) + timedelta(minutes=1)
        cast(session, cancelled.election, cancelled.voters[1], [[1, 0, 0]],
                            expected_previous=0, now=moment)
        session.commit()
        proposal = session.get(Proposal, cancelled.proposal.id)
        proposal.state = ProposalState.CANCELLED
        session.commit()
        counting.close_election(session, cancelled.election, now=moment + timedelta(minutes=5))
        session.commit()
        out["cancelled"] = record_export.election_record(session, cancelled.election)
    finally:
        session.close()
        database.engine.dispose()
    return out


def cached_records(base: Path) -> dict[str, Any]:
    """:func:`build_records`, once per test session (kept as JSON under pytest's base temp dir)."""
    cache = base / "verify-records.json"
    if cache.exists():
        return json.loads(cache.read_text())
    work = base / "verify-records"
    work.mkdir(exist_ok=True)
    records = build_records(work)
    cache.write_text(json.dumps(records))
    return records


def run_verify(rec: dict[str, Any], tmp: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run the verifier in this process on ``rec`` (written to a file); returns (exit code, --json output)."""
    import contextlib
    import io

    path = tmp / "record.json"
    path.write_text(json.dumps(rec))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = verify_main([str(path), "--json", "--no-progress", "--workers", "1", *extra])
    return code, json.loads(buffer.getvalue())


def run_verify_subprocess(path: Path, *args: str, python: str = sys.executable,
                          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "voting.record.verify", str(path), "--no-progress", *args], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True, timeout=300, env=env, check=False)


def check(output: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in output["checks"] if c["name"] == name)
