"""The proposals blueprint and what its pages share: loading with the visibility check, the proposal
page's context (body in plain words, sponsors, conflicts, versions, amendments, discussion, history
and the buttons the viewer may use), and the glue to the body forms of ``proposals.body_forms``.

Views decide only what to *show*; the services check every permission and state again.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import db
from governance.auth.access import current_member
from governance.constitution.services import current_constitution, rules_for
from governance.members.models import Member, Role
from governance.policy.agreements import agreement_names, agreement_refs
from governance.policy.services import current_rules, dataset_titles, list_datasets
from governance.policy.wording.describe import describe_body
from governance.sitecontext import as_utc, utcnow
from proposals import body_forms, lifecycle, services
from proposals.access import is_author, is_steward, is_voting_member, may_draft
from proposals.discussion import can_edit_comment
from proposals.errors import IllegalTransition, NotPermitted, ProposalError
from proposals.forms import (
    KIND_NAMES,
    CommentForm,
    CompanionForm,
    EmptyForm,
    ReasonForm,
)
from proposals.models import Amendment, AmendmentStatus, Comment, Proposal, ProposalState, ProposalStateChange
from proposals.transitions import ALLOWED_TRANSITIONS, STATE_LABELS, may_take

bp = Blueprint("proposals", __name__)

#: Who may draft (the services check again; commenting, sponsoring and amending need the member role).
DRAFTING_ROLES = (Role.MEMBER, Role.STEWARD)

S = ProposalState

#: Panels other packages add to the proposal page, as "module:function" specs (proposals never imports
#: them itself). Each function takes (session, proposal, viewer, now) and returns None or
#: {"template": ..., "context": {...}}. Voting's panel is where stewards open the vote (with its election).
DETAIL_PANELS: list[str] = ["voting.elections.panel:voting_panel"]


@bp.app_template_filter("when")
def format_when(value: datetime | None) -> str:
    """Times on proposal pages: UTC, to the minute (SQLite gives naive values, all of them UTC)."""
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


@bp.app_context_processor
def proposal_words() -> dict[str, Any]:
    return {"STATE_LABELS": {s.value: label for s, label in STATE_LABELS.items()}, "KIND_NAMES": KIND_NAMES}


# ---------------------------------------------------------------- loading and errors


def session() -> Session:
    return db.session()


def signed_in() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by the decorators
    return member


def load_proposal(proposal_id: int) -> Proposal:
    """The proposal, or 404 when it does not exist *or* is a draft the viewer may not see."""
    proposal = session().get(Proposal, proposal_id)
    if proposal is None or not services.can_view(proposal, current_member()):
        abort(404, description="There is no such proposal, or it is a draft only its author can see.")
    return proposal


def load_comment(proposal: Proposal, comment_id: int) -> Comment:
    comment = session().get(Comment, comment_id)
    if comment is None or comment.proposal_id != proposal.id:
        abort(404, description="This proposal has no such comment.")
    return comment


def load_amendment(proposal: Proposal, amendment_id: int) -> Amendment:
    amendment = session().get(Amendment, amendment_id)
    if amendment is None or amendment.proposal_id != proposal.id:
        abort(404, description="This proposal has no such amendment.")
    return amendment


def status_of(exc: ProposalError) -> int:
    """403 when the member lacks the role, 409 when the proposal's state forbids it, 422 otherwise."""
    if isinstance(exc, NotPermitted):
        return 403
    if isinstance(exc, IllegalTransition):
        return 409
    return 422


def render_detail(proposal: Proposal, *, error: str | None = None, status: int = 200,
                  **forms: object) -> tuple[str, int]:
    """The proposal page; ``forms`` replace its default forms (to show a refused form's errors)."""
    context = detail_context(session(), proposal, current_member(), utcnow(), forms=forms)
    return render_template("proposals/detail.html", error=error, **context), status


def refused(proposal: Proposal, exc: ProposalError, **forms: object) -> tuple[str, int]:
    """A service said no: nothing of this request is kept, and the page says why (next to the field
    when the error names one of the form's fields)."""
    session().rollback()
    for form in forms.values():
        if isinstance(form, FlaskForm):
            put_errors(form, {k: v for k, v in exc.errors.items() if k in form._fields})
    return render_detail(proposal, error=exc.message, status=status_of(exc), **forms)


def proposal_url(proposal: Proposal, anchor: str | None = None) -> str:
    return url_for("proposals.detail", proposal_id=proposal.id, _anchor=anchor)


def put_errors(form: FlaskForm, errors: Mapping[str, str]) -> list[str]:
    """Errors of a service placed on the form's fields of the same name; returns the others."""
    unplaced = []
    for name, message in errors.items():
        bound = form._fields.get(name) if name else None
        if bound is not None:
            bound.errors = [*bound.errors, message] if isinstance(bound.errors, list) else [message]
        else:
            unplaced.append(message)
    return unplaced


# ---------------------------------------------------------------- the body forms (proposals.body_forms)


def body_form(kind: str, body: Mapping[str, Any] | None) -> FlaskForm:
    """The body form of ``kind``: showing ``body`` on a GET, holding what was posted on a POST."""
    db_session = session()
    choices = body_forms.body_choices([(d.slug, d.title) for d in list_datasets(db_session)],
                                      constitution=current_constitution(db_session).snapshot(),
                                      rules=current_rules(db_session),
                                      agreements=agreement_refs(db_session, utcnow().date()).values())
    posted = request.form if request.method == "POST" else None
    return body_forms.form_from_body(kind, body, choices, formdata=posted)


def body_json(kind: str, form: FlaskForm) -> dict[str, Any]:
    return body_forms.body_from_form(kind, form)


def precheck(text_form: FlaskForm, editor: FlaskForm) -> int | None:
    """None when a POSTed draft or amendment should go to the service; otherwise the status to
    re-render the form with: 200 when the POST only added or removed an entry of the body form,
    400 when the body form's own checks (a word in a number box) already have something to say.
    The service checks everything else, the text fields included, and reports all of it at once."""
    if body_forms.structural_action(editor):
        return 200
    if not editor.validate():
        text_form.validate()
        return 400
    return None


def place_errors(exc: ProposalError, text_form: FlaskForm, editor: FlaskForm) -> list[str]:
    """Every error of the service next to its field: text fields on the text form, body paths on the
    body form; returns the sentences that belong to no field (shown above the form)."""
    text_names = set(text_form._fields)
    text_errors = {k: v for k, v in exc.errors.items() if k in text_names}
    body_errors = {k: v for k, v in exc.errors.items() if k not in text_names}
    unplaced = put_errors(text_form, text_errors)
    unplaced += body_forms.attach_errors(editor, body_errors)
    if not exc.errors:
        unplaced.append(exc.message)
    return unplaced


# ---------------------------------------------------------------- the proposal page


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def _can_move(proposal: Proposal, to: ProposalState, viewer: Member | None) -> bool:
    who = ALLOWED_TRANSITIONS.get((ProposalState(proposal.state), to))
    return who is not None and viewer is not None and may_take(who, proposal, viewer)


def may_for(proposal: Proposal, viewer: Member | None, now: datetime) -> dict[str, bool]:
    """Which buttons and forms the page shows to ``viewer`` (the services decide again on POST)."""
    state = ProposalState(proposal.state)
    member = is_voting_member(viewer)
    in_discussion = state == S.DISCUSSION
    return {
        "edit": services.can_edit(proposal, viewer),
        "publish": _can_move(proposal, S.DISCUSSION, viewer),
        "withdraw": _can_move(proposal, S.WITHDRAWN, viewer),
        "cancel": _can_move(proposal, S.CANCELLED, viewer),
        "open_voting": _can_move(proposal, S.VOTING, viewer),
        "sponsor": in_discussion and member and not is_author(proposal, viewer)
                   and viewer is not None and viewer.id not in proposal.sponsor_ids,
        "unsponsor": in_discussion and viewer is not None and viewer.id in proposal.sponsor_ids,
        "comment": member and lifecycle.shown_state(proposal, now) in (S.DISCUSSION, S.VOTING),
        "amend": member and in_discussion and not is_author(proposal, viewer),
        "moderate": is_steward(viewer),
        "decide_amendments": in_discussion and is_author(proposal, viewer),
        "companion": proposal.kind == "deal_approval" and state in (S.DRAFT, S.DISCUSSION)
                     and ((is_author(proposal, viewer) and may_draft(viewer)) or is_steward(viewer)),
        "override": is_steward(viewer) and proposal.kind == "deal_approval" and in_discussion
                    and not lifecycle.override_is_current(proposal),
    }


def discussion_threads(db_session: Session, proposal: Proposal) -> list[Thread]:
    rows = db_session.execute(select(Comment).where(Comment.proposal_id == proposal.id)
                              .order_by(Comment.created_at, Comment.id)).scalars().all()
    threads = {c.id: Thread(c) for c in rows if c.parent_id is None}
    for c in rows:
        if c.parent_id is not None and c.parent_id in threads:
            threads[c.parent_id].replies.append(c)
    return list(threads.values())


def companion_candidates(db_session: Session, proposal: Proposal) -> list[tuple[int, str]]:
    """Rule changes that could go to vote with this deal: alive (not draft, not finished) or adopted."""
    rows = db_session.execute(select(Proposal.id, Proposal.title)
                              .where(Proposal.kind == "data_use_rule",
                                     Proposal.state.in_([S.DISCUSSION, S.VOTING, S.COUNTING]))
                              .order_by(Proposal.id)).all()
    return [(r.id, r.title) for r in rows]


def detail_panels(db_session: Session, proposal: Proposal, viewer: Member | None, now: datetime) -> list[dict]:
    panels = []
    for spec in DETAIL_PANELS:
        module_name, _, attr = spec.partition(":")
        panel = getattr(importlib.import_module(module_name), attr)(db_session, proposal, viewer, now)
        if panel is not None:
            panels.append(panel)
    return panels


def detail_context(db_session: Session, proposal: Proposal, viewer: Member | None, now: datetime, *,
                   forms: Mapping[str, object] | None = None) -> dict[str, Any]:
    """Everything proposals/detail.html shows. ``forms`` replaces default forms (to show errors)."""
    latest = proposal.latest
    may = may_for(proposal, viewer, now)
    panels = detail_panels(db_session, proposal, viewer, now)
    rules = rules_for(db_session, proposal.kind)
    given = {k: v for k, v in (forms or {}).items() if v is not None}
    companion_form = given.get("companion_form") or CompanionForm(
        data={"companion_id": str(proposal.companion_id) if proposal.companion_id else ""})
    companion_form.set_candidates(companion_candidates(db_session, proposal))
    threads = discussion_threads(db_session, proposal)
    amendments = db_session.execute(select(Amendment).where(Amendment.proposal_id == proposal.id)
                                    .order_by(Amendment.created_at, Amendment.id)).scalars().all()
    history = db_session.execute(select(ProposalStateChange).where(ProposalStateChange.proposal_id == proposal.id)
                                 .order_by(ProposalStateChange.at, ProposalStateChange.id)).scalars().all()
    is_deal = proposal.kind == "deal_approval"
    return {
        "proposal": proposal,
        "latest": latest,
        "viewer": viewer,
        "now": now,
        "state": lifecycle.shown_state(proposal, now).value,
        "description": describe_body(proposal.kind, latest.body, dataset_titles(db_session),
                                     agreements=agreement_names(db_session)),
        "next_step": lifecycle.next_step(db_session, proposal, viewer, now),
        "sponsors_needed": rules.min_sponsors,
        "blockers": (lifecycle.voting_blockers(db_session, proposal, now)
                     if may["open_voting"] else []),
        "conflicts": services.proposal_conflicts(db_session, proposal) if is_deal else [],
        "companion": db_session.get(Proposal, proposal.companion_id) if proposal.companion_id else None,
        "versions": list(reversed(proposal.versions)),
        "amendments": amendments,
        "open_amendments": [a for a in amendments if a.status == AmendmentStatus.OPEN],
        "threads": threads,
        "comment_count": sum(1 + len(t.replies) for t in threads),
        "editable": {c.id for t in threads for c in [t.comment, *t.replies] if can_edit_comment(c, viewer, now)},
        "history": history,
        "may": may,
        "panels": panels,
        "button_form": EmptyForm(),
        "comment_form": given.get("comment_form") or CommentForm(),
        "reply_to": given.get("reply_to"),
        "cancel_form": given.get("cancel_form") or ReasonForm(prefix="cancel"),
        "hide_form": given.get("hide_form") or ReasonForm(),
        "hide_target": given.get("hide_target"),
        "override_form": given.get("override_form") or ReasonForm(prefix="override"),
        "companion_form": companion_form,
    }
