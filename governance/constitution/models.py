"""Numbered, immutable versions of the constitution; each version is a full snapshot (one row per kind).

Versions are never updated or deleted (the ORM refuses; the audit log records each version's
snapshot hash, so a change made behind the ORM's back is visible too).
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.constitution.rules import DEFAULTS, KINDS, KindRules
from governance.db import Base


class ConstitutionVersion(Base):
    __tablename__ = "constitution_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    # The bylaw proposal that adopted this version. A plain integer on purpose: governance/* sits
    # below proposals/ and must not depend on its tables.
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the canonical JSON of the snapshot (see services.snapshot_hash); also in the audit log.
    snapshot_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    rules: Mapped[list[ConstitutionRule]] = relationship(
        back_populates="version", order_by="ConstitutionRule.id", lazy="selectin")

    __table_args__ = (CheckConstraint("number >= 1", name="number_positive"),)

    def stored_snapshot(self) -> dict[str, KindRules]:
        """The rules as stored: what the snapshot hash covers."""
        return {r.kind: r.to_rules() for r in self.rules}

    def snapshot(self) -> dict[str, KindRules]:
        """Every kind's rules, in kind order. A version stored before a kind existed (see
        ``rules.LATER_KINDS``) has no row for it: it is read with that kind's defaults."""
        stored = self.stored_snapshot()
        return {**{kind: stored.get(kind, DEFAULTS[kind]) for kind in KINDS}, **stored}


class ConstitutionRule(Base):
    """The parameters of one proposal kind in one version. The threshold is an exact fraction."""

    __tablename__ = "constitution_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("constitution_versions.id", ondelete="RESTRICT"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    method: Mapped[str] = mapped_column(String(40), nullable=False)
    quadratic_budget: Mapped[int] = mapped_column(Integer, nullable=False)
    quorum_percent: Mapped[int] = mapped_column(Integer, nullable=False)
    threshold_numerator: Mapped[int] = mapped_column(Integer, nullable=False)
    threshold_denominator: Mapped[int] = mapped_column(Integer, nullable=False)
    min_sponsors: Mapped[int] = mapped_column(Integer, nullable=False)
    min_discussion_days: Mapped[int] = mapped_column(Integer, nullable=False)
    voting_days: Mapped[int] = mapped_column(Integer, nullable=False)

    version: Mapped[ConstitutionVersion] = relationship(back_populates="rules")

    __table_args__ = (
        UniqueConstraint("version_id", "kind"),
        CheckConstraint("quorum_percent >= 0 AND quorum_percent <= 100", name="quorum_range"),
        CheckConstraint("threshold_denominator > 0 AND 2 * threshold_numerator >= threshold_denominator "
                        "AND threshold_numerator <= threshold_denominator", name="threshold_range"),
        CheckConstraint("quadratic_budget >= 1", name="budget_positive"),
        CheckConstraint("min_sponsors >= 0", name="sponsors_nonnegative"),
        # 0 days of discussion only for the emergency kinds (rules.KIND_LIMITS checks which).
        CheckConstraint("min_discussion_days >= 0 AND voting_days >= 1", name="days_in_range"),
    )

    @classmethod
    def from_rules(cls, rules: KindRules) -> ConstitutionRule:
        return cls(kind=rules.kind, method=rules.method, quadratic_budget=rules.quadratic_budget,
                   quorum_percent=rules.quorum_percent, threshold_numerator=rules.threshold.numerator,
                   threshold_denominator=rules.threshold.denominator, min_sponsors=rules.min_sponsors,
                   min_discussion_days=rules.min_discussion_days, voting_days=rules.voting_days)

    def to_rules(self) -> KindRules:
        return KindRules(kind=self.kind, method=self.method, quadratic_budget=self.quadratic_budget,
                         quorum_percent=self.quorum_percent,
                         threshold=Fraction(self.threshold_numerator, self.threshold_denominator),
                         min_sponsors=self.min_sponsors, min_discussion_days=self.min_discussion_days,
                         voting_days=self.voting_days)


class ImmutableVersionError(RuntimeError):
    """Constitution versions are append-only: amend instead."""


def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
    raise ImmutableVersionError(
        f"{type(target).__name__} rows are immutable; amend the constitution to make a new version")


for _model in (ConstitutionVersion, ConstitutionRule):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
