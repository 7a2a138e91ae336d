"""Counting an election: closing it, the encrypted tally, the trustees' decryption shares, the result
with its certificate, and the proposal's outcome (docs/counting.md).

- :func:`close_election` (after the window, under the election lock): signs the final tree head; an
  open roll call (or a secret election without ballots) is decided at once from the board; a secret
  election posts its encrypted tally and waits for k trustees.
- :func:`submit_decryption`: a trustee's partial decryptions, each proof checked against the joint key
  with the position (election fingerprint, question, option); the k-th valid set decides.
- deciding stores the result document, marks the election decided and calls
  ``proposals.outcome.record_outcome`` (which enacts an adopted proposal) in the same transaction, and
  emits the ``election.result`` webhook event (docs/webhooks.md).
- :func:`sign_result`: a decrypting trustee's BLS signature over the result message; the certificate is
  the aggregate of all signatures so far. An open election's certificate is the cooperative's own
  BLS signature (the board key) over the same message.

Every refusal is a ``VotingError`` raised before anything is written; callers roll back on any error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from governance.audit.actions import describe_actions
from governance.audit.services import record_event
from governance.members.models import Member
from governance.signing import site_keys
from governance.sitecontext import as_utc
from governance.webhooks import emit
from proposals.access import is_steward
from proposals.errors import ProposalError
from proposals.models import Proposal, ProposalState
from proposals.outcome import alternatives_of, record_outcome
from voting import ElectionError, InvalidChoice, NotPermitted, VotingError
from voting.committees.models import CommitteeTrustee
from voting.counting.models import DecryptionShareRecord
from voting.counting.results import vote_result
from voting.crypto import bls
from voting.crypto.errors import CryptoError
from voting.elections import board
from voting.elections.models import Election, ElectionState, EntryKind, Secrecy
from voting.elections.services import question_specs
from voting.record import document as er
from voting.record import tally

describe_actions({
    "election.closed": "Election closed: final board head signed",
    "election.cancelled": "Election closed uncounted: its proposal was cancelled during voting",
    "election.tally_posted": "Encrypted tally posted for the trustees to decrypt",
    "election.decryption_submitted": "A trustee's partial decryption of the tally was checked and stored",
    "election.decided": "Election result computed and the proposal's outcome recorded",
    "election.result_signed": "A trustee co-signed the election result",
})


class WrongState(ElectionError):
    """The election is not at the step this needs (still open, or already decided)."""

    status = 409


class AlreadySubmitted(VotingError):
    status = 409


class InvalidShares(InvalidChoice):
    """Decryption shares or a signature that do not verify (or are malformed)."""


def _when(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- reading

def board_leaves(session: Session, election: Election) -> list[tally.BoardLeaf]:
    return [tally.BoardLeaf(entry.leaf_index, EntryKind(entry.kind).value, alias, entry.payload)
            for entry, alias in board.board_entries(session, election)]


def share_records(session: Session, election: Election) -> list[DecryptionShareRecord]:
    return list(session.execute(select(DecryptionShareRecord).where(DecryptionShareRecord.election_id == election.id)
                                .order_by(DecryptionShareRecord.trustee_index)).scalars())


def threshold(election: Election) -> int | None:
    committee = election.manifest.get("committee")
    return int(committee["k"]) if committee else None


def due_elections(session: Session, now: datetime) -> list[Election]:
    """Open elections whose window has ended or whose proposal was cancelled (``dataguild count`` closes them)."""
    stmt = (select(Election).join(Proposal, Proposal.id == Election.proposal_id)
            .where(Election.state == ElectionState.OPEN,
                   or_(Election.closes_at <= now, Proposal.state == ProposalState.CANCELLED))
            .order_by(Election.id))
    return list(session.execute(stmt).scalars())


def _cancel(session: Session, election: Election, *, actor: Member | None, now: datetime) -> Election:
    """The proposal was cancelled in voting: sign the board's final head and close it uncounted."""
    head = board.sign_head(session, election, now)
    election.state = ElectionState.CANCELLED
    session.flush()
    record_event(session, actor=actor, action="election.cancelled", subject_type="election", subject_id=election.id,
                 details={"fingerprint": election.fingerprint, "board_size": head.size, "root": head.root}, now=now)
    return election


# ---------------------------------------------------------------- closing

def close_election(session: Session, election: Election, *, now: datetime, actor: Member | None = None,
                   base_url: str | None = None) -> Election:
    """Close ``election`` after its window (``actor`` None: the system; otherwise a steward). Closing a
    closed election does nothing."""
    if actor is not None and not is_steward(actor):
        raise NotPermitted("Only stewards close elections.")
    board.lock_election(session, election)
    if election.state != ElectionState.OPEN:
        return election
    proposal = session.get(Proposal, election.proposal_id)
    assert proposal is not None  # a foreign key
    if ProposalState(proposal.state) == ProposalState.CANCELLED:
        return _cancel(session, election, actor=actor, now=now)
    ends = max(as_utc(election.closes_at), as_utc(proposal.voting_closes_at or election.closes_at))
    if as_utc(now) < ends:
        raise WrongState(f"Voting is open until {_when(ends)}; the election can be closed and counted after that.")
    head = board.sign_head(session, election, now)
    counted = tally.counted_leaves(board_leaves(session, election))
    specs = question_specs(election)
    record_event(session, actor=actor, action="election.closed", subject_type="election", subject_id=election.id,
                 details={"fingerprint": election.fingerprint, "board_size": head.size, "root": head.root,
                          "counted_ballots": len(counted)}, now=now)
    if election.secrecy == Secrecy.OPEN or not counted:
        totals = (tally.open_totals(specs, counted) if election.secrecy == Secrecy.OPEN
                  else [[0] * len(spec.options) for spec in specs])
        document = er.result_document(election.manifest, election.fingerprint, totals, len(counted),
                                       election.roll_size)
        keys = site_keys(session)
        if keys.bls_public_hex != election.manifest["board_public_key"]:
            raise ElectionError("The site's BLS key differs from the board key in this election's manifest, so no "
                                "one could check the result's signature; ask the operators to restore the key file.")
        signature = keys.sign_bls(tally.result_message(document))
        certificate = {"format": tally.CERTIFICATE_FORMAT, "kind": "cooperative",
                       "public_key": election.manifest["board_public_key"], "signers": [], "signature": signature}
        _decide(session, election, proposal, document, certificate, actor=actor, now=now, base_url=base_url)
        return election
    try:
        election.encrypted_tally = tally.tally_document(election.fingerprint, specs, counted, head.size)
    except CryptoError as exc:  # the board only holds ballots that were checked when cast
        raise ElectionError(f"A ballot on the board cannot be added to the tally: {exc}.") from exc
    election.tally_posted_at = now
    election.state = ElectionState.TALLYING
    session.flush()
    record_event(session, actor=actor, action="election.tally_posted", subject_type="election",
                 subject_id=election.id, details={"fingerprint": election.fingerprint, "ballots": len(counted),
                                                  "threshold": threshold(election)}, now=now)
    return election


def _decide(session: Session, election: Election, proposal: Proposal, document: dict[str, Any],
            certificate: dict[str, Any], *, actor: Member | None, now: datetime, base_url: str | None) -> None:
    record_hash = tally.result_hash(document)
    election.result = document
    election.result_certificate = certificate
    election.state = ElectionState.DECIDED
    election.decided_at = now
    session.flush()
    result = vote_result(election_id=election.id, method=election.method, specs=question_specs(election),
                         alternatives=alternatives_of(proposal), document=document, record_hash=record_hash)
    try:
        # A v2 result states the outcome its manifest's rule gives: that, not today's constitution, decides.
        fixed = document.get("outcome")
        decided = record_outcome(session, proposal, result, actor=None, now=now, base_url=base_url,
                                 decided=(fixed["state"], fixed["chosen_alternative"]) if fixed else None)
    except ProposalError as exc:
        raise ElectionError(f"The result is computed but the proposal's outcome could not be recorded: "
                            f"{exc.message}") from exc
    record_event(session, actor=actor, action="election.decided", subject_type="election", subject_id=election.id,
                 details={"fingerprint": election.fingerprint, "totals": document["totals"],
                          "turnout": document["turnout"], "roll_size": document["roll_size"],
                          "record_hash": record_hash, "outcome": decided.value}, now=now)
    emit(session, "election.result",
         {"election_id": election.id, "proposal_id": proposal.id, "outcome": decided.value,
          "chosen_alternative": (proposal.outcome or {}).get("chosen_alternative"), "turnout": document["turnout"],
          "roll_size": document["roll_size"], "record_hash": record_hash, "decided_at": _iso(now)},
         now, key=f"election.result:{election.id}", base_url=base_url,
         links={"result": f"/elections/{election.id}/result", "result_json": f"/elections/{election.id}/result.json",
                "record": f"/elections/{election.id}/record.json", "proposal": f"/proposals/{proposal.id}"})


# ---------------------------------------------------------------- trustees

def trustee_index_of(session: Session, election: Election, member: Member) -> int:
    """``member``'s trustee number in the election's committee, or ``NotPermitted``."""
    if election.secrecy != Secrecy.SECRET or election.committee_id is None:
        raise WrongState("This election is an open roll call: it has no trustees and nothing to decrypt.")
    seat = session.execute(select(CommitteeTrustee).where(CommitteeTrustee.committee_id == election.committee_id,
                                                          CommitteeTrustee.member_id == member.id)).scalar_one_or_none()
    if seat is None:
        raise NotPermitted("You are not a trustee of this election's committee.")
    return seat.trustee_index


def _seat_index(session: Session, election: Election, member: Member, trustee_index: object) -> int:
    index = trustee_index_of(session, election, member)
    if trustee_index != index:
        raise NotPermitted(f"You are trustee {index} of this committee, not trustee {trustee_index}.")
    return index


def submit_decryption(session: Session, election: Election, member: Member, *, trustee_index: int,
                      shares_json: object, now: datetime, base_url: str | None = None) -> DecryptionShareRecord:
    """Check and store trustee ``trustee_index``'s partial decryptions of the encrypted tally; with k
    valid sets in, combine them and decide."""
    board.lock_election(session, election)
    index = _seat_index(session, election, member, trustee_index)
    if election.state == ElectionState.OPEN:
        raise WrongState("This election has not been closed yet: there is no tally to decrypt.")
    if election.state == ElectionState.CANCELLED:
        raise WrongState("This election was closed uncounted (its proposal was cancelled): nothing to decrypt.")
    if election.state == ElectionState.DECIDED:
        raise WrongState("This election is decided already; no more decryptions are needed.")
    try:
        joint = tally.joint_key_of_manifest(election.manifest)
    except CryptoError as exc:
        raise WrongState(f"This election's manifest has no usable trustee committee: {exc}.") from exc
    if index not in joint.committee:
        raise NotPermitted(f"Trustee {index} is not in the decrypting committee (disqualified in the ceremony).")
    records = share_records(session, election)
    if any(r.trustee_index == index for r in records):
        raise AlreadySubmitted(f"Trustee {index} has submitted decryption shares for this election already.")
    document = election.encrypted_tally
    assert document is not None
    ciphertexts = tally.tally_from_document(document)
    try:
        shares = tally.parse_shares(shares_json, [len(row) for row in ciphertexts])
        tally.verify_shares(joint, election.fingerprint, ciphertexts, shares, index)
    except CryptoError as exc:
        raise InvalidShares(f"The decryption shares were refused: {exc}.") from exc
    row = DecryptionShareRecord(election_id=election.id, trustee_index=index, member_id=member.id,
                                shares=[[s.to_json() for s in question] for question in shares], submitted_at=now)
    session.add(row)
    session.flush()
    record_event(session, actor=member, action="election.decryption_submitted", subject_type="election",
                 subject_id=election.id, details={"trustee_index": index, "fingerprint": election.fingerprint},
                 now=now)
    records.append(row)
    if len(records) >= joint.ceremony.k:
        by_trustee = {r.trustee_index: tally.parse_shares(r.shares, [len(q) for q in ciphertexts])
                      for r in sorted(records, key=lambda r: r.trustee_index)}
        totals = tally.combine(joint, election.fingerprint, document, by_trustee)
        result = er.result_document(election.manifest, election.fingerprint, totals, int(document["ballots"]),
                                    election.roll_size)
        certificate = {"format": tally.CERTIFICATE_FORMAT, "kind": "trustees", "threshold": joint.ceremony.k,
                       "decrypted_by": sorted(by_trustee), "signers": [], "signature": None}
        proposal = session.get(Proposal, election.proposal_id)
        assert proposal is not None
        _decide(session, election, proposal, result, certificate, actor=None, now=now, base_url=base_url)
    return row


def sign_result(session: Session, election: Election, member: Member, *, trustee_index: int, signature_hex: object,
                now: datetime) -> dict[str, Any]:
    """Store a decrypting trustee's BLS signature over the result message; returns the new certificate
    (the aggregate of every signature so far)."""
    board.lock_election(session, election)
    index = _seat_index(session, election, member, trustee_index)
    if election.state != ElectionState.DECIDED or election.result is None:
        raise WrongState("This election has no result yet; sign it once it is decided.")
    certificate = dict(election.result_certificate or {})
    if certificate.get("kind") != "trustees":
        raise WrongState("This result is certified by the cooperative's key; trustees do not sign it.")
    records = {r.trustee_index: r for r in share_records(session, election)}
    if index not in records:
        raise NotPermitted("Only the trustees whose decryption shares gave the result sign it.")
    if records[index].result_signature is not None:
        raise AlreadySubmitted(f"Trustee {index} has signed this result already.")
    public_hex = tally.trustee_bls_keys(election.manifest).get(index)
    if public_hex is None:
        raise NotPermitted(f"The manifest has no BLS key for trustee {index}.")
    try:
        signature = bls.BlsSignature.from_hex(signature_hex)
        bls.verify(bls.BlsPublicKey.from_hex(public_hex), tally.result_message(election.result), signature)
    except CryptoError as exc:
        raise InvalidShares(f"The signature was refused: {exc}.") from exc
    records[index].result_signature = signature.to_hex()
    signed = sorted(j for j, r in records.items() if r.result_signature is not None)
    aggregate = bls.aggregate([bls.BlsSignature.from_hex(records[j].result_signature) for j in signed])
    certificate.update(signers=signed, signature=aggregate.to_hex())
    election.result_certificate = certificate
    session.flush()
    record_event(session, actor=member, action="election.result_signed", subject_type="election",
                 subject_id=election.id, details={"trustee_index": index, "signers": signed}, now=now)
    return certificate
