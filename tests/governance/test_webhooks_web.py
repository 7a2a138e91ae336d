"""The stewards' webhook pages: role checks on every page and form, CSRF, the secret shown once, address
refusals, pause/resume/delete, and the delivery log (newest first, paginated) with "retry now"."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.sitecontext import utcnow
from governance.webhooks.delivery import WebhookSender, deliver_due
from governance.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.conftest import count_rows, csrf_token, fetch_all, make_member, reload
from tests.governance.webhook_receiver import deliveries_of, emit_event, expected_signature, receiver, subscribe


@pytest.fixture
def steward(app, db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"))


@pytest.fixture
def hook():
    with receiver() as rec:
        yield rec


def _token_from(client, path: str = "/account") -> str:
    return csrf_token(client.get(path).data)


def test_members_observers_and_trustees_are_refused_every_webhook_page(app, db_session, steward,
                                                                      make_logged_in_client):
    subscription, _ = subscribe(db_session, app, steward, "https://example.org/hooks")
    emit_event(db_session, now=utcnow())
    db_session.commit()
    [delivery] = deliveries_of(db_session)
    sid = subscription.id
    for roles in (("member",), ("observer",), ("member", "trustee")):
        client, _member = make_logged_in_client(*roles)
        token = _token_from(client)
        assert client.get("/webhooks").status_code == 403
        assert client.get(f"/webhooks/{sid}").status_code == 403
        posts = {"/webhooks": {"label": "x", "url": "https://example.org/x", "event_types": ["agreement.approved"]},
                 f"/webhooks/{sid}/pause": {}, f"/webhooks/{sid}/delete": {},
                 f"/webhooks/{sid}/deliveries/{delivery.id}/retry": {}}
        for path, data in posts.items():
            assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert count_rows(db_session, WebhookSubscription) == 1
    assert reload(db_session, WebhookSubscription, sid).paused_at is None
    anonymous = app.test_client()
    assert anonymous.get("/webhooks").status_code == 302
    assert "/login" in anonymous.get(f"/webhooks/{sid}").headers["Location"]


def test_a_steward_subscribes_through_the_form_and_sees_the_secret_once(app, db_session, make_logged_in_client, hook):
    client, _steward = make_logged_in_client("member", "steward")
    page = client.get("/webhooks")
    assert page.status_code == 200
    form = {"label": "Example University pipeline", "url": hook.url,
            "event_types": ["policy.version_adopted", "agreement.expired"]}
    assert client.post("/webhooks", data=form).status_code == 400  # no CSRF token
    assert count_rows(db_session, WebhookSubscription) == 0

    created = client.post("/webhooks", data={**form, "csrf_token": csrf_token(page.data)})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="new-secret">(dgwh_[A-Za-z0-9_-]+)</code>', created.get_data(as_text=True)).group(1)
    [row] = fetch_all(db_session, select(WebhookSubscription))
    assert (row.label, row.url) == (form["label"], hook.url)
    assert row.event_types == "agreement.expired policy.version_adopted"
    again = client.get("/webhooks").get_data(as_text=True)
    assert secret not in again
    assert "Example University pipeline" in again

    # The secret on the page is the one deliveries are signed with.
    emit_event(db_session, now=utcnow())
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=utcnow())
    [got] = hook.requests
    timestamp = got.headers["Dataguild-Timestamp"]
    assert got.headers["Dataguild-Signature"] == expected_signature(secret, timestamp, got.body)
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "webhook.subscribed"))[0]
    assert entry.details == {"subscription_id": row.id, "host": "127.0.0.1",
                             "events": ["agreement.expired", "policy.version_adopted"]}


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://example.org/hooks", "must start with https://"),
    ("http://example.org/hooks", "Plain http:// is refused"),
    ("https://", "no host name"),
])
def test_the_form_refuses_bad_addresses_with_a_clear_message(app, db_session, make_logged_in_client, url, message):
    client, _admin = make_logged_in_client("admin")
    page = client.get("/webhooks")
    answer = client.post("/webhooks", data={"label": "x", "url": url, "event_types": ["election.result"],
                                            "csrf_token": csrf_token(page.data)})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert message in html.replace("&#34;", '"').replace("&#39;", "'")
    assert 'aria-invalid="true"' in html
    assert count_rows(db_session, WebhookSubscription) == 0


def test_pause_resume_and_delete_through_the_page(app, db_session, make_logged_in_client, hook):
    client, steward = make_logged_in_client("member", "steward")
    subscription, _ = subscribe(db_session, app, steward, hook.url, label="Pipeline")
    sid = subscription.id
    token = _token_from(client, "/webhooks")
    assert client.post(f"/webhooks/{sid}/pause").status_code == 400  # no CSRF
    answer = client.post(f"/webhooks/{sid}/pause", data={"csrf_token": token})
    assert answer.status_code == 303
    assert reload(db_session, WebhookSubscription, sid).paused_at is not None
    assert "paused" in client.get("/webhooks").get_data(as_text=True)
    client.post(f"/webhooks/{sid}/resume", data={"csrf_token": token})
    assert reload(db_session, WebhookSubscription, sid).paused_at is None
    emit_event(db_session, now=utcnow())
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=utcnow())
    assert client.post(f"/webhooks/{sid}/delete", data={"csrf_token": token}).status_code == 303
    assert count_rows(db_session, WebhookSubscription) == 0
    assert count_rows(db_session, WebhookDelivery) == 0
    assert count_rows(db_session, WebhookAttempt) == 0
    assert client.get(f"/webhooks/{sid}").status_code == 404
    actions = [e.action for e in fetch_all(db_session, select(AuditEntry).where(AuditEntry.action.like("webhook.%"))
                                           .order_by(AuditEntry.seq))]
    assert actions == ["webhook.subscribed", "webhook.paused", "webhook.resumed", "webhook.deleted"]


def test_the_delivery_log_is_newest_first_paginated_and_retry_now_sends_at_once(app, db_session,
                                                                               make_logged_in_client, hook):
    client, steward = make_logged_in_client("member", "steward")
    subscription, _ = subscribe(db_session, app, steward, hook.url)
    sid = subscription.id
    now = utcnow()
    for n in range(1, 28):
        emit_event(db_session, n, now=now)
    db_session.commit()
    hook.fail_next(500)
    deliveries = deliveries_of(db_session)
    newest = deliveries[-1].id
    deliver_due(db_session, WebhookSender(app.config), now=now, ids=[newest])

    first = client.get(f"/webhooks/{sid}").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<th scope="row">#(\d+)<br>', first)]
    assert ids == sorted(ids, reverse=True)
    assert ids[0] == newest
    assert len(ids) == 25
    assert "HTTP 500 Internal Server Error" in first
    assert 'rel="next"' in first
    second = client.get(f"/webhooks/{sid}?page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<th scope="row">#(\d+)<br>', second)] == [d.id for d in deliveries[:2]][::-1]
    assert client.get(f"/webhooks/{sid}?page=3").status_code == 404
    assert client.get(f"/webhooks/{sid}?page=zero").status_code == 400

    token = csrf_token(first)
    assert client.post(f"/webhooks/{sid}/deliveries/{newest}/retry").status_code == 400  # no CSRF
    answer = client.post(f"/webhooks/{sid}/deliveries/{newest}/retry", data={"csrf_token": token},
                         follow_redirects=True)
    assert answer.status_code == 200
    assert f"Delivery #{newest} was delivered." in answer.get_data(as_text=True)
    assert len(hook.requests) == 2
    assert reload(db_session, WebhookDelivery, newest).state == DeliveryState.DELIVERED
    other, _ = subscribe(db_session, app, steward, "https://example.org/other", label="Other")
    assert client.post(f"/webhooks/{other.id}/deliveries/{newest}/retry",
                       data={"csrf_token": token}).status_code == 404




def test_a_subscription_without_events_is_refused_next_to_the_checkboxes(app, db_session, make_logged_in_client):
    client, _steward = make_logged_in_client("member", "steward")
    page = client.get("/webhooks")
    assert 'type="checkbox" value="election.result"' in page.get_data(as_text=True)
    assert "required type=\"checkbox\"" not in page.get_data(as_text=True)
    answer = client.post("/webhooks", data={"label": "x", "url": "https://example.org/h",
                                            "csrf_token": csrf_token(page.data)})
    assert answer.status_code == 400
    assert 'id="event_types-error">Choose at least one event.' in answer.get_data(as_text=True)
    assert count_rows(db_session, WebhookSubscription) == 0
