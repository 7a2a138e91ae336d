"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """One governance action. ``entry_hash`` = SHA-256(prev_hash || canonical JSON of the entry);
    ``seq`` and ``prev_hash`` are unique, so the chain cannot fork even under concurrent writers."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(200), nullable=False)  # name at the time
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    subject_type: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    subject_id: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)


class AuditHead(Base):
    """A single row holding the chain's last seq and hash: writers lock it (FOR UPDATE) to append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False, default=GENESIS_HASH)


class AuditLogIsAppendOnly(RuntimeError):
    """Audit entries are never updated or deleted (the hash chain would expose it anyway)."""


def _refuse_change(_mapper: object, _connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"audit entry #{target.seq} cannot be changed or deleted: the log is append-only")


event.listen(AuditEntry, "before_update", _refuse_change)
event.listen(AuditEntry, "before_delete", _refuse_change)
