"""Counting under concurrency (SQLite and PostgreSQL): two closes, or two trustees' last shares, at
the same time — the election's lock makes the second wait, and it then finds the work done."""

from __future__ import annotations

import threading

from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.members.models import Member
from tests.conftest import count_rows, fetch_all, make_member
from tests.voting.counting_helpers import after_close, make_secret_election, ready_committee
from tests.voting.factories import post_ballot
from voting.counting import services as counting
from voting.counting.models import DecryptionShareRecord
from voting.elections.models import Election, ElectionState
from voting.record import tally


def _in_own_session(app, results: list, work) -> None:
    session = app.extensions["dataguild_db"].Session()
    try:
        results.append(("ok", work(session)))
        session.commit()
    except counting.VotingError as exc:
        session.rollback()
        results.append(("refused", exc.message))
    except Exception as exc:  # reported by the test, not swallowed
        session.rollback()
        results.append(("error", repr(exc)))
    finally:
        session.close()


def _second_waits_for_first(app, first_work, second_work) -> list:
    first = app.extensions["dataguild_db"].Session()
    results: list = []
    try:
        first_work(first)  # holds the election's lock until it commits
        worker = threading.Thread(target=_in_own_session, args=(app, results, second_work))
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive(), "the second request should wait for the first one's transaction"
        first.commit()
        worker.join(timeout=60)
        assert not worker.is_alive()
    finally:
        first.close()
    return results


def test_concurrent_closes_and_last_shares_decide_once(app, db_session) -> None:
    steward = make_member(db_session, "race-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(db_session, steward, 3, 2, "race")
    setup = make_secret_election(db_session, committee, voters=2)
    post_ballot(db_session, setup.election, setup.voters[1], [[1, 0, 0]])
    post_ballot(db_session, setup.election, setup.voters[2], [[1, 0, 0]])
    db_session.commit()
    eid, now = setup.election.id, after_close(setup)

    def close(session):
        return counting.close_election(session, session.get(Election, eid), now=now).state

    results = _second_waits_for_first(app, close, close)
    assert results == [("ok", ElectionState.TALLYING)]
    closed = fetch_all(db_session, select(AuditEntry.action).where(AuditEntry.action == "election.closed"))
    assert closed == ["election.closed"]

    election = fetch_all(db_session, select(Election).where(Election.id == eid))[0]
    cts = tally.tally_from_document(election.encrypted_tally)
    joint = tally.joint_key_of_manifest(election.manifest)
    shares = {j: tally.make_shares(joint, trustees[j].secrets, election.fingerprint, cts) for j in (1, 2, 3)}

    def submit(j):
        def work(session):
            member = session.get(Member, trustees[j].member.id)
            return counting.submit_decryption(session, session.get(Election, eid), member, trustee_index=j,
                                              shares_json=shares[j], now=now).trustee_index
        return work

    _in_own_session(app, [], submit(1))
    # Trustees 2 and 3 each bring the k-th share at the same time: the first decides, the second finds it decided.
    results = _second_waits_for_first(app, submit(2), submit(3))
    assert results == [("refused", "This election is decided already; no more decryptions are needed.")]
    assert count_rows(db_session, DecryptionShareRecord) == 2
    decided = fetch_all(db_session, select(AuditEntry.action).where(AuditEntry.action == "election.decided"))
    assert decided == ["election.decided"]
    election = fetch_all(db_session, select(Election).where(Election.id == eid))[0]
    assert election.state == ElectionState.DECIDED
    assert election.result["totals"] == [[2, 0, 0]]
    assert election.result_certificate["decrypted_by"] == [1, 2]
