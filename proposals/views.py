"""Proposal pages: the list, drafting, the proposal page, comparing versions and the lifecycle buttons.

Views are thin: load → authorize → call a service of ``proposals.services`` / ``proposals.lifecycle``
→ commit → redirect with a flash, or re-render with the errors next to the fields and nothing
written. What the pages share (the blueprint, loading with the visibility check, the proposal page's
context) is in :mod:`proposals.pages`; discussion, amendments and notification settings are in
:mod:`proposals.views_discussion`, which registers its routes on the same blueprint.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from governance.auth.access import current_member, login_required, roles_required
from governance.sitecontext import utcnow
from proposals import (
    lifecycle,
    services,
    views_discussion,  # noqa: F401  (registers the discussion routes on bp)
)
from proposals.errors import ProposalError
from proposals.forms import (
    KIND_EXPLANATIONS,
    KIND_NAMES,
    CompanionForm,
    DraftTextForm,
    ListFilterForm,
    ReasonForm,
)
from proposals.models import Proposal, ProposalState
from proposals.pages import (
    DRAFTING_ROLES,
    body_form,
    body_json,
    bp,
    companion_candidates,
    load_proposal,
    place_errors,
    precheck,
    proposal_url,
    refused,
    render_detail,
    session,
    signed_in,
    status_of,
)

__all__ = ["bp"]

PAGE_SIZE = 25


# ---------------------------------------------------------------- list


@bp.get("/proposals")
def index() -> str:
    viewer = current_member()
    filters = ListFilterForm(request.args)
    if not filters.validate():
        filters = ListFilterForm(formdata=None)  # an unknown kind or state in a typed address: show all
    now = utcnow()
    found = services.list_proposals(
        session(), viewer=viewer, kind=filters.kind.data or None, state=filters.state.data or None,
        mine=bool(viewer and filters.mine.data), query=(filters.q.data or "").strip() or None, now=now)
    pages = max((len(found) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    query_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "proposals/list.html", proposals=found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], filters=filters,
        total=len(found), page=page, pages=pages, query_args=query_args,
        filtered=any(query_args.get(k) for k in ("q", "kind", "state", "mine")),
        may_draft=bool(viewer and viewer.has_role(*DRAFTING_ROLES)),
        shown_state=lambda p: lifecycle.shown_state(p, now))


# ---------------------------------------------------------------- drafting


@bp.get("/proposals/new")
@roles_required(*DRAFTING_ROLES)
def choose_kind() -> str:
    return render_template("proposals/choose_kind.html", kinds=KIND_NAMES, explanations=KIND_EXPLANATIONS)


def _render_editor(kind: str, proposal: Proposal | None, text_form: DraftTextForm, editor: object,
                   unplaced: list[str], status: int) -> tuple[str, int]:
    return render_template("proposals/edit.html", kind=kind, kind_name=KIND_NAMES[kind], proposal=proposal,
                           text_form=text_form, editor=editor, unplaced=unplaced), status


@bp.route("/proposals/new/<kind>", methods=["GET", "POST"])
@roles_required(*DRAFTING_ROLES)
def new(kind: str) -> Response | tuple[str, int]:
    if kind not in KIND_NAMES:
        abort(404, description="There is no such kind of proposal.")
    viewer, db_session = signed_in(), session()
    text_form = DraftTextForm()
    editor = body_form(kind, None)
    status = precheck(text_form, editor) if text_form.is_submitted() else 200
    if status is not None:
        return _render_editor(kind, None, text_form, editor, [], status)
    try:
        proposal = services.create_draft(db_session, actor=viewer, kind=kind, title=text_form.title.data,
                                         summary=text_form.summary.data or "", body=body_json(kind, editor),
                                         now=utcnow())
    except ProposalError as exc:
        db_session.rollback()
        return _render_editor(kind, None, text_form, editor, place_errors(exc, text_form, editor), status_of(exc))
    db_session.commit()
    flash("Draft saved. Only you and the stewards can see it until you publish it.", "success")
    return redirect(proposal_url(proposal))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@roles_required(*DRAFTING_ROLES)
def edit(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    if proposal.state != ProposalState.DRAFT:
        return render_detail(proposal, status=409, error="This proposal is no longer a draft, so it cannot be "
                             "edited; members change it by proposing amendments.")
    if not services.can_edit(proposal, viewer):
        abort(403, description="Only the author and the stewards may edit this draft.")
    latest = proposal.latest
    text_form = DraftTextForm(data={"title": latest.title, "summary": latest.summary})
    submitted = text_form.is_submitted()
    editor = body_form(proposal.kind, None if submitted else latest.body)
    status = precheck(text_form, editor) if submitted else 200
    if status is not None:
        return _render_editor(proposal.kind, proposal, text_form, editor, [], status)
    try:
        version = services.save_version(db_session, proposal, actor=viewer, title=text_form.title.data,
                                        summary=text_form.summary.data or "", body=body_json(proposal.kind, editor),
                                        note=text_form.note.data or "", now=utcnow())
    except ProposalError as exc:
        db_session.rollback()
        return _render_editor(proposal.kind, proposal, text_form, editor, place_errors(exc, text_form, editor),
                              status_of(exc))
    db_session.commit()
    flash(f"Saved as version {version.number}.", "success")
    return redirect(proposal_url(proposal))


# ---------------------------------------------------------------- the proposal page


@bp.get("/proposals/<int:proposal_id>")
def detail(proposal_id: int) -> tuple[str, int]:
    return render_detail(load_proposal(proposal_id))


@bp.get("/proposals/<int:proposal_id>/compare")
def compare(proposal_id: int) -> str:
    proposal = load_proposal(proposal_id)
    numbers = [v.number for v in proposal.versions]
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a is None or b is None:
        a, b = (numbers[-2], numbers[-1]) if len(numbers) > 1 else (numbers[0], numbers[0])
    if a not in numbers or b not in numbers:
        abort(404, description=f"This proposal has versions 1 to {numbers[-1]}.")
    return render_template("proposals/compare.html", proposal=proposal, a=a, b=b, numbers=numbers,
                           diff=services.diff_versions(session(), proposal, a, b),
                           old=proposal.version(a), new=proposal.version(b))


# ---------------------------------------------------------------- lifecycle and sponsors

_DONE = {
    "publish": "Published: the proposal is open for discussion, and members have been told.",
    "withdraw": "You withdrew the proposal.",
    "cancel": "The proposal is cancelled; the reason is on its page and in the audit log.",
    "sponsor": "You co-sponsor this proposal.",
    "unsponsor": "You no longer co-sponsor this proposal.",
}


@bp.post("/proposals/<int:proposal_id>/<any(publish, withdraw, sponsor, unsponsor):action>")
@login_required
def act(proposal_id: int, action: str) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    now = utcnow()
    try:
        if action == "publish":
            lifecycle.publish(db_session, proposal, actor=viewer, now=now, base_url=current_app.config["BASE_URL"])
        elif action == "withdraw":
            lifecycle.withdraw(db_session, proposal, actor=viewer, now=now)
        elif action == "sponsor":
            services.sponsor(db_session, proposal, actor=viewer, now=now)
        else:
            services.unsponsor(db_session, proposal, actor=viewer, now=now)
    except ProposalError as exc:
        return refused(proposal, exc)
    db_session.commit()
    flash(_DONE[action], "success")
    return redirect(proposal_url(proposal))


@bp.post("/proposals/<int:proposal_id>/cancel")
@login_required
def cancel(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    form = ReasonForm(prefix="cancel")
    if not form.validate_on_submit():
        return render_detail(proposal, status=400, cancel_form=form)
    try:
        lifecycle.cancel(db_session, proposal, actor=viewer, reason=form.reason.data, now=utcnow())
    except ProposalError as exc:
        return refused(proposal, exc, cancel_form=form)
    db_session.commit()
    flash(_DONE["cancel"], "success")
    return redirect(proposal_url(proposal))


@bp.post("/proposals/<int:proposal_id>/override")
@login_required
def override(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    form = ReasonForm(prefix="override")
    if not form.validate_on_submit():
        return render_detail(proposal, status=400, override_form=form)
    try:
        lifecycle.override_conflicts(db_session, proposal, actor=viewer, reason=form.reason.data, now=utcnow())
    except ProposalError as exc:
        return refused(proposal, exc, override_form=form)
    db_session.commit()
    flash("Override recorded: the deal may go to vote despite its conflicts.", "success")
    return redirect(proposal_url(proposal, "conflicts-title"))


@bp.post("/proposals/<int:proposal_id>/companion")
@login_required
def set_companion(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    form = CompanionForm()
    form.set_candidates(companion_candidates(db_session, proposal))
    if not form.validate_on_submit():
        return render_detail(proposal, status=400, companion_form=form)
    try:
        lifecycle.set_companion(db_session, proposal, form.companion, actor=viewer, now=utcnow())
    except ProposalError as exc:
        return refused(proposal, exc, companion_form=form)
    db_session.commit()
    flash("The rule change is linked to this deal." if form.companion else "The deal has no linked rule change now.",
          "success")
    return redirect(proposal_url(proposal, "conflicts-title"))
