"""The stored side of policy: the dataset catalogue, policy versions and agreements.

Policy versions are append-only and form a hash chain per line (``data_use``, ``payout``): each
version's ``document_hash`` covers its number, its document, the proposal that adopted it and the
previous version's hash. Rows are never updated or deleted (the ORM refuses, like constitution
versions). Agreements (approved deals) change state only through ``governance.policy.services``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base


class Dataset(Base):
    """A dataset or data category of the cooperative, maintained by stewards; rules and deals name
    datasets by ``slug``. Retired datasets stay (old versions refer to them) but cannot be chosen."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("slug = lower(slug)", name="slug_lowercase"),)


class PolicyVersion(Base):
    """Version ``number`` of a policy line. ``document`` is the whole policy of that line at that
    version (``{"rules": [...]}`` for data use, ``{"formula": {...}}`` for payout)."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[str] = mapped_column(String(20), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    document: Mapped[dict] = mapped_column(JSON, nullable=False)
    document_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    # A plain integer: governance/* sits below proposals/ and must not depend on its tables.
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    # The election that adopted it (plain integer, as above) and the hash of its public record.
    election_id: Mapped[int | None] = mapped_column(Integer)
    election_record_hash: Mapped[str | None] = mapped_column(String(64))
    # The cooperative's BLS signature over the document hash, and the public key that made it.
    signature: Mapped[str | None] = mapped_column(String(192))
    signing_key: Mapped[str | None] = mapped_column(String(96))
    adopted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))

    __table_args__ = (
        UniqueConstraint("line", "number"),
        CheckConstraint("line IN ('data_use', 'payout')", name="line_known"),
        CheckConstraint("number >= 1", name="number_positive"),
    )


class Agreement(Base):
    """An approved deal. ``terms`` is the deal body as adopted (see ``bodies.DealBody``). Whether it is
    in force at a time follows from the dates and ``suspended_at``; nothing needs a cron job."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    counterparty_name: Mapped[str] = mapped_column(String(200), nullable=False)
    counterparty_identifier: Mapped[str] = mapped_column(String(500), nullable=False)
    terms: Mapped[dict] = mapped_column(JSON, nullable=False)
    terms_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    election_id: Mapped[int | None] = mapped_column(Integer)
    election_record_hash: Mapped[str | None] = mapped_column(String(64))
    # Hash over the terms hash and the provenance (proposal, election, approval time), signed with
    # the cooperative's BLS key; ``signing_key`` is the public key that signed.
    record_hash: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(192))
    signing_key: Mapped[str | None] = mapped_column(String(96))
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The deal-suspension proposal whose adoption suspended it (None: a steward suspended it). A plain
    # integer, like ``proposal_id``: governance/* does not depend on the proposals' tables.
    suspended_by_proposal_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("end_date >= start_date", name="dates_ordered"),)


class ImmutablePolicyVersion(RuntimeError):
    """Policy versions are append-only: enact a new version instead."""


def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutablePolicyVersion(f"{type(target).__name__} rows are immutable; enact a new version instead")


event.listen(PolicyVersion, "before_update", _refuse)
event.listen(PolicyVersion, "before_delete", _refuse)
