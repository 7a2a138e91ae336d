"""The stored side of payouts: revenue received under agreements, uploaded contributions, and the
payout statements computed from them.

Money is whole cents in ``BigInteger`` columns (never floats, never ``Numeric``, which SQLite keeps
as a float). Contributions may be fractional (days, months), so they are kept as decimal text,
exactly as uploaded after normalisation. Statements and their lines are immutable once computed
(the ORM refuses updates and deletes, as for policy versions): a correction is a new statement.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base


class RevenueEntry(Base):
    """Money received under an agreement; ``statement_id`` is set once a statement has shared it,
    so no revenue is ever shared twice."""

    __tablename__ = "revenue_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="RESTRICT"), nullable=False,
                                              index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("payout_statements.id", ondelete="RESTRICT"),
                                                     index=True)

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class ContributionUpload(Base):
    """One uploaded CSV of contributions for a period and a metric. A later upload for the same
    period and metric supersedes an earlier one (the statement records which one it used)."""

    __tablename__ = "contribution_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    metric: Mapped[str] = mapped_column(String(40), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_ordered"),)


class Contribution(Base):
    """One member's contribution in an upload; ``amount`` is a non-negative decimal as text."""

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("contribution_uploads.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    metric: Mapped[str] = mapped_column(String(40), nullable=False)
    amount: Mapped[str] = mapped_column(String(40), nullable=False)
    line_number: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (UniqueConstraint("upload_id", "member_id"),)


class PayoutStatement(Base):
    """Revenue of a period shared under the payout policy version ``policy_version_number``.
    ``document`` is the whole statement (see ``governance.payouts.statement``); ``document_hash`` is
    its SHA-256 over RFC 8785 canonical JSON. Periods of statements never overlap."""

    __tablename__ = "payout_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    policy_version_number: Mapped[int] = mapped_column(Integer, nullable=False)
    policy_document_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("contribution_uploads.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reserve_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    operating_cost_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    distributable_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    distributed_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    document: Mapped[dict] = mapped_column(JSON, nullable=False)
    document_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))

    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("reserve_cents + operating_cost_cents + distributed_cents = revenue_cents", name="balanced"),
    )


class PayoutLine(Base):
    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("payout_statements.id", ondelete="RESTRICT"),
                                              nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False,
                                           index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    contribution: Mapped[str | None] = mapped_column(String(40))
    explanation: Mapped[str] = mapped_column(Text, nullable=False)

    __table_args__ = (
        UniqueConstraint("statement_id", "member_id"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )


class ImmutableStatement(RuntimeError):
    """Payout statements are final once computed: compute a correcting statement instead."""


def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutableStatement(f"{type(target).__name__} rows are immutable once computed")


for _model in (PayoutStatement, PayoutLine):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
