"""Sign in and out, change and reset passwords."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from governance import db
from governance.auth.access import current_member, end_session, login_required, safe_next, start_session
from governance.auth.forms import ChangePasswordForm, EmptyForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from governance.auth.passwords import password_hasher, verify_password
from governance.auth.services import (
    RateLimit,
    SignInRefused,
    authenticate,
    complete_password_reset,
    open_password_reset,
    request_password_reset,
    set_password,
)
from governance.auth.tokens import TokenInvalid
from governance.sitecontext import SiteSettings

bp = Blueprint("auth", __name__)


def _rate_limit() -> RateLimit:
    return RateLimit(current_app.config["LOGIN_MAX_ATTEMPTS"], current_app.config["LOGIN_WINDOW_SECONDS"])


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_member() is not None:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    next_path = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        session = db.session()
        try:
            member = authenticate(session, email=form.email.data, password=form.password.data,
                                  client_address=request.remote_addr or "unknown", limit=_rate_limit(),
                                  hasher=password_hasher(current_app.config))
        except SignInRefused as refused:
            session.commit()  # keeps the failed attempt for the rate limit
            return render_template("auth/login.html", form=form, next=next_path,
                                   error=refused.message), refused.status
        session.commit()  # a rehashed password, cleared failures
        start_session(member)
        flash(f"Welcome, {member.name}.", "success")
        return redirect(next_path or url_for("pages.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form, next=next_path, error=None), status


@bp.post("/logout")
def logout() -> Response:
    form = EmptyForm()
    if form.validate_on_submit():
        end_session()
        flash("You are signed out.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response | tuple[str, int]:
    member = current_member()
    assert member is not None
    form = ChangePasswordForm()
    if form.validate_on_submit():
        hasher = password_hasher(current_app.config)
        if not verify_password(hasher, member.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            session = db.session()
            set_password(session, member=member, new_password=form.password.data, hasher=hasher)
            session.commit()
            start_session(member)  # this session carries the new version; all others are void
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("pages.home"))
    return render_template("auth/change_password.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> str | Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        session = db.session()
        request_password_reset(session, email=form.email.data, site=SiteSettings.from_config(current_app.config))
        session.commit()
        # The same answer whether or not the address belongs to a member.
        flash("If this address belongs to a member, a link to reset the password is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    session = db.session()
    try:
        member = open_password_reset(session, token, site=SiteSettings.from_config(current_app.config))
    except TokenInvalid as exc:
        return render_template("auth/link_invalid.html", message=str(exc),
                               again_url=url_for("auth.forgot_password")), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        complete_password_reset(session, member=member, new_password=form.password.data,
                                hasher=password_hasher(current_app.config))
        session.commit()
        end_session()
        flash("Your password is set. Sign in with it.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, member=member), 400 if form.is_submitted() else 200
