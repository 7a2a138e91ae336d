"""``dataguild-verify`` as a program: its output (one line per check, --json), exit statuses (0, 1, 2),
record.zip input, the parallel pass, and its purity — it never imports Flask, SQLAlchemy, click or
the site's packages, and runs in a fresh virtualenv holding only py-ecc and rfc8785."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.voting.verify_helpers import ROOT, cached_records, check, run_verify, run_verify_subprocess
from voting.record import document as er
from voting.record import tally
from voting.record.verify import main
from voting.record.verify_ballots import PassContext, _ranges, check_board

FORBIDDEN = ("flask", "sqlalchemy", "click", "governance", "proposals", "werkzeug", "jinja2", "wtforms",
             "flask_wtf", "alembic", "psycopg")
BLOCKER = f"""
import importlib.abc, sys
FORBIDDEN = {FORBIDDEN!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError("the verifier imported " + name)
sys.meta_path.insert(0, Block())
from voting.record.verify import main
code = main(sys.argv[1:])
print("LOADED", sorted({{m.split(".")[0] for m in sys.modules}} & set(FORBIDDEN)))
sys.exit(code)
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return cached_records(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def secret_file(records, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("verify-file") / "record.json"
    path.write_bytes(er.record_bytes(records["secret"]))
    return path


def test_one_line_per_check_in_the_spec_order_and_exit_0(secret_file, capsys):
    assert main([str(secret_file), "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == list(er.CHECKS)
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert lines[2].startswith("PASS rule ")
    assert "threshold" in lines[2]
    assert "from constitution version" in lines[2]
    assert lines[5].startswith("PASS committee ")
    assert "2-of-3" in lines[5]
    assert lines[-1].startswith("OK: 17 passed, 0 failed, 0 skipped")


def test_a_failure_is_one_line_and_later_independent_checks_still_run(records, tmp_path, capsys):
    rec = copy.deepcopy(records["secret"])
    rec["roll"] = sorted([*rec["roll"], rec["roll"][0]])
    path = tmp_path / "record.json"
    path.write_text(json.dumps(rec))
    assert main([str(path), "--no-progress"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[4].startswith("FAIL roll ")
    assert "is on the roll more than once" in lines[4]
    assert lines[10].startswith("PASS ballots ")
    assert lines[-1].startswith("FAILED: ")


def test_checks_that_depend_on_a_failed_one_are_skipped_with_the_reason(records, tmp_path):
    rec = copy.deepcopy(records["secret"])
    rec["tally"]["questions"][0][0]["ciphertext"] = rec["tally"]["questions"][0][1]["ciphertext"]
    code, out = run_verify(rec, tmp_path)
    assert code == 1
    assert check(out, "tally")["status"] == "FAIL"
    skipped = check(out, "decryptions")
    assert (skipped["status"], skipped["details"]) == ("SKIP", "skipped: check tally failed")
    assert check(out, "certificate")["status"] == "PASS"  # independent: the signature over the posted result


def test_json_output_has_every_check_with_status_details_and_counts(records, tmp_path):
    code, out = run_verify(records["secret"], tmp_path)
    assert code == 0
    assert out["ok"] is True
    assert out["election_id"] == records["secret"]["election_id"]
    assert out["summary"] == {"pass": 17, "fail": 0, "skip": 0}
    assert set(out["checks"][0]) == {"name", "status", "details", "problems", "counts", "seconds"}
    assert check(out, "ballots")["counts"] == {"ballots": 5, "proofs": 20}
    assert check(out, "board.leaves")["counts"] == {"leaves": 5, "cast": 4, "audited": 1}
    assert out["receipt"] is None


def test_the_zip_the_site_offers_is_accepted(records, tmp_path):
    path = tmp_path / "record.zip"
    path.write_bytes(er.zip_bytes(er.record_bytes(records["open"])))
    result = run_verify_subprocess(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b"not json at all", "not valid JSON"),
    (b'{"format": "something-else"}', "unknown record format"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"format": "dataguild-election-record-v1", "x": 1.5}', "no floats"),
    (None, "cannot read"),
])
def test_unusable_input_exits_2_with_a_clear_message(tmp_path, capsys, content, message):
    path = tmp_path / "record.json"
    if content is not None:
        path.write_bytes(content)
    assert main([str(path), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_an_unreadable_receipt_exits_2(secret_file, tmp_path, capsys):
    receipt = tmp_path / "receipt.json"
    receipt.write_text("{oops")
    assert main([str(secret_file), "--receipt", str(receipt)]) == 2
    assert "the receipt" in capsys.readouterr().err


def test_the_parallel_pass_finds_the_same_as_one_process_and_reports_progress(records):
    rec = copy.deepcopy(records["secret"])
    sel = rec["board"][2]["payload"]["answers"][0]["selections"]
    sel[0]["proof"] = copy.deepcopy(sel[2]["proof"])
    manifest = rec["manifest"]
    ctx = PassContext(election_id=rec["election_id"], fingerprint=rec["fingerprint"], secrecy="secret",
                      receipt_key=rec["keys"]["receipt_public_key"], specs=tally.specs_of(manifest),
                      election_key=bytes.fromhex(manifest["election_key"]), counted=frozenset({0, 2, 4}))
    seen: list[tuple[int, int]] = []
    one = check_board(ctx, rec["board"], workers=1)
    many = check_board(ctx, rec["board"], workers=2, chunk=1, progress=lambda done, total: seen.append((done, total)))
    assert one.ballots == many.ballots
    assert any(p.startswith("ballot 2 question 0 option 0") for p in one.ballots)
    assert (one.leaves, one.receipts, one.audits) == (many.leaves, many.receipts, many.audits)
    assert one.sums == many.sums
    assert one.proofs_checked == many.proofs_checked == 16  # ballot 2 fails before its relations
    assert seen == [(i, 5) for i in range(1, 6)]


@pytest.mark.parametrize(("size", "chunk", "workers"), [(10000, 400, 2), (801, 400, 2), (1000, 400, 1), (7, 2, 3),
                                                       (0, 400, 2)])
def test_the_pass_covers_every_leaf_once_and_ends_in_small_chunks(size, chunk, workers):
    ranges = _ranges(size, chunk, workers)
    assert [i for start, stop in ranges for i in range(start, stop)] == list(range(size))
    assert all(stop - start <= chunk for start, stop in ranges)
    if workers > 1 and size > workers * chunk:
        assert all(stop - start <= max(1, chunk // 4) for start, stop in ranges[-4 * workers:])


def test_the_verifier_never_imports_the_site(secret_file):
    command = [sys.executable, "-c", BLOCKER, str(secret_file), "--no-progress", "--workers", "2"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LOADED []" in result.stdout


@pytest.mark.slow
def test_it_runs_in_a_fresh_virtualenv_with_only_its_dependencies(secret_file, tmp_path):
    """A venv without system site packages; pip installs py-ecc and rfc8785 only (from the configured
    index or the wheel cache); the verifier runs from the source tree via PYTHONPATH."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "-q", "py-ecc>=7.0", "rfc8785>=0.1.4"],  # noqa: S603
                             capture_output=True, text=True, timeout=600, check=False)
    if install.returncode != 0:
        pytest.skip(f"pip could not install py-ecc and rfc8785 here: {install.stderr[-500:]}")
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json"],  # noqa: S603
                            capture_output=True, text=True, check=True).stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    assert not names & {"flask", "sqlalchemy", "click", "gmpy2", "coincurve"}
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    result = run_verify_subprocess(secret_file, python=python, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("OK: 17 passed")


@pytest.mark.slow
def test_the_demo_elections_verify(app, db_session, tmp_path):
    """The demo cooperative: its decided elections (secret and quadratic, counted by its 2-of-3
    committee) and one still open pass every check that applies (all of them take ~3 minutes)."""
    from governance.auth.passwords import password_hasher
    from governance.operations.demo import seed_demo
    from governance.sitecontext import SiteSettings
    from voting.counting import record_export
    from voting.elections.models import Election, ElectionState

    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}),
                     site=SiteSettings.from_config(app.config), instance_path=tmp_path)
    db_session.commit()
    elections = db_session.query(Election).order_by(Election.id).all()
    chosen = [e for e in elections if ElectionState(e.state) == ElectionState.DECIDED]
    chosen += [e for e in elections if ElectionState(e.state) == ElectionState.OPEN][:1]
    states = set()
    for election in chosen:
        rec = record_export.election_record(db_session, election)
        code, out = run_verify(rec, tmp_path)
        assert code == 0, (election.id, [c for c in out["checks"] if c["status"] == "FAIL"])
        states.add((rec["state"], rec["manifest"]["secrecy"]))
    assert ("decided", "secret") in states
    assert "open" in {state for state, _ in states}


def test_the_progress_bar_draws_on_its_stream_and_clears_itself():
    import io

    from voting.record.verify import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(200, 800)
    bar(800, 800)
    bar.finish()
    text = stream.getvalue()
    assert "ballots [#######" in text
    assert "200/800" in text
    assert "800/800" in text
    assert text.endswith("\r")


def test_no_progress_bar_when_stderr_is_not_a_terminal(secret_file, capsys):
    assert main([str(secret_file)]) == 0
    assert capsys.readouterr().err == ""
