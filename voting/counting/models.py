"""Counting's table: the trustees' partial decryptions of an election's encrypted tally."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base


class DecryptionShareRecord(Base):
    """A trustee's partial decryptions of the encrypted tally, with proofs, and (once the result is
    known) their BLS signature over it."""

    __tablename__ = "decryption_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), nullable=False)
    trustee_index: Mapped[int] = mapped_column(Integer, nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    shares: Mapped[list] = mapped_column(JSON, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    result_signature: Mapped[str | None] = mapped_column(String(192))

    __table_args__ = (UniqueConstraint("election_id", "trustee_index"),)
