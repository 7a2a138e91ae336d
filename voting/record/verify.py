"""``dataguild-verify RECORD [--json] [--receipt FILE] [--audited FILE] [--workers N] [--no-progress]``: the reference
verifier of an election record (docs/record-spec.md, "Running the reference verifier").

Runs every check of the specification in order and prints one line per check::

    PASS board.heads           7 heads, sizes 0..42, signatures verify
    FAIL ballots               ballot 17 question 0 option 2: proof does not verify

Exit status: 0 if every check passes, 1 if any fails, 2 if the record (or receipt) cannot be used at
all (unreadable, not JSON, not a v1 record). RECORD is record.json or the record.zip holding it.

PURE: imports only the standard library and the pure ``voting`` modules (``voting.record.canonical``,
``voting.record.tally``, ``voting.record.document``, ``voting.crypto``), which need py-ecc and rfc8785 —
never Flask, SQLAlchemy, click or ``governance`` — so it runs in a virtualenv holding only those two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from voting.crypto.errors import CryptoError
from voting.record import canonical as record
from voting.record import document as er
from voting.record.verify_audited import check_audited
from voting.record.verify_board import (
    check_heads,
    check_leaves,
    check_receipts,
    check_supersession,
    receipt_head_problems,
    start_board,
    warm_up,
)
from voting.record.verify_checks import (
    FAIL,
    MALFORMED,
    PASS,
    SKIP,
    CheckResult,
    Verification,
    check_committee,
    check_format,
    check_keys,
    check_manifest,
    check_roll,
    check_rule,
)
from voting.record.verify_count import (
    check_audits,
    check_ballots,
    check_certificate,
    check_decryptions,
    check_outcome,
    check_result,
    check_tally,
)

CHECK_FUNCTIONS: dict[str, Callable[[Verification], tuple[str, dict[str, int]]]] = {
    "format": check_format, "manifest": check_manifest, "rule": check_rule, "keys": check_keys, "roll": check_roll,
    "committee": check_committee, "board.leaves": check_leaves, "board.receipts": check_receipts,
    "board.heads": check_heads, "board.supersession": check_supersession, "ballots": check_ballots,
    "audits": check_audits, "tally": check_tally, "decryptions": check_decryptions, "result": check_result,
    "certificate": check_certificate, "outcome": check_outcome,
}
#: The check names, in the order they run (those of the spec, ``voting.record.document.CHECKS``).
CHECKS: tuple[str, ...] = tuple(er.CHECKS)
assert set(CHECKS) == set(CHECK_FUNCTIONS), "the verifier runs exactly the spec's checks"
RECEIPT_CHECK = "receipt"
NAME_WIDTH = 19


class UnusableInput(Exception):
    """The record or receipt cannot be verified at all (exit status 2)."""


# ---------------------------------------------------------------- running

def verify_record(rec: dict[str, Any], *, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  on_result: Callable[[CheckResult], None] | None = None) -> Verification:
    """Run every check on ``rec`` (a parsed record); ``on_result`` is called after each check."""
    v = Verification(rec, workers=workers, progress=progress)
    try:
        for name in CHECKS:
            if name == "committee" and v.results["format"].status == PASS:
                # The workers check the board while this process checks the committee (if the pass
                # cannot start, the board checks start it again and report why) ...
                with contextlib.suppress(*MALFORMED):
                    start_board(v)
            if name == "board.leaves":
                warm_up(v)  # ... and the BLS signatures of the heads and the certificate
            result = v.run(name, CHECK_FUNCTIONS[name])
            if on_result:
                on_result(result)
    finally:
        if v.board_run is not None:
            v.board_run.close()  # a pass no check collected (every board check skipped) stops here
    return v


def check_receipt(v: Verification, data: object) -> CheckResult:
    """Is this voter's receipt (parsed JSON) signed by the election's receipt key, and is its ballot
    on the board with the same leaf hash? Says whether the ballot counted, was superseded or audited."""
    try:
        receipt = record.Receipt.from_json(data)
    except CryptoError as exc:
        return CheckResult(RECEIPT_CHECK, FAIL, f"not a receipt: {exc}", [f"not a receipt: {exc}"])
    rec, problems = v.rec, []
    where = f"receipt for leaf {receipt.leaf_index} (tracking code {receipt.tracking_code[:16]}…)"
    if receipt.fingerprint != rec["fingerprint"] or receipt.election_id != rec["election_id"]:
        problems.append(f"{where}: issued for another election")
    try:
        record.verify_receipt(receipt, rec["keys"]["receipt_public_key"])
    except CryptoError as exc:
        problems.append(f"{where}: signature does not verify with the record's receipt key: {exc}")
    entry = next((e for e in rec["board"] if e["leaf_index"] == receipt.leaf_index), None)
    status = ""
    if entry is None or entry["tracking_code"] != receipt.tracking_code:
        problems.append(f"{where}: the ballot is missing from the board")
    elif entry["leaf_hash"] != receipt.leaf_hash or entry["kind"] != receipt.kind \
            or entry["cast_at"] != receipt.cast_at:
        problems.append(f"{where}: the board's leaf {receipt.leaf_index} differs from the receipt's")
    elif entry.get("receipt_head") != receipt.head:
        problems.append(f"{where}: the receipt names another tree head than the board's leaf {receipt.leaf_index} "
                        "records: the server signed two different receipts for this ballot")
    elif entry["kind"] == "audited":
        status = "audited (it never counts)"
    elif entry["superseded_by"] is not None:
        status = f"superseded by leaf {entry['superseded_by']} (a later ballot of the same voter counts)"
    else:
        counted = {x.leaf_index for x in (v.counted or [])}
        status = "counted" if receipt.leaf_index in counted else "not counted"
        if status == "not counted":
            problems.append(f"{where}: the ballot is the voter's last but is not counted")
    try:
        head_problems, head_note = receipt_head_problems(rec, receipt.head, where)
    except MALFORMED as exc:
        head_problems, head_note = [f"{where}: the record's heads or leaves cannot be read: {exc}"], ""
    problems.extend(head_problems)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return CheckResult(RECEIPT_CHECK, FAIL, problems[0] + more, problems)
    return CheckResult(RECEIPT_CHECK, PASS, f"leaf {receipt.leaf_index} is on the board, signature verifies: "
                                            f"{status}; {head_note}", counts={"leaf_index": receipt.leaf_index})


# ---------------------------------------------------------------- output

def format_line(result: CheckResult) -> str:
    return f"{result.status} {result.name:<{NAME_WIDTH}} {result.details}"


class ProgressBar:
    """A one-line bar on ``stream`` (stderr) for the pass over the ballots."""

    def __init__(self, stream: TextIO, label: str = "ballots") -> None:
        self.stream, self.label, self.started, self.shown = stream, label, time.monotonic(), False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                          f"{elapsed:5.1f} s")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


def _load_json_file(path: str, what: str) -> object:
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except OSError as exc:
        raise UnusableInput(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnusableInput(f"the {what} {path} is not JSON: {exc}") from exc


def _summary(results: Sequence[CheckResult]) -> dict[str, int]:
    return {status.lower(): sum(1 for r in results if r.status == status) for status in (PASS, FAIL, SKIP)}


def _audited_only(path: str, *, as_json: bool) -> int:
    """``dataguild-verify --audited FILE`` without a record: the one check, exit 0 or 1 (2: unusable)."""
    try:
        data = _load_json_file(path, "audited ballot")
    except UnusableInput as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc), "checks": []}))
        print(f"dataguild-verify: cannot use {path}: {exc}", file=sys.stderr)
        return 2
    result = check_audited(data)
    ok = result.status == PASS
    if as_json:
        print(json.dumps({"ok": ok, "audited": path, "checks": [result.to_json()]}, indent=2))
    else:
        print(format_line(result))
        print("OK: the audited ballot holds" if ok else "FAILED: the audited ballot does not hold")
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataguild-verify", description="Verify a dataguild election record: "
                                     "every check of docs/record-spec.md, one line each.")
    parser.add_argument("record", nargs="?", help="record.json, or the record.zip the site offers")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    parser.add_argument("--receipt", metavar="FILE", help="also check this voter's receipt (JSON)")
    parser.add_argument("--audited", metavar="FILE", help="check an audited ballot (the file the ballot page or "
                        "`dataguild vote --audit` saved); with RECORD, also that it is on the board")
    parser.add_argument("--workers", type=int, default=None, help="processes for the ballot checks "
                        "(default: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.record is None:
        if args.audited is None:
            parser.error("give RECORD (and/or --audited FILE)")
        return _audited_only(args.audited, as_json=args.json)
    try:
        rec = er.read_record(args.record)
        receipt = _load_json_file(args.receipt, "receipt") if args.receipt else None
        audited = _load_json_file(args.audited, "audited ballot") if args.audited else None
    except (CryptoError, UnusableInput) as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc), "checks": []}))
        print(f"dataguild-verify: cannot use {args.record}: {exc}", file=sys.stderr)
        return 2
    bar = None
    if not args.no_progress and sys.stderr.isatty() and len(rec["board"]) >= 500:
        bar = ProgressBar(sys.stderr)

    def show(result: CheckResult) -> None:
        if bar is not None:
            bar.finish()
        if not args.json:
            print(format_line(result), flush=True)

    started = time.monotonic()
    v = verify_record(rec, workers=args.workers, progress=bar, on_result=show)
    results = [v.results[name] for name in CHECKS]
    receipt_result = None
    if receipt is not None:
        receipt_result = check_receipt(v, receipt)
        show(receipt_result)
        results.append(receipt_result)
    if audited is not None:
        audited_result = check_audited(audited, rec)
        show(audited_result)
        results.append(audited_result)
    ok = all(r.status != FAIL for r in results) and not any(
        r.status == SKIP and r.details.startswith("skipped") for r in results)
    elapsed = time.monotonic() - started
    if args.json:
        print(json.dumps({"ok": ok, "record": os.fspath(args.record), "format": rec["format"],
                          "election_id": rec["election_id"], "fingerprint": rec["fingerprint"],
                          "state": rec["state"], "seconds": round(elapsed, 3), "summary": _summary(results),
                          "checks": [r.to_json() for r in results],
                          "receipt": receipt_result.to_json() if receipt_result else None}, indent=2))
    else:
        summary = _summary(results)
        print(f"{'OK' if ok else 'FAILED'}: {summary['pass']} passed, {summary['fail']} failed, "
              f"{summary['skip']} skipped ({elapsed:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
