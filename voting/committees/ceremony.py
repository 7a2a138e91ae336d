"""The key ceremony of a trustee committee, step by step, as the server sees it.

Every message a trustee submits is verified with :mod:`voting.crypto.trustees` before it is stored
(the server holds only public messages; trustees' secrets never reach it):

1. announcement — the trustee's encryption key with its proof of knowledge, its BIP-340 signing key,
   self-signed, for the trustee's own index; plus its BLS key (derived from the key file, see
   docs/trustees.md) with a proof of possession, so results co-signed later are safe against rogue keys;
2. dealing — the Feldman commitment (signature and a proof of knowledge per coefficient) and one
   signed encrypted share for every other trustee;
3. confirmation — the trustee checked every share addressed to it; for each share that failed it
   files a complaint, which is adjudicated at once (``adjudicate_complaint``) and its verdict kept.

The committee moves to the next step by itself when every trustee has done the current one; after the
last confirmation :func:`finalize` judges everything (``finalize_ceremony``) and stores the joint key,
or marks the committee failed when fewer than k qualified dealers remain. A steward may finish a
stalled ceremony with what was posted (:func:`finish_now`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.members.models import Member, MemberStatus
from voting import NotPermitted
from voting.committees.models import (
    CeremonyMessage,
    CommitteeStatus,
    CommitteeTrustee,
    MessageKind,
    TrusteeCommittee,
)
from voting.committees.services import (
    AlreadySubmitted,
    InvalidSubmission,
    NotATrustee,
    WrongStep,
    ceremony_of,
    get_committee,
    may_appoint,
    messages_of,
    seat_of,
)
from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.errors import (
    CryptoError,
    InvalidPoint,
    InvalidProof,
    InvalidScalar,
    InvalidShare,
    InvalidSignature,
    NotEnoughShares,
    UnknownTrustee,
)

S = CommitteeStatus
X = TypeVar("X")

_KINDS_OF_FAILURE = ((InvalidSignature, "invalid signature"), (InvalidProof, "invalid proof"),
                     (InvalidPoint, "invalid point"), (InvalidScalar, "invalid scalar"),
                     (InvalidShare, "invalid share"), (UnknownTrustee, "unknown trustee"))


def _refusal(exc: CryptoError, field: str) -> InvalidSubmission:
    """Name the kind of failure (signature, proof, point, ...) and the part of the message at fault."""
    kind = next((word for cls, word in _KINDS_OF_FAILURE if isinstance(exc, cls)), "malformed message")
    return InvalidSubmission(f"{field}: {kind}: {exc}", field)


def _checked(field: str, check: Callable[[], X]) -> X:
    try:
        return check()
    except CryptoError as exc:
        raise _refusal(exc, field) from exc


def _seat_for_step(session: Session, committee_id: int, member: Member, *, step: CommitteeStatus,
                   done: Callable[[CommitteeTrustee], bool], what: str) -> tuple[TrusteeCommittee, CommitteeTrustee]:
    """Lock the committee; the member's seat, refusing outsiders, repeats and the wrong step."""
    committee = get_committee(session, committee_id, lock=True)
    seat = seat_of(committee, member)
    if seat is None or member.status != MemberStatus.ACTIVE:
        raise NotATrustee(f"You are not a trustee of committee “{committee.name}”.")
    if done(seat):
        raise AlreadySubmitted(f"You (trustee {seat.trustee_index}) already submitted your {what}.")
    if committee.status != step:
        raise WrongStep(f"Committee “{committee.name}” is not taking {what}s: it is in the "
                        f"{committee.status.value} step.")
    return committee, seat


def _object(payload: Any, keys: set[str]) -> dict[str, Any]:
    if not isinstance(payload, dict) or set(payload) != keys:
        raise InvalidSubmission(f"The request body must be a JSON object with exactly the keys {sorted(keys)}.")
    return payload


def _roster(committee: TrusteeCommittee) -> dict[int, T.Announcement]:
    return {t.trustee_index: T.Announcement.from_json(t.announcement)
            for t in committee.trustees if t.announcement is not None}


def _audit(session: Session, actor: Member | None, action: str, committee: TrusteeCommittee, now: datetime,
           **details: Any) -> None:
    record_event(session, actor=actor, action=action, subject_type="trustee_committee", subject_id=committee.id,
                 details=details, now=now)


# ---------------------------------------------------------------- step 1: announcement


def submit_announcement(session: Session, committee_id: int, member: Member, payload: Any, *,
                        now: datetime) -> CommitteeTrustee:
    committee, seat = _seat_for_step(session, committee_id, member, step=S.ANNOUNCING,
                                     done=lambda t: t.announcement is not None, what="announcement")
    body = _object(payload, {"announcement", "bls_public_key", "bls_pop"})
    ceremony = ceremony_of(committee)
    announcement = _checked("announcement", lambda: T.Announcement.from_json(body["announcement"]))
    if announcement.index != seat.trustee_index:
        raise InvalidSubmission(f"announcement: it is for trustee {announcement.index}, but you are trustee "
                                f"{seat.trustee_index} of this committee.", "announcement")
    _checked("announcement", lambda: announcement.verify(ceremony))
    for other in _roster(committee).values():
        if other.encryption_key == announcement.encryption_key or other.signing_key == announcement.signing_key:
            raise InvalidSubmission(f"announcement: trustee {other.index} already announced the same key; "
                                    "make a fresh key file with `dataguild trustee keygen`.", "announcement")
    bls_key = _checked("bls_public_key", lambda: bls.BlsPublicKey.from_hex(body["bls_public_key"]))
    pop = _checked("bls_pop", lambda: bls.BlsSignature.from_hex(body["bls_pop"]))
    if any(t.bls_public_key == bls_key.to_hex() for t in committee.trustees):
        raise InvalidSubmission("bls_public_key: another trustee already registered this BLS key.", "bls_public_key")
    _checked("bls_pop", lambda: bls.pop_verify(bls_key, pop))
    seat.announcement, seat.announced_at = announcement.to_json(), now
    seat.bls_public_key, seat.bls_pop = bls_key.to_hex(), pop.to_hex()
    session.flush()
    _audit(session, member, "committee.trustee_announced", committee, now, index=seat.trustee_index,
           encryption_key=announcement.encryption_key.hex(), signing_key=announcement.signing_key.hex(),
           bls_public_key=seat.bls_public_key)
    if all(t.announcement is not None for t in committee.trustees):
        committee.status = S.DEALING
        session.flush()
    return seat


# ---------------------------------------------------------------- step 2: dealing


def submit_dealing(session: Session, committee_id: int, member: Member, payload: Any, *,
                   now: datetime) -> CommitteeTrustee:
    committee, seat = _seat_for_step(session, committee_id, member, step=S.DEALING,
                                     done=lambda t: t.commitment is not None, what="dealing")
    body = _object(payload, {"commitment", "shares"})
    ceremony, roster, me = ceremony_of(committee), _roster(committee), seat.trustee_index
    commitment = _checked("commitment", lambda: T.DealerCommitment.from_json(body["commitment"]))
    if commitment.dealer != me:
        raise InvalidSubmission(f"commitment: it is dealer {commitment.dealer}'s, but you are trustee {me}.",
                                "commitment")
    _checked("commitment", lambda: commitment.verify(ceremony, roster))
    if not isinstance(body["shares"], list):
        raise InvalidSubmission("shares: must be a list of encrypted shares.", "shares")
    shares = [_checked(f"shares[{i}]", lambda raw=raw: T.EncryptedShare.from_json(raw))
              for i, raw in enumerate(body["shares"])]
    recipients = sorted(sh.recipient for sh in shares)
    expected = [j for j in ceremony.indices if j != me]
    if any(sh.dealer != me for sh in shares) or recipients != expected:
        raise InvalidSubmission(f"shares: send exactly one share from dealer {me} to each of the trustees "
                                f"{expected} (got recipients {recipients}).", "shares")
    for i, sh in enumerate(shares):
        _checked(f"shares[{i}]", lambda sh=sh: sh.verify_signature(ceremony, roster))
    seat.commitment, seat.shares_posted_at = commitment.to_json(), now
    for sh in shares:
        session.add(CeremonyMessage(committee_id=committee.id, kind=MessageKind.ENCRYPTED_SHARE, from_index=me,
                                    to_index=sh.recipient, payload=sh.to_json(), created_at=now))
    session.flush()
    _audit(session, member, "committee.trustee_dealt", committee, now, index=me,
           coefficients=[c.hex() for c in commitment.coefficients], shares=len(shares))
    if all(t.commitment is not None for t in committee.trustees):
        committee.status = S.CONFIRMING
        session.flush()
    return seat


# ---------------------------------------------------------------- step 3: confirmation or complaints


def submit_confirmation(session: Session, committee_id: int, member: Member, payload: Any, *,
                        now: datetime) -> CommitteeTrustee:
    """The trustee checked the shares sent to it; ``payload["complaints"]`` lists a complaint for each
    share that failed (empty: all good). Each complaint is judged now; an invalid one refuses the lot."""
    committee, seat = _seat_for_step(session, committee_id, member, step=S.CONFIRMING,
                                     done=lambda t: t.confirmed_at is not None, what="confirmation")
    body = _object(payload, {"complaints"})
    if not isinstance(body["complaints"], list):
        raise InvalidSubmission("complaints: must be a list (empty when every share checked out).", "complaints")
    ceremony, roster, me = ceremony_of(committee), _roster(committee), seat.trustee_index
    dealers = {t.trustee_index: t for t in committee.trustees}
    shares_to_me = {m.from_index: m for m in messages_of(session, committee, MessageKind.ENCRYPTED_SHARE)
                    if m.to_index == me}
    judged: list[tuple[T.Complaint, T.Verdict]] = []
    for i, raw in enumerate(body["complaints"]):
        field = f"complaints[{i}]"
        complaint = _checked(field, lambda raw=raw: T.Complaint.from_json(raw))
        if complaint.recipient != me or complaint.dealer == me or complaint.dealer not in shares_to_me:
            raise InvalidSubmission(f"{field}: you (trustee {me}) can only complain about a share another "
                                    "trustee sent to you.", field)
        if any(c.dealer == complaint.dealer for c, _ in judged):
            raise InvalidSubmission(f"{field}: a second complaint about dealer {complaint.dealer}.", field)
        commitment = T.DealerCommitment.from_json(dealers[complaint.dealer].commitment)
        encrypted = T.EncryptedShare.from_json(shares_to_me[complaint.dealer].payload)
        verdict = _checked(field, lambda complaint=complaint, commitment=commitment, encrypted=encrypted:
                           T.adjudicate_complaint(ceremony, roster, commitment, encrypted, complaint))
        judged.append((complaint, verdict))
    for complaint, verdict in judged:
        session.add(CeremonyMessage(committee_id=committee.id, kind=MessageKind.COMPLAINT, from_index=me,
                                    to_index=complaint.dealer, payload=complaint.to_json(),
                                    dealer_at_fault=verdict.dealer_at_fault, verdict=verdict.reason,
                                    created_at=now))
        if verdict.dealer_at_fault and dealers[complaint.dealer].disqualified_reason is None:
            dealers[complaint.dealer].disqualified_reason = f"upheld complaint of trustee {me}: {verdict.reason}"
        _audit(session, member, "committee.complaint_filed", committee, now, dealer=complaint.dealer,
               recipient=me, upheld=verdict.dealer_at_fault, verdict=verdict.reason)
    seat.confirmed_at, seat.complaints_filed = now, len(judged)
    session.flush()
    _audit(session, member, "committee.trustee_confirmed", committee, now, index=me, complaints=len(judged))
    if all(t.confirmed_at is not None for t in committee.trustees):
        finalize(session, committee, now=now)
    return seat


# ---------------------------------------------------------------- the outcome


def finalize(session: Session, committee: TrusteeCommittee, *, now: datetime,
             actor: Member | None = None) -> TrusteeCommittee:
    """Judge every posted message (``finalize_ceremony``): the joint key and status ready, or failed.
    The caller holds the committee's row lock."""
    ceremony, roster = ceremony_of(committee), _roster(committee)
    commitments = [T.DealerCommitment.from_json(t.commitment) for t in committee.trustees if t.commitment]
    shares = [T.EncryptedShare.from_json(m.payload)
              for m in messages_of(session, committee, MessageKind.ENCRYPTED_SHARE)]
    complaints = [T.Complaint.from_json(m.payload) for m in messages_of(session, committee, MessageKind.COMPLAINT)]
    try:
        if len(roster) != committee.n:
            raise NotEnoughShares(f"only {len(roster)} of {committee.n} trustees announced their keys")
        joint = T.finalize_ceremony(ceremony, roster, commitments, shares, complaints)
    except NotEnoughShares as exc:
        committee.status, committee.failure_reason = S.FAILED, str(exc)
        session.flush()
        _audit(session, actor, "committee.failed", committee, now, reason=str(exc))
        return committee
    for seat in committee.trustees:
        reason = joint.disqualified.get(seat.trustee_index)
        if reason is not None and seat.disqualified_reason is None:
            seat.disqualified_reason = reason
    committee.joint_key, committee.status, committee.ready_at = joint.to_json(), S.READY, now
    session.flush()
    _audit(session, actor, "committee.ready", committee, now, election_key=joint.election_key().hex(),
           qualified=list(joint.committee), disqualified={str(d): r for d, r in joint.disqualified.items()})
    return committee


def finish_now(session: Session, committee_id: int, *, actor: Member, now: datetime) -> TrusteeCommittee:
    """A steward ends a stalled ceremony: trustees who have not dealt are disqualified, missing
    confirmations forgo their complaints; the committee is ready if k qualified dealers remain."""
    if not may_appoint(actor):
        raise NotPermitted("Only stewards and admins may finish a key ceremony.")
    committee = get_committee(session, committee_id, lock=True)
    if committee.status in (S.READY, S.FAILED):
        raise WrongStep(f"The ceremony of “{committee.name}” is already over ({committee.status.value}).")
    pending = [t.trustee_index for t in committee.trustees if t.confirmed_at is None]
    _audit(session, actor, "committee.finished_early", committee, now, step=committee.status.value,
           pending_trustees=pending)
    return finalize(session, committee, now=now, actor=actor)
