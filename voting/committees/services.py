"""Trustee committees: appointing them, reading their state, their joint key for elections, and the
trustees' personal API tokens. The ceremony steps themselves are in :mod:`voting.committees.ceremony`.

Services take the session, the acting member and ``now``; they check permissions and state, flush,
and never commit. Refusals raise :class:`voting.VotingError` subclasses before anything is
written; ``status`` on them is the HTTP status the JSON API answers with.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.actions import describe_actions
from governance.audit.services import record_event
from governance.members.models import Member, MemberStatus, Role
from voting import NotPermitted, VotingError
from voting.committees.models import (
    CeremonyMessage,
    CommitteeStatus,
    CommitteeTrustee,
    MessageKind,
    TrusteeCommittee,
)
from voting.crypto.trustees import MAX_TRUSTEES, Ceremony, JointKey

COMMITTEE_ACTIONS = {
    "committee.created": "Trustee committee appointed (key ceremony started)",
    "committee.trustee_announced": "Trustee published its ceremony keys",
    "committee.trustee_dealt": "Trustee published its commitment and encrypted shares",
    "committee.trustee_confirmed": "Trustee checked the shares sent to it",
    "committee.complaint_filed": "Trustee complained about a share (verdict recorded)",
    "committee.ready": "Key ceremony finished: the committee's joint key is ready",
    "committee.failed": "Key ceremony failed: too few qualified trustees",
    "committee.finished_early": "Steward finished a stalled key ceremony with what was posted",
    "trustee_token.created": "Trustee created a personal API token",
    "trustee_token.revoked": "Trustee revoked a personal API token",
}
describe_actions(COMMITTEE_ACTIONS)

#: Who may appoint committees (and see every committee's progress).
APPOINTING_ROLES = (Role.STEWARD, Role.ADMIN)


class CommitteeError(VotingError):
    """A refused committee or ceremony request; ``status`` is the HTTP status for the JSON API."""

    status = 400


class CommitteeNotFound(CommitteeError):
    status = 404


class NotATrustee(CommitteeError):
    status = 403


class WrongStep(CommitteeError):
    status = 409


class AlreadySubmitted(CommitteeError):
    status = 409


class TokenRefused(CommitteeError):
    status = 401


class InvalidSubmission(CommitteeError):
    """A ceremony message that does not parse or verify; ``field`` names the part at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, {field: message})
        self.field = field


# ---------------------------------------------------------------- appointing


def may_appoint(member: Member | None) -> bool:
    return member is not None and member.status == MemberStatus.ACTIVE and member.has_role(*APPOINTING_ROLES)


def eligible_trustees(session: Session) -> list[Member]:
    """Active members holding the trustee role, by name (the choices of the appointment form)."""
    members = session.execute(select(Member).where(Member.status == MemberStatus.ACTIVE)
                              .order_by(Member.name, Member.id)).scalars()
    return [m for m in members if m.has_role(Role.TRUSTEE)]


def create_committee(session: Session, *, actor: Member, name: str, member_ids: list[int], k: int,
                     now: datetime) -> TrusteeCommittee:
    """Appoint trustees ``member_ids`` (numbered 1..n in that order) with threshold ``k``; the
    ceremony gets a fresh random 32-byte fingerprint and starts in the announcing step."""
    if not may_appoint(actor):
        raise NotPermitted("Only stewards and admins may appoint a trustee committee.")
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = "Give the committee a name of 1 to 200 characters."
    elif session.execute(select(TrusteeCommittee.id).where(TrusteeCommittee.name == name)).first():
        errors["name"] = "Another committee already has this name."
    if len(set(member_ids)) != len(member_ids):
        errors["trustees"] = "Each trustee can be appointed only once."
    members = [session.get(Member, mid) for mid in member_ids]
    if any(m is None or m.status != MemberStatus.ACTIVE or not m.has_role(Role.TRUSTEE) for m in members):
        errors.setdefault("trustees", "Every trustee must be an active member holding the trustee role.")
    n = len(member_ids)
    if not 1 <= n <= MAX_TRUSTEES:
        errors.setdefault("trustees", f"Choose between 1 and {MAX_TRUSTEES} trustees.")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= max(n, 1):
        errors["k"] = f"The threshold must be between 1 and the number of trustees ({n})."
    if errors:
        raise CommitteeError(next(iter(errors.values())), errors)
    committee = TrusteeCommittee(name=name, k=k, n=n, fingerprint=secrets.token_bytes(32).hex(),
                                 status=CommitteeStatus.ANNOUNCING, created_by_id=actor.id, created_at=now)
    session.add(committee)
    session.flush()
    for index, member in enumerate(members, start=1):
        session.add(CommitteeTrustee(committee_id=committee.id, member_id=member.id, trustee_index=index,
                                     complaints_filed=0))
    session.flush()
    session.refresh(committee)
    record_event(session, actor=actor, action="committee.created", subject_type="trustee_committee",
                 subject_id=committee.id, now=now,
                 details={"name": name, "k": k, "n": n, "fingerprint": committee.fingerprint,
                          "trustees": [{"index": i, "member_id": m.id} for i, m in enumerate(members, start=1)]})
    return committee


# ---------------------------------------------------------------- reading


def get_committee(session: Session, committee_id: int, *, lock: bool = False) -> TrusteeCommittee:
    stmt = select(TrusteeCommittee).where(TrusteeCommittee.id == committee_id)
    if lock:  # state changes serialise on the committee row (SQLite: the write lock of BEGIN IMMEDIATE)
        stmt = stmt.with_for_update(of=TrusteeCommittee).execution_options(populate_existing=True)
    committee = session.execute(stmt).scalar_one_or_none()
    if committee is None:
        raise CommitteeNotFound(f"There is no trustee committee {committee_id}.")
    return committee


def list_committees(session: Session) -> list[TrusteeCommittee]:
    return list(session.execute(select(TrusteeCommittee).order_by(TrusteeCommittee.id.desc())).scalars())


def seat_of(committee: TrusteeCommittee, member: Member | None) -> CommitteeTrustee | None:
    if member is None:
        return None
    return next((t for t in committee.trustees if t.member_id == member.id), None)


def committees_of(session: Session, member: Member) -> list[tuple[TrusteeCommittee, CommitteeTrustee]]:
    seats = session.execute(select(CommitteeTrustee).where(CommitteeTrustee.member_id == member.id)
                            .order_by(CommitteeTrustee.committee_id.desc())).scalars()
    return [(seat.committee, seat) for seat in seats]


def may_view(committee: TrusteeCommittee, member: Member | None) -> bool:
    return may_appoint(member) or (seat_of(committee, member) is not None
                                   and member is not None and member.status == MemberStatus.ACTIVE)


def ceremony_of(committee: TrusteeCommittee) -> Ceremony:
    return Ceremony(bytes.fromhex(committee.fingerprint), committee.n, committee.k)


def messages_of(session: Session, committee: TrusteeCommittee, kind: MessageKind) -> list[CeremonyMessage]:
    return list(session.execute(
        select(CeremonyMessage).where(CeremonyMessage.committee_id == committee.id, CeremonyMessage.kind == kind)
        .order_by(CeremonyMessage.from_index, CeremonyMessage.to_index)).scalars())


def next_step(committee: TrusteeCommittee, seat: CommitteeTrustee) -> str | None:
    """What this trustee should do now: "announce", "deal", "confirm", or None (nothing, or wait)."""
    if committee.status == CommitteeStatus.ANNOUNCING and seat.announcement is None:
        return "announce"
    if committee.status == CommitteeStatus.DEALING and seat.commitment is None:
        return "deal"
    if committee.status == CommitteeStatus.CONFIRMING and seat.confirmed_at is None:
        return "confirm"
    return None


@dataclass(frozen=True)
class ComplaintRow:
    dealer: int
    recipient: int
    upheld: bool
    verdict: str
    filed_at: datetime


def complaint_rows(session: Session, committee: TrusteeCommittee) -> list[ComplaintRow]:
    # A complaint is stored from the complaining recipient to the dealer it accuses.
    return [ComplaintRow(dealer=m.to_index, recipient=m.from_index, upheld=bool(m.dealer_at_fault),
                         verdict=m.verdict or "", filed_at=m.created_at)
            for m in messages_of(session, committee, MessageKind.COMPLAINT)]


# ---------------------------------------------------------------- the contract with elections


def ready_committees(session: Session) -> list[TrusteeCommittee]:
    return list(session.execute(select(TrusteeCommittee).where(TrusteeCommittee.status == CommitteeStatus.READY)
                                .order_by(TrusteeCommittee.id)).scalars())


def joint_key_of(session: Session, committee_id: int) -> JointKey:
    committee = session.get(TrusteeCommittee, committee_id)
    if committee is None:
        raise CommitteeNotFound(f"There is no trustee committee {committee_id}.")
    if committee.status != CommitteeStatus.READY or committee.joint_key is None:
        raise WrongStep(f"Trustee committee “{committee.name}” has no joint key yet (its ceremony is "
                        f"{committee.status.value}).")
    return JointKey.from_json(committee.joint_key)


def committee_summary(session: Session, committee_id: int) -> dict:
    """What an election's manifest says about its committee: the parameters, the joint (election)
    key, and for every trustee of the decrypting committee its verification key S_j (to check its
    partial decryptions) and its BLS key with the proof of possession (to check the co-signed result)."""
    joint = joint_key_of(session, committee_id)
    committee = session.get(TrusteeCommittee, committee_id)
    assert committee is not None
    seats = {t.trustee_index: t for t in committee.trustees}
    return {
        "committee_id": committee.id,
        "name": committee.name,
        "ceremony_fingerprint": committee.fingerprint,
        "k": committee.k,
        "n": committee.n,
        "election_key": joint.election_key().hex(),
        "joint_key": joint.to_json(),
        "trustees": [{"index": j, "verification_key": joint.verification_key(j).hex(),
                      "bls_public_key": seats[j].bls_public_key, "bls_pop": seats[j].bls_pop}
                     for j in joint.committee],
    }
