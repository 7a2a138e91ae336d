"""The trustees' JSON API, used by ``dataguild trustee ...`` and the trustee desk (see docs/trustees.md).

Two ways in: ``Authorization: Bearer <personal token>`` (the commands; no cookie is read, so no CSRF
token is needed), or the session cookie of a signed-in trustee (the desk's pages,
:mod:`voting.trustees.desk_views`), which must send the page's CSRF token in the ``X-CSRFToken`` header
with every POST (400 otherwise). Both reach the same checks and services. Errors are
``{"error": {"message": ..., "field": ...}}`` with 400 (malformed or invalid message: the message says
which check failed), 401 (missing, unknown or revoked token, and not signed in), 403 (not a trustee, or
not of that committee), 404 (no such committee) and 409 (wrong step, or submitted already).

- ``GET  /api/v1/trustee/committees``                    the committees I sit on
- ``GET  /api/v1/trustee/committees/<id>``               the ceremony state (``?all_shares=1``: every
  encrypted share, to recompute the joint key)
- ``POST /api/v1/trustee/committees/<id>/announcement``  ``{"announcement", "bls_public_key", "bls_pop"}``
- ``POST /api/v1/trustee/committees/<id>/dealing``       ``{"commitment", "shares": [...]}``
- ``POST /api/v1/trustee/committees/<id>/confirmation``  ``{"complaints": [...]}`` (empty: all shares good)

Counting (docs/counting.md; 404 for an unknown election, 403 for a member who is not one of its trustees):

- ``GET  /api/v1/trustee/elections/<id>/tally``             the manifest, the encrypted tally, every share
  posted so far, the result and its certificate
- ``POST /api/v1/trustee/elections/<id>/decryption``        ``{"trustee_index", "shares": [[share per option]
  per question]}``
- ``POST /api/v1/trustee/elections/<id>/result-signature``  ``{"trustee_index", "signature"}`` (BLS, hex)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session

from governance import db
from governance.api.services import RateLimit, TokenError, authenticate, spend
from governance.auth.access import current_member
from governance.members.models import Member, Role
from governance.security import csrf
from governance.sitecontext import utcnow
from voting import NotPermitted, VotingError
from voting.committees import ceremony as ceremony_services
from voting.committees.models import MessageKind, TrusteeCommittee
from voting.committees.services import (
    NotATrustee,
    TokenRefused,
    committees_of,
    complaint_rows,
    get_committee,
    messages_of,
    next_step,
    seat_of,
)
from voting.counting import services as counting
from voting.elections.models import Election

bp = Blueprint("trustee_api", __name__, url_prefix="/api/v1/trustee")
# Bearer tokens cannot be forged cross-site; requests that rely on the session cookie are checked by
# hand in _trustee (csrf.protect), so the blueprint as a whole is exempt from the automatic check.
csrf.exempt(bp)

MAX_BODY = 2_000_000  # a dealing for 255 trustees is about 100 kB


def _json(data: Any, status: int = 200) -> tuple[Response, int]:
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response, status


def _error(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    return _json({"error": {"message": message, "field": field}}, status)


def _refused(exc: VotingError) -> tuple[Response, int]:
    status = 403 if isinstance(exc, NotPermitted) else getattr(exc, "status", 400)
    return _error(status, exc.message, getattr(exc, "field", None) or None)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class CsrfRefused(VotingError):
    status = 400


class TooManyRequests(VotingError):
    """The token's rate limit (``DATAGUILD_API_RATE_LIMIT_*``) is spent for this window."""

    status = 429


def _trustee(session: Session) -> Member:
    """The trustee making this request: by bearer token when one is sent, otherwise the signed-in
    member, whose POSTs must carry a valid CSRF token (header ``X-CSRFToken``)."""
    token = _bearer()
    member = current_member() if token is None else None
    if member is None:
        try:
            row = authenticate(session, token, scope="trustee", now=utcnow())
            spend(session, row, limit=RateLimit.of_api(current_app.config), now=utcnow())
        except TokenError as exc:
            refusal = {403: NotATrustee, 429: TooManyRequests}.get(exc.status, TokenRefused)
            raise refusal(exc.message) from exc
        return row.member
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            csrf.protect()
        except CSRFError as exc:
            raise CsrfRefused("This request lacks the page's security token (X-CSRFToken header) or it has "
                              "expired, so nothing was saved. Reload the page and try again.") from exc
    if not member.has_role(Role.TRUSTEE):
        raise NotATrustee("Only members holding the trustee role use the trustee API.")
    return member


def _committee_row(committee: TrusteeCommittee, member: Member) -> dict[str, Any]:
    seat = seat_of(committee, member)
    assert seat is not None
    return {"id": committee.id, "name": committee.name, "k": committee.k, "n": committee.n,
            "status": committee.status.value, "my_index": seat.trustee_index, "next_step": next_step(committee, seat)}


def ceremony_state(session: Session, committee: TrusteeCommittee, member: Member, *,
                   all_shares: bool = False) -> dict[str, Any]:
    """Everything public about the ceremony, plus the shares addressed to ``member``."""
    seat = seat_of(committee, member)
    if seat is None:
        raise NotATrustee(f"You are not a trustee of committee “{committee.name}”.")
    shares = messages_of(session, committee, MessageKind.ENCRYPTED_SHARE)
    complaint_payloads = {(m.from_index, m.to_index): m.payload
                          for m in messages_of(session, committee, MessageKind.COMPLAINT)}
    state: dict[str, Any] = {
        "committee": {"id": committee.id, "name": committee.name, "k": committee.k, "n": committee.n,
                      "status": committee.status.value, "failure_reason": committee.failure_reason,
                      "ceremony": {"fingerprint": committee.fingerprint, "n": committee.n, "k": committee.k}},
        "me": {"index": seat.trustee_index, "next_step": next_step(committee, seat)},
        "trustees": [{"index": t.trustee_index, "name": t.member.name,
                      "announced": t.announcement is not None, "dealt": t.commitment is not None,
                      "confirmed": t.confirmed_at is not None, "complaints_filed": t.complaints_filed,
                      "disqualified": t.disqualified_reason, "bls_public_key": t.bls_public_key,
                      "bls_pop": t.bls_pop} for t in committee.trustees],
        "announcements": [t.announcement for t in committee.trustees if t.announcement is not None],
        "commitments": [t.commitment for t in committee.trustees if t.commitment is not None],
        "shares_to_me": [m.payload for m in shares if m.to_index == seat.trustee_index],
        "complaints": [{"complaint": complaint_payloads[(c.recipient, c.dealer)], "upheld": c.upheld,
                        "verdict": c.verdict} for c in complaint_rows(session, committee)],
        "joint_key": committee.joint_key,
    }
    if all_shares:
        state["encrypted_shares"] = [m.payload for m in shares]
    return state


@bp.get("/committees")
def my_committees() -> tuple[Response, int]:
    session = db.session()
    try:
        member = _trustee(session)
    except VotingError as exc:
        return _refused(exc)
    rows = [_committee_row(committee, member) for committee, _seat in committees_of(session, member)]
    session.commit()  # the token's last use
    return _json({"committees": rows})


@bp.get("/committees/<int:committee_id>")
def committee_state(committee_id: int) -> tuple[Response, int]:
    session = db.session()
    try:
        member = _trustee(session)
        state = ceremony_state(session, get_committee(session, committee_id), member,
                               all_shares=request.args.get("all_shares") == "1")
    except VotingError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    return _json(state)


def _submit(committee_id: int, step: Callable[..., Any]) -> tuple[Response, int]:
    session = db.session()
    try:
        member = _trustee(session)
    except VotingError as exc:
        return _refused(exc)
    if (request.content_length or 0) > MAX_BODY:
        return _error(413, "The request body is too large.")
    if not request.is_json:
        return _error(415, "Send the request as JSON with the header Content-Type: application/json.")
    try:
        payload = json.loads(request.get_data(as_text=True))
    except ValueError:
        return _error(400, "The request body is not valid JSON.")
    try:
        step(session, committee_id, member, payload, now=utcnow())
        committee = get_committee(session, committee_id)
        body = {"ok": True, "committee": _committee_row(committee, member)}
    except VotingError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    return _json(body)


@bp.post("/committees/<int:committee_id>/announcement")
def post_announcement(committee_id: int) -> tuple[Response, int]:
    return _submit(committee_id, ceremony_services.submit_announcement)


@bp.post("/committees/<int:committee_id>/dealing")
def post_dealing(committee_id: int) -> tuple[Response, int]:
    return _submit(committee_id, ceremony_services.submit_dealing)


@bp.post("/committees/<int:committee_id>/confirmation")
def post_confirmation(committee_id: int) -> tuple[Response, int]:
    return _submit(committee_id, ceremony_services.submit_confirmation)


# ---------------------------------------------------------------- counting


class ElectionNotFound(VotingError):
    status = 404


def _election(session: Session, election_id: int) -> Election:
    election = session.get(Election, election_id)
    if election is None:
        raise ElectionNotFound(f"There is no election {election_id}.")
    return election


def counting_state(session: Session, election: Election, member: Member) -> dict[str, Any]:
    """What a trustee needs to decrypt and to check the result (all of it public once decided)."""
    index = counting.trustee_index_of(session, election, member)
    records = counting.share_records(session, election)
    mine = next((r for r in records if r.trustee_index == index), None)
    return {"election": {"id": election.id, "fingerprint": election.fingerprint, "state": election.state.value,
                         "committee_id": election.committee_id, "threshold": counting.threshold(election)},
            "manifest": election.manifest,
            "me": {"index": index, "submitted": mine is not None,
                   "signed": mine is not None and mine.result_signature is not None},
            "encrypted_tally": election.encrypted_tally,
            "shares": {str(r.trustee_index): r.shares for r in records},
            "result": election.result, "certificate": election.result_certificate}


def _read_json() -> tuple[Any, tuple[Response, int] | None]:
    if (request.content_length or 0) > MAX_BODY:
        return None, _error(413, "The request body is too large.")
    if not request.is_json:
        return None, _error(415, "Send the request as JSON with the header Content-Type: application/json.")
    try:
        payload = json.loads(request.get_data(as_text=True))
    except ValueError:
        return None, _error(400, "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        return None, _error(400, "The request body must be a JSON object.")
    return payload, None


@bp.get("/elections/<int:election_id>/tally")
def election_tally(election_id: int) -> tuple[Response, int]:
    session = db.session()
    try:
        member = _trustee(session)
        state = counting_state(session, _election(session, election_id), member)
    except VotingError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    return _json(state)


def _count_step(election_id: int, step: Callable[..., Any], field: str) -> tuple[Response, int]:
    session = db.session()
    try:
        member = _trustee(session)
    except VotingError as exc:
        return _refused(exc)
    payload, problem = _read_json()
    if problem is not None:
        return problem
    index = payload.get("trustee_index")
    if not isinstance(index, int) or isinstance(index, bool):
        return _error(400, "trustee_index must be your trustee number (an integer).", "trustee_index")
    try:
        election = _election(session, election_id)
        step(session, election, member, index, payload.get(field))
        state = counting_state(session, election, member)
    except VotingError as exc:
        session.rollback()
        return _refused(exc)
    session.commit()
    return _json({"ok": True, **state})


@bp.post("/elections/<int:election_id>/decryption")
def post_decryption(election_id: int) -> tuple[Response, int]:
    return _count_step(election_id, lambda s, e, m, i, shares: counting.submit_decryption(
        s, e, m, trustee_index=i, shares_json=shares, now=utcnow()), "shares")


@bp.post("/elections/<int:election_id>/result-signature")
def post_result_signature(election_id: int) -> tuple[Response, int]:
    return _count_step(election_id, lambda s, e, m, i, signature: counting.sign_result(
        s, e, m, trustee_index=i, signature_hex=signature, now=utcnow()), "signature")
