"""The bulletin board of an election: an append-only RFC 9162 Merkle log of cast and audited
ballots, receipts for each entry, and signed tree heads.

Appending happens under the election's row lock (``lock_election``); the next leaf index is read
under that lock and ``(election_id, leaf_index)`` is unique, so concurrent casts can never take the
same place. A new CAST marks the voter's previous CAST superseded (the last ballot counts).

When heads are signed (``schedule_due``; BLS costs about 0.3 s to sign and 0.4 s to verify in pure
Python, so never on every cast and never on a GET request): once when the election is created
(size 0); after a cast when the board has at least **doubled** since the latest head (sizes 1, 2, 4,
8, …) or the latest head is at least ``HEAD_MAX_AGE`` (6 hours) old and the board grew; and
whenever ``sign_head`` is called (counting calls it at close, so the final head covers every ballot).

Why this schedule: a voter's immediate, signed promise is the receipt (BIP-340, one per ballot); a
head only lets them check the *inclusion* of that receipt, which they do against the final head, and
lets an observer check that the board never rewrote its past (each head consistent with the one
before it). Every head costs every verifier a BLS check, so the count matters: the old rule (a head
at most 60 s or 16 leaves behind) put ~625 heads in a 10,000-ballot record — minutes of py-ecc
pairings — while doubling gives logarithmically many (14 for 10,000 ballots) plus at most four a day
from the age rule (28 over a week) and the closing head. A ballot is covered by the next head
signed after it: at the next doubling, at the first cast 6 hours or more after the latest head, or
at close at the latest (the receipt check, ``voting.elections.receipts``, tells the voter so).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance.signing import site_keys
from governance.sitecontext import as_utc
from voting import InvalidChoice, VotingError
from voting.crypto import merkle
from voting.crypto.merkle import NO_PREVIOUS, MerkleLog, SignedTreeHead
from voting.elections.models import BoardEntry, Election, EntryKind, RollEntry, TreeHead
from voting.record import canonical as record
from voting.record.canonical import Receipt

HEAD_MAX_AGE = timedelta(hours=6)


def lock_election(session: Session, election: Election) -> Election:
    """Take the election's row lock and re-read it (PostgreSQL: FOR UPDATE until the transaction
    ends; SQLite: the transaction already holds the database's write lock)."""
    session.execute(select(Election.id).where(Election.id == election.id).with_for_update())
    session.refresh(election)
    return election


# ---------------------------------------------------------------- reading the board

def board_size(session: Session, election: Election) -> int:
    return session.execute(select(func.count()).select_from(BoardEntry)
                           .where(BoardEntry.election_id == election.id)).scalar_one()


def board_entries(session: Session, election: Election, *, offset: int = 0, limit: int | None = None,
                  after: int | None = None) -> list[tuple[BoardEntry, str]]:
    """``(entry, alias)`` in leaf order (``after``: only the leaves after that index, for cursor pages)."""
    query = (select(BoardEntry, RollEntry.alias).join(RollEntry, RollEntry.id == BoardEntry.roll_entry_id)
             .where(BoardEntry.election_id == election.id).order_by(BoardEntry.leaf_index).offset(offset))
    if after is not None:
        query = query.where(BoardEntry.leaf_index > after)
    if limit is not None:
        query = query.limit(limit)
    return [(entry, alias) for entry, alias in session.execute(query).all()]


def entry_by_index(session: Session, election: Election, leaf_index: int) -> BoardEntry | None:
    return session.execute(select(BoardEntry).where(BoardEntry.election_id == election.id,
                                                    BoardEntry.leaf_index == leaf_index)).scalar_one_or_none()


def entry_by_tracking_code(session: Session, election: Election, tracking_code: str) -> BoardEntry | None:
    return session.execute(select(BoardEntry).where(BoardEntry.election_id == election.id,
                                                    BoardEntry.tracking_code == tracking_code)).scalar_one_or_none()


def merkle_log(session: Session, election: Election) -> MerkleLog:
    hashes = session.execute(select(BoardEntry.leaf_hash).where(BoardEntry.election_id == election.id)
                             .order_by(BoardEntry.leaf_index)).scalars()
    log = MerkleLog()
    for leaf_hash in hashes:
        log.append_hash(bytes.fromhex(leaf_hash))
    return log


def board_counts(session: Session, election: Election) -> dict[str, int]:
    """Turnout so far, as counts only: members who cast, ballots cast, superseded, audited."""
    rows = session.execute(
        select(BoardEntry.kind, BoardEntry.superseded_at.is_(None), func.count())
        .where(BoardEntry.election_id == election.id).group_by(BoardEntry.kind, BoardEntry.superseded_at.is_(None))
    ).all()
    counts = {"voted": 0, "casts": 0, "superseded": 0, "audited": 0}
    for kind, current, n in rows:
        if EntryKind(kind) == EntryKind.AUDITED:
            counts["audited"] += n
        else:
            counts["casts"] += n
            counts["voted" if current else "superseded"] += n
    return counts


def leaf_fields(election: Election, entry: BoardEntry, alias: str) -> dict[str, Any]:
    """The arguments of ``record.leaf_document`` for a stored entry."""
    return {"fingerprint": election.fingerprint, "leaf_index": entry.leaf_index, "kind": EntryKind(entry.kind).value,
            "alias": alias, "tracking_code": entry.tracking_code, "cast_at": record.iso_seconds(entry.cast_at),
            "payload": entry.payload}


def entry_json(election: Election, entry: BoardEntry, alias: str) -> dict[str, Any]:
    """One entry as board.json publishes it: enough to recompute its leaf hash and check its receipt."""
    fields = leaf_fields(election, entry, alias)
    return {**{k: v for k, v in fields.items() if k != "fingerprint"}, "leaf_hash": entry.leaf_hash,
            "receipt_signature": entry.receipt_signature, "receipt_head": entry.receipt_head,
            "superseded_by": entry.superseded_by,
            "superseded_at": record.iso_seconds(entry.superseded_at) if entry.superseded_at else None}


def receipt_for_entry(election: Election, entry: BoardEntry) -> Receipt:
    """The receipt that was handed out for ``entry`` (it can be downloaded again at any time)."""
    return Receipt(election_id=election.id, fingerprint=election.fingerprint, leaf_index=entry.leaf_index,
                   kind=EntryKind(entry.kind).value, tracking_code=entry.tracking_code,
                   cast_at=record.iso_seconds(entry.cast_at), leaf_hash=entry.leaf_hash,
                   server_public_key=election.manifest["receipt_public_key"], signature=entry.receipt_signature,
                   head=entry.receipt_head)


# ---------------------------------------------------------------- appending

def append_entry(session: Session, election: Election, roll_entry: RollEntry, *, kind: EntryKind,
                 payload: dict[str, Any], tracking_code: str, now: datetime) -> tuple[BoardEntry, Receipt]:
    """Post a ballot as the next leaf and sign its receipt. The caller holds ``lock_election`` and
    has checked the window, the roll and the ballot; ``roll_entry.ballots_cast`` is the caller's
    (casting) business. May sign a tree head (see the module docstring)."""
    kind = EntryKind(kind)
    if roll_entry.election_id != election.id:
        raise VotingError("This voter is on another election's roll.")
    if entry_by_tracking_code(session, election, tracking_code) is not None:
        raise InvalidChoice("This ballot is already on the board (same tracking code).")
    keys = site_keys(session)
    if keys.bip340_public_hex != election.manifest["receipt_public_key"]:
        raise VotingError("The site's receipt key differs from the one in this election's manifest, so no "
                          "receipt could be checked; ask the operators to restore the signing key file.")
    index = session.execute(select(func.coalesce(func.max(BoardEntry.leaf_index) + 1, 0))
                            .where(BoardEntry.election_id == election.id)).scalar_one()
    cast_at = as_utc(now).replace(microsecond=0)
    fields = {"fingerprint": election.fingerprint, "leaf_index": index, "kind": kind.value, "alias": roll_entry.alias,
              "tracking_code": tracking_code, "cast_at": record.iso_seconds(cast_at), "payload": payload}
    leaf_hash = record.leaf_hash_hex(**fields)
    if kind == EntryKind.CAST:
        previous = session.execute(select(BoardEntry).where(
            BoardEntry.election_id == election.id, BoardEntry.roll_entry_id == roll_entry.id,
            BoardEntry.kind == EntryKind.CAST, BoardEntry.superseded_at.is_(None))).scalars().all()
        for earlier in previous:
            earlier.superseded_at, earlier.superseded_by = cast_at, index
    entry = BoardEntry(election_id=election.id, leaf_index=index, kind=kind, roll_entry_id=roll_entry.id,
                       payload=payload, tracking_code=tracking_code, leaf_hash=leaf_hash, cast_at=cast_at,
                       receipt_signature="")
    session.add(entry)
    session.flush()
    latest = latest_head(session, election)
    if latest is None or schedule_due(latest.size, latest.created_at, index + 1, now):
        latest = sign_head(session, election, now)
    # The receipt signs the latest head (after this cast's, if it signed one): the board the voter was
    # shown, which dataguild-verify --receipt finds in the record's chain (a fork otherwise).
    entry.receipt_head = head_hash(election, latest) if chained(election) else None
    receipt = record.sign_receipt_fields(
        keys.sign_bip340, election_id=election.id, fingerprint=election.fingerprint, leaf_index=index,
        kind=kind.value, tracking_code=tracking_code, cast_at=fields["cast_at"], leaf_hash=leaf_hash,
        server_public_key=keys.bip340_public_hex, head=entry.receipt_head)
    entry.receipt_signature = receipt.signature
    session.flush()
    return entry, receipt


# ---------------------------------------------------------------- tree heads

def latest_head(session: Session, election: Election) -> TreeHead | None:
    return session.execute(select(TreeHead).where(TreeHead.election_id == election.id)
                           .order_by(TreeHead.size.desc()).limit(1)).scalar_one_or_none()


def tree_heads(session: Session, election: Election) -> list[TreeHead]:
    return list(session.execute(select(TreeHead).where(TreeHead.election_id == election.id)
                                .order_by(TreeHead.size)).scalars())


def head_of_size(session: Session, election: Election, size: int) -> TreeHead | None:
    """The signed head of the board's first ``size`` leaves (None if no head of that size was signed)."""
    return session.execute(select(TreeHead).where(TreeHead.election_id == election.id,
                                                  TreeHead.size == size)).scalar_one_or_none()


def head_covering(session: Session, election: Election, leaf_index: int) -> TreeHead | None:
    """The latest signed head that includes leaf ``leaf_index`` (None if no head does yet)."""
    head = latest_head(session, election)
    return head if head is not None and head.size > leaf_index else None


def schedule_due(latest_size: int, latest_at: datetime, size: int, now: datetime) -> bool:
    """The head schedule (module docstring) given the latest head's size and creation time: the
    board has at least doubled since, or it grew and that head is ``HEAD_MAX_AGE`` old."""
    if size <= latest_size:
        return False
    return size >= 2 * latest_size or as_utc(now) - as_utc(latest_at) >= HEAD_MAX_AGE


def timestamp_ms(moment: datetime) -> int:
    return int(as_utc(moment).timestamp() * 1000)


def sign_head(session: Session, election: Election, now: datetime) -> TreeHead:
    """Sign the board's current head (or return the existing head of this size). Timestamps never go
    backwards, so every pair of heads passes ``merkle.verify_head_consistency``. Call it holding
    ``lock_election`` (as casting does); without the lock, a concurrent signer of the same size
    makes this transaction fail on the unique ``(election_id, size)`` rather than fork the heads."""
    log = merkle_log(session, election)
    latest = latest_head(session, election)
    if latest is not None and latest.size == log.size:
        return latest
    timestamp = timestamp_ms(now)
    if latest is not None:
        timestamp = max(timestamp, latest.timestamp)
    keys = site_keys(session)
    root = log.root()
    previous: bytes | None = None
    if chained(election):
        previous = bytes.fromhex(head_hash(election, latest)) if latest is not None else NO_PREVIOUS
    message = SignedTreeHead.signed_message(bytes.fromhex(election.fingerprint), log.size, root, timestamp, previous)
    head = TreeHead(election_id=election.id, size=log.size, root=root.hex(), timestamp=timestamp,
                    signature=keys.sign_bls(message), signing_key=keys.bls_public_hex,
                    previous=previous.hex() if previous is not None else None, created_at=now)
    session.add(head)
    session.flush()
    return head


def chained(election: Election) -> bool:
    """Whether the election's heads are chained and its receipts name the latest head: every election
    with a v2 manifest (a v1 election keeps v1 heads and receipts, so its record stays a v1 record)."""
    return election.manifest.get("format") != record.MANIFEST_FORMAT_V1


def signed_tree_head(election: Election, head: TreeHead) -> SignedTreeHead:
    return SignedTreeHead.from_json(head_json(election, head, with_key=False))


def head_hash(election: Election, head: TreeHead) -> str:
    """The head's hash (hex): what the next head's ``previous`` and a receipt's ``head`` hold."""
    previous = bytes.fromhex(head.previous) if head.previous is not None else None
    return merkle.head_hash(bytes.fromhex(election.fingerprint), head.size, bytes.fromhex(head.root), head.timestamp,
                            previous).hex()


def head_json(election: Election, head: TreeHead, *, with_key: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"fingerprint": election.fingerprint, "size": head.size, "root": head.root,
                            "timestamp": head.timestamp, "signature": head.signature}
    if head.previous is not None:
        data["previous"] = head.previous
    if with_key:
        data["signing_key"] = head.signing_key
    return data


def inclusion_proof(session: Session, election: Election, leaf_index: int, size: int) -> list[str]:
    """RFC 9162 inclusion proof of leaf ``leaf_index`` in the tree of the first ``size`` leaves (hex)."""
    return [h.hex() for h in merkle_log(session, election).inclusion_proof(leaf_index, size)]


def consistency_proof(session: Session, election: Election, first: int, second: int) -> list[str]:
    return [h.hex() for h in merkle_log(session, election).consistency_proof(first, second)]


def roll_alias(session: Session, entry: BoardEntry) -> str:
    roll_entry = session.get(RollEntry, entry.roll_entry_id)
    assert roll_entry is not None  # a foreign key
    return roll_entry.alias
