"""Browser benchmark: encrypting a secret ballot with the ballot page's own JavaScript in headless Chromium,
against the Python encryption timed in the same run.

    .venv/bin/python -m bench.ballot_js_bench               # 15 timed runs per ballot after 1 warm-up
    .venv/bin/python -m bench.ballot_js_bench --runs 50 --warmup 20

The repository's ``static/`` directory is served over HTTP on 127.0.0.1 (a free port, ``http.server`` in a
thread, ``.js`` as ``application/javascript``) with one extra page generated here that imports
``static/js/ballot/encrypt.js`` (and through it ``js/trustee/core.js``, ``js/trustee/ballots.js`` and
``vendor/noble/noble.js``) as an ES module. Debian's Chromium (``/usr/bin/chromium``, never a downloaded
browser; the flags of tests/conftest.py) loads it through Playwright. Per ballot, in a fresh browser context
and page (a cold JavaScript engine, as a voter's), ``page.evaluate`` runs ``--warmup`` untimed
``encryptBallot(manifest, choices)`` (the first is timed apart: the "first" column, what a voter who
encrypts once waits) and then ``--runs`` timed ones, each timed with ``performance.now()`` inside the page (no
Playwright round trip is counted). ``encryptBallot`` does all the page does: hashes the manifest (its
fingerprint), checks the choices, builds the election key's multiplication table, encrypts and proves every
option and the sum/budget, and computes the tracking code.

Three manifests (``voting.record.canonical.manifest_document``, one question each): (a) yes/no/abstain,
exactly 1 of 3; (b) 5 options, choose 1..3; (c) quadratic, budget 99, 5 options, negative votes allowed
(votes 7, -5, 3, 2, 1: 88 credits). The first ballot of each is parsed and checked with Python's
``verify_ballot`` (and its tracking code and fingerprint compared), so the timings are of real, valid ballots.

Baseline, same run, same ballots: ``voting.crypto.ballot.encrypt_ballot`` (one ``ElectionKey`` reused; a
fresh one's first multiplication, which builds its table where the backend has one, is timed apart), on the
fastest backend present (coincurve/gmpy2 when installed, ``voting.crypto.group.available_backends``) and on
the pure-Python one. Medians of ``--runs`` after ``--warmup``; p90 is nearest-rank. The goals are the
issue's, for the browser median. The machine may be shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import math
import os
import platform
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from voting.crypto import bip340, bls
from voting.crypto.ballot import ChoiceQuestion, EncryptedBallot, QuadraticQuestion, encrypt_ballot, verify_ballot
from voting.crypto.elgamal import ElectionKey
from voting.crypto.group import available_backends, base_mult, get_backend, use_backend
from voting.record import canonical as record

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
CHROMIUM = Path("/usr/bin/chromium")
# tests/conftest.py's flags
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE = "/__ballot_js_bench__.html"
PAGE_HTML = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>ballot encryption bench</title></head><body>
<script type="module">
import * as encrypt from '/js/ballot/encrypt.js';
window.dgBench = encrypt;
window.dgBenchReady = true;
</script>
</body></html>
"""

# In the page: `warmup` untimed ballots (the first is timed as 'cold' and returned, to be verified in Python),
# then `runs` timed ones.
TIME_JS = """async ({manifest, choices, runs, warmup}) => {
  const { encryptBallot } = window.dgBench;
  const t0 = performance.now();
  const first = encryptBallot(manifest, choices);
  const cold = performance.now() - t0;
  for (let i = 1; i < warmup; i++) encryptBallot(manifest, choices);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    encryptBallot(manifest, choices);
    times.push(performance.now() - t);
  }
  return { ballot: first.ballot, trackingCode: first.trackingCode, cold, times };
}"""

OPENS = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2026, 11, 8, 9, 0, tzinfo=UTC)
OPTIONS5 = ("a", "b", "c", "d", "e")
#: (label, question, method, alternatives, choices, goal for the browser median in ms)
BALLOTS: list[tuple[str, Any, str, int, list[int], float]] = [
    ("yes/no/abstain (exactly 1 of 3)", ChoiceQuestion.yes_no_abstain(), "one_member_one_vote", 0, [1, 0, 0], 10.0),
    ("5 options, choose 1..3", ChoiceQuestion(OPTIONS5, 1, 3), "one_member_one_vote", 5, [1, 0, 1, 0, 1], 25.0),
    ("quadratic, budget 99, 5 options, negative allowed", QuadraticQuestion(OPTIONS5, 99, allow_negative=True),
     "quadratic", 5, [7, -5, 3, 2, 1], 300.0),
]


# ---------------------------------------------------------------- the manifests

def make_manifest(question: Any, method: str, alternatives: int, election_key_hex: str, board_key: str,
                  receipt_key: str) -> dict[str, Any]:
    """A secret election's manifest with one question (as tests/voting/record/test_record.py builds one)."""
    aliases = [f"voter-{i:08d}" for i in range(3)]
    return record.manifest_document(
        election_id=1, cooperative="Bench cooperative",
        proposal={"id": 1, "kind": "data_use_rule", "title": "Bench", "version": 1, "content_hash": "0" * 64},
        method=method, secrecy="secret", questions=[question.to_json()], opens_at=OPENS, closes_at=CLOSES,
        roll_size=len(aliases), roll_hash_hex=record.roll_hash(aliases), election_key=election_key_hex,
        committee=None, board_public_key=board_key, receipt_public_key=receipt_key, constitution_version=None,
        rule=record.decision_rule(kind="data_use_rule", method=method, quorum_percent=20, threshold_numerator=1,
                                  threshold_denominator=2, alternatives=alternatives, constitution_version=None,
                                  constitution_snapshot_hash=None))


# ---------------------------------------------------------------- serving static/

class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                                                ".js": "application/javascript", ".mjs": "application/javascript"}

    def do_GET(self) -> None:
        if self.path.split("?")[0] == PAGE:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE_HTML)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(PAGE_HTML)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_static() -> Iterator[str]:
    """``static/`` (and the bench page) on 127.0.0.1 at a free port; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---------------------------------------------------------------- timing

def p90(times: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def python_times_ms(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def new_ref() -> str:
    return "b-" + secrets.token_hex(12)


def open_bench_page(browser: Any, base: str) -> tuple[Any, Any, list[str]]:
    """A fresh context and page (a fresh JavaScript engine: the first ballot is as cold as a voter's) with
    encrypt.js loaded; returns (context, page, page errors)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + PAGE)
    try:
        page.wait_for_function("window.dgBenchReady === true", timeout=30_000)
    except Exception as exc:
        raise SystemExit(f"the bench page did not load encrypt.js: {errors or exc}") from exc
    return context, page, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed encryptions per ballot (after one warm-up)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed encryptions first, in the page and in Python (the first page one is reported)")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM, help="the Chromium binary (never downloaded)")
    parser.add_argument("--no-pure-python", action="store_true",
                        help="skip the pure-Python backend's column (it is the slow one)")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 1:
        parser.error("--runs and --warmup must be at least 1")

    from playwright.sync_api import sync_playwright  # imported here: the bench needs it, the package does not

    secret = int.from_bytes(hashlib.sha256(b"ballot js bench election key").digest(), "big") % (2**255)
    election_point = base_mult(secret)
    key_hex = election_point.hex()
    board_key = bls.keygen(hashlib.sha256(b"ballot js bench board key").digest()).public_key().to_hex()
    receipt_key = bip340.pubkey_from_secret(hashlib.sha256(b"ballot js bench receipt key").digest()).hex()
    fastest = get_backend()
    pure_python = not args.no_pure_python

    rows = []
    with serve_static() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(args.chromium), args=CHROMIUM_FLAGS)
        try:
            context, page, _ = open_bench_page(browser, base)
            user_agent = page.evaluate("navigator.userAgent")
            context.close()
            print(f"# python {platform.python_version()}, {os.cpu_count()} cores, backends {available_backends()} "
                  f"(fastest, in use: {fastest}), Chromium {browser.version} (headless, {args.chromium}), "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            print(f"# user agent: {user_agent}", flush=True)
            print(f"# per ballot: a fresh page, {args.warmup} warm-up encryption(s) (the first: the 'first' column), "
                  f"{args.runs} timed; "
                  "medians and nearest-rank p90", flush=True)
            for label, question, method, alternatives, choices, goal in BALLOTS:
                manifest = make_manifest(question, method, alternatives, key_hex, board_key, receipt_key)
                fp = bytes.fromhex(record.manifest_fingerprint(manifest))
                context, page, errors = open_bench_page(browser, base)
                result = page.evaluate(TIME_JS, {"manifest": manifest, "choices": [choices], "runs": args.runs,
                                                 "warmup": args.warmup})
                context.close()
                if errors:
                    raise SystemExit(f"page errors: {errors}")
                # The browser's ballot must be a valid one for this manifest.
                key = ElectionKey(election_point)
                ballot = EncryptedBallot.from_json(result["ballot"])
                verify_ballot(ballot, [question], key, fp)
                assert ballot.tracking_code() == result["trackingCode"], (label, "tracking code differs")
                assert result["ballot"]["election"] == fp.hex(), (label, "fingerprint differs")

                def python_encrypt(key: ElectionKey, question: Any = question, choices: list[int] = choices,
                                   fp: bytes = fp) -> None:
                    encrypt_ballot([question], [choices], key, fp, new_ref())

                row = {"label": label, "goal": goal, "js": result["times"], "cold": result["cold"],
                       "py": python_times_ms(functools.partial(python_encrypt, key), args.runs, args.warmup),
                       "pure": None}
                if pure_python:
                    with use_backend("python"):
                        pure_key = ElectionKey(election_point)  # the python backend's own table
                        row["pure"] = python_times_ms(functools.partial(python_encrypt, pure_key), args.runs,
                                                      args.warmup)
                rows.append(row)
                print(f"# {label}: browser's ballot verified in Python; browser median "
                      f"{statistics.median(row['js']):.1f} ms, Python {statistics.median(row['py']):.1f} ms ({fastest})"
                      + (f", {statistics.median(row['pure']):.1f} ms (python)" if pure_python else "")
                      + f", load average {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            browser.close()
    key_ms = {}
    for name in [fastest, "python"] if pure_python else [fastest]:
        with use_backend(name):
            key_ms[name] = statistics.median(python_times_ms(lambda: ElectionKey(election_point).mult(secret),
                                                             args.runs))

    print()
    head = f"| ballot | browser median | browser p90 | browser first | Python median ({fastest}) | browser / Python"
    head += " | Python median (pure-Python backend) | browser / pure" if pure_python else ""
    print(head + " | goal (browser median) |")
    print("|---" * (head.count("|") + 1) + "|")
    for r in rows:
        js_med, py_med = statistics.median(r["js"]), statistics.median(r["py"])
        line = (f"| {r['label']} | {js_med:.1f} ms | {p90(r['js']):.1f} ms | {r['cold']:.1f} ms | {py_med:.1f} ms "
                f"| {js_med / py_med:.2f}x")
        if pure_python:
            pure_med = statistics.median(r["pure"])
            line += f" | {pure_med:.1f} ms | {js_med / pure_med:.2f}x"
        verdict = "met" if js_med <= r["goal"] else "not met"
        print(f"{line} | ≤ {r['goal']:g} ms: {verdict} |")
    print("\n# The browser's times include what encryptBallot does per ballot beyond encrypt_ballot: hashing the "
          "manifest and building the election key's table; the Python ones reuse one ElectionKey (a fresh "
          "one's first multiplication, which builds its table where the backend uses one: "
          + ", ".join(f"{ms:.1f} ms on {name}" for name, ms in key_ms.items())
          + f"). Load average {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
