"""Who calls the API, and the decorator every API view runs through (``@operation``).

Two ways in, as for the trustee API: ``Authorization: Bearer dgp_…`` (a personal access token; no cookie is
read, so no CSRF token is needed) or the session cookie of a signed-in member, whose requests other than GET
must carry the page's CSRF token in ``X-CSRFToken``. A token must hold the operation's scope and its owner
the scope's role; a session may do what its member's roles allow. Each token request is counted against
the token's rate limit (429 with Retry-After). The decorator also carries the operation's OpenAPI
description (:class:`governance.api.spec.Operation`), so what is documented is what is enforced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, jsonify, request
from flask_wtf.csrf import CSRFError

from governance import db
from governance.api.models import ApiToken
from governance.api.problems import ApiProblem, problem_response
from governance.api.services import SCOPE_ROLES, SCOPES, RateLimit, RateLimited, TokenError, authenticate, spend
from governance.api.spec import MAX_ID, Operation, Param
from governance.auth.access import current_member
from governance.members.models import Member
from governance.security import csrf
from governance.sitecontext import utcnow

F = TypeVar("F", bound=Callable[..., Any])
MAX_JSON_BODY = 1_000_000
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    """The member behind this request (None: anonymous) and the token they used (None: a session)."""

    member: Member | None
    token: ApiToken | None = None

    def may(self, scope: str) -> bool:
        if self.member is None:
            return False
        if self.token is not None and scope not in self.token.scope_set:
            return False
        roles = SCOPE_ROLES[scope]
        return roles is None or self.member.has_role(*roles)


def caller() -> Caller:
    return g.get("api_caller") or Caller(None)


def signed_in() -> Member:
    """The calling member; only for operations with a scope (the decorator has refused anonymous calls)."""
    member = caller().member
    assert member is not None
    return member


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise ApiProblem("unauthorized", "Send the token as Authorization: Bearer dgp_…")
    return token.strip()


def _resolve(op: Operation) -> Caller:
    token_text = _bearer()
    session = db.session()
    if token_text is not None:
        try:
            row = authenticate(session, token_text, scope=op.scope, now=utcnow())
            spend(session, row, limit=RateLimit.of_api(current_app.config), now=utcnow())
        except RateLimited as exc:
            session.commit()  # the window's count stands
            raise ApiProblem("rate-limited", exc.message, headers={"Retry-After": str(exc.retry_after)}) from exc
        except TokenError as exc:
            session.rollback()
            code = "unauthorized" if exc.status == 401 else "forbidden"
            headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status == 401 else None
            raise ApiProblem(code, exc.message, headers=headers) from exc
        session.commit()  # the count and the last use are kept whatever the operation does next
        return Caller(row.member, row)
    member = current_member()
    if member is None:
        if op.scope is None:
            return Caller(None)
        raise ApiProblem("unauthorized", "Sign in, or send a personal access token with the scope "
                                         f"“{op.scope}”: Authorization: Bearer dgp_…",
                         headers={"WWW-Authenticate": 'Bearer realm="api"'})
    if request.method not in SAFE_METHODS:
        try:
            csrf.protect()
        except CSRFError as exc:
            raise ApiProblem("csrf", "A signed-in browser must send the page's CSRF token in the X-CSRFToken "
                                     "header; nothing was changed. Tokens need no CSRF header.") from exc
    found = Caller(member)
    if op.scope is not None and not found.may(op.scope):
        roles = SCOPE_ROLES[op.scope] or ()
        raise ApiProblem("forbidden", f"This needs the role {' or '.join(r.value for r in roles)} "
                                      f"({SCOPES[op.scope]}).")
    return found


def operation(op: Operation) -> Callable[[F], F]:
    """Describe an API view and enforce what the description says: caller, scope, errors as problems."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                g.api_caller = _resolve(op)
                for name, value in request.args.items(multi=True):
                    if "\x00" in value or "\x00" in name:
                        raise ApiProblem("invalid", f"The query parameter “{name[:40]}” contains a NUL character.",
                                         field=name[:40])
                if any(isinstance(v, int) and v > MAX_ID for v in kwargs.values()):
                    raise ApiProblem("not-found", "There is nothing with that number.")
                return view(*args, **kwargs)
            except ApiProblem as problem:
                db.session().rollback()
                return problem_response(problem)

        wrapped.api_operation = op  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]
    return decorator


# ---------------------------------------------------------------- reading the request


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a problem (415 not JSON, 413 too large, 400 malformed)."""
    if not request.is_json:
        raise ApiProblem("unsupported-media-type", "Send the body as JSON with Content-Type: application/json.")
    if (request.content_length or 0) > MAX_JSON_BODY:
        raise ApiProblem("too-large", f"The body is larger than {MAX_JSON_BODY} bytes.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BODY:
        raise ApiProblem("too-large", f"The body is larger than {MAX_JSON_BODY} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem("bad-request", "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ApiProblem("invalid", "The body must be a JSON object.")
    where = _nul_in(data, "")
    if where is not None:
        raise ApiProblem("invalid", f"“{where or 'the body'}” contains a NUL character (\\u0000), which no text "
                                    "here may hold.", field=where or None)
    return data


def _nul_in(value: Any, path: str) -> str | None:
    """The path of the first string (key or value) holding NUL, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return path or "body"
            found = _nul_in(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_in(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def query_int(name: str, default: int, *, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiProblem("invalid", f"“{name}” must be a whole number from {low} to {high}.", field=name)
    return int(raw)


def query_choice(name: str, choices: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise ApiProblem("invalid", f"“{name}” must be one of {', '.join(choices)}.", field=name)
    return raw


LIMIT_PARAM = Param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    "How many items per page (1 to 100).")
CURSOR_PARAM = Param("cursor", {"type": "string", "maxLength": 200},
                     "The next_cursor of the previous page; omit for the first page.")


# ---------------------------------------------------------------- answering


def ok(data: Any, status: int = 200, *, cache: str = "no-store",
       headers: dict[str, str] | None = None) -> tuple[Response, int]:
    response = jsonify(data)
    response.headers["Cache-Control"] = cache
    response.headers.update(headers or {})
    return response, status


def with_etag(data: Any, *, cache: str = "no-cache") -> Response:
    """Answer ``data`` with a strong ETag (SHA-256 of the body); 304 if the caller holds it already."""
    response = jsonify(data)
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = cache + (", private" if caller().member is not None else "")
    return response.make_conditional(request)
