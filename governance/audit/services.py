"""Writing and checking the audit log. Every governance action calls :func:`record_event` in the
transaction that performs it, so the entry commits (or rolls back) with the action.

Concurrency: appending locks the single ``audit_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite every transaction already holds the write lock from ``BEGIN IMMEDIATE``), so concurrent
writers queue and the chain never forks; the unique ``seq``/``prev_hash`` columns are the backstop.
The lock is held until the transaction ends, so keep transactions that write the log short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import Select, Text, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from governance.audit.chain import ChainBreak, clean_details, entry_hash, entry_payload, utc, verify_chain
from governance.audit.models import GENESIS_HASH, AuditEntry, AuditHead

_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class Actor(Protocol):
    id: int
    name: str


def lock_head(session: Session) -> AuditHead:
    """Lock and return the chain head (creating it on first use). Services that must read state
    and then log a change atomically (e.g. a new constitution version) take this lock first."""
    stmt = (select(AuditHead).where(AuditHead.id == 1).with_for_update()
            .execution_options(populate_existing=True))  # never trust a head cached by an earlier transaction
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Two first writers may race to create the row: one inserts, the other waits and does nothing.
        session.execute(insert(AuditHead).values(id=1, seq=0, entry_hash=GENESIS_HASH)
                        .on_conflict_do_nothing(index_elements=["id"]))
        head = session.execute(stmt).scalar_one()
    return head


def _text(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"audit {name} is longer than {limit} characters")
    return value


def record_event(session: Session, *, actor: Actor | None, action: str, subject_type: str = "",
                 subject_id: str | int | None = None, details: dict[str, Any] | None = None,
                 now: datetime | None = None) -> AuditEntry:
    """Append one entry. ``action`` is a dotted code (``member.invited``); ``details`` must be JSON
    values (no floats) and is public: never secrets or votes, and keep personal data out of it.
    Raises ``ValueError`` on bad input before anything is written."""
    if not _ACTION_RE.match(action or ""):
        raise ValueError(f"audit action must be a dotted lower-case code such as 'member.invited', not {action!r}")
    _text("action", action, 80)
    _text("subject type", subject_type, 80)
    sid = _text("subject id", "" if subject_id is None else str(subject_id), 80)
    clean = clean_details(details)
    created_at = utc(now or datetime.now(UTC))
    actor_id = actor.id if actor is not None else None
    actor_label = (actor.name if actor is not None else "system")[:200]

    head = lock_head(session)
    seq = head.seq + 1
    payload = entry_payload(seq=seq, created_at=created_at, actor_id=actor_id, actor_label=actor_label,
                            action=action, subject_type=subject_type, subject_id=sid, details=clean)
    digest = entry_hash(head.entry_hash, payload)
    entry = AuditEntry(seq=seq, created_at=created_at, actor_id=actor_id, actor_label=actor_label,
                       action=action, subject_type=subject_type, subject_id=sid, details=clean,
                       prev_hash=head.entry_hash, entry_hash=digest)
    session.add(entry)
    head.seq, head.entry_hash = seq, digest
    session.flush()
    return entry


_ENTRY_COLUMNS = (AuditEntry.seq, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
                  AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.prev_hash, AuditEntry.entry_hash)


def _parse_or_none(parse: Any, raw: Any) -> Any:
    try:
        return parse(raw)
    except (TypeError, ValueError):
        return None  # unreadable: the entry's hash will not match, which names it


def _all_rows(session: Session) -> Iterator[Any]:
    """Every entry in seq order, as plain rows. On SQLite, where a column can hold any text, the time
    and the details are read raw and parsed here, so that an entry edited into garbage is reported
    as broken instead of stopping the verification (PostgreSQL's types cannot hold such values)."""
    if session.get_bind().dialect.name != "sqlite":
        stmt: Select = select(*_ENTRY_COLUMNS, AuditEntry.created_at, AuditEntry.details)
        yield from session.execute(stmt.order_by(AuditEntry.seq).execution_options(yield_per=2000))
        return
    stmt = select(*_ENTRY_COLUMNS, type_coerce(AuditEntry.created_at, Text).label("created_at_raw"),
                  type_coerce(AuditEntry.details, Text).label("details_raw"))
    for row in session.execute(stmt.order_by(AuditEntry.seq).execution_options(yield_per=2000)):
        yield SimpleNamespace(**row._asdict(), created_at=_parse_or_none(datetime.fromisoformat, row.created_at_raw),
                              details=_parse_or_none(json.loads, row.details_raw))


@dataclass(frozen=True)
class ChainStatus:
    entries: int
    head_seq: int
    head_hash: str
    breaks: tuple[ChainBreak, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def broken_seqs(self) -> list[int]:
        return sorted({b.seq for b in self.breaks})


def _read_head(session: Session, *, share_lock: bool = False) -> tuple[int, str]:
    stmt = select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    if share_lock:
        stmt = stmt.with_for_update(read=True)
    head = session.execute(stmt).scalar_one_or_none()
    return (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)


def _verify_rows(session: Session) -> tuple[list[ChainBreak], int, Any]:
    count, last = 0, None

    def counted() -> Iterator[Any]:
        nonlocal count, last
        for row in _all_rows(session):
            count += 1
            last = row
            yield row

    breaks = verify_chain(counted())
    return breaks, count, last


def chain_status(session: Session) -> ChainStatus:
    """Recompute the whole chain from the database and compare its end with the stored head.

    The head and the entries are read in separate statements, so a writer committing in between
    could make an intact log look cut short. The head is therefore read before and after the
    entries and the check repeated if it moved; after a few tries the head is share-locked (writers
    wait for the rest of this transaction) to get a consistent view. On SQLite the transaction
    already excludes writers."""
    for attempt in range(4):
        head = _read_head(session, share_lock=attempt == 3)
        breaks, count, last = _verify_rows(session)
        if attempt == 3 or _read_head(session) == head:
            break
    head_seq, head_hash = head
    last_seq = last.seq if last is not None else 0
    last_hash = last.entry_hash if last is not None else GENESIS_HASH
    if head_seq != last_seq or head_hash != last_hash:
        if head_seq > last_seq:
            gone = f"#{head_seq}" if head_seq == last_seq + 1 else f"#{last_seq + 1}–#{head_seq}"
            breaks.append(ChainBreak(head_seq, f"the chain head says the log ends at #{head_seq} but it ends at "
                                     f"#{last_seq}: {gone} removed from the end"))
        else:
            breaks.append(ChainBreak(last_seq, f"the chain head (#{head_seq}) does not match the last entry "
                                     f"(#{last_seq}): entries added or changed without the head"))
    return ChainStatus(entries=count, head_seq=head_seq, head_hash=head_hash, breaks=tuple(breaks))


def verify_audit_log(session: Session) -> list[ChainBreak]:
    """Every break in the stored chain, including a head that disagrees with the last entry."""
    return list(chain_status(session).breaks)


def count_entries(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def list_entries(session: Session, *, offset: int, limit: int, newest_first: bool = True) -> list[AuditEntry]:
    order = AuditEntry.seq.desc() if newest_first else AuditEntry.seq.asc()
    stmt = select(AuditEntry).order_by(order).offset(offset).limit(limit)
    return list(session.execute(stmt).scalars())
