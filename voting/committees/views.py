"""Trustee committee pages: stewards appoint committees and follow the key ceremony; trustees see
their committees' progress and the exact `dataguild trustee ...` command to run next (their personal
access tokens are on the account page, governance.api.token_views). The ceremony itself runs in the
trustees' own `dataguild trustee` commands (secrets never reach the server); these pages only show and appoint.

Views: load → authorize → call a service of :mod:`voting.committees.services` /
:mod:`voting.committees.ceremony` → commit → redirect, or re-render with the errors and nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from governance import db
from governance.auth.access import current_member, login_required, roles_required
from governance.members.models import Member, Role
from governance.sitecontext import SiteSettings, utcnow
from voting import VotingError
from voting.committees import ceremony as ceremony_services
from voting.committees import services as svc
from voting.committees.models import CommitteeStatus, TrusteeCommittee

bp = Blueprint("committees", __name__)

STEP_WORDS = {"announcing": "Trustees publish their keys", "dealing": "Trustees deal their shares",
              "confirming": "Trustees check the shares sent to them",
              "ready": "Ready: the joint key can serve elections", "failed": "Failed"}


class CommitteeForm(FlaskForm):
    name = StringField("Name of the committee", validators=[InputRequired(), Length(max=200)])
    trustees = SelectMultipleField("Trustees (numbered 1, 2, … in this order)", coerce=int,
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    k = IntegerField("Threshold k: how many trustees are needed to decrypt a tally",
                     validators=[InputRequired(message="Give the threshold as a whole number."),
                                 NumberRange(min=1, max=255)])


class ButtonForm(FlaskForm):
    """A button that posts (finish a ceremony): only the CSRF token."""


def _signed_in() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by the decorators
    return member


def _load(committee_id: int) -> TrusteeCommittee:
    committee = db.session().get(TrusteeCommittee, committee_id)
    if committee is None:
        abort(404, description="There is no such trustee committee.")
    if not svc.may_view(committee, current_member()):
        abort(403, description="This committee's page is for stewards, admins and its trustees.")
    return committee


def _place_errors(form: FlaskForm, exc: VotingError) -> None:
    for name, message in (exc.errors or {"": exc.message}).items():
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


@bp.route("/committees", methods=["GET", "POST"])
@login_required
def committees() -> Response | tuple[str, int]:
    viewer, session = _signed_in(), db.session()
    appointing = svc.may_appoint(viewer)
    if not appointing and not viewer.has_role(Role.TRUSTEE):
        abort(403, description="This page is for stewards, admins and trustees.")
    form = CommitteeForm()
    form.trustees.choices = [(m.id, f"{m.name} ({m.email})") for m in svc.eligible_trustees(session)] \
        if appointing else []
    status = 200
    if form.is_submitted():
        if not appointing:
            abort(403, description="Only stewards and admins may appoint a trustee committee.")
        if form.validate():
            chosen = [mid for mid, _label in form.trustees.choices if mid in set(form.trustees.data or [])]
            try:
                committee = svc.create_committee(session, actor=viewer, name=form.name.data or "", member_ids=chosen,
                                                 k=form.k.data, now=utcnow())
            except VotingError as exc:
                session.rollback()
                _place_errors(form, exc)
            else:
                session.commit()
                flash(f"Committee “{committee.name}” appointed. Its trustees can now run the key ceremony.", "success")
                return redirect(url_for("committees.detail", committee_id=committee.id))
        status = 400
    listed = svc.list_committees(session) if appointing else [c for c, _seat in svc.committees_of(session, viewer)]
    return render_template("voting/committees/committees.html", committees=listed, form=form, appointing=appointing,
                           step_words=STEP_WORDS), status


def _commands(committee: TrusteeCommittee, viewer: Member) -> dict[str, Any] | None:
    seat = svc.seat_of(committee, viewer)
    if seat is None:
        return None
    site = SiteSettings.from_config(current_app.config).base_url
    key = f"trustee-committee-{committee.id}.json"
    step = svc.next_step(committee, seat)
    if step is None and committee.status == CommitteeStatus.READY and str(seat.trustee_index) not in \
            (committee.joint_key or {}).get("disqualified", {}):
        step = "confirm"  # run again after the end to store the key share (does nothing if already stored)
    return {"index": seat.trustee_index, "step": step, "keygen": f"dataguild trustee keygen --out {key}",
            "command": step and f"dataguild trustee {step} --site {site} --committee {committee.id} --key {key}",
            "token_env": "DATAGUILD_TRUSTEE_TOKEN"}


@bp.get("/committees/<int:committee_id>")
@login_required
def detail(committee_id: int) -> str:
    committee = _load(committee_id)
    viewer, session = _signed_in(), db.session()
    joint = svc.joint_key_of(session, committee.id) if committee.status == CommitteeStatus.READY else None
    return render_template(
        "voting/committees/committee.html", committee=committee, step_words=STEP_WORDS,
        complaints=svc.complaint_rows(session, committee), joint=joint,
        verification_keys={j: joint.verification_key(j).hex() for j in joint.committee} if joint else {},
        commands=_commands(committee, viewer), may_finish=svc.may_appoint(viewer) and committee.status in
        (CommitteeStatus.ANNOUNCING, CommitteeStatus.DEALING, CommitteeStatus.CONFIRMING), finish_form=ButtonForm())


@bp.post("/committees/<int:committee_id>/finish")
@roles_required(Role.STEWARD, Role.ADMIN)
def finish(committee_id: int) -> Response:
    committee = _load(committee_id)
    session = db.session()
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        ceremony_services.finish_now(session, committee.id, actor=_signed_in(), now=utcnow())
    except VotingError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("committees.detail", committee_id=committee_id))
    session.commit()
    flash("The ceremony was finished with what had been posted." if committee.status == CommitteeStatus.READY
          else f"The ceremony failed: {committee.failure_reason}", "success" if committee.joint_key else "warning")
    return redirect(url_for("committees.detail", committee_id=committee_id))


@bp.get("/trustee/tokens")
def tokens() -> Response:
    """Trustee tokens are personal access tokens with the ``trustee`` scope now, on the account page."""
    return redirect(url_for("tokens.tokens"), code=301)
