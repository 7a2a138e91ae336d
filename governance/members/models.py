"""Members, their roles, the history of their status, and invitations.

A member row exists from the moment a steward invites someone (status ``invited``, no password);
accepting the invitation sets name and password and makes the member ``active``. Every status change
is also a row of :class:`MemberStatusChange`, so "was this member active at time T" has an answer
long after the fact (ballots freeze their electorate from it).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from governance.db import Base, string_enum


class MemberStatus(enum.StrEnum):
    INVITED = "invited"      # invitation sent, not yet accepted (cannot sign in, never eligible)
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by a steward, with a reason; may be reinstated
    LEFT = "left"            # terminal


class Role(enum.StrEnum):
    MEMBER = "member"        # a voting member of the cooperative
    STEWARD = "steward"      # drafts, reviews, keeps the roll
    TRUSTEE = "trustee"      # holds a share of ballot decryption keys
    OBSERVER = "observer"    # external: reads and verifies public records
    ADMIN = "admin"          # grants the powerful roles


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[MemberStatus] = mapped_column(string_enum(MemberStatus, "member_status"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change, leaving and suspension: sessions carrying an older number are void.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin", order_by="MemberRole.role",
        foreign_keys="MemberRole.member_id")

    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    @property
    def role_names(self) -> set[Role]:
        return {Role(r.role) for r in self.roles}

    def has_role(self, *roles: Role | str) -> bool:
        held = self.role_names
        return any(Role(r) in held for r in roles)

    @property
    def can_sign_in(self) -> bool:
        return self.status == MemberStatus.ACTIVE and self.password_hash is not None

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.email} {self.status}>"


class MemberRole(Base):
    __tablename__ = "member_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "member_role"), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))

    member: Mapped[Member] = relationship(back_populates="roles", foreign_keys=[member_id])

    __table_args__ = (UniqueConstraint("member_id", "role"),)


class MemberStatusChange(Base):
    """Append-only: the status a member had from ``changed_at`` on (until the next row)."""

    __tablename__ = "member_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False, index=True)
    status: Mapped[MemberStatus] = mapped_column(string_enum(MemberStatus, "member_status"), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Invitation(Base):
    """One invitation link. The signed token names the row and its nonce; accepting or re-inviting
    closes the row, so every link works at most once."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"))
    nonce: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # accepted or superseded

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    invited_by: Mapped[Member | None] = relationship(foreign_keys=[invited_by_id])
