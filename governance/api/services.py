"""Personal access tokens: create, list, revoke, and authenticate a request with one (no Flask in here).

A token is ``dgp_`` + 32 random bytes (URL-safe base64); the site keeps its SHA-256 only. Each token holds
scopes (:data:`SCOPES`), an expiry and its last use; every scope also needs a role its owner still holds
when the token is used (:data:`SCOPE_ROLES`), so a steward who loses the role loses the token's steward
scope with it. Trustee tokens made before personal tokens existed (``dgt_``) were carried over with the
``trustee`` scope and no expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from governance.api.models import ApiToken
from governance.audit.actions import describe_actions
from governance.audit.services import record_event
from governance.members.models import Member, MemberStatus, Role
from governance.sitecontext import as_utc

TOKEN_PREFIX = "dgp_"  # noqa: S105 - marks our tokens, not a secret
LEGACY_TRUSTEE_PREFIX = "dgt_"
MAX_TOKEN_LENGTH = 200

#: What each scope lets a token do, in the words the account page shows.
SCOPES: dict[str, str] = {
    "read": "read proposals, elections, records, policy and your own payouts and profile",
    "vote": "cast and audit encrypted ballots in elections you are on the roll of",
    "draft": "draft and edit proposals, comment and co-sponsor",
    "steward": "steward actions: open voting, payout statements",
    "trustee": "the trustee commands: key ceremonies and decryptions",
}
#: The roles that may hold each scope (None: any active member, observers included).
SCOPE_ROLES: dict[str, tuple[Role, ...] | None] = {
    "read": None,
    "vote": (Role.MEMBER,),
    "draft": (Role.MEMBER, Role.STEWARD, Role.ADMIN),
    "steward": (Role.STEWARD, Role.ADMIN),
    "trustee": (Role.TRUSTEE,),
}
describe_actions({"api_token.created": "Member created a personal access token",
                  "api_token.revoked": "Member revoked a personal access token"})

#: The lifetimes offered when a token is created, in days; the first is the default.
LIFETIMES_DAYS = (90, 30, 7, 365)


class TokenError(Exception):
    """A refusal, with the HTTP status the API answers and the form field at fault (if any)."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TokenRefused(TokenError):
    """Missing, unknown, revoked, expired, or its owner can no longer sign in."""

    status = 401


class ScopeMissing(TokenError):
    status = 403


class TokenNotFound(TokenError):
    status = 404


class RateLimited(TokenError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: int

    @classmethod
    def of_api(cls, config: Mapping[str, Any]) -> RateLimit:
        """The per-token limit of the site's configuration (``DATAGUILD_API_RATE_LIMIT_*``)."""
        return cls(int(config["API_RATE_LIMIT_REQUESTS"]), int(config["API_RATE_LIMIT_SECONDS"]))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scopes_allowed(member: Member) -> list[str]:
    """The scopes ``member``'s roles let them hold, in :data:`SCOPES` order."""
    return [s for s, roles in SCOPE_ROLES.items() if roles is None or member.has_role(*roles)]


def create_token(session: Session, *, member: Member, label: str, scopes: Iterable[str], lifetime_days: int,
                 now: datetime) -> tuple[ApiToken, str]:
    """A new token for ``member``; returns the row and the token text, which is shown only once."""
    if member.status != MemberStatus.ACTIVE:
        raise TokenError("Only active members create tokens.")
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise TokenError("Give the token a label of 1 to 100 characters (e.g. what it is for).", "label")
    wanted = sorted(set(scopes), key=list(SCOPES).index) if set(scopes) <= SCOPES.keys() else None
    if not wanted:
        raise TokenError("Choose at least one scope among " + ", ".join(SCOPES) + ".", "scopes")
    refused = [s for s in wanted if s not in scopes_allowed(member)]
    if refused:
        raise TokenError(f"Your roles do not allow the scope {', '.join(refused)}.", "scopes")
    if lifetime_days not in LIFETIMES_DAYS:
        raise TokenError("Choose how long the token lasts: " + ", ".join(f"{d} days" for d in LIFETIMES_DAYS)
                         + ".", "lifetime_days")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(member_id=member.id, token_hash=token_hash(token), label=label, scopes=" ".join(wanted),
                   created_at=now, expires_at=now + timedelta(days=lifetime_days), window_count=0)
    session.add(row)
    session.flush()
    record_event(session, actor=member, action="api_token.created", subject_type="api_token", subject_id=row.id,
                 details={"label": label, "scopes": wanted, "expires_at": row.expires_at.isoformat()}, now=now)
    return row, token


def tokens_of(session: Session, member: Member) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).where(ApiToken.member_id == member.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


def revoke_token(session: Session, *, member: Member, token_id: int, now: datetime) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.member_id != member.id:
        raise TokenNotFound("There is no such token among yours.")
    if row.revoked_at is not None:
        raise TokenError("This token was already revoked.")
    row.revoked_at = now
    session.flush()
    record_event(session, actor=member, action="api_token.revoked", subject_type="api_token", subject_id=row.id,
                 details={"label": row.label}, now=now)
    return row


def authenticate(session: Session, token: str | None, *, scope: str | None, now: datetime) -> ApiToken:
    """The live token ``token`` names, if it holds ``scope`` (None: any) and its owner the scope's role.

    Raises :class:`TokenRefused` (401) for a missing, unknown, revoked or expired token or an owner who
    can no longer sign in, and :class:`ScopeMissing` (403) for a token without the scope.
    """
    where = "Create one on your account page under Access tokens."
    if (not token or len(token) > MAX_TOKEN_LENGTH
            or not token.startswith((TOKEN_PREFIX, LEGACY_TRUSTEE_PREFIX))):
        raise TokenRefused(f"Send a personal access token: Authorization: Bearer dgp_… {where}")
    digest = token_hash(token)
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    # The lookup is by hash; compare again in constant time so no timing difference depends on the secret.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise TokenRefused(f"This token is not known. {where}")
    if row.revoked_at is not None:
        raise TokenRefused(f"This token was revoked. {where}")
    if row.expires_at is not None and now >= as_utc(row.expires_at):
        raise TokenRefused(f"This token expired on {as_utc(row.expires_at):%Y-%m-%d %H:%M} UTC. {where}")
    member = row.member
    if member.status != MemberStatus.ACTIVE:
        raise TokenRefused("This token's owner is no longer an active member.")
    if scope is not None:
        if scope not in row.scope_set:
            raise ScopeMissing(f"This token lacks the scope “{scope}” ({SCOPES[scope]}); it holds "
                               f"{', '.join(sorted(row.scope_set))}. Create a token with that scope.")
        roles = SCOPE_ROLES[scope]
        if roles is not None and not member.has_role(*roles):
            raise ScopeMissing(f"The scope “{scope}” needs the role {' or '.join(r.value for r in roles)}, "
                               "which this token's owner no longer holds.")
    return row


def spend(session: Session, row: ApiToken, *, limit: RateLimit, now: datetime) -> None:
    """Count one request against ``row``'s fixed window (one statement, so concurrent workers count
    exactly) and note its last use; :class:`RateLimited` once the window's budget is spent."""
    epoch = int(now.timestamp())
    window = datetime.fromtimestamp(epoch - epoch % limit.per_seconds, tz=now.tzinfo)
    count = session.execute(
        update(ApiToken).where(ApiToken.id == row.id)
        .values(window_count=case((ApiToken.window_start == window, ApiToken.window_count + 1), else_=1),
                window_start=window, last_used_at=now)
        .returning(ApiToken.window_count)
        .execution_options(synchronize_session=False)).scalar_one()
    if count > limit.requests:
        retry = max(1, limit.per_seconds - epoch % limit.per_seconds)
        raise RateLimited(f"This token made more than {limit.requests} requests in {limit.per_seconds} seconds; "
                          f"try again in {retry} seconds.", retry)
