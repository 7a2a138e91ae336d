"""Proposals, their versions, amendments, discussion, sponsors and state history.

A proposal's content lives in its versions: every saved edit and every accepted amendment is a new
:class:`ProposalVersion` (title, summary text and the structured body of its kind, see
``governance.policy.terms.bodies``). The proposal row caches the latest title and holds the lifecycle
state, which only ``proposals.lifecycle.transition`` changes.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, string_enum
from governance.members.models import Member


class ProposalState(enum.StrEnum):
    DRAFT = "draft"
    DISCUSSION = "discussion"
    VOTING = "voting"
    COUNTING = "counting"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


class AmendmentStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)  # the latest version's title
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False,
                                           index=True)
    state: Mapped[ProposalState] = mapped_column(string_enum(ProposalState, "proposal_state"), nullable=False,
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    discussion_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by open_voting: the version members vote on, the window, the constitution in force.
    frozen_version: Mapped[int | None] = mapped_column(Integer)
    voting_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voting_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voting_method: Mapped[str | None] = mapped_column(String(40))
    constitution_version: Mapped[int | None] = mapped_column(Integer)

    # Set by record_outcome / enact.
    outcome: Mapped[dict | None] = mapped_column(JSON)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enactment_ref: Mapped[str | None] = mapped_column(String(80))  # "policy:data_use:3", "constitution:2", ...

    # Deals that conflict with the adopted rules go to vote with a rule change (companion) or a
    # steward's logged override.
    companion_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    override_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[Member] = relationship(foreign_keys=[author_id], lazy="joined")
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number", lazy="selectin")
    sponsorships: Mapped[list[Sponsorship]] = relationship(
        back_populates="proposal", order_by="Sponsorship.created_at", lazy="selectin")

    __table_args__ = (
        CheckConstraint("kind IN ('data_use_rule', 'deal_approval', 'payout_policy', 'bylaw_change', "
                        "'deal_suspension')", name="kind_known"),
        CheckConstraint("current_version >= 1", name="current_version_positive"),
    )

    def version(self, number: int) -> ProposalVersion | None:
        return next((v for v in self.versions if v.number == number), None)

    @property
    def latest(self) -> ProposalVersion:
        found = self.version(self.current_version)
        assert found is not None, f"proposal {self.id} has no version {self.current_version}"
        return found

    @property
    def sponsor_ids(self) -> set[int]:
        return {s.member_id for s in self.sponsorships}

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.kind} {self.state}>"


class ProposalVersion(Base):
    """Immutable once written: a new edit is a new number."""

    __tablename__ = "proposal_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    # SHA-256 (hex) of the RFC 8785 canonical JSON of {"title", "summary", "kind", "body"}.
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")  # "what changed", optional
    amendment_id: Mapped[int | None] = mapped_column(ForeignKey("amendments.id", ondelete="RESTRICT"))

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    created_by: Mapped[Member] = relationship(foreign_keys=[created_by_id], lazy="joined")

    __table_args__ = (UniqueConstraint("proposal_id", "number"),
                      CheckConstraint("number >= 1", name="number_positive"))


class ProposalStateChange(Base):
    """Append-only history of states (the creation is a row with ``from_state`` NULL)."""

    __tablename__ = "proposal_state_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    # Distinct enum names: the CHECK constraint is named after it, and names are unique per table.
    from_state: Mapped[ProposalState | None] = mapped_column(string_enum(ProposalState, "from_state"))
    to_state: Mapped[ProposalState] = mapped_column(string_enum(ProposalState, "to_state"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id], lazy="joined")


class Sponsorship(Base):
    __tablename__ = "proposal_sponsorships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    proposal: Mapped[Proposal] = relationship(back_populates="sponsorships")
    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")

    __table_args__ = (UniqueConstraint("proposal_id", "member_id"),)


class Amendment(Base):
    """A member's changed version of a proposal in discussion; the author accepts or declines it."""

    __tablename__ = "amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    base_version: Mapped[int] = mapped_column(Integer, nullable=False)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body: Mapped[dict] = mapped_column(JSON, nullable=False)
    rationale: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[AmendmentStatus] = mapped_column(string_enum(AmendmentStatus, "amendment_status"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resulting_version: Mapped[int | None] = mapped_column(Integer)

    proposer: Mapped[Member] = relationship(foreign_keys=[proposer_id], lazy="joined")


class Comment(Base):
    """Discussion, threaded one level: a reply's parent is a top-level comment."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_comments.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    hidden_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    author: Mapped[Member] = relationship(foreign_keys=[author_id], lazy="joined")


class NotificationPreference(Base):
    """A member's choice for one notification topic; no row means the default (on)."""

    __tablename__ = "notification_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)


class NotificationSent(Base):
    """One notification of one topic about one proposal to one member: makes sending idempotent, so
    ``dataguild tick`` can run any number of times (and from several hosts)."""

    __tablename__ = "notifications_sent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), nullable=False)
    topic: Mapped[str] = mapped_column(String(40), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (UniqueConstraint("proposal_id", "member_id", "topic"),)
