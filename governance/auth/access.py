"""Who is signed in, and the decorators views use to require it.

The session cookie (signed by Flask) holds the member id and the member's ``session_version``;
a member who changes their password, leaves or is suspended gets a new version, which voids every
other session at its next request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from governance import db
from governance.members.models import Member, MemberStatus, Role

SESSION_MEMBER_KEY = "member_id"
SESSION_VERSION_KEY = "session_version"

F = TypeVar("F", bound=Callable[..., Any])
_UNSET = object()


def current_member() -> Member | None:
    """The signed-in, active member of this request, or None (cached per request)."""
    cached = g.get("_current_member", _UNSET)
    if cached is not _UNSET:
        return cached
    member = None
    member_id = session.get(SESSION_MEMBER_KEY)
    if member_id is not None:
        candidate = db.session().get(Member, member_id)
        if (candidate is not None and candidate.status == MemberStatus.ACTIVE
                and candidate.session_version == session.get(SESSION_VERSION_KEY)):
            member = candidate
        else:
            session.clear()  # void: stale version, suspended, left or deleted
    g._current_member = member
    return member


def start_session(member: Member) -> None:
    """Sign ``member`` in: a fresh session (nothing of the anonymous one survives)."""
    session.clear()
    session.permanent = True
    session[SESSION_MEMBER_KEY] = member.id
    session[SESSION_VERSION_KEY] = member.session_version
    g._current_member = member


def end_session() -> None:
    session.clear()
    g._current_member = None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_member() is None:
            return redirect(url_for("auth.login", next=safe_next(request.full_path)))
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Signed in and holding at least one of ``roles``; otherwise the friendly 403 page."""
    wanted = tuple(Role(r) for r in roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            member = current_member()
            if member is None:
                return redirect(url_for("auth.login", next=safe_next(request.full_path)))
            if not member.has_role(*wanted):
                abort(403, description="This page is for " + " or ".join(r.value + "s" for r in wanted) + ".")
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def safe_next(path: str | None) -> str | None:
    """Only local paths, so a crafted link cannot bounce a member to another site after sign-in."""
    if not path:
        return None
    path = path.rstrip("?")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path
