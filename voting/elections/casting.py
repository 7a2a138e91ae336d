"""Casting and auditing ballots: the checks, the encryption, the board entry and the receipt.

Every check runs before anything is written, in this order: the election is open by the clock, the
member is on the frozen roll, the ballot was prepared after the member's latest cast (checked under
the election's row lock, so of two casts sent at the same instant from two sessions exactly one is
accepted), and the choices fit the questions. Only then is the ballot encrypted (secret elections:
in this request, with the election key, then verified like any ballot from outside) and appended to
the board. Of a secret ballot the server keeps only the encrypted ballot with its proofs: the
choices and the randomness go out of scope with this request and are never logged.

Cast-or-audit: an audited ballot is encrypted the same way, posted with its randomness revealed,
never counted and does not change the member's count of casts; the member then votes for real.

Board payloads (``BoardEntry.payload``, hashed into the leaf):

- secret cast: the encrypted ballot, ``EncryptedBallot.to_json()``; its tracking code is the ballot's;
- secret audited: ``{"ballot": EncryptedBallot.to_json(), "reveal": audit_reveal(...)}``;
- open cast: ``{"ballot_ref": "b-<24 hex>", "choices": [[int per option] per question]}``; its tracking
  code is :func:`open_tracking_code` (the random reference keeps two equal ballots apart).
"""

from __future__ import annotations

import secrets as secrets_module
from collections.abc import Sequence
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
from voting.crypto.ballot import (
    BallotSecrets,
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticQuestion,
    audit_reveal,
    check_audited_ballot,
    encrypt_ballot,
    verify_ballot,
)
from voting.crypto.errors import CryptoError
from voting.elections.board import append_entry, lock_election
from voting.elections.models import BoardEntry, Election, ElectionState, EntryKind, RollEntry, Secrecy
from voting.elections.services import election_key, election_of, question_specs, roll_entry_of
from voting.record.canonical import Receipt, canonical_bytes

STALE_MESSAGE = "You voted in another window or tab a moment ago; reload to see your current ballot."


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


def _plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_question(q: int, spec: ChoiceQuestion | QuadraticQuestion, values: object) -> list[int]:
    field = f"q{q}"
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != len(spec.options) \
            or not all(_plain_int(v) for v in values):
        raise InvalidChoice("This ballot does not match the question: one whole number per option is needed.",
                            {field: "Give one whole number per option."})
    vals = list(values)
    if isinstance(spec, ChoiceQuestion):
        if any(v not in (0, 1) for v in vals):
            raise InvalidChoice("An option is either chosen or not.", {field: "An option is either chosen or not."})
        chosen, lo, hi = sum(vals), spec.min_selections, spec.max_selections
        if not lo <= chosen <= hi:
            wanted = f"exactly {lo}" if lo == hi else f"between {lo} and {hi}"
            message = f"Choose {wanted} option{'s' if hi != 1 else ''}; this ballot has {chosen}."
            if lo == hi == 1:
                message = "Choose one option." if chosen == 0 else f"Choose only one option; this ballot has {chosen}."
            raise InvalidChoice(message, {field: message})
        return vals
    low, high = spec.vote_range
    for i, v in enumerate(vals):
        label = {"for": "For", "against": "Against"}.get(spec.options[i], spec.options[i])
        if v < 0 and not spec.allow_negative:
            message = f"Negative votes are not allowed on this ballot (“{label}” has {v})."
            raise InvalidChoice(message, {field: message})
        if not low <= v <= high:
            message = (f"“{label}” has {v} votes, which would cost {v * v} voice credits; one option can have "
                       f"at most {high} votes with a budget of {spec.budget}.")
            raise InvalidChoice(message, {field: message})
    spent = sum(v * v for v in vals)
    if spent > spec.budget:
        message = (f"Over budget: this ballot spends {spent} voice credits and the budget is {spec.budget}. "
                   f"Take away {spent - spec.budget} credits' worth of votes.")
        raise InvalidChoice(message, {field: message})
    return vals


def check_choices(specs: Sequence[ChoiceQuestion | QuadraticQuestion], choices: object) -> list[list[int]]:
    """The choices, validated against every question (one list of integers per question), or
    :class:`InvalidChoice` with a sentence for the member (``errors`` keyed ``q<index>``)."""
    if isinstance(choices, str) or not isinstance(choices, Sequence) or len(choices) != len(specs):
        raise InvalidChoice(f"This ballot answers {len(choices) if isinstance(choices, Sequence) else 0} "
                            f"question(s); the election asks {len(specs)}.")
    return [_check_question(q, spec, values) for q, (spec, values) in enumerate(zip(specs, choices, strict=True))]


# ---------------------------------------------------------------- building the board payload


def new_ballot_ref() -> str:
    """A random reference: it names the ballot in its proofs and says nothing about the voter."""
    return "b-" + secrets_module.token_hex(12)


def open_tracking_code(fingerprint: str, ballot_ref: str, choices: list[list[int]]) -> str:
    """An open ballot's tracking code: SHA-256 of the canonical JSON of what it says."""
    return sha256(canonical_bytes({"type": "dataguild/open-ballot", "election": fingerprint,
                                   "ballot_ref": ballot_ref, "choices": choices})).hexdigest()


def _encrypt(election: Election, choices: list[list[int]]) -> tuple[EncryptedBallot, BallotSecrets]:
    """Encrypt in this request with the election key, then verify the result as if it came from a
    browser: a ballot the server cannot verify is never accepted."""
    key = election_key(election)
    if key is None:
        raise VotingError("This secret election has no election key; ask a steward.")
    specs = question_specs(election)
    fingerprint = bytes.fromhex(election.fingerprint)
    try:
        ballot, ballot_secrets = encrypt_ballot(list(specs), choices, key, fingerprint, new_ballot_ref())
        verify_ballot(ballot, list(specs), key, fingerprint)
    except CryptoError as exc:  # the choices were checked above, so this is a fault, not the member's
        raise InvalidChoice(f"The ballot could not be encrypted and verified: {exc}") from exc
    return ballot, ballot_secrets


def _cast_payload(election: Election, checked: list[list[int]]) -> tuple[dict[str, Any], str]:
    """(board payload, tracking code) of a cast ballot; a secret ballot's secrets are dropped here."""
    if election.secrecy == Secrecy.SECRET:
        ballot, _ = _encrypt(election, checked)
        return ballot.to_json(), ballot.tracking_code()
    ref = new_ballot_ref()
    return {"ballot_ref": ref, "choices": checked}, open_tracking_code(election.fingerprint, ref, checked)


def _previous_cast(session: Session, election: Election, roll_entry: RollEntry) -> int | None:
    return session.execute(select(BoardEntry.leaf_index).where(
        BoardEntry.election_id == election.id, BoardEntry.roll_entry_id == roll_entry.id,
        BoardEntry.kind == EntryKind.CAST, BoardEntry.superseded_at.is_(None))).scalar_one_or_none()


# ---------------------------------------------------------------- the services


def cast_ballot(session: Session, election: Election, member: Member, *, choices: object, expected_previous: int,
                now: datetime) -> CastResult:
    """Cast ``member``'s ballot. ``expected_previous`` is the member's count of casts when the
    ballot page was shown. Raises :class:`VotingError` subclasses before writing anything."""
    check_window(election, now)
    check_on_roll(session, election, member)
    # Check and encrypt before taking the lock (the manifest never changes), so that the lock is
    # held only for the append; a refusal of the choices still comes after the stale check.
    try:
        payload, tracking_code = _cast_payload(election, check_choices(question_specs(election), choices))
        refusal: InvalidChoice | None = None
    except InvalidChoice as exc:
        refusal = exc
    election = lock_election(session, election)
    check_window(election, now)  # the election may have moved on while we waited for the lock
    check_proposal_voting(session, election)
    roll_entry = check_on_roll(session, election, member)
    session.refresh(roll_entry)
    if not _plain_int(expected_previous) or expected_previous != roll_entry.ballots_cast:
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


def audit_ballot(session: Session, election: Election, member: Member, *, choices: object,
                 now: datetime) -> AuditResult:
    """Encrypt ``choices`` as for casting, then post the ballot with its randomness revealed
    (cast-or-audit, secret elections only): never counted, the member's count of casts unchanged."""
    if election.secrecy != Secrecy.SECRET:
        raise InvalidChoice("Only secret ballots can be audited: an open ballot is public already.")
    check_window(election, now)
    check_on_roll(session, election, member)
    ballot, ballot_secrets = _encrypt(election, check_choices(question_specs(election), choices))
    reveal = audit_reveal(ballot, ballot_secrets)
    key = election_key(election)
    assert key is not None  # _encrypt refused otherwise
    revealed = check_audited_ballot(ballot, reveal, key)  # what any tool recomputes from the board
    election = lock_election(session, election)
    check_window(election, now)  # the election may have moved on while we waited for the lock
    check_proposal_voting(session, election)
    roll_entry = check_on_roll(session, election, member)
    entry, receipt = append_entry(session, election, roll_entry, kind=EntryKind.AUDITED,
                                  payload={"ballot": ballot.to_json(), "reveal": reveal},
                                  tracking_code=ballot.tracking_code(), now=now)
    return AuditResult(entry=entry, receipt=receipt, reveal=reveal, choices=revealed)


# ---------------------------------------------------------------- who has voted (for proposals.notifications)


def voters_of(session: Session, proposal: Proposal) -> list[int] | None:
    """Member ids with a counted ballot in the proposal's election (None: no election)."""
    election = election_of(session, proposal.id)
    if election is None:
        return None
    return list(session.execute(select(RollEntry.member_id).where(
        RollEntry.election_id == election.id, RollEntry.ballots_cast > 0)).scalars())
