"""Member lifecycle and roles. Services take the session and the acting member, flush, and write the
audit log; the caller commits. ``actor=None`` means the operator at the command line ("system").

Who may do what (the issue left it open; this is the decision):
- roles ``member`` and ``observer`` are granted and removed by stewards and admins; ``steward``,
  ``trustee`` and ``admin`` only by admins (trustees hold ballot key shares; stewards must not be
  able to appoint them). The last admin cannot lose the admin role.
- stewards and admins invite, suspend and reinstate; suspending or reinstating a steward or an admin
  takes an admin; nobody suspends themselves.
- every member leaves on their own; leaving is final.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.auth.tokens import TokenInvalid, read_token, sign_token
from governance.mail.services import queue_mail
from governance.members.models import Invitation, Member, MemberRole, MemberStatus, MemberStatusChange, Role
from governance.sitecontext import SiteSettings, as_utc, utcnow

INVITATION_PURPOSE = "invitation"
INVITATION_PATH = "/invitations/"

ROLE_GRANTERS: dict[Role, frozenset[Role]] = {
    Role.MEMBER: frozenset({Role.STEWARD, Role.ADMIN}),
    Role.OBSERVER: frozenset({Role.STEWARD, Role.ADMIN}),
    Role.TRUSTEE: frozenset({Role.ADMIN}),
    Role.STEWARD: frozenset({Role.ADMIN}),
    Role.ADMIN: frozenset({Role.ADMIN}),
}

#: The only status changes there are; :func:`change_status` refuses everything else.
ALLOWED_TRANSITIONS: dict[MemberStatus, frozenset[MemberStatus]] = {
    MemberStatus.INVITED: frozenset({MemberStatus.ACTIVE}),
    MemberStatus.ACTIVE: frozenset({MemberStatus.SUSPENDED, MemberStatus.LEFT}),
    MemberStatus.SUSPENDED: frozenset({MemberStatus.ACTIVE, MemberStatus.LEFT}),
    MemberStatus.LEFT: frozenset(),
}

_TRANSITION_EVENTS = {
    (MemberStatus.INVITED, MemberStatus.ACTIVE): "member.joined",
    (MemberStatus.ACTIVE, MemberStatus.SUSPENDED): "member.suspended",
    (MemberStatus.SUSPENDED, MemberStatus.ACTIVE): "member.reinstated",
    (MemberStatus.ACTIVE, MemberStatus.LEFT): "member.left",
    (MemberStatus.SUSPENDED, MemberStatus.LEFT): "member.left",
}


class MembershipError(ValueError):
    """A request that cannot be carried out; the message is meant for the person who asked."""


class DuplicateEmail(MembershipError):
    pass


class NotPermitted(MembershipError):
    pass


class InvalidTransition(MembershipError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def parse_roles(names: Iterable[str]) -> list[Role]:
    """Role names → roles, or MembershipError naming the unknown one."""
    roles: list[Role] = []
    for name in names:
        try:
            role = Role(name.strip().lower())
        except ValueError:
            raise MembershipError(f"Unknown role {name!r}; roles are: {', '.join(r.value for r in Role)}.") from None
        if role not in roles:
            roles.append(role)
    return roles


def find_member_by_email(session: Session, email: str) -> Member | None:
    return session.execute(select(Member).where(Member.email == normalise_email(email))).scalar_one_or_none()


def list_members(session: Session) -> list[Member]:
    return list(session.execute(select(Member).order_by(func.lower(Member.name), Member.id)).scalars())


# ---------------------------------------------------------------- permissions

def may_manage_role(actor: Member | None, role: Role) -> bool:
    return actor is None or actor.has_role(*ROLE_GRANTERS[role])


def may_invite(actor: Member | None) -> bool:
    return actor is None or actor.has_role(Role.STEWARD, Role.ADMIN)


def may_change_status_of(actor: Member | None, member: Member) -> bool:
    if actor is None:
        return True
    if actor.id == member.id or not actor.has_role(Role.STEWARD, Role.ADMIN):
        return False
    return not member.has_role(Role.STEWARD, Role.ADMIN) or actor.has_role(Role.ADMIN)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


# ---------------------------------------------------------------- status

def change_status(session: Session, member: Member, new_status: MemberStatus, *, actor: Member | None,
                  reason: str = "", now: datetime | None = None) -> MemberStatusChange:
    """The one place a member's status changes: checks the edge, keeps the history, logs the event."""
    now = now or utcnow()
    old_status = MemberStatus(member.status)
    if new_status not in ALLOWED_TRANSITIONS[old_status]:
        raise InvalidTransition(f"A member who is {old_status.value} cannot become {new_status.value}.")
    member.status = new_status
    if new_status == MemberStatus.ACTIVE and member.joined_at is None:
        member.joined_at = now
    if new_status == MemberStatus.LEFT:
        member.left_at = now
    if new_status != MemberStatus.ACTIVE:
        member.session_version += 1  # signs them out everywhere
    change = MemberStatusChange(member_id=member.id, status=new_status, changed_at=now,
                                changed_by_id=actor.id if actor else None, reason=reason)
    session.add(change)
    details = {"from": old_status.value, "to": new_status.value}
    if reason:
        details["reason"] = reason
    record_event(session, actor=actor, action=_TRANSITION_EVENTS[(old_status, new_status)],
                 subject_type="member", subject_id=member.id, details=details, now=now)
    return change


def suspend_member(session: Session, *, actor: Member | None, member: Member, reason: str,
                   now: datetime | None = None) -> None:
    _require(may_change_status_of(actor, member), "You may not suspend this member.")
    if not reason.strip():
        raise MembershipError("Give a reason for the suspension.")
    change_status(session, member, MemberStatus.SUSPENDED, actor=actor, reason=reason.strip(), now=now)


def reinstate_member(session: Session, *, actor: Member | None, member: Member, reason: str,
                     now: datetime | None = None) -> None:
    _require(may_change_status_of(actor, member), "You may not reinstate this member.")
    if member.status != MemberStatus.SUSPENDED:
        raise InvalidTransition("Only a suspended member can be reinstated.")
    if not reason.strip():
        raise MembershipError("Give a reason for reinstating the member.")
    change_status(session, member, MemberStatus.ACTIVE, actor=actor, reason=reason.strip(), now=now)


def leave_cooperative(session: Session, *, member: Member, reason: str = "", now: datetime | None = None) -> None:
    change_status(session, member, MemberStatus.LEFT, actor=member, reason=reason.strip(), now=now)


def status_at(session: Session, member: Member | int, when: datetime) -> MemberStatus | None:
    """The member's status at ``when`` (None: the member did not exist yet)."""
    member_id = member if isinstance(member, int) else member.id
    row = session.execute(
        select(MemberStatusChange.status)
        .where(MemberStatusChange.member_id == member_id, MemberStatusChange.changed_at <= when)
        .order_by(MemberStatusChange.changed_at.desc(), MemberStatusChange.id.desc()).limit(1)
    ).scalar_one_or_none()
    return MemberStatus(row) if row is not None else None


def is_active_at(session: Session, member: Member | int, when: datetime) -> bool:
    return status_at(session, member, when) == MemberStatus.ACTIVE


def is_eligible_voter_at(session: Session, member: Member, when: datetime) -> bool:
    """Active at ``when`` and (now) holding the ``member`` role. Role changes are not historised:
    ballots freeze their electorate when voting opens, which is when this is asked."""
    return member.has_role(Role.MEMBER) and is_active_at(session, member, when)


def eligible_voter_ids_at(session: Session, when: datetime) -> list[int]:
    """Ids of every member holding the ``member`` role and active at ``when``, ascending."""
    candidates = session.execute(
        select(MemberRole.member_id).where(MemberRole.role == Role.MEMBER).order_by(MemberRole.member_id)
    ).scalars()
    return [mid for mid in candidates if is_active_at(session, mid, when)]


# ---------------------------------------------------------------- roles

def _add_role_row(member: Member, role: Role, actor: Member | None, now: datetime) -> None:
    member.roles.append(MemberRole(role=role, granted_at=now, granted_by_id=actor.id if actor else None))


def grant_role(session: Session, *, actor: Member | None, member: Member, role: Role,
               now: datetime | None = None) -> None:
    _require(may_manage_role(actor, role), f"You may not grant the {role.value} role.")
    if member.status == MemberStatus.LEFT:
        raise MembershipError("This member has left the cooperative.")
    if member.has_role(role):
        raise MembershipError(f"{member.name} already holds the {role.value} role.")
    now = now or utcnow()
    _add_role_row(member, role, actor, now)
    session.flush()
    record_event(session, actor=actor, action="member.role_added", subject_type="member",
                 subject_id=member.id, details={"role": role.value}, now=now)


def revoke_role(session: Session, *, actor: Member | None, member: Member, role: Role,
                now: datetime | None = None) -> None:
    _require(may_manage_role(actor, role), f"You may not remove the {role.value} role.")
    row = next((r for r in member.roles if r.role == role), None)
    if row is None:
        raise MembershipError(f"{member.name} does not hold the {role.value} role.")
    if role == Role.ADMIN:
        admins = session.execute(select(func.count()).select_from(MemberRole)
                                 .where(MemberRole.role == Role.ADMIN)).scalar_one()
        if admins <= 1:
            raise MembershipError("The cooperative needs at least one admin; grant the role to someone else first.")
    member.roles.remove(row)
    session.flush()
    record_event(session, actor=actor, action="member.role_removed", subject_type="member",
                 subject_id=member.id, details={"role": role.value}, now=now)


# ---------------------------------------------------------------- joining

def _check_new_member(session: Session, actor: Member | None, email: str, name: str, roles: list[Role]) -> str:
    email = normalise_email(email)
    if not email or "@" not in email:
        raise MembershipError("Enter a valid email address.")
    if not name.strip():
        raise MembershipError("Enter a name.")
    if not roles:
        raise MembershipError("Give at least one role.")
    for role in roles:
        _require(may_manage_role(actor, role), f"You may not grant the {role.value} role.")
    if find_member_by_email(session, email) is not None:
        raise DuplicateEmail(f"There is already a member with the email {email}.")
    return email


def insert_new_member(session: Session, member: Member) -> None:
    """Insert, turning a lost race on the unique email (two stewards inviting the same person at the
    same moment, on PostgreSQL) into the same clear error as the check before it."""
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError:
        raise DuplicateEmail(f"There is already a member with the email {member.email}.") from None


def add_member(session: Session, *, actor: Member | None, email: str, name: str, roles: list[Role],
               password_hash: str, now: datetime | None = None) -> Member:
    """An active member with a password straight away (command line, demo)."""
    now = now or utcnow()
    return _create_member(session, actor=actor, email=email, name=name, roles=roles, now=now,
                          status=MemberStatus.ACTIVE, password_hash=password_hash, joined_at=now,
                          action="member.added", reason="added")


def _create_member(session: Session, *, actor: Member | None, email: str, name: str, roles: list[Role],
                   now: datetime, status: MemberStatus, password_hash: str | None, joined_at: datetime | None,
                   action: str, reason: str) -> Member:
    """The one way a member row comes into being: checked, with roles, first status and audit entry."""
    email = _check_new_member(session, actor, email, name, roles)
    member = Member(name=name.strip(), email=email, password_hash=password_hash, status=status,
                    created_at=now, joined_at=joined_at)
    for role in roles:
        _add_role_row(member, role, actor, now)
    insert_new_member(session, member)
    session.add(MemberStatusChange(member_id=member.id, status=status, changed_at=now,
                                   changed_by_id=actor.id if actor else None, reason=reason))
    record_event(session, actor=actor, action=action, subject_type="member", subject_id=member.id,
                 details={"name": member.name, "roles": [r.value for r in roles]}, now=now)
    return member


def invite_member(session: Session, *, actor: Member | None, email: str, name: str, roles: list[Role],
                  site: SiteSettings, now: datetime | None = None) -> tuple[Invitation, str]:
    """Create the invited member and mail them a link; returns the invitation and the link."""
    _require(may_invite(actor), "Only stewards and admins invite members.")
    now = now or utcnow()
    member = _create_member(session, actor=actor, email=email, name=name, roles=roles, now=now,
                            status=MemberStatus.INVITED, password_hash=None, joined_at=None,
                            action="member.invited", reason="invited")
    return _issue_invitation(session, actor=actor, member=member, site=site, now=now)


def reissue_invitation(session: Session, *, actor: Member | None, member: Member, site: SiteSettings,
                       now: datetime | None = None) -> tuple[Invitation, str]:
    """A new link for someone who has not accepted yet; earlier links stop working."""
    _require(may_invite(actor), "Only stewards and admins invite members.")
    if member.status != MemberStatus.INVITED:
        raise MembershipError("This person has already accepted their invitation.")
    now = now or utcnow()
    record_event(session, actor=actor, action="member.invitation_reissued", subject_type="member",
                 subject_id=member.id, details={}, now=now)
    return _issue_invitation(session, actor=actor, member=member, site=site, now=now)


def _issue_invitation(session: Session, *, actor: Member | None, member: Member, site: SiteSettings,
                      now: datetime) -> tuple[Invitation, str]:
    for old in session.execute(select(Invitation).where(Invitation.member_id == member.id,
                                                        Invitation.closed_at.is_(None))).scalars():
        old.closed_at = now
    invitation = Invitation(member_id=member.id, invited_by_id=actor.id if actor else None,
                            nonce=secrets.token_urlsafe(24), created_at=now,
                            expires_at=now + timedelta(seconds=site.invitation_max_age_seconds))
    session.add(invitation)
    session.flush()
    token = sign_token(site.secret_key, INVITATION_PURPOSE, {"i": invitation.id, "n": invitation.nonce}, now=now)
    link = site.base_url + INVITATION_PATH + token
    inviter = actor.name if actor else site.cooperative_name
    days = max(1, site.invitation_max_age_seconds // 86400)
    queue_mail(session, member.email, f"Your invitation to {site.cooperative_name}",
               f"Hello {member.name},\n\n{inviter} invites you to join {site.cooperative_name}, where members "
               f"decide together how their data may be used.\n\nTo accept, open this link and choose a "
               f"password (the link works once, for {days} days):\n\n{link}\n\nIf you did not expect this "
               f"mail, ignore it.\n", now=now)
    return invitation, link


def open_invitation(session: Session, token: str, *, site: SiteSettings, now: datetime | None = None) -> Invitation:
    """The still-usable invitation a token names; TokenExpired / TokenInvalid otherwise."""
    now = now or utcnow()
    payload = read_token(site.secret_key, INVITATION_PURPOSE, token,
                         max_age_seconds=site.invitation_max_age_seconds, now=now)
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        raise TokenInvalid("This link is not valid.")
    invitation = session.get(Invitation, payload["i"])
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(payload.get("n"))):
        raise TokenInvalid("This link is not valid.")
    if invitation.closed_at is not None or invitation.member.status != MemberStatus.INVITED:
        raise TokenInvalid("This invitation has already been used or replaced by a newer one.")
    if as_utc(invitation.expires_at) < now:
        raise TokenInvalid("This invitation has expired; ask a steward for a new one.")
    return invitation


def accept_invitation(session: Session, *, invitation: Invitation, name: str, password_hash: str,
                      now: datetime | None = None) -> Member:
    now = now or utcnow()
    if not name.strip():
        raise MembershipError("Enter a name.")
    member = invitation.member
    member.name = name.strip()
    member.password_hash = password_hash
    invitation.closed_at = now
    change_status(session, member, MemberStatus.ACTIVE, actor=member, reason="accepted invitation", now=now)
    return member


def pending_invitations(session: Session) -> list[Invitation]:
    return list(session.execute(
        select(Invitation).join(Invitation.member)
        .where(Invitation.closed_at.is_(None), Member.status == MemberStatus.INVITED)
        .order_by(Invitation.created_at.desc())
    ).scalars())
