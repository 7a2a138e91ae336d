"""``/webhooks`` (stewards and admins: subscriptions, the secret shown once, pause, resume, delete),
``/webhooks/<id>`` (its delivery log with "retry now"), and the hook that sends the deliveries a
request queued once it has committed.

Load → authorize → call :mod:`governance.webhooks.services` → commit → redirect or render. A new
secret is rendered, not redirected to, so it never travels through the session cookie; that page is
``no-store``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from governance import db
from governance.auth.access import current_member, roles_required
from governance.members.models import Member
from governance.sitecontext import utcnow
from governance.webhooks import delivery as sending
from governance.webhooks import services as svc
from governance.webhooks.forms import ButtonForm, SubscriptionForm
from governance.webhooks.models import WebhookSubscription

bp = Blueprint("webhooks", __name__)

MANAGERS = ("steward", "admin")
PER_PAGE = 25


def _actor() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by roles_required
    return member


def _load(subscription_id: int) -> WebhookSubscription:
    try:
        return svc.get_subscription(db.session(), subscription_id)
    except svc.SubscriptionNotFound as exc:
        abort(404, description=exc.message)


def _check_button() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")


def _list_page(form: SubscriptionForm, *, status: int = 200, new_secret: str | None = None,
               created: WebhookSubscription | None = None) -> Response:
    session = db.session()
    response = make_response(render_template(
        "webhooks/subscriptions.html", form=form, subscriptions=svc.list_subscriptions(session),
        counts=svc.delivery_counts(session), button=ButtonForm(), new_secret=new_secret, created=created,
        event_types=svc.EVENT_TYPES, allow_local_http=current_app.config["WEBHOOK_ALLOW_LOCAL_HTTP"]), status)
    response.headers["Cache-Control"] = "no-store"  # a new secret is on this page once
    return response


@bp.route("/webhooks", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def subscriptions() -> Response:
    form = SubscriptionForm()
    if not form.is_submitted():
        return _list_page(form)
    if not form.validate():
        return _list_page(form, status=400)
    session = db.session()
    try:
        subscription, secret = svc.create_subscription(
            session, actor=_actor(), label=form.label.data or "", url=form.url.data or "",
            event_types=form.event_types.data or [], site_secret_key=current_app.config["SECRET_KEY"],
            allow_local_http=current_app.config["WEBHOOK_ALLOW_LOCAL_HTTP"], now=utcnow())
    except svc.WebhookError as exc:
        session.rollback()
        target = getattr(form, exc.field or "", None) or form.url
        target.errors = [*target.errors, exc.message]
        return _list_page(form, status=400)
    session.commit()
    return _list_page(SubscriptionForm(formdata=None), status=201, new_secret=secret, created=subscription)


_ACTIONS = {"pause": (svc.pause_subscription, "“{label}” is paused: nothing is sent to it until it is resumed."),
            "resume": (svc.resume_subscription, "“{label}” is active again."),
            "delete": (svc.delete_subscription, "“{label}” is deleted, with its delivery log.")}


@bp.post("/webhooks/<int:subscription_id>/<any(pause, resume, delete):action>")
@roles_required(*MANAGERS)
def change(subscription_id: int, action: str) -> Response:
    _check_button()
    subscription, session = _load(subscription_id), db.session()
    service, message = _ACTIONS[action]
    label = subscription.label
    try:
        service(session, subscription, actor=_actor(), now=utcnow())
    except svc.WebhookError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(message.format(label=label), "success")
    return redirect(url_for("webhooks.subscriptions"), code=303)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10**6:
        abort(400, description="The page must be a whole number from 1.")
    return int(raw)


@bp.get("/webhooks/<int:subscription_id>")
@roles_required(*MANAGERS)
def detail(subscription_id: int) -> Response:
    subscription, page = _load(subscription_id), _page_number()
    deliveries, pages = svc.delivery_page(db.session(), subscription, page=page, per_page=PER_PAGE)
    if page > pages:
        abort(404, description=f"There is no page {page}: this log has {pages} page(s).")

    def page_url(n: int) -> str:
        return url_for("webhooks.detail", subscription_id=subscription.id, page=n if n > 1 else None)

    context: dict[str, Any] = {
        "subscription": subscription, "deliveries": deliveries, "page": page, "pages": pages, "button": ButtonForm(),
        "prev_url": page_url(page - 1) if page > 1 else None, "next_url": page_url(page + 1) if page < pages else None,
        "max_attempts": sending.MAX_ATTEMPTS}
    return make_response(render_template("webhooks/subscription.html", **context))


@bp.post("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/retry")
@roles_required(*MANAGERS)
def retry(subscription_id: int, delivery_id: int) -> Response:
    _check_button()
    subscription, session = _load(subscription_id), db.session()
    try:
        found = svc.get_delivery(session, subscription, delivery_id)
    except svc.SubscriptionNotFound as exc:
        abort(404, description=exc.message)
    try:
        sending.retry_now(session, found, now=utcnow())
    except svc.WebhookError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("webhooks.detail", subscription_id=subscription.id), code=303)
    session.commit()
    # Sent now, after the commit, so that the page we return to shows this attempt.
    report = sending.deliver_due(session, sending.WebhookSender(current_app.config), ids=[delivery_id])
    if report.delivered:
        flash(f"Delivery #{delivery_id} was delivered.", "success")
    elif report.failed or report.given_up:
        flash(f"Delivery #{delivery_id} failed again; see its newest attempt below.", "error")
    else:
        flash(f"Delivery #{delivery_id} is being sent by another process; reload in a moment.", "info")
    return redirect(url_for("webhooks.detail", subscription_id=subscription.id), code=303)


@bp.record_once
def _install_sender(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]

    @app.teardown_request
    def _send_webhooks_queued_by_this_request(_exc: BaseException | None) -> None:
        request_session = g.get("db_session")
        if request_session is None:
            return
        ids = svc.take_queued_ids(request_session)
        if ids:
            send_committed_deliveries(app, request_session, ids)


def send_committed_deliveries(app: Flask, session: Session, ids: list[int]) -> None:
    """Attempt the given deliveries if their transaction committed (what the request left uncommitted
    is discarded first, so a failed request sends nothing). A failure is logged in the delivery log
    and retried by ``dataguild webhooks deliver``; it never breaks the response."""
    try:
        session.rollback()
        sending.deliver_due(session, sending.WebhookSender(app.config), ids=ids)
    except Exception:
        app.logger.exception("sending queued webhooks failed")
        session.rollback()
