"""Writing the audit log. Every governance action calls :func:`record_event` in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import ChainBreak, entry_hash, entry_payload, verify_chain
from governance.audit.models import GENESIS_HASH, AuditEntry, AuditHead


class Actor(Protocol):
    id: int
    name: str


def _lock_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, entry_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record_event(session: Session, *, actor: Actor | None, action: str, subject_type: str = "",
                 subject_id: str | int | None = None, details: dict[str, Any] | None = None,
                 now: datetime | None = None) -> AuditEntry:
    """Append one entry. ``details`` must be JSON values only and must never hold secrets or votes."""
    head = _lock_head(session)
    created_at = now or datetime.now(UTC)
    seq = head.seq + 1
    actor_label = actor.name if actor is not None else "system"
    sid = "" if subject_id is None else str(subject_id)
    payload = entry_payload(seq=seq, created_at=created_at, actor_id=actor.id if actor else None,
                            actor_label=actor_label, action=action, subject_type=subject_type,
                            subject_id=sid, details=details or {})
    digest = entry_hash(head.entry_hash, payload)
    entry = AuditEntry(seq=seq, created_at=created_at, actor_id=actor.id if actor else None,
                       actor_label=actor_label, action=action, subject_type=subject_type,
                       subject_id=sid, details=details or {}, prev_hash=head.entry_hash, entry_hash=digest)
    session.add(entry)
    head.seq, head.entry_hash = seq, digest
    session.flush()
    return entry


def verify_audit_log(session: Session) -> list[ChainBreak]:
    """Every break in the stored chain, and a head that disagrees with the last entry."""
    entries = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    breaks = verify_chain(entries)
    head = session.get(AuditHead, 1)
    if head is not None and entries and head.entry_hash != entries[-1].entry_hash:
        breaks.append(ChainBreak(entries[-1].seq, "chain head does not match the last entry (entries removed)"))
    return breaks
