"""Trustee committees: the members appointed as trustees, the key ceremony's public messages, the
joint key it produces, and the trustees' personal API tokens.

A committee is one run of the dealerless key ceremony of ``voting.crypto.trustees`` (its random
32-byte ``fingerprint`` names the ceremony and is bound into every proof and signature). Everything
stored here is public ceremony data or a hash: a trustee's secrets never reach the server. Once the
committee is ``ready`` its joint key can serve any number of elections (``Election.committee_id``).

The status only moves forward: announcing → dealing → confirming → ready, or → failed when too few
qualified dealers remain (see ``voting.committees.services``).
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


class CommitteeStatus(enum.StrEnum):
    ANNOUNCING = "announcing"  # waiting for every trustee's keys (announcement)
    DEALING = "dealing"        # waiting for every trustee's commitment and encrypted shares
    CONFIRMING = "confirming"  # waiting for every trustee to check its shares (confirm or complain)
    READY = "ready"            # joint key computed: usable for elections
    FAILED = "failed"          # fewer than k qualified dealers: the committee cannot be used


class MessageKind(enum.StrEnum):
    ENCRYPTED_SHARE = "encrypted_share"
    COMPLAINT = "complaint"


class TrusteeCommittee(Base):
    __tablename__ = "trustee_committees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    k: Mapped[int] = mapped_column(Integer, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # ceremony, 32 bytes hex
    status: Mapped[CommitteeStatus] = mapped_column(string_enum(CommitteeStatus, "committee_status"), nullable=False)
    joint_key: Mapped[dict | None] = mapped_column(JSON)  # voting.crypto.trustees.JointKey JSON when ready
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    trustees: Mapped[list[CommitteeTrustee]] = relationship(
        back_populates="committee", order_by="CommitteeTrustee.trustee_index", lazy="selectin")
    created_by: Mapped[Member] = relationship(foreign_keys=[created_by_id], lazy="joined")

    __table_args__ = (CheckConstraint("k >= 1 AND k <= n AND n <= 255", name="threshold_in_range"),)


class CommitteeTrustee(Base):
    """Trustee number ``trustee_index`` (1..n) of a committee, and what it has published so far."""

    __tablename__ = "committee_trustees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("trustee_committees.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False,
                                           index=True)
    trustee_index: Mapped[int] = mapped_column(Integer, nullable=False)
    # Step 1: the Announcement JSON, and the BLS key (with its proof of possession) that will co-sign results.
    announcement: Mapped[dict | None] = mapped_column(JSON)
    bls_public_key: Mapped[str | None] = mapped_column(String(96))
    bls_pop: Mapped[str | None] = mapped_column(String(192))
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Step 2: the DealerCommitment JSON (the encrypted shares are CeremonyMessages).
    commitment: Mapped[dict | None] = mapped_column(JSON)
    shares_posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Step 3: checked the shares addressed to it; complained about ``complaints_filed`` of them.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    complaints_filed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Set when an upheld complaint or the final judgement excludes this trustee as a dealer.
    disqualified_reason: Mapped[str | None] = mapped_column(Text)

    committee: Mapped[TrusteeCommittee] = relationship(back_populates="trustees")
    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")

    __table_args__ = (UniqueConstraint("committee_id", "trustee_index"),
                      UniqueConstraint("committee_id", "member_id"),
                      CheckConstraint("trustee_index >= 1 AND trustee_index <= 255", name="index_in_range"))


class CeremonyMessage(Base):
    """A public ceremony message between two trustees: an encrypted share (dealer → recipient) or a
    complaint (recipient → dealer, stored with ``from_index`` = the complaining recipient) with its verdict."""

    __tablename__ = "ceremony_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("trustee_committees.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    kind: Mapped[MessageKind] = mapped_column(string_enum(MessageKind, "ceremony_message_kind"), nullable=False)
    from_index: Mapped[int] = mapped_column(Integer, nullable=False)
    to_index: Mapped[int] = mapped_column(Integer, nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    # Complaints only: the verdict of adjudicate_complaint, recorded when the complaint is filed.
    dealer_at_fault: Mapped[bool | None] = mapped_column(Boolean)
    verdict: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (UniqueConstraint("committee_id", "kind", "from_index", "to_index"),
                      CheckConstraint("from_index <> to_index", name="between_two_trustees"))
