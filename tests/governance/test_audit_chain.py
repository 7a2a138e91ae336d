"""The audit chain on the real databases: appending, concurrency, timestamps, validation, tampering."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from governance.audit.chain import GENESIS_HASH, entry_hash, payload_of, verify_chain
from governance.audit.models import AuditEntry, AuditHead, AuditLogIsAppendOnly
from governance.audit.services import chain_status, record_event, verify_audit_log


def _log(db: Session, n: int, **kwargs: object) -> list[AuditEntry]:
    entries = [record_event(db, actor=None, action="test.event_happened", subject_type="thing",
                            subject_id=i, details={"n": i, **kwargs}) for i in range(1, n + 1)]
    db.commit()
    return entries


def _sql(app: Flask, statement: str) -> None:
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text(statement))


def test_entries_chain_from_genesis_and_verify(db_session: Session) -> None:
    entries = _log(db_session, 3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].entry_hash == entry_hash(entries[1].entry_hash, payload_of(entries[2]))
    status = chain_status(db_session)
    assert status.intact
    assert status.entries == 3
    assert (status.head_seq, status.head_hash) == (3, entries[2].entry_hash)


def test_empty_log_is_intact(db_session: Session) -> None:
    status = chain_status(db_session)
    assert status.intact
    assert status.entries == 0
    assert status.head_hash == GENESIS_HASH


def test_hashes_recompute_after_a_round_trip_through_the_database(app: Flask) -> None:
    """Times in any zone are stored as UTC; details come back exactly as hashed (tuples → lists)."""
    cet = timezone(timedelta(hours=2))
    database = app.extensions["dataguild_db"]
    with database.Session() as db:
        record_event(db, actor=None, action="test.event_happened", now=datetime(2026, 3, 1, 12, 0, 0, 123456, cet),
                     details={"name": "Zoë ✓", "roles": ("member", "steward"), "nested": {"b": 1, "a": None}})
        record_event(db, actor=None, action="test.event_happened", now=datetime(2026, 3, 1, 10, 0, 1))  # naive = UTC
        db.commit()
    with database.Session() as fresh:
        first = fresh.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().first()
        assert first is not None
        assert first.created_at.replace(tzinfo=first.created_at.tzinfo or UTC) == datetime(
            2026, 3, 1, 10, 0, 0, 123456, UTC)
        assert first.details["roles"] == ["member", "steward"]
        assert verify_audit_log(fresh) == []


def test_a_session_that_committed_before_sees_the_head_moved_by_others(app: Flask) -> None:
    """The head is re-read under the lock, never taken from a session's identity map."""
    database = app.extensions["dataguild_db"]
    with database.Session() as one, database.Session() as two:
        record_event(one, actor=None, action="test.first")
        one.commit()
        cached_head = one.get(AuditHead, 1)  # stays in one's identity map, as in a long-lived session
        one.commit()  # (on SQLite any open transaction holds the write lock)
        record_event(two, actor=None, action="test.second")
        two.commit()
        entry = record_event(one, actor=None, action="test.third")
        one.commit()
        assert entry.seq == 3
        assert cached_head.seq == 3
        assert verify_audit_log(one) == []


def test_concurrent_writers_queue_and_never_fork(app: Flask) -> None:
    database = app.extensions["dataguild_db"]
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(8):
                with database.Session() as db:
                    record_event(db, actor=None, action="test.concurrent_write", details={"writer": name, "i": i})
                    db.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with database.Session() as db:
        seqs = db.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all()
        assert seqs == list(range(1, 25))
        assert verify_audit_log(db) == []
        assert db.get(AuditHead, 1).seq == 24


def test_verifying_while_others_write_never_reports_a_false_break(app: Flask) -> None:
    database = app.extensions["dataguild_db"]
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(40 if database.is_sqlite else 150):  # SQLite serialises anyway
                with database.Session() as db:
                    record_event(db, actor=None, action="test.concurrent_write", details={"i": i})
                    db.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    checks = 0
    while not done.is_set() or checks == 0:
        with database.Session() as db:
            status = chain_status(db)
            db.rollback()
        assert status.breaks == ()
        checks += 1
    thread.join(60)
    assert errors == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"action": "Member Invited"}, "dotted lower-case code"),
    ({"action": "member"}, "dotted lower-case code"),
    ({"action": "x." + "y" * 80}, "longer than 80"),
    ({"action": "member.invited", "subject_id": "9" * 81}, "subject id is longer than 80"),
    ({"action": "member.invited", "details": {"share": 0.5}}, "floats are not allowed"),
    ({"action": "member.invited", "details": {"reset_token": "abc"}}, "must never hold secrets"),
    ({"action": "member.invited", "details": {"new": {"Password": "x"}}}, "must never hold secrets"),
    ({"action": "member.invited", "details": {"when": datetime(2026, 1, 1)}}, "datetime is not a JSON value"),
    ({"action": "member.invited", "details": {1: "a"}}, "keys must be strings"),
    ({"action": "member.invited", "details": {"big": 2**60}}, "too large"),
    ({"action": "member.invited", "details": ["not", "a", "dict"]}, "must be a dict"),
])
def test_bad_events_are_refused_and_write_nothing(db_session: Session, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record_event(db_session, actor=None, **kwargs)
    db_session.commit()
    assert db_session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0
    assert db_session.get(AuditHead, 1) is None


def test_the_orm_refuses_to_change_or_delete_entries(db_session: Session) -> None:
    (entry,) = _log(db_session, 1)
    entry.details = {"n": 2}
    with pytest.raises(AuditLogIsAppendOnly, match="audit entry #1 cannot be changed or deleted"):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    assert verify_audit_log(db_session) == []


def _breaks(app: Flask) -> list[str]:
    with app.extensions["dataguild_db"].Session() as db:
        return [str(b) for b in verify_audit_log(db)]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET details = '{\"n\": 99}' WHERE seq = 2",
    "UPDATE audit_entries SET action = 'member.left' WHERE seq = 2",
    "UPDATE audit_entries SET actor_label = 'Someone else' WHERE seq = 2",
    "UPDATE audit_entries SET subject_id = '7' WHERE seq = 2",
    "UPDATE audit_entries SET created_at = '2020-01-01 00:00:00' WHERE seq = 2",
])
def test_an_edited_entry_is_named(app: Flask, db_session: Session, statement: str) -> None:
    _log(db_session, 4)
    _sql(app, statement)
    assert _breaks(app) == ["entry #2: its content does not match its hash (edited)"]


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(app: Flask, db_session: Session) -> None:
    _log(db_session, 3)
    _sql(app, "UPDATE audit_entries SET entry_hash = '" + "a" * 64 + "' WHERE seq = 2")
    assert _breaks(app) == ["entry #2: its content does not match its hash (edited)",
                            "entry #3: its link to the preceding entry does not match that entry's hash"]


def test_deleted_entries_are_found_in_the_middle_and_at_the_end(app: Flask, db_session: Session) -> None:
    _log(db_session, 5)
    _sql(app, "DELETE FROM audit_entries WHERE seq = 2")
    middle = _breaks(app)
    assert middle[0] == "entry #3: entry #2 is missing (deleted)"
    assert "entry #3: its link to the preceding entry does not match that entry's hash" in middle
    _sql(app, "DELETE FROM audit_entries WHERE seq >= 4")
    assert "entry #5: the chain head says the log ends at #5 but it ends at #3: #4–#5 removed from the end" \
        in _breaks(app)


def test_deleting_everything_is_found(app: Flask, db_session: Session) -> None:
    _log(db_session, 2)
    _sql(app, "DELETE FROM audit_entries")
    assert _breaks(app) == ["entry #2: the chain head says the log ends at #2 but it ends at #0: "
                            "#1–#2 removed from the end"]


def test_an_appended_entry_without_the_head_is_found(app: Flask, db_session: Session) -> None:
    entries = _log(db_session, 2)
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_entries (seq, created_at, actor_label, action, subject_type, subject_id, "
                          "details, prev_hash, entry_hash) VALUES (3, '2026-01-01 00:00:00', 'x', 'member.left', "
                          "'', '', '{}', :prev, :forged)"), {"prev": entries[1].entry_hash, "forged": "b" * 64})
    assert _breaks(app) == ["entry #3: its content does not match its hash (edited)",
                            "entry #3: the chain head (#2) does not match the last entry (#3): "
                            "entries added or changed without the head"]


def test_verify_chain_is_pure_and_reports_order_problems() -> None:
    class Row:
        def __init__(self, seq: int, prev: str) -> None:
            self.seq, self.prev_hash = seq, prev
            self.created_at, self.actor_id, self.actor_label = datetime(2026, 1, 1, tzinfo=UTC), None, "system"
            self.action, self.subject_type, self.subject_id, self.details = "a.b", "", "", {}
            self.entry_hash = entry_hash(prev, payload_of(self))

    one = Row(1, GENESIS_HASH)
    two = Row(2, one.entry_hash)
    assert verify_chain([one, two]) == []
    assert next(str(b) for b in verify_chain([two, one])) == "entry #2: entry #1 is missing (deleted)"
    assert "entry #1: out of sequence after #2 (inserted)" in [str(b) for b in verify_chain([one, two, one])]
