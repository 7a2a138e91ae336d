"""Checking a ballot receipt against the public board, one named check at a time.

A receipt (``voting.record.canonical.Receipt``) is the election server's signed promise that a ballot sits at a
given leaf of the board. ``check_receipt`` answers, each with a plain explanation:

1. ``election``: the receipt's fingerprint is the election's (same manifest);
2. ``signature``: the election server's BIP-340 key in the manifest signed the receipt;
3. ``on_board``: a ballot with this tracking code is on the board;
4. ``position``: at the receipt's leaf index, with the receipt's kind and time;
5. ``leaf_hash``: the published entry hashes to the receipt's leaf hash;
6. ``inclusion``: the leaf hash is in the latest signed tree head that covers it (RFC 9162 proof);
7. ``head_signature``: the cooperative's BLS key in the manifest signed that head;
8. ``head_chain`` (v2 elections): the head the receipt signs, the latest when the ballot was cast, is in
   the board's chain of heads and the latest head is consistent with it (RFC 9162), so no fork.

Checks 6 and 7 are *pending* (not failed) while no signed head covers the leaf yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from governance.signing import verify_bls
from governance.sitecontext import as_utc
from voting import VotingError
from voting.crypto.errors import CryptoError
from voting.crypto.merkle import MerkleLog, verify_consistency, verify_inclusion_hash
from voting.elections import board
from voting.elections.models import BoardEntry, Election, EntryKind, TreeHead
from voting.record import canonical as record
from voting.record.canonical import Receipt

PASS, FAIL, PENDING = "pass", "fail", "pending"
MAX_RECEIPT_BYTES = 16_384


class ReceiptUnreadable(VotingError):
    """The text is not a receipt (not JSON, or not the receipt format)."""


class UnknownElection(VotingError):
    """The receipt names an election this site does not have."""


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    status: str
    explanation: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "status": self.status, "explanation": self.explanation}


@dataclass
class ReceiptCheck:
    receipt: Receipt
    election: Election
    checks: list[Check] = field(default_factory=list)
    entry: BoardEntry | None = None
    head: TreeHead | None = None
    proof: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log: MerkleLog | None = None

    @property
    def status(self) -> str:
        """``fail`` if any check failed, else ``pending`` if any is pending, else ``pass``."""
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else PENDING if PENDING in statuses else PASS

    def to_json(self) -> dict[str, Any]:
        head = board.head_json(self.election, self.head) if self.head is not None else None
        return {"status": self.status, "election_id": self.election.id, "fingerprint": self.election.fingerprint,
                "receipt": self.receipt.to_json(), "checks": [c.to_json() for c in self.checks],
                "tree_head": head, "inclusion_proof": self.proof if self.head is not None else None,
                "notes": self.notes}


def parse_receipt(data: str | bytes | object) -> Receipt:
    """A receipt from pasted/uploaded text or an already decoded JSON value; ``ReceiptUnreadable`` otherwise."""
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_RECEIPT_BYTES:
            raise ReceiptUnreadable(f"A receipt is a small JSON file; this one is over {MAX_RECEIPT_BYTES} bytes.")
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise ReceiptUnreadable("The receipt is not UTF-8 text; upload the .json file you downloaded.") from None
    if isinstance(data, str):
        if not data.strip():
            raise ReceiptUnreadable("Paste the receipt (the JSON text) or choose the receipt file.")
        if len(data) > MAX_RECEIPT_BYTES:
            raise ReceiptUnreadable(f"A receipt is a small JSON file; this one is over {MAX_RECEIPT_BYTES} bytes.")
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ReceiptUnreadable(f"This is not valid JSON ({exc}); paste the whole receipt, braces included.") \
                from None
    try:
        return Receipt.from_json(data)
    except CryptoError as exc:
        raise ReceiptUnreadable(f"This is not a dataguild ballot receipt: {exc}.") from None


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _short(hex_text: str) -> str:
    return f"{hex_text[:16]}…"


def check_receipt(session: Session, receipt: Receipt) -> ReceiptCheck:
    """Run every check (read-only: never signs a head). ``UnknownElection`` if there is no such election."""
    election = session.get(Election, receipt.election_id)
    if election is None:
        raise UnknownElection(f"This site has no election #{receipt.election_id}; the receipt may come from "
                              "another cooperative's site.")
    result = ReceiptCheck(receipt=receipt, election=election)
    add = result.checks.append
    if receipt.fingerprint != election.fingerprint:
        add(Check("election", "Same election", FAIL,
                  f"The receipt's fingerprint {_short(receipt.fingerprint)} is not the fingerprint of election "
                  f"#{election.id} ({_short(election.fingerprint)}): it belongs to another election or was altered."))
    else:
        add(Check("election", "Same election", PASS,
                  f"The receipt names election #{election.id} by its fingerprint {_short(election.fingerprint)}."))
    server_key = election.manifest["receipt_public_key"]
    try:
        record.verify_receipt(receipt, server_key)
        add(Check("signature", "Signed by the election server", PASS,
                  f"The election server's key {_short(server_key)} (in the manifest) signed exactly this receipt: "
                  "it promised to post this ballot at this place on the board."))
    except CryptoError as exc:
        add(Check("signature", "Signed by the election server", FAIL,
                  f"The signature does not verify with the election server's key {_short(server_key)}: {exc}. "
                  "The receipt was altered or did not come from this site."))
    _check_board(session, result)
    _check_head(session, result)
    _check_chain(session, result)
    return result


def _check_board(session: Session, result: ReceiptCheck) -> None:
    receipt, election, add = result.receipt, result.election, result.checks.append
    entry = board.entry_by_tracking_code(session, election, receipt.tracking_code)
    result.entry = entry
    if entry is None:
        add(Check("on_board", "On the board", FAIL,
                  f"No ballot with tracking code {_short(receipt.tracking_code)} is on the board. If the signature "
                  "above is valid, keep this receipt: it proves the server accepted a ballot it does not show."))
        return
    add(Check("on_board", "On the board", PASS,
              f"A ballot with tracking code {_short(receipt.tracking_code)} is on the board."))
    kind, cast_at = EntryKind(entry.kind).value, record.iso_seconds(entry.cast_at)
    if (entry.leaf_index, kind, cast_at) != (receipt.leaf_index, receipt.kind, receipt.cast_at):
        add(Check("position", "At the promised place", FAIL,
                  f"The board has it as {kind} ballot #{entry.leaf_index} at {cast_at}; the receipt says "
                  f"{receipt.kind} ballot #{receipt.leaf_index} at {receipt.cast_at}."))
    else:
        add(Check("position", "At the promised place", PASS,
                  f"It is entry #{entry.leaf_index} of the board ({kind}, posted {cast_at}), as the receipt says."))
    alias = board.roll_alias(session, entry)
    recomputed = record.leaf_hash_hex(**board.leaf_fields(election, entry, alias))
    if recomputed == receipt.leaf_hash == entry.leaf_hash:
        add(Check("leaf_hash", "Unchanged since it was cast", PASS,
                  "The entry as published (ballot, voter alias, time) hashes to the leaf hash in the receipt."))
    else:
        add(Check("leaf_hash", "Unchanged since it was cast", FAIL,
                  "The entry as published does not hash to the leaf hash in the receipt: the board shows "
                  "something other than what was signed."))
    if kind == EntryKind.AUDITED.value:
        result.notes.append("This is an audited ballot: its choices were revealed and it is never counted.")
    elif entry.superseded_by is not None:
        result.notes.append(f"This ballot was replaced by a later ballot of the same voter (entry "
                            f"#{entry.superseded_by}); only the voter's last ballot counts.")
    else:
        result.notes.append("This is the voter's latest ballot: it is the one that counts.")


def _check_head(session: Session, result: ReceiptCheck) -> None:
    receipt, election, add = result.receipt, result.election, result.checks.append
    head = board.head_covering(session, election, receipt.leaf_index)
    if head is None:
        latest = board.latest_head(session, election)
        closes = f"at the latest when the election closes ({record.iso_seconds(election.closes_at)})"
        if latest is None:
            when = f"the next head is signed with the next ballot, and {closes}"
        else:
            again = record.iso_seconds(as_utc(latest.created_at) + board.HEAD_MAX_AGE)
            when = (f"the next head is signed when the board reaches {_entries(max(2 * latest.size, 1))} or with "
                    f"the first ballot cast after {again}, and {closes}")
        message = (f"Not yet in a signed tree head (the latest covers {_entries(latest.size if latest else 0)}); "
                   f"check again later: {when}. Your receipt is already the board's signed promise to include "
                   "this ballot.")
        add(Check("inclusion", "In the signed board", PENDING, message))
        add(Check("head_signature", "Board head signed by the cooperative", PENDING,
                  "Checked once a signed tree head covers this ballot."))
        return
    result.head = head
    try:
        proof = [h.hex() for h in _log(session, result).inclusion_proof(receipt.leaf_index, head.size)]
        result.proof = proof
        verify_inclusion_hash(bytes.fromhex(receipt.leaf_hash), receipt.leaf_index, head.size,
                              [bytes.fromhex(p) for p in proof], bytes.fromhex(head.root))
        add(Check("inclusion", "In the signed board", PASS,
                  f"The inclusion proof ({len(proof)} hashes) leads from the receipt's leaf hash to the root "
                  f"{_short(head.root)} of the signed tree head of {_entries(head.size)}."))
    except (CryptoError, ValueError) as exc:
        add(Check("inclusion", "In the signed board", FAIL,
                  f"The receipt's leaf hash is not at entry #{receipt.leaf_index} of the signed tree head of "
                  f"{_entries(head.size)}: {exc}."))
    board_key = election.manifest["board_public_key"]
    try:
        verify_bls(board_key, _head_message(election, head), head.signature)
        add(Check("head_signature", "Board head signed by the cooperative", PASS,
                  f"The cooperative's key {_short(board_key)} (in the manifest) signed this tree head, so the "
                  "board cannot later drop or change this ballot without it showing."))
    except (CryptoError, ValueError) as exc:
        add(Check("head_signature", "Board head signed by the cooperative", FAIL,
                  f"The tree head's signature does not verify with the cooperative's key {_short(board_key)}: {exc}."))


def _log(session: Session, result: ReceiptCheck) -> MerkleLog:
    """The board's Merkle log, read once per check (the inclusion and the consistency proof share it)."""
    if result.log is None:
        result.log = board.merkle_log(session, result.election)
    return result.log


def _head_message(election: Election, head: TreeHead) -> bytes:
    return board.signed_tree_head(election, head).message()


def _check_chain(session: Session, result: ReceiptCheck) -> None:
    """The head the receipt signs (the latest when the ballot was cast) is one of the board's chained
    heads, and the latest head extends it (RFC 9162 consistency): the board has not forked since."""
    receipt, election, add = result.receipt, result.election, result.checks.append
    if not board.chained(election):
        return
    title = "The board you were shown is still this board"
    if receipt.head is None:
        add(Check("head_chain", title, FAIL,
                  "This election's receipts name the board's latest signed head, and this one names none: it was "
                  "not issued for this election as it stands, or was altered."))
        return
    heads = board.tree_heads(session, election)
    shown = next((h for h in heads if board.head_hash(election, h) == receipt.head), None)
    if shown is None:
        add(Check("head_chain", title, FAIL,
                  f"The signed tree head this receipt names ({_short(receipt.head)}) is not in the board's chain of "
                  "heads: the server showed you a board that it no longer publishes (a fork). Keep this receipt "
                  "and tell the observers: its signature is the server's own evidence."))
        return
    latest = heads[-1]
    try:
        proof = [h.hex() for h in _log(session, result).consistency_proof(shown.size, latest.size)]
        verify_consistency(shown.size, latest.size, bytes.fromhex(shown.root), bytes.fromhex(latest.root),
                           [bytes.fromhex(p) for p in proof])
    except (CryptoError, ValueError) as exc:
        add(Check("head_chain", title, FAIL,
                  f"The latest head does not extend the head of {_entries(shown.size)} your receipt names: {exc}."))
        return
    add(Check("head_chain", title, PASS,
              f"When you cast, the latest signed head covered {_entries(shown.size)}; it is in the board's chain of "
              f"signed heads and the latest head ({_entries(latest.size)}) extends it (a {len(proof)}-hash RFC 9162 "
              "consistency proof), so nobody was shown a different board."))
