"""Elections: the manifest and its fingerprint, the frozen roll, the bulletin board (an append-only
Merkle log per election), signed tree heads. The tally's decryption shares live in ``voting.counting.models``.

An election belongs to one proposal and is created when voting opens on it. Its manifest (canonical
JSON, see ``voting.record.canonical``) is fixed at creation; its hash is the fingerprint bound into every proof.
Board entries are never updated except to mark them superseded; their ``leaf_index`` is unique per
election, so two concurrent casts cannot take the same place in the log. Trustee committees and the
key ceremony live in ``voting.committees.models``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from governance.db import Base, string_enum


class ElectionState(enum.StrEnum):
    OPEN = "open"            # created; ballots accepted while the clock is inside the window
    TALLYING = "tallying"    # window closed; encrypted tally posted, waiting for k decryption shares
    DECIDED = "decided"      # result computed (and certified), outcome recorded on the proposal
    CANCELLED = "cancelled"  # the proposal was cancelled during voting: board closed, ballots never counted


class Secrecy(enum.StrEnum):
    SECRET = "secret"  # noqa: S105 - a kind of ballot, not a password
    OPEN = "open"


class EntryKind(enum.StrEnum):
    CAST = "cast"            # a ballot that counts unless a later cast of the same voter supersedes it
    AUDITED = "audited"      # cast-or-audit: randomness revealed, never counted


class Election(Base):
    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), nullable=False,
                                             unique=True)
    secrecy: Mapped[Secrecy] = mapped_column(string_enum(Secrecy, "election_secrecy"), nullable=False)
    method: Mapped[str] = mapped_column(String(40), nullable=False)     # one_member_one_vote | quadratic
    # A plain integer: the committee tables belong to voting.committees.models (None for open elections).
    committee_id: Mapped[int | None] = mapped_column(Integer, index=True)
    manifest: Mapped[dict] = mapped_column(JSON, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # sha256 hex of the manifest
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    roll_size: Mapped[int] = mapped_column(Integer, nullable=False)
    roll_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[ElectionState] = mapped_column(string_enum(ElectionState, "election_state"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Counting: the homomorphic sum of the counted ballots (secret) and when it was posted.
    encrypted_tally: Mapped[dict | None] = mapped_column(JSON)
    tally_posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The result (totals per option, turnout) and its certificate (trustees' aggregate BLS signature).
    result: Mapped[dict | None] = mapped_column(JSON)
    result_certificate: Mapped[dict | None] = mapped_column(JSON)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window_ordered"),
                      CheckConstraint("roll_size >= 0", name="roll_size_nonnegative"))


class RollEntry(Base):
    """One member of the frozen electorate and their pseudonymous alias on the public roll.
    ``ballots_cast`` counts this voter's casts: a cast names the count it expects, so of two casts
    sent at the same instant from two sessions exactly one is accepted."""

    __tablename__ = "election_roll"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="RESTRICT"), nullable=False)
    alias: Mapped[str] = mapped_column(String(32), nullable=False)
    ballots_cast: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("election_id", "member_id"), UniqueConstraint("election_id", "alias"))


class BoardEntry(Base):
    """A leaf of the election's Merkle log: a cast or audited ballot (secret: the encrypted ballot
    with proofs; open: the choices with the voter's alias)."""

    __tablename__ = "board_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), nullable=False)
    leaf_index: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[EntryKind] = mapped_column(string_enum(EntryKind, "board_entry_kind"), nullable=False)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("election_roll.id", ondelete="RESTRICT"), nullable=False,
                                               index=True)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    tracking_code: Mapped[str] = mapped_column(String(64), nullable=False)
    leaf_hash: Mapped[str] = mapped_column(String(64), nullable=False)   # RFC 9162 leaf hash, hex
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    receipt_signature: Mapped[str] = mapped_column(String(128), nullable=False)  # BIP-340, hex
    # The hash of the latest tree head when this ballot was cast, which the receipt signs (None: a v1 receipt).
    receipt_head: Mapped[str | None] = mapped_column(String(64))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[int | None] = mapped_column(Integer)  # leaf_index of the later cast

    __table_args__ = (UniqueConstraint("election_id", "leaf_index"),
                      UniqueConstraint("election_id", "tracking_code"),
                      CheckConstraint("leaf_index >= 0", name="leaf_index_nonnegative"))


class TreeHead(Base):
    """A signed tree head of an election's board (BLS, the cooperative's key), chained to the head
    before it by ``previous`` (the hash of that head; None only for the unchained heads of v1 elections)."""

    __tablename__ = "tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id", ondelete="CASCADE"), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    root: Mapped[str] = mapped_column(String(64), nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)  # Unix time in milliseconds, as signed
    signature: Mapped[str] = mapped_column(String(192), nullable=False)
    signing_key: Mapped[str] = mapped_column(String(96), nullable=False)
    previous: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (UniqueConstraint("election_id", "size"), CheckConstraint("size >= 0", name="size_nonnegative"))
