"""``/account/tokens``: a member's personal access tokens for the API (create, shown once; revoke).

Load → authorize → call :mod:`governance.api.services` → commit → render. A new token is rendered, not
redirected to, so it never travels through the (signed, not encrypted) session cookie; the page is
``no-store``.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from governance import db
from governance.api import services as svc
from governance.api.forms import ButtonForm, TokenForm
from governance.auth.access import current_member, login_required
from governance.members.models import Member
from governance.sitecontext import SiteSettings, as_utc, utcnow

bp = Blueprint("tokens", __name__)


def _signed_in() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by login_required
    return member


def _form(member: Member, *, formdata: object = True) -> TokenForm:
    form = TokenForm() if formdata is True else TokenForm(formdata=None)
    form.offer(svc.scopes_allowed(member))
    return form


def _render(form: TokenForm, new_token: str | None = None, status: int = 200) -> Response:
    member, now = _signed_in(), utcnow()
    tokens = svc.tokens_of(db.session(), member)
    expired = {t.id for t in tokens if t.expires_at is not None and as_utc(t.expires_at) <= now}
    response = make_response(render_template(
        "api/tokens.html", form=form, tokens=tokens, expired=expired, new_token=new_token,
        revoke_form=ButtonForm(), site=SiteSettings.from_config(current_app.config).base_url,
        scopes=svc.SCOPES), status)
    response.headers["Cache-Control"] = "no-store"  # the new token is on this page once
    return response


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Response:
    member, session = _signed_in(), db.session()
    form = _form(member)
    if not form.is_submitted():
        return _render(form)
    if not form.validate():
        return _render(form, status=400)
    try:
        _row, token = svc.create_token(session, member=member, label=form.label.data or "",
                                       scopes=form.scopes.data or [], lifetime_days=form.lifetime_days.data or 0,
                                       now=utcnow())
    except svc.TokenError as exc:
        session.rollback()
        target = getattr(form, exc.field or "", None) or form.label
        target.errors = [*target.errors, exc.message]
        return _render(form, status=400)
    session.commit()
    return _render(_form(member, formdata=None), new_token=token, status=201)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    session = db.session()
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        row = svc.revoke_token(session, member=_signed_in(), token_id=token_id, now=utcnow())
    except svc.TokenNotFound:
        abort(404, description="There is no such token among yours.")
    except svc.TokenError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("tokens.tokens"))
    session.commit()
    flash(f"Token “{row.label}” revoked: requests with it are refused from now on.", "success")
    return redirect(url_for("tokens.tokens"))
