"""Casting and auditing ballots: the checks, the encryption, the board entry and the receipt.

Every check runs before anything is written, in this order: the election is open by the clock, the
member is on the frozen roll, the ballot was prepared after the member's latest cast (checked under
the election's row lock, so of two casts sent at the same instant from two sessions exactly one is
accepted), and the ballot fits the questions. A **secret** ballot arrives encrypted: the voter's
device (the ballot page's JavaScript, or ``dataguild vote``; ``voting.elections.client``) encrypted it
under the manifest's election key with every proof, and the server verifies it like any ballot from
outside. The server never receives a secret ballot's choices, and refuses them if sent
(:class:`PlainChoicesRefused`). An **open** roll call sends its choices.

Cast-or-audit: the device may instead post the ballot as audited, with its randomness revealed; the
server checks that the reveal reopens it; never counted, it does not change the member's count of
casts; the device then encrypts afresh and the member votes for real.

Board payloads (``BoardEntry.payload``, hashed into the leaf):

- secret cast: the encrypted ballot, ``EncryptedBallot.to_json()``; its tracking code is the ballot's;
- secret audited: ``{"ballot": EncryptedBallot.to_json(), "reveal": audit_reveal(...)}``;
- open cast: ``{"ballot_ref": "b-<24 hex>", "choices": [[int per option] per question]}``; its tracking
  code is :func:`open_tracking_code` (the random reference keeps two equal ballots apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.members.models import Member
from proposals.models import Proposal, ProposalState
from voting import InvalidChoice, NotOnRoll, StaleBallot, VotingError, WindowClosed
from voting.crypto.ballot import EncryptedBallot, check_audited_ballot, verify_ballot
from voting.crypto.errors import CryptoError
from voting.elections.board import append_entry, lock_election
from voting.elections.client import check_choices, new_ballot_ref, plain_int
from voting.elections.models import BoardEntry, Election, ElectionState, EntryKind, RollEntry, Secrecy
from voting.elections.services import election_key, election_of, question_specs, roll_entry_of
from voting.record.canonical import Receipt, canonical_bytes

STALE_MESSAGE = "You voted in another window or tab a moment ago; reload to see your current ballot."
PLAIN_CHOICES_REFUSED = ("This is a secret ballot: it is encrypted on your own device before it is sent, so the site "
                        "never receives your choices. Your browser did not encrypt it (JavaScript is off or did "
                        "not load): turn JavaScript on, or vote with the command-line client `dataguild vote` "
                        "(docs/ballots.md).")


OPEN_ROLL_CALL_BALLOT = "This is an open roll call: send the choices themselves, not an encrypted ballot."


class PlainChoicesRefused(InvalidChoice):
    """A secret election was sent plain choices: only an encrypted ballot is accepted (HTTP 400)."""


@dataclass(frozen=True)
class CastResult:
    entry: BoardEntry
    receipt: Receipt
    replaced: int | None  # leaf index of the ballot this one supersedes (a re-vote)


@dataclass(frozen=True)
class AuditResult:
    entry: BoardEntry
    receipt: Receipt
    reveal: dict[str, Any]       # the posted reveal: choices and all randomness
    choices: list[list[int]]     # what the ballot encrypts, recomputed from the reveal


def _when(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------- the checks


def check_window(election: Election, now: datetime) -> None:
    if election.state != ElectionState.OPEN:
        raise WindowClosed(f"This election closed at {_when(election.closes_at)}; ballots are no longer accepted.")
    if utc(now) < utc(election.opens_at):
        raise WindowClosed(f"This election opens at {_when(election.opens_at)}; come back then.")
    if utc(now) >= utc(election.closes_at):
        raise WindowClosed(f"This election closed at {_when(election.closes_at)} (it was open from "
                           f"{_when(election.opens_at)}); ballots are no longer accepted.")


def check_proposal_voting(session: Session, election: Election) -> None:
    """A steward may cancel a proposal while it is in voting: its election then takes no ballots."""
    state = session.execute(select(Proposal.state).where(Proposal.id == election.proposal_id)).scalar_one()
    if ProposalState(state) == ProposalState.CANCELLED:
        raise WindowClosed("A steward cancelled this proposal while it was in voting; ballots are no longer "
                           "accepted.")


def check_on_roll(session: Session, election: Election, member: Member) -> RollEntry:
    entry = roll_entry_of(session, election, member)
    if entry is None:
        raise NotOnRoll("You are not on this election's roll: it lists the members who could vote when voting "
                        f"opened ({_when(election.opens_at)}).")
    return entry


# ---------------------------------------------------------------- building the board payload


def open_tracking_code(fingerprint: str, ballot_ref: str, choices: list[list[int]]) -> str:
    """An open ballot's tracking code: SHA-256 of the canonical JSON of what it says."""
    return sha256(canonical_bytes({"type": "dataguild/open-ballot", "election": fingerprint,
                                   "ballot_ref": ballot_ref, "choices": choices})).hexdigest()


def verified_ballot(election: Election, data: object) -> EncryptedBallot:
    """The encrypted ballot the voter's device sent, read and verified like any ballot from outside
    (its fingerprint is this election's and every proof holds), or :class:`InvalidChoice` naming why."""
    if election.secrecy != Secrecy.SECRET:
        raise InvalidChoice(OPEN_ROLL_CALL_BALLOT)
    key = election_key(election)
    if key is None:
        raise VotingError("This secret election has no election key; ask a steward.")
    try:
        ballot = EncryptedBallot.from_json(data)
    except CryptoError as exc:
        raise InvalidChoice(f"The encrypted ballot cannot be read: {exc}.") from None
    if ballot.election.hex() != election.fingerprint:
        raise InvalidChoice("The ballot was encrypted for another election: its fingerprint is not this "
                            "election's. Reload the ballot page and vote again.")
    try:
        verify_ballot(ballot, list(question_specs(election)), key, ballot.election)
    except CryptoError as exc:
        raise InvalidChoice(f"The ballot's proofs do not verify, so it cannot be accepted: {exc}.") from None
    return ballot


def _cast_payload(election: Election, choices: object, ballot: object) -> tuple[dict[str, Any], str]:
    """(board payload, tracking code) of a cast: a secret election takes only an encrypted ballot (its
    choices never reach the server), an open one only the choices."""
    if election.secrecy == Secrecy.SECRET:
        if choices is not None or ballot is None:
            raise PlainChoicesRefused(PLAIN_CHOICES_REFUSED)
        verified = verified_ballot(election, ballot)
        return verified.to_json(), verified.tracking_code()
    if ballot is not None:
        raise InvalidChoice(OPEN_ROLL_CALL_BALLOT)
    checked = check_choices(question_specs(election), choices)
    ref = new_ballot_ref()
    return {"ballot_ref": ref, "choices": checked}, open_tracking_code(election.fingerprint, ref, checked)


def _previous_cast(session: Session, election: Election, roll_entry: RollEntry) -> int | None:
    return session.execute(select(BoardEntry.leaf_index).where(
        BoardEntry.election_id == election.id, BoardEntry.roll_entry_id == roll_entry.id,
        BoardEntry.kind == EntryKind.CAST, BoardEntry.superseded_at.is_(None))).scalar_one_or_none()


# ---------------------------------------------------------------- the services


def cast_ballot(session: Session, election: Election, member: Member, *, expected_previous: int, now: datetime,
                choices: object = None, ballot: object = None) -> CastResult:
    """Cast ``member``'s ballot: the encrypted ``ballot`` JSON of a secret election (as the voter's
    device made it, ``voting.elections.client``), or the ``choices`` of an open one.
    ``expected_previous`` is the member's count of casts when the ballot page was shown. Raises
    :class:`VotingError` subclasses before writing anything."""
    check_window(election, now)
    check_on_roll(session, election, member)
    # Read and verify before taking the lock (the manifest never changes), so that the lock is held
    # only for the append; a refusal of the ballot still comes after the stale check.
    try:
        payload, tracking_code = _cast_payload(election, choices, ballot)
        refusal: InvalidChoice | None = None
    except InvalidChoice as exc:
        refusal = exc
    election = lock_election(session, election)
    check_window(election, now)  # the election may have moved on while we waited for the lock
    check_proposal_voting(session, election)
    roll_entry = check_on_roll(session, election, member)
    session.refresh(roll_entry)
    if not plain_int(expected_previous) or expected_previous != roll_entry.ballots_cast:
        raise StaleBallot(STALE_MESSAGE)
    if refusal is not None:
        raise refusal
    replaced = _previous_cast(session, election, roll_entry)
    entry, receipt = append_entry(session, election, roll_entry, kind=EntryKind.CAST, payload=payload,
                                  tracking_code=tracking_code, now=now)
    roll_entry.ballots_cast += 1
    session.flush()
    # No audit entry: with the member's name and a time it would tie them to their alias on the board.
    return CastResult(entry=entry, receipt=receipt, replaced=replaced)


def audit_ballot(session: Session, election: Election, member: Member, *, ballot: object, reveal: object,
                 now: datetime) -> AuditResult:
    """Post an encrypted ballot with its randomness revealed (cast-or-audit, secret elections only):
    the voter's device made it and chose to audit it. The server checks the proofs and that the reveal
    reopens the ballot (what any tool recomputes from the board); never counted, the member's count of
    casts unchanged."""
    if election.secrecy != Secrecy.SECRET:
        raise InvalidChoice("Only secret ballots can be audited: an open ballot is public already.")
    check_window(election, now)
    check_on_roll(session, election, member)
    verified = verified_ballot(election, ballot)
    key = election_key(election)
    assert key is not None  # verified_ballot refused otherwise
    try:
        revealed = check_audited_ballot(verified, reveal, key)
    except CryptoError as exc:
        raise InvalidChoice(f"The revealed randomness does not reopen this ballot: {exc}.") from None
    assert isinstance(reveal, dict)  # check_audited_ballot read it as an object
    election = lock_election(session, election)
    check_window(election, now)  # the election may have moved on while we waited for the lock
    check_proposal_voting(session, election)
    roll_entry = check_on_roll(session, election, member)
    entry, receipt = append_entry(session, election, roll_entry, kind=EntryKind.AUDITED,
                                  payload={"ballot": verified.to_json(), "reveal": reveal},
                                  tracking_code=verified.tracking_code(), now=now)
    return AuditResult(entry=entry, receipt=receipt, reveal=reveal, choices=revealed)


# ---------------------------------------------------------------- who has voted (for proposals.notifications)


def voters_of(session: Session, proposal: Proposal) -> list[int] | None:
    """Member ids with a counted ballot in the proposal's election (None: no election)."""
    election = election_of(session, proposal.id)
    if election is None:
        return None
    return list(session.execute(select(RollEntry.member_id).where(
        RollEntry.election_id == election.id, RollEntry.ballots_cast > 0)).scalars())
