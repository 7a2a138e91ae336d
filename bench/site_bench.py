"""Site benchmark: casting, counting and the decision API end to end, each against the pure code it wraps,
timed in the same run.

    .venv/bin/python -m bench.site_bench                 # 200 voters, 30 over HTTP, 300 API requests
    .venv/bin/python -m bench.site_bench --quick         # 40 voters, 10 over HTTP, 100 API requests
    .venv/bin/python -m bench.site_bench --voters 500 --http-voters 50 --requests 1000

Runs the real app (``create_app`` with ENV test) on SQLite in a temporary directory; elections,
committee, ballots and policies are made through the real services, with the test factories.
Baselines: the ballot crypto alone (encrypt_ballot + verify_ballot), the pure decision engine
(``governance.policy.decisions.engine``) on the same loaded policies, and the homomorphic sum + threshold
decryption (``combine_tally``) on the same ciphertexts. Prints a Markdown table; docs/performance.md
holds the latest output. PostgreSQL is not measured by this script (yet).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from governance.app import create_app
from governance.policy.agreements import enact_deal
from governance.policy.decisions.engine import decide
from governance.policy.decisions.policies import agreement_policy, data_use_policy
from governance.policy.decisions.request import parse_decision_request
from governance.policy.decisions.services import (
    _agreement_details,
    _recorded_category,
    _set_details,
    data_use_version_at,
    in_force_at,
    known_datasets,
    party_agreements,
)
from governance.policy.services import add_dataset, enact_rule_changes, rules_of
from governance.policy.terms.bodies import DataUseRuleBody, DealBody
from governance.policy.terms.parsing import from_json
from tests.conftest import make_member
from tests.policy.samples import deal_json, prohibition_json, rule_json
from tests.voting.counting_helpers import after_close, make_secret_election, ready_committee
from tests.voting.elections.test_ballot_web import signed_in
from tests.voting.factories import device, make_election
from voting.counting import services as counting
from voting.crypto import trustees as tr
from voting.crypto.ballot import EncryptedBallot, encrypt_ballot, verify_ballot
from voting.crypto.elgamal import sum_ciphertexts
from voting.crypto.group import available_backends
from voting.elections import client
from voting.elections.casting import cast_ballot
from voting.elections.models import BoardEntry, Election, ElectionState, EntryKind
from voting.elections.services import election_key, question_specs
from voting.record import tally

BASE = "http://localhost"
CHOICES = ([[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]])


def _app(tmp: Path, name: str) -> Flask:
    app = create_app({"ENV": "test", "DATABASE_URL": f"sqlite:///{tmp / name}.sqlite", "INSTANCE_PATH": tmp / name,
                      "SERVER_NAME": "localhost", "BASE_URL": BASE})
    app.extensions["dataguild_db"].create_all()
    return app


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _spread(times: list[float], what: str, row: Callable[..., None]) -> None:
    """Mean, 90th percentile and the first/last tenth's medians: whether a few slow ballots or a
    growing board make the throughput lower than the median suggests."""
    tenth = max(1, len(times) // 10)
    ordered = sorted(times)
    row(f"{what}: mean / p90 / max per ballot",
        f"{1000 * statistics.mean(times):.1f} / {1000 * ordered[int(0.9 * (len(times) - 1))]:.1f} / "
        f"{1000 * ordered[-1]:.0f} ms",
        f"first tenth {1000 * statistics.median(times[:tenth]):.1f} ms, last tenth "
        f"{1000 * statistics.median(times[-tenth:]):.1f} ms")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- voting: casting and counting


def bench_voting(tmp: Path, voters: int, http_voters: int, row: Callable[..., None]) -> None:
    app = _app(tmp, "voting")
    session = app.extensions["dataguild_db"].Session()
    steward = make_member(session, "bench-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(session, steward, 3, 2, "bench")
    setup = make_secret_election(session, committee, voters=voters - 1)  # the steward is on the roll too
    session.commit()
    election_id = setup.election.id
    election = session.get(Election, election_id)
    specs, key, fp = list(question_specs(election)), election_key(election), bytes.fromhex(election.fingerprint)
    assert key is not None

    # The voters' devices encrypt (not timed: the server never does); the server verifies and appends.
    ballots = [client.prepare(election.manifest, CHOICES[i % 3]).to_json() for i in range(len(setup.voters))]
    sample = [encrypt_ballot(specs, CHOICES[i % 3], key, fp, f"bench-{i}")[0] for i in range(3)]

    # Baseline: the crypto of one ballot alone, as casting does it (verify every proof).
    def crypto_only(i: int = 0) -> None:
        verify_ballot(sample[i % 3], specs, key, fp)

    base_ms = _median_ms(crypto_only, max(20, min(voters, 100)))
    row("baseline: verify one yes/no/abstain ballot's proofs (crypto only)", f"{base_ms:.2f} ms")

    # The service, one ballot per voter, each committed.
    times = []
    t_all = time.perf_counter()
    for i, member in enumerate(setup.voters):
        t = time.perf_counter()
        cast_ballot(session, session.get(Election, election_id), member, ballot=ballots[i], expected_previous=0,
                    now=datetime.now(UTC))
        session.commit()
        times.append(time.perf_counter() - t)
    total_s = time.perf_counter() - t_all
    per_ms = 1000 * statistics.median(times)
    row(f"cast_ballot service + commit, {len(times)} voters: median per ballot", f"{per_ms:.2f} ms",
        f"{per_ms / base_ms:.2f}x the crypto alone")
    _spread(times, "cast_ballot service + commit", row)
    row(f"cast_ballot service + commit, {len(times)} voters: throughput", f"{len(times) / total_s:.1f} ballots/s",
        f"baseline {1000 / base_ms:.1f} ballots/s")

    # Over HTTP: a separate election (test key) whose voters sign in first (not timed), then each does
    # what the ballot page's script does (timed together): open the page, fetch the manifest, encrypt on
    # the device (Python client code here), post the encrypted ballot with the CSRF token.
    web = make_election(session, voters=http_voters - 1)
    session.commit()
    web_id = web.election.id
    browsers = [signed_in(app, session, member) for member in web.voters]
    times = []
    t_all = time.perf_counter()
    for i, browser in enumerate(browsers):
        t = time.perf_counter()
        response, _ = device(browser, web_id, CHOICES[i % 3])
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.status_code
    total_s = time.perf_counter() - t_all
    on_board = session.execute(select(BoardEntry).where(BoardEntry.election_id == web_id)).scalars().all()
    assert len(on_board) == len(browsers), len(on_board)
    per_ms = 1000 * statistics.median(times)
    row(f"HTTP: GET page + manifest, encrypt, POST ballot.json (CSRF), {len(times)} voters: median",
        f"{per_ms:.2f} ms",
        f"{per_ms / base_ms:.2f}x the crypto alone")
    _spread(times, "HTTP: GET + POST", row)
    row(f"HTTP: GET page + manifest, encrypt, POST ballot.json (CSRF), {len(times)} voters: throughput",
        f"{len(times) / total_s:.1f} ballots/s", f"baseline {1000 / base_ms:.1f} ballots/s")

    # Counting: close (board head, tally of the N ballots) + 2 of the 3 trustees' decryptions
    # (shares made trustee-side, checked and combined by the site, the result decided).
    session.expire_all()
    election = session.get(Election, election_id)
    now = after_close(setup)
    payloads = session.execute(select(BoardEntry.payload).where(
        BoardEntry.election_id == election_id, BoardEntry.kind == EntryKind.CAST)).scalars().all()
    decoded = [EncryptedBallot.from_json(p) for p in payloads]
    per_option = [[b.answers[0].tally_ciphertexts()[o] for b in decoded] for o in range(3)]
    joint = tally.joint_key_of_manifest(election.manifest)
    pair = sorted(trustees)[:2]

    t = time.perf_counter()
    summed = [sum_ciphertexts(cts) for cts in per_option]
    shares = {j: tr.partial_decrypt_tally(joint, trustees[j].secrets, summed) for j in pair}
    base_totals = tr.combine_tally(joint, summed, shares, bound=len(decoded))
    base_count_s = time.perf_counter() - t
    assert sum(base_totals) == len(decoded), base_totals
    row(f"baseline: homomorphic sum + 2-of-3 decryption ({len(decoded)} ballots x 3)", f"{base_count_s:.3f} s")

    t = time.perf_counter()
    election = counting.close_election(session, election, now=now)
    session.commit()
    for j in pair:
        cts = tally.tally_from_document(election.encrypted_tally)
        share_json = tally.make_shares(joint, trustees[j].secrets, election.fingerprint, cts)
        counting.submit_decryption(session, election, trustees[j].member, trustee_index=j, shares_json=share_json,
                                   now=now)
        session.commit()
    count_s = time.perf_counter() - t
    election = session.get(Election, election_id)
    assert election.state == ElectionState.DECIDED, election.state
    assert election.result["totals"] == [base_totals], (election.result["totals"], base_totals)
    row(f"close_election + 2 trustees' decryptions, decided ({len(decoded)} ballots)", f"{count_s:.3f} s",
        f"{count_s / base_count_s:.1f}x baseline")
    session.close()
    app.extensions["dataguild_db"].engine.dispose()


# ---------------------------------------------------------------- the decision API


def _load_policy(session) -> None:
    """As tests/policy/test_decide_api.py's ``policy`` fixture: two data-use versions, three deals."""
    for slug, title in (("ride-logs", "Ride logs"), ("chat-transcripts", "Chat transcripts"),
                        ("old-surveys", "Old surveys")):
        add_dataset(session, actor=None, slug=slug, title=title, now=_at("2026-01-01T00:00:00"))
    research = rule_json(constraints={"min_cohort_size": 50, "retention_days": 365, "not_before": None,
                                      "not_after": None, "regions": []},
                         purposes=["https://w3id.org/dpv#ResearchAndDevelopment"], datasets=["ride-logs"])
    enact_rule_changes(session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": research}]}), proposal_id=11, now=_at("2027-01-10T09:00:00"))
    enact_rule_changes(session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": prohibition_json(datasets=["*"])}]}), proposal_id=12,
        now=_at("2027-06-01T09:00:00"))
    for n, (ident, name, start, end) in enumerate((("https://example.ai", "Example AI", "2027-01-01", "2027-12-31"),
                                                   ("https://other.example", "Other", "2027-01-01", "2027-12-31"),
                                                   ("https://old.example", "Old", "2026-01-01", "2026-06-30"))):
        counterparty = {"name": name, "identifier": ident, "contact": "", "category": "commercial"}
        enact_deal(session, actor=None, proposal_id=21 + n, now=_at("2026-01-02T10:00:00"),
                   deal=from_json(DealBody, deal_json(counterparty=counterparty, start_date=start, end_date=end)))
    session.commit()


REQUEST = {"party": "https://example.ai", "action": "train_ai_model", "dataset": "ride-logs",
           "purpose": "CommercialResearch", "time": "2027-03-01T12:00:00Z", "cohort_size": 150}


def bench_decide(tmp: Path, requests: int, row: Callable[..., None]) -> None:
    app = _app(tmp, "policy")
    session = app.extensions["dataguild_db"].Session()
    _load_policy(session)
    client = app.test_client()
    first = client.post("/api/v1/policy/decide", json=REQUEST)
    assert first.status_code == 200, first.data[:500]

    # Baseline: the engine on the policies the service loads for this request (loaded once, outside the timing).
    request = parse_decision_request(REQUEST, datasets=known_datasets(session), base_url=BASE)
    agreements = party_agreements(session, request.party)
    version = data_use_version_at(session, request.time)
    assert version is not None
    rules = rules_of(version)
    data_use = data_use_policy(BASE, version.number, rules, _set_details(version, BASE))
    policies = [data_use]
    policies += [agreement_policy(BASE, a.id, from_json(DealBody, a.terms), _agreement_details(a, BASE),
                                  data_use, rules)
                 for a in sorted(agreements, key=lambda a: a.id) if in_force_at(a, request.time)]
    recorded = _recorded_category(agreements, request.time)
    assert recorded is not None
    engine_request = replace(request, party_category=recorded[0])
    decision = decide(engine_request, policies, party_category_source="agreement")
    assert decision.to_json()["decision"] == first.json["decision"], (decision.to_json(), first.json)
    session.rollback()  # end this session's read transaction: the requests take the database's write lock

    t = time.perf_counter()
    for _ in range(requests):
        decide(engine_request, policies, party_category_source="agreement")
    base_rate = requests / (time.perf_counter() - t)
    row(f"baseline: decide() engine on loaded policies ({requests} calls)", f"{base_rate:.0f} decisions/s")

    t = time.perf_counter()
    for _ in range(requests):
        response = client.post("/api/v1/policy/decide", json=REQUEST)
        assert response.status_code == 200
    rate = requests / (time.perf_counter() - t)
    row(f"POST /api/v1/policy/decide, test client ({requests} requests)", f"{rate:.0f} requests/s",
        f"{base_rate / rate:.1f}x slower than the engine alone")
    session.close()
    app.extensions["dataguild_db"].engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 voters, 10 over HTTP, 100 API requests")
    parser.add_argument("--voters", type=int, default=None, help="voters casting through the service (200)")
    parser.add_argument("--http-voters", type=int, default=None, help="voters casting over HTTP (30)")
    parser.add_argument("--requests", type=int, default=None, help="decision API requests (300)")
    args = parser.parse_args()
    voters = args.voters or (40 if args.quick else 200)
    http_voters = args.http_voters or (10 if args.quick else 30)
    requests = args.requests or (100 if args.quick else 300)
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, ratio: str = "") -> None:
        rows.append((what, value, ratio))
        print(f"{what:<80} {value:>18} {ratio}", flush=True)

    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, backend {available_backends()[-1]}, "
          f"SQLite in a temporary directory")
    with tempfile.TemporaryDirectory(prefix="dataguild-bench-") as tmp:
        bench_voting(Path(tmp), voters, http_voters, row)
        bench_decide(Path(tmp), requests, row)
    print("\n| measurement | result | vs baseline |\n|---|---|---|")
    for what, value, ratio in rows:
        print(f"| {what} | {value} | {ratio} |")


if __name__ == "__main__":
    main()
