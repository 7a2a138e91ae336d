"""The policy for people: ``/policy`` (the data-use rules in force, in plain words, with where each came
from), ``/policy/versions`` (every version of both lines), ``/policy/compare`` (what changed between two
versions), ``/policy/payout`` and ``/deals`` (agreements, their status, a steward's suspension).

Public read access: members, counterparties and auditors all need to know what was decided. A client
that prefers ``application/ld+json`` over ``text/html`` is sent (303) to the machine-readable document
of the same thing. Signatures are shown, not verified, here: a BLS verification takes about half a
second, so that is left to ``verify_policy_chain`` (and to anyone with the published key).
Views: load → authorize → call the service → commit → redirect or render.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from governance import db
from governance.auth.access import current_member, roles_required
from governance.members.models import Member, Role
from governance.policy.agreements import (
    agreement_status,
    get_agreement,
    list_agreements,
    narrowed_agreements,
    suspend_agreement,
)
from governance.policy.deal_forms import SuspendAgreementForm
from governance.policy.models import Agreement
from governance.policy.services import (
    DATA_USE,
    LINE_LABELS,
    PAYOUT,
    PolicyError,
    current_payout_formula,
    current_policy_version,
    current_rules,
    dataset_titles,
    get_policy_version,
    list_policy_versions,
    rules_of,
)
from governance.policy.terms.binding import bind
from governance.policy.terms.bodies import DealBody
from governance.policy.terms.parsing import from_json
from governance.policy.wording.binding import binding_heading, binding_items
from governance.policy.wording.describe import describe_body, describe_rule
from governance.policy.wording.diff import diff_documents, formula_sentences, rule_origins
from governance.signing import SigningKeysUnavailable, site_keys
from governance.sitecontext import utcnow

bp = Blueprint("policy_pages", __name__)

JSON_LD = "application/ld+json"
#: Who may suspend an agreement (the service checks again).
SUSPENDERS = (Role.STEWARD, Role.ADMIN)
#: The line names people see in addresses (``?line=data-use`` reads as well as ``data_use``).
LINE_PARAMETERS = {"data_use": DATA_USE, "data-use": DATA_USE, "payout": PAYOUT}
MAX_VERSION_NUMBER = 2**31 - 1
STATUS_LABELS = {"upcoming": "Upcoming", "active": "Active", "expired": "Expired", "suspended": "Suspended"}
STATUS_BADGES = {"upcoming": "badge-warn", "active": "badge-status-active", "expired": "badge-muted",
                 "suspended": "badge-status-suspended"}


def version_document_path(line: str, number: int | None = None) -> str:
    """The JSON-LD address of a version (``None``: the one in force), as helper routes serve it."""
    stem = "/policy/data-use" if line == DATA_USE else "/policy/payout"
    return f"{stem}.jsonld" if number is None else f"{stem}/v{number}.jsonld"


def agreement_document_path(agreement_id: int) -> str:
    return f"/deals/{agreement_id}/agreement.jsonld"


@bp.app_context_processor
def policy_words() -> dict[str, Any]:
    return {"LINE_LABELS": LINE_LABELS, "STATUS_LABELS": STATUS_LABELS, "STATUS_BADGES": STATUS_BADGES,
            "version_document_path": version_document_path, "agreement_document_path": agreement_document_path}


# ---------------------------------------------------------------- helpers


def _prefers_json_ld() -> bool:
    """Only when the client ranks JSON-LD above HTML (``*/*`` and browsers get the page)."""
    accept = request.accept_mimetypes
    return accept.quality(JSON_LD) > accept.quality("text/html")


def _see_other(location: str) -> Response:
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, site_key=_site_key(), **context), status)
    response.vary.add("Accept")  # the same address answers JSON-LD clients with a redirect
    return response


def _site_key() -> str | None:
    """The cooperative's public BLS key, to say whether a stored signature was made with it."""
    try:
        return site_keys(db.session()).bls_public_hex
    except SigningKeysUnavailable:
        return None


def _today() -> date:
    return utcnow().date()


def _load_agreement(agreement_id: int) -> Agreement:
    agreement = get_agreement(db.session(), agreement_id)
    if agreement is None:
        abort(404, description="There is no agreement with that number.")
    return agreement


# ---------------------------------------------------------------- the data-use policy


@bp.get("/policy")
def policy() -> Response:
    if _prefers_json_ld():
        return _see_other(version_document_path(DATA_USE))
    session = db.session()
    versions = list_policy_versions(session, DATA_USE)  # newest first
    current = versions[0] if versions else None
    titles = dataset_titles(session)
    rules: list[dict[str, Any]] = []
    if current is not None:
        by_number = {version.number: version for version in versions}
        origins = rule_origins((v.number, v.document) for v in reversed(versions))
        rules = [{"rule": rule, "sentences": describe_rule(rule, titles), "origin": by_number[origins[rule.id]]}
                 for rule in rules_of(current)]
    return _page("policy/policy.html", current=current, rules=rules, versions=versions)


@bp.get("/policy/versions")
def versions() -> Response:
    session = db.session()
    lines = {line: list_policy_versions(session, line) for line in LINE_LABELS}
    return _page("policy/versions.html", lines=lines)


def _compare_error(status: int, message: str, **context: Any) -> Response:
    return _page("policy/compare.html", status, error=message, difference=None, **context)


@bp.get("/policy/compare")
def compare() -> Response:
    """``?line=data_use&from=1&to=3``: what changed between two versions of one line."""
    session = db.session()
    line_text = request.args.get("line", "")
    line = LINE_PARAMETERS.get(line_text)
    if line is None:
        return _compare_error(400, "Say which policy to compare: line=data_use (the data-use policy) or "
                                   "line=payout (the payout policy).")
    numbers = [v.number for v in list_policy_versions(session, line)]
    context: dict[str, Any] = {"line": line, "numbers": numbers}
    raw = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    parsed: dict[str, int] = {}
    for name, text in raw.items():
        if not text:
            return _compare_error(400, f"Say which version to compare {name}: “{name}=” and a version number.",
                                  **context)
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            return _compare_error(400, f"“{name}” must be a version number (a whole number from 1), not “{text}”.",
                                  **context)
        parsed[name] = int(text)
    if parsed["from"] == parsed["to"]:
        return _compare_error(400, "Choose two different versions to compare.", **context)
    # Numbers beyond a database integer cannot exist (and PostgreSQL would refuse to compare them).
    old, new = (get_policy_version(session, line, parsed[name]) if parsed[name] <= MAX_VERSION_NUMBER else None
                for name in ("from", "to"))
    for number, version in ((parsed["from"], old), (parsed["to"], new)):
        if version is None:
            latest = max(numbers, default=0)
            known = f"it has versions 1 to {latest}" if latest else "it has no versions yet"
            return _compare_error(404, f"The {LINE_LABELS[line]} has no version {number}: {known}.", **context)
    assert old is not None
    assert new is not None
    difference = diff_documents(line, old.number, old.document, new.number, new.document, dataset_titles(session))
    return _page("policy/compare.html", difference=difference, old=old, new=new, error=None, **context)


# ---------------------------------------------------------------- the payout policy


@bp.get("/policy/payout")
def payout() -> Response:
    if _prefers_json_ld():
        return _see_other(version_document_path(PAYOUT))
    session = db.session()
    versions = list_policy_versions(session, PAYOUT)
    formula = current_payout_formula(session)
    return _page("policy/payout.html", current=versions[0] if versions else None, versions=versions,
                 formula=formula, sentences=formula_sentences(formula) if formula else [])


# ---------------------------------------------------------------- agreements


@bp.get("/deals")
def deals() -> Response:
    today = _today()
    session = db.session()
    agreements = list_agreements(session)
    viewer: Member | None = current_member()
    return _page("policy/deals.html", rows=[(a, agreement_status(a, today)) for a in agreements], today=today,
                 narrowed=narrowed_agreements(agreements, current_rules(session), today),
                 is_steward=viewer is not None and viewer.has_role(*SUSPENDERS))


def _deal_page(agreement: Agreement, form: SuspendAgreementForm, status: int = 200,
               error: str | None = None) -> Response:
    viewer: Member | None = current_member()
    state = agreement_status(agreement, _today())
    may_suspend = viewer is not None and viewer.has_role(*SUSPENDERS) and state in ("upcoming", "active")
    session = db.session()
    version = current_policy_version(session, DATA_USE)
    rules = rules_of(version) if version is not None else ()
    return _page("policy/deal.html", status, agreement=agreement, state=state, form=form, error=error,
                 may_suspend=may_suspend,
                 sentences=describe_body("deal_approval", agreement.terms, dataset_titles(session)),
                 bindings=[(binding_heading(b), binding_items(b))
                           for b in bind(from_json(DealBody, agreement.terms), rules)],
                 narrowed=narrowed_agreements([agreement], rules, _today()).get(agreement.id, []),
                 rules_version=version)


@bp.get("/deals/<int:agreement_id>")
def deal(agreement_id: int) -> Response:
    if _prefers_json_ld():
        return _see_other(agreement_document_path(agreement_id))
    return _deal_page(_load_agreement(agreement_id), SuspendAgreementForm())


@bp.post("/deals/<int:agreement_id>/suspend")
@roles_required(*SUSPENDERS)
def suspend(agreement_id: int) -> Response:
    agreement = _load_agreement(agreement_id)
    form = SuspendAgreementForm()
    if not form.validate_on_submit():  # only the CSRF token can fail here; the service checks the reason
        return _deal_page(agreement, form, 400, "The form had expired; reload the page and try again.")
    session = db.session()
    actor = current_member()
    try:
        suspend_agreement(session, agreement, actor=actor, reason=form.reason.data or "")
    except PolicyError as exc:
        session.rollback()
        if "reason" in exc.errors:
            form.reason.errors = [exc.errors["reason"]]
            return _deal_page(agreement, form, 400)
        # Already suspended or expired: the request conflicts with the agreement's state.
        return _deal_page(agreement, form, 409, exc.message)
    session.commit()
    flash(f"The agreement with {agreement.counterparty_name} is suspended: it is no longer in force.", "success")
    return redirect(url_for("policy_pages.deal", agreement_id=agreement.id), code=303)

