"""Home page, health check, layout context and the friendly error pages (HTML, or RFC 9457 problem details
under /api/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from governance import db
from governance.api.problems import problem_for_status
from governance.auth.access import current_member
from governance.auth.forms import EmptyForm
from governance.constitution.services import ConstitutionNotSeeded
from governance.members.models import Role
from governance.pages.attention import attention_items
from governance.sitecontext import as_utc, utcnow

bp = Blueprint("pages", __name__)

NEW_MEMBER_DAYS = 14

ERROR_TITLES = {
    400: "The request could not be understood",
    401: "Please sign in",
    403: "You may not open this page",
    404: "Page not found",
    405: "This action is not possible here",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The cooperative is not set up yet",
}
ERROR_HINTS = {
    400: "Go back, reload the page and try again.",
    403: "If you think you should have access, ask a steward.",
    404: "The address may be mistyped, or the page was moved.",
    405: "Use the buttons and forms of the site rather than typing the address.",
    429: "Wait a few minutes before trying again.",
    500: "The error was logged. Try again in a moment; if it keeps happening, tell a steward.",
    503: "Tell an administrator of the site.",
}


_DEFAULT_MESSAGES = {
    400: "The request was not valid.",
    403: "Your roles do not include access to this page.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    429: "Too many requests in a short time.",
    500: "An unexpected error happened.",
}


@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    try:
        member = current_member()
    except SQLAlchemyError:  # the error page of a broken database must still render
        member = None
    return {
        "current_member": member,
        "cooperative_name": current_app.config["COOPERATIVE_NAME"],
        "Role": Role,
        "signout_form": EmptyForm() if member else None,
        "is_dev_site": current_app.config["ENV_NAME"] in ("development", "test"),
    }


@bp.get("/")
def home() -> str:
    member = current_member()
    if member is None:
        return render_template("pages/welcome.html")
    joined = member.joined_at
    is_new = joined is not None and as_utc(joined) > utcnow() - timedelta(days=NEW_MEMBER_DAYS)
    return render_template("pages/home.html", member=member, is_new=is_new,
                           items=attention_items(db.session(), member))


@bp.get("/.well-known/dataguild-keys.json")
def signing_keys() -> Response:
    """The public keys that sign policy versions, agreements, tree heads (BLS) and receipts (BIP-340)."""
    from governance.signing import site_keys

    return jsonify(site_keys(db.session()).public_json())


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.error("health check: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(code: int, message: str, headers: dict[str, str] | None = None) -> tuple[Response | str, int]:
    title = ERROR_TITLES.get(code, "Error")
    if _wants_json():
        return problem_for_status(code, message, headers)
    return render_template("pages/error.html", code=code, title=title, message=message,
                           hint=ERROR_HINTS.get(code, "")), code


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
    return _error_response(400, "The form was missing its security token or it had expired, so nothing was "
                                "saved. Reload the page and submit the form again.")


@bp.app_errorhandler(ConstitutionNotSeeded)
def constitution_missing(exc: ConstitutionNotSeeded) -> tuple[Response | str, int]:
    return _error_response(503, "The cooperative has not adopted its constitution yet, so there are no rules for "
                                "proposals and votes. An administrator adopts the default one with "
                                "`dataguild constitution seed`.")


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
    code = exc.code or 500
    if code < 400:
        return exc
    default = type(exc).description
    message = exc.description if exc.description and exc.description != default else ""
    allow = dict(exc.get_headers()).get("Allow")  # a 405 names the methods that are allowed
    return _error_response(code, message or _DEFAULT_MESSAGES.get(code, default or ""),
                           {"Allow": allow} if allow else None)


@bp.app_errorhandler(Exception)
def unexpected_error(exc: Exception) -> tuple[Response | str, int]:
    if isinstance(exc, HTTPException):
        return http_error(exc)  # type: ignore[return-value]
    current_app.logger.exception("unhandled error on %s", request.path)
    return _error_response(500, "An unexpected error happened.")

