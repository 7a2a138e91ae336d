"""Signing in, rate limiting, password changes and resets (no Flask in here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.auth.models import LoginAttempt
from governance.auth.passwords import password_problem, verify_password
from governance.auth.tokens import TokenInvalid, read_token, sign_token
from governance.mail.services import queue_mail
from governance.members.models import Member, MemberStatus
from governance.members.services import find_member_by_email, normalise_email
from governance.sitecontext import SiteSettings, utcnow

RESET_PURPOSE = "password-reset"
RESET_PATH = "/reset-password/"
BAD_CREDENTIALS = "The email or password is not correct."
# A single address may try this many times the per-email limit across all emails (password spraying).
ADDRESS_LIMIT_FACTOR = 4


class SignInRefused(Exception):
    """``status``: 401 for bad credentials, 403 for a known member who may not sign in, 429 when limited."""

    status = 401

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class TooManyAttempts(SignInRefused):
    status = 429


@dataclass(frozen=True)
class RateLimit:
    max_attempts: int
    window_seconds: int


def _recent_failures(session: Session, *, email: str, client_address: str, since: datetime) -> tuple[int, int]:
    per_email = session.execute(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.client_address == client_address,
        LoginAttempt.attempted_at > since)).scalar_one()
    per_address = session.execute(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.client_address == client_address, LoginAttempt.attempted_at > since)).scalar_one()
    return per_email, per_address


def authenticate(session: Session, *, email: str, password: str, client_address: str, limit: RateLimit,
                 hasher: PasswordHasher, now: datetime | None = None) -> Member:
    """The member these credentials belong to, or SignInRefused / TooManyAttempts.

    Unknown email and wrong password get the same message (and both cost a hash, so timing does not
    tell them apart). Failed attempts are rows; a success clears that email's failures from this address.
    """
    now = now or utcnow()
    email = normalise_email(email)
    since = now - timedelta(seconds=limit.window_seconds)
    per_email, per_address = _recent_failures(session, email=email, client_address=client_address, since=since)
    if per_email >= limit.max_attempts or per_address >= limit.max_attempts * ADDRESS_LIMIT_FACTOR:
        minutes = max(1, limit.window_seconds // 60)
        raise TooManyAttempts(f"Too many failed sign-in attempts. Wait {minutes} minutes and try again, "
                              "or reset your password.")
    member = find_member_by_email(session, email)
    if member is None or not verify_password(hasher, member.password_hash, password):
        if member is None:
            _spend_equal_time(hasher, password)
        session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at <= since))
        session.add(LoginAttempt(email=email, client_address=client_address, attempted_at=now))
        session.flush()
        raise SignInRefused(BAD_CREDENTIALS)
    if member.status == MemberStatus.SUSPENDED:
        raise SignInRefused("Your membership is suspended, so you cannot sign in. A steward can tell you more.",
                            status=403)
    if member.status == MemberStatus.LEFT:
        raise SignInRefused("You have left the cooperative, so you cannot sign in any more.", status=403)
    if member.status != MemberStatus.ACTIVE:
        raise SignInRefused(BAD_CREDENTIALS)
    if hasher.check_needs_rehash(member.password_hash or ""):
        member.password_hash = hasher.hash(password)
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email,
                                               LoginAttempt.client_address == client_address))
    session.flush()
    return member


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _spend_equal_time(hasher: PasswordHasher, password: str) -> None:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("not a real password")
    verify_password(hasher, _DUMMY_HASHES[key], password)


def set_password(session: Session, *, member: Member, new_password: str, hasher: PasswordHasher,
                 via_reset: bool = False, now: datetime | None = None) -> None:
    """New hash, new session version (other sessions end), audit entry without the password."""
    problem = password_problem(new_password)
    if problem:
        raise ValueError(problem)
    member.password_hash = hasher.hash(new_password)
    member.session_version += 1
    session.flush()
    record_event(session, actor=member, action="member.password_changed", subject_type="member",
                 subject_id=member.id, details={"via_reset": via_reset}, now=now)


def _reset_fingerprint(member: Member) -> str:
    # Ties a reset link to the current password and session version: using it (or any other
    # password change) makes every earlier link useless.
    material = f"{member.id}:{member.password_hash}:{member.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def request_password_reset(session: Session, *, email: str, site: SiteSettings,
                           now: datetime | None = None) -> str | None:
    """Mail a reset link if ``email`` is an active member's; the caller says the same thing either way.
    Returns the link (for tests and the CLI), or None."""
    now = now or utcnow()
    member = find_member_by_email(session, email)
    if member is None or not member.can_sign_in:
        return None
    token = sign_token(site.secret_key, RESET_PURPOSE, {"m": member.id, "f": _reset_fingerprint(member)}, now=now)
    link = site.base_url + RESET_PATH + token
    hours = max(1, site.reset_max_age_seconds // 3600)
    queue_mail(session, member.email, f"Reset your password for {site.cooperative_name}",
               f"Hello {member.name},\n\nSomeone (hopefully you) asked to reset your password. To choose a new "
               f"one, open this link within {hours} hour(s); it works once:\n\n{link}\n\nIf it was not you, "
               f"ignore this mail: your password stays as it is.\n", now=now)
    return link


def open_password_reset(session: Session, token: str, *, site: SiteSettings, now: datetime | None = None) -> Member:
    now = now or utcnow()
    payload = read_token(site.secret_key, RESET_PURPOSE, token, max_age_seconds=site.reset_max_age_seconds, now=now)
    if not isinstance(payload, dict) or not isinstance(payload.get("m"), int):
        raise TokenInvalid("This link is not valid.")
    member = session.get(Member, payload["m"])
    if member is None or not member.can_sign_in or payload.get("f") != _reset_fingerprint(member):
        raise TokenInvalid("This link has already been used or is no longer valid. Ask for a new one.")
    return member


def complete_password_reset(session: Session, *, member: Member, new_password: str, hasher: PasswordHasher,
                            now: datetime | None = None) -> None:
    set_password(session, member=member, new_password=new_password, hasher=hasher, via_reset=True, now=now)
