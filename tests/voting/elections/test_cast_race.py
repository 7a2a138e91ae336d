"""Two casts from two sessions with the same ``expected_previous``: exactly one wins, the other gets
StaleBallot, and the board has one leaf (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from governance.members.models import Member
from tests.conftest import count_rows, fetch_all
from tests.voting.factories import cast, make_election
from voting import StaleBallot
from voting.elections.models import BoardEntry, Election, RollEntry, Secrecy

YES, NO = [[1, 0, 0]], [[0, 1, 0]]


def _cast_in_own_session(app, election_id: int, member_id: int, choices, now, results: list,
                         start: threading.Barrier | None = None) -> None:
    session = app.extensions["dataguild_db"].Session()
    try:
        if start is not None:
            start.wait(timeout=10)
        election, member = session.get(Election, election_id), session.get(Member, member_id)
        result = cast(session, election, member, choices, expected_previous=0, now=now)
        session.commit()
        results.append(("cast", result.entry.leaf_index))
    except StaleBallot as exc:
        session.rollback()
        results.append(("stale", exc.message))
    except Exception as exc:  # reported by the test, not swallowed
        session.rollback()
        results.append(("error", repr(exc)))
    finally:
        session.close()


@pytest.mark.parametrize("secrecy", [Secrecy.SECRET, Secrecy.OPEN])
def test_the_second_cast_waits_for_the_first_and_is_refused_as_stale(app, db_session, secrecy) -> None:
    setup = make_election(db_session, secrecy=secrecy, voters=1)
    db_session.commit()
    election_id, member_id, now = setup.election.id, setup.voters[1].id, setup.now
    first = app.extensions["dataguild_db"].Session()
    results: list = []
    try:
        winner = cast(first, first.get(Election, election_id), first.get(Member, member_id), YES,
                             expected_previous=0, now=now)  # holds the election's lock until it commits
        worker = threading.Thread(target=_cast_in_own_session,
                                  args=(app, election_id, member_id, NO, now, results))
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive(), "the second cast should wait for the first one's transaction"
        first.commit()
        worker.join(timeout=30)
        assert not worker.is_alive()
    finally:
        first.close()
    assert results == [("stale", "You voted in another window or tab a moment ago; reload to see your current "
                                 "ballot.")]
    assert fetch_all(db_session, select(BoardEntry.leaf_index).where(BoardEntry.election_id == election_id)) \
        == [winner.entry.leaf_index] == [0]
    assert fetch_all(db_session, select(RollEntry.ballots_cast).where(RollEntry.member_id == member_id,
                                                                      RollEntry.election_id == election_id)) == [1]


def test_two_casts_released_at_the_same_instant_exactly_one_wins(app, db_session) -> None:
    setup = make_election(db_session, voters=1)
    db_session.commit()
    election_id, member_id, now = setup.election.id, setup.voters[1].id, setup.now
    start = threading.Barrier(2)
    results: list = []
    workers = [threading.Thread(target=_cast_in_own_session,
                                args=(app, election_id, member_id, choices, now, results, start))
               for choices in (YES, NO)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(kind for kind, _ in results) == ["cast", "stale"], results
    assert count_rows(db_session, BoardEntry, BoardEntry.election_id == election_id) == 1
