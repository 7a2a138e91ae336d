"""Discussion on a proposal (comments, one level of replies, editing, hiding), amendments (proposing,
reading, accepting, declining, withdrawing) and each member's notification settings.

Routes are registered on the proposals blueprint of :mod:`proposals.pages`; same shape as
:mod:`proposals.views`: load → authorize → service → commit → redirect, or re-render with errors.
"""

from __future__ import annotations

import difflib

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from governance.auth.access import current_member, login_required, roles_required
from governance.members.models import Role
from governance.policy.agreements import agreement_names
from governance.policy.services import dataset_titles
from governance.policy.wording.describe import describe_body
from governance.policy.wording.diff import diff_bodies
from governance.sitecontext import as_utc, utcnow
from proposals import notifications, services
from proposals.access import is_author, may_draft
from proposals.discussion import can_edit_comment
from proposals.errors import ProposalError
from proposals.forms import AmendmentTextForm, CommentEditForm, CommentForm, EmptyForm, ReasonForm, notification_form
from proposals.models import Amendment, AmendmentStatus, Proposal, ProposalState
from proposals.pages import (
    body_form,
    body_json,
    bp,
    load_amendment,
    load_comment,
    load_proposal,
    place_errors,
    precheck,
    proposal_url,
    put_errors,
    refused,
    render_detail,
    session,
    signed_in,
    status_of,
)

# ---------------------------------------------------------------- comments


@bp.post("/proposals/<int:proposal_id>/comments")
@roles_required(Role.MEMBER)
def add_comment(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    form = CommentForm()
    reply_to = form.parent if form.parent_id.data and str(form.parent_id.data).isdigit() else None
    if not form.validate_on_submit():
        return render_detail(proposal, status=400, comment_form=form, reply_to=reply_to)
    try:
        comment = services.add_comment(db_session, proposal, actor=viewer, text=form.text.data,
                                       parent_id=form.parent, now=utcnow())
    except ProposalError as exc:
        return refused(proposal, exc, comment_form=form, reply_to=reply_to)
    db_session.commit()
    flash("Your reply is posted." if comment.parent_id else "Your comment is posted.", "success")
    return redirect(proposal_url(proposal, f"comment-{comment.id}"))


@bp.route("/proposals/<int:proposal_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def edit_comment(proposal_id: int, comment_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    comment = load_comment(proposal, comment_id)
    if comment.author_id != viewer.id:
        abort(403, description="You can edit only your own comments.")
    form = CommentEditForm(data={"text": comment.text})
    deadline = as_utc(comment.created_at) + services.COMMENT_EDIT_WINDOW

    def page(status: int, error: str | None = None) -> tuple[str, int]:
        return render_template("proposals/comment_edit.html", proposal=proposal, comment=comment, form=form,
                               deadline=deadline, error=error,
                               editable=can_edit_comment(comment, viewer, utcnow())), status

    if not form.is_submitted():
        return page(200)
    if not form.validate():
        return page(400)
    try:
        services.edit_comment(db_session, comment, actor=viewer, text=form.text.data, now=utcnow())
    except ProposalError as exc:
        db_session.rollback()
        put_errors(form, exc.errors)
        return page(status_of(exc), exc.message)
    db_session.commit()
    flash("Your comment is updated.", "success")
    return redirect(proposal_url(proposal, f"comment-{comment.id}"))


@bp.post("/proposals/<int:proposal_id>/comments/<int:comment_id>/hide")
@roles_required(Role.STEWARD)
def hide_comment(proposal_id: int, comment_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    comment = load_comment(proposal, comment_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return render_detail(proposal, status=400, hide_form=form, hide_target=comment.id)
    try:
        services.hide_comment(db_session, comment, actor=viewer, reason=form.reason.data, now=utcnow())
    except ProposalError as exc:
        return refused(proposal, exc, hide_form=form, hide_target=comment.id)
    db_session.commit()
    flash("The comment is hidden; its place shows your reason.", "success")
    return redirect(proposal_url(proposal, f"comment-{comment.id}"))


# ---------------------------------------------------------------- amendments


@bp.route("/proposals/<int:proposal_id>/amendments/new", methods=["GET", "POST"])
@roles_required(Role.MEMBER)
def new_amendment(proposal_id: int) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    if proposal.state != ProposalState.DISCUSSION:
        return render_detail(proposal, status=409, error="Amendments are proposed while a proposal is in discussion.")
    if is_author(proposal, viewer):
        return render_detail(proposal, status=403, error="You wrote this proposal: other members propose "
                             "amendments, which you then accept or decline.")
    latest = proposal.latest
    text_form = AmendmentTextForm(data={"title": latest.title, "summary": latest.summary})
    submitted = text_form.is_submitted()
    editor = body_form(proposal.kind, None if submitted else latest.body)

    def page(status: int, unplaced: list[str]) -> tuple[str, int]:
        return render_template("proposals/amendment_form.html", proposal=proposal, text_form=text_form,
                               editor=editor, unplaced=unplaced), status

    status = precheck(text_form, editor) if submitted else 200
    if status is not None:
        return page(status, [])
    try:
        amendment = services.propose_amendment(
            db_session, proposal, actor=viewer, title=text_form.title.data, summary=text_form.summary.data or "",
            body=body_json(proposal.kind, editor), rationale=text_form.rationale.data, now=utcnow())
    except ProposalError as exc:
        db_session.rollback()
        return page(status_of(exc), place_errors(exc, text_form, editor))
    db_session.commit()
    flash(f"Amendment proposed; {proposal.author.name} will accept or decline it.", "success")
    return redirect(url_for("proposals.amendment", proposal_id=proposal.id, amendment_id=amendment.id))


def _render_amendment(proposal: Proposal, amendment: Amendment, *, decline_form: ReasonForm | None = None,
                      error: str | None = None, status: int = 200) -> tuple[str, int]:
    viewer = current_member()
    base = proposal.version(amendment.base_version) or proposal.latest
    is_open = amendment.status == AmendmentStatus.OPEN
    in_discussion = proposal.state == ProposalState.DISCUSSION
    summary_lines = list(difflib.unified_diff(base.summary.splitlines(), amendment.summary.splitlines(),
                                              lineterm="", n=2))[2:]
    return render_template(
        "proposals/amendment.html", proposal=proposal, amendment=amendment, base=base, error=error,
        stale=amendment.base_version != proposal.current_version, summary_lines=summary_lines,
        body_changes=diff_bodies(proposal.kind, base.body, amendment.body, agreements=agreement_names(session())),
        description=describe_body(proposal.kind, amendment.body, dataset_titles(session()),
                                  agreements=agreement_names(session())),
        may_decide=is_open and in_discussion and is_author(proposal, viewer) and may_draft(viewer),
        may_withdraw=is_open and viewer is not None and amendment.proposer_id == viewer.id,
        button_form=EmptyForm(), decline_form=decline_form or ReasonForm(prefix="decline"),
    ), status


@bp.get("/proposals/<int:proposal_id>/amendments/<int:amendment_id>")
def amendment(proposal_id: int, amendment_id: int) -> tuple[str, int]:
    proposal = load_proposal(proposal_id)
    return _render_amendment(proposal, load_amendment(proposal, amendment_id))


_DECIDED = {"accept": "Amendment accepted: it is now version {version}.",
            "decline": "Amendment declined; {proposer} can read your reason on its page.",
            "withdraw": "You withdrew your amendment."}


@bp.post("/proposals/<int:proposal_id>/amendments/<int:amendment_id>/<any(accept, decline, withdraw):decision>")
@login_required
def decide_amendment(proposal_id: int, amendment_id: int, decision: str) -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    proposal = load_proposal(proposal_id)
    found = load_amendment(proposal, amendment_id)
    decline_form = ReasonForm(prefix="decline")
    if decision == "decline" and not decline_form.validate_on_submit():
        return _render_amendment(proposal, found, decline_form=decline_form, status=400)
    now, version = utcnow(), None
    try:
        if decision == "accept":
            version = services.accept_amendment(db_session, found, actor=viewer, now=now).number
        elif decision == "decline":
            services.decline_amendment(db_session, found, actor=viewer, reason=decline_form.reason.data, now=now)
        else:
            services.withdraw_amendment(db_session, found, actor=viewer, now=now)
    except ProposalError as exc:
        db_session.rollback()
        put_errors(decline_form, {k: v for k, v in exc.errors.items() if k == "reason"})
        return _render_amendment(proposal, found, decline_form=decline_form, error=exc.message,
                                 status=status_of(exc))
    db_session.commit()
    flash(_DECIDED[decision].format(version=version, proposer=found.proposer.name), "success")
    if decision == "accept":
        return redirect(proposal_url(proposal))
    return redirect(url_for("proposals.amendment", proposal_id=proposal.id, amendment_id=found.id))


# ---------------------------------------------------------------- notification settings


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def notification_settings() -> Response | tuple[str, int]:
    viewer, db_session = signed_in(), session()
    form = notification_form(notifications.TOPICS, notifications.preferences(db_session, viewer))
    if form.validate_on_submit():
        chosen = {topic: bool(form[f"topic_{topic}"].data) for topic in notifications.TOPICS}
        notifications.set_preferences(db_session, viewer, chosen, now=utcnow())
        db_session.commit()
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("proposals.notification_settings"))
    return render_template("proposals/notifications.html", form=form), 400 if form.is_submitted() else 200
