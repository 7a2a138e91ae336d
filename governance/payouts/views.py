"""``/payouts``: stewards record revenue, upload contributions and compute statements; members read
their own lines. Views: load → authorize → call the service → commit → redirect or render.

Who sees what: stewards and admins see and export everything; a member sees a statement's totals
and their own line, never other members' amounts; observers (external) see nothing here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import Field

from governance import db
from governance.auth.access import current_member, login_required, roles_required
from governance.members.forms import choice
from governance.members.models import Member, Role
from governance.payouts.csv_import import MAX_BYTES, payout_alias
from governance.payouts.forms import ContributionsForm, RevenueForm, StatementForm
from governance.payouts.models import PayoutStatement
from governance.payouts.services import (
    MANAGERS,
    PayoutError,
    can_manage,
    compute_statement,
    list_revenue,
    list_statements,
    list_uploads,
    member_lines,
    own_line,
    people_of,
    record_revenue,
    statement_intact,
    statement_lines,
    upload_contributions,
)
from governance.payouts.statement import money, statement_csv
from governance.policy.agreements import agreement_status, list_agreements
from governance.policy.services import PAYOUT, current_policy_version
from governance.policy.terms.bodies import PayoutFormula
from governance.policy.terms.parsing import from_json
from governance.sitecontext import utcnow

bp = Blueprint("payouts", __name__)


def _viewer() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by login_required / roles_required
    return member


def _require_reader(member: Member) -> None:
    if not (can_manage(member) or member.has_role(Role.MEMBER)):
        abort(403, description="Payouts are for the members of the cooperative.")


def _place_errors(form: FlaskForm, errors: Mapping[str, str]) -> list[str]:
    """Each service error next to its field (unless the field already says what is wrong); the rest in general."""
    general = []
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if isinstance(field, Field):
            if not field.errors:
                field.errors = [message]
        else:
            general.append(message)
    return general


def _agreement_choices() -> list[Any]:
    today = utcnow().date()
    return [choice("", "Choose an agreement")] + [
        choice(str(a.id), f"#{a.id} {a.counterparty_name} ({a.terms.get('currency', '')}, "
                          f"{agreement_status(a, today)})")
        for a in list_agreements(db.session())]


def _dashboard(status: int = 200, *, revenue_form: RevenueForm | None = None,
               contributions_form: ContributionsForm | None = None, statement_form: StatementForm | None = None,
               general: Mapping[str, list[str]] | None = None) -> tuple[str, int]:
    session = db.session()
    revenue_form = revenue_form or RevenueForm(formdata=None)
    revenue_form.agreement_id.choices = _agreement_choices()
    version = current_policy_version(session, PAYOUT)
    formula = from_json(PayoutFormula, version.document["formula"]) if version else None
    contributions_form = contributions_form or ContributionsForm(
        formdata=None, metric=formula.metric if formula and formula.metric else None)
    agreements = {a.id: a for a in list_agreements(session)}
    return render_template(
        "payouts/index.html", revenue=list_revenue(session), uploads=list_uploads(session),
        statements=list_statements(session), agreements=agreements, policy_version=version, formula=formula,
        revenue_form=revenue_form, contributions_form=contributions_form,
        statement_form=statement_form or StatementForm(formdata=None), general=general or {},
        money=money), status


def _act(form: FlaskForm, action: Callable[[], object]) -> tuple[object | None, list[str]]:
    """Run ``action`` (a service call) with the form's values; on any error roll back and return them."""
    form.validate()  # field-level problems (a malformed date) stay on their fields
    session = db.session()
    try:
        result = action()
    except PayoutError as exc:
        session.rollback()
        return None, _place_errors(form, exc.errors)
    if any(field.errors for field in form):
        session.rollback()
        return None, []
    session.commit()
    return result, []


@bp.get("/payouts")
@login_required
def index() -> str | tuple[str, int]:
    viewer = _viewer()
    _require_reader(viewer)
    if not can_manage(viewer):
        return _mine(viewer)
    return _dashboard()


@bp.post("/payouts/revenue")
@roles_required(*MANAGERS)
def add_revenue() -> Response | tuple[str, int]:
    form = RevenueForm()
    entry, general = _act(form, lambda: record_revenue(
        db.session(), actor=_viewer(), agreement_id=form.agreement_id.data, amount=form.amount.data,
        received_on=form.received_on.data, note=form.note.data or ""))
    if entry is None:
        return _dashboard(400, revenue_form=form, general={"revenue": general})
    flash("The revenue is recorded.", "success")
    return redirect(url_for("payouts.index", _anchor="revenue"))


@bp.post("/payouts/contributions")
@roles_required(*MANAGERS)
def add_contributions() -> Response | tuple[str, int]:
    form = ContributionsForm()
    upload = form.file.data

    chosen = upload is not None and bool(getattr(upload, "filename", ""))
    # Read one byte more than the reader accepts, so an oversized file is reported as such.
    stored, general = _act(form, lambda: upload_contributions(
        db.session(), actor=_viewer(), period_start=form.period_start.data, period_end=form.period_end.data,
        metric=form.metric.data, filename=upload.filename if chosen else "",
        data=upload.read(MAX_BYTES + 1) if chosen else None))
    if stored is None:
        return _dashboard(400, contributions_form=form, general={"contributions": general})
    flash(f"Contributions of {stored.row_count} members are stored.", "success")  # type: ignore[attr-defined]
    return redirect(url_for("payouts.index", _anchor="contributions"))


@bp.post("/payouts/statements")
@roles_required(*MANAGERS)
def add_statement() -> Response | tuple[str, int]:
    form = StatementForm()
    statement, general = _act(form, lambda: compute_statement(
        db.session(), actor=_viewer(), period_start=form.period_start.data, period_end=form.period_end.data))
    if statement is None:
        return _dashboard(400 if any(f.errors for f in form) else 422, statement_form=form,
                          general={"statement": general})
    flash("The statement is computed.", "success")
    return redirect(url_for("payouts.statement", statement_id=statement.id))  # type: ignore[attr-defined]


def _load(statement_id: int) -> PayoutStatement:
    statement = db.session().get(PayoutStatement, statement_id)
    if statement is None:
        abort(404, description="There is no payout statement with that number.")
    return statement


@bp.get("/payouts/statements/<int:statement_id>")
@login_required
def statement(statement_id: int) -> str:
    viewer = _viewer()
    _require_reader(viewer)
    found = _load(statement_id)
    session = db.session()
    manager = can_manage(viewer)
    return render_template(
        "payouts/statement.html", statement=found, document=found.document, manager=manager,
        lines=statement_lines(session, found) if manager else [], own=own_line(session, found, viewer),
        intact=statement_intact(found), money=money, alias=payout_alias(viewer.id))


@bp.get("/payouts/statements/<int:statement_id>.csv")
@roles_required(*MANAGERS)
def statement_export_csv(statement_id: int) -> Response:
    found = _load(statement_id)
    body = statement_csv(found.document, people_of(db.session(), found))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payout-statement-{found.id}.csv"'})


@bp.get("/payouts/statements/<int:statement_id>.json")
@roles_required(*MANAGERS)
def statement_export_json(statement_id: int) -> Response:
    found = _load(statement_id)
    body = {"id": found.id, "document_hash": found.document_hash, "document": found.document}
    return Response(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="payout-statement-{found.id}.json"'})


def _mine(viewer: Member) -> str:
    return render_template("payouts/mine.html", rows=member_lines(db.session(), viewer), money=money,
                           alias=payout_alias(viewer.id), manager=can_manage(viewer))


@bp.get("/payouts/mine")
@login_required
def mine() -> str:
    viewer = _viewer()
    _require_reader(viewer)
    return _mine(viewer)
