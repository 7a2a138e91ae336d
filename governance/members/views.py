"""Member directory, invitations, roles, suspension and leaving. Views: load → authorize → service → commit."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from governance import db
from governance.auth.access import current_member, end_session, login_required, roles_required, start_session
from governance.auth.forms import AcceptInvitationForm
from governance.auth.passwords import password_hasher
from governance.auth.tokens import TokenInvalid
from governance.members.forms import EmptyForm, InviteForm, LeaveForm, ReasonForm, RoleChangeForm, role_choices
from governance.members.models import Member, Role
from governance.members.services import (
    DuplicateEmail,
    MembershipError,
    accept_invitation,
    grant_role,
    invite_member,
    leave_cooperative,
    list_members,
    may_change_status_of,
    may_manage_role,
    open_invitation,
    parse_roles,
    pending_invitations,
    reinstate_member,
    reissue_invitation,
    revoke_role,
    suspend_member,
)
from governance.sitecontext import SiteSettings

bp = Blueprint("members", __name__)

#: Who sees the directory: the cooperative's own people. Observers are outsiders (auditors,
#: counterparties, journalists) and read the public records instead, not the member roll.
DIRECTORY_ROLES = (Role.MEMBER, Role.STEWARD, Role.TRUSTEE, Role.ADMIN)


def _site() -> SiteSettings:
    return SiteSettings.from_config(current_app.config)


def _signed_in() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by the decorators
    return member


def _load_member(member_id: int) -> Member:
    member = db.session().get(Member, member_id)
    if member is None:
        abort(404, description="There is no such member.")
    return member


@bp.get("/members")
@roles_required(*DIRECTORY_ROLES)
def directory() -> str:
    viewer = _signed_in()
    return render_template("members/directory.html", members=list_members(db.session()),
                           show_emails=viewer.has_role(Role.STEWARD, Role.ADMIN))


@bp.get("/members/<int:member_id>")
@roles_required(*DIRECTORY_ROLES)
def detail(member_id: int) -> str:
    viewer = _signed_in()
    member = _load_member(member_id)
    return _render_detail(viewer, member)


def _render_detail(viewer: Member, member: Member, *, role_form: RoleChangeForm | None = None,
                   reason_form: ReasonForm | None = None, status: int = 200) -> tuple[str, int]:
    manageable = [r for r in Role if may_manage_role(viewer, r)]
    role_form = role_form or RoleChangeForm()
    role_form.role.choices = role_choices(manageable)
    return render_template(
        "members/detail.html", member=member, viewer=viewer, role_form=role_form,
        reason_form=reason_form or ReasonForm(), can_manage_roles=bool(manageable),
        can_change_status=may_change_status_of(viewer, member),
        show_email=viewer.has_role(Role.STEWARD, Role.ADMIN) or viewer.id == member.id,
    ), status


@bp.post("/members/<int:member_id>/roles")
@roles_required(Role.STEWARD, Role.ADMIN)
def change_role(member_id: int) -> Response | tuple[str, int]:
    viewer, member = _signed_in(), _load_member(member_id)
    form = RoleChangeForm()
    form.role.choices = role_choices(Role)
    if not form.validate_on_submit():
        return _render_detail(viewer, member, role_form=form, status=400)
    role = Role(form.role.data)
    if not may_manage_role(viewer, role):
        abort(403, description=f"Only admins grant or remove the {role.value} role.")
    session = db.session()
    try:
        if form.action.data == "add":
            grant_role(session, actor=viewer, member=member, role=role)
        else:
            revoke_role(session, actor=viewer, member=member, role=role)
    except MembershipError as exc:
        form.role.errors = [str(exc)]
        return _render_detail(viewer, member, role_form=form, status=400)
    session.commit()
    flash(f"{'Granted' if form.action.data == 'add' else 'Removed'} the {role.value} role "
          f"{'to' if form.action.data == 'add' else 'from'} {member.name}.", "success")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.post("/members/<int:member_id>/<any(suspend, reinstate):change>")
@roles_required(Role.STEWARD, Role.ADMIN)
def change_status(member_id: int, change: str) -> Response | tuple[str, int]:
    viewer, member = _signed_in(), _load_member(member_id)
    if not may_change_status_of(viewer, member):
        abort(403, description="You may not change this member's status.")
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_detail(viewer, member, reason_form=form, status=400)
    session = db.session()
    service = suspend_member if change == "suspend" else reinstate_member
    try:
        service(session, actor=viewer, member=member, reason=form.reason.data)
    except MembershipError as exc:
        form.reason.errors = [str(exc)]
        return _render_detail(viewer, member, reason_form=form, status=400)
    session.commit()
    flash(f"{member.name} is {'suspended' if change == 'suspend' else 'reinstated'}.", "success")
    return redirect(url_for("members.detail", member_id=member.id))


@bp.route("/members/invite", methods=["GET", "POST"])
@roles_required(Role.STEWARD, Role.ADMIN)
def invite() -> str | Response | tuple[str, int]:
    viewer = _signed_in()
    form = InviteForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            invite_member(session, actor=viewer, email=form.email.data, name=form.name.data,
                          roles=parse_roles(form.roles.data), site=_site())
        except DuplicateEmail as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        except MembershipError as exc:  # a role this steward may not grant
            form.roles.errors = [*form.roles.errors, str(exc)]
        else:
            session.commit()
            flash(f"Invitation sent to {form.email.data.strip().lower()}.", "success")
            return redirect(url_for("members.invitations"))
    return render_template("members/invite.html", form=form), 400 if form.is_submitted() else 200


@bp.get("/members/invitations")
@roles_required(Role.STEWARD, Role.ADMIN)
def invitations() -> str:
    return render_template("members/invitations.html", invitations=pending_invitations(db.session()),
                           form=EmptyForm())


@bp.post("/members/<int:member_id>/reinvite")
@roles_required(Role.STEWARD, Role.ADMIN)
def reinvite(member_id: int) -> Response:
    viewer, member = _signed_in(), _load_member(member_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    session = db.session()
    try:
        reissue_invitation(session, actor=viewer, member=member, site=_site())
    except MembershipError as exc:
        flash(str(exc), "error")
        return redirect(url_for("members.invitations"))
    session.commit()
    flash(f"A new invitation link is on its way to {member.email}; the earlier one no longer works.", "success")
    return redirect(url_for("members.invitations"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str) -> str | Response | tuple[str, int]:
    session = db.session()
    try:
        invitation = open_invitation(session, token, site=_site())
    except TokenInvalid as exc:
        return render_template("auth/link_invalid.html", message=str(exc), again_url=None), 400
    form = AcceptInvitationForm()
    if not form.is_submitted():
        form.name.data = invitation.member.name
    if form.validate_on_submit():
        member = accept_invitation(session, invitation=invitation, name=form.name.data,
                                   password_hash=password_hasher(current_app.config).hash(form.password.data))
        session.commit()
        start_session(member)
        flash(f"Welcome to {current_app.config['COOPERATIVE_NAME']}, {member.name}.", "success")
        return redirect(url_for("pages.home"))
    return render_template("members/accept.html", form=form, invitation=invitation), \
        400 if form.is_submitted() else 200


@bp.get("/account")
@login_required
def account() -> str:
    return render_template("members/account.html", member=_signed_in(), leave_form=LeaveForm())


@bp.post("/account/leave")
@login_required
def leave() -> Response | tuple[str, int]:
    member = _signed_in()
    form = LeaveForm()
    if not form.validate_on_submit():
        return render_template("members/account.html", member=member, leave_form=form), 400
    session = db.session()
    try:
        leave_cooperative(session, member=member, reason=form.reason.data or "")
    except MembershipError as exc:
        form.confirm.errors = [str(exc)]
        return render_template("members/account.html", member=member, leave_form=form), 400
    session.commit()
    end_session()
    flash("You have left the cooperative. Thank you for having taken part.", "info")
    return redirect(url_for("pages.home"))
