"""Password reset by a mailed, single-use, expiring link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.auth.services import request_password_reset
from governance.mail.models import OutboxMail
from governance.members.models import Member
from governance.sitecontext import SiteSettings, utcnow
from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, fetch_all, login, make_member, reload

LINK_RE = re.compile(r"http://localhost(/reset-password/[A-Za-z0-9_.\-]+)")
SAME_ANSWER = "If this address belongs to a member, a link to reset the password is on its way."


def _ask_for_reset(client, email):
    page = client.get("/forgot-password")
    return client.post("/forgot-password", data={"email": email, "csrf_token": csrf_token(page.data)},
                       follow_redirects=True)


def _set_password(client, path, password):
    page = client.get(path)
    return client.post(path, data={"password": password, "confirm": password, "csrf_token": csrf_token(page.data)})


def test_reset_by_mailed_link_works_once_and_signs_out_other_sessions(app, client, db_session):
    member = make_member(db_session, "ana@example.org")
    other_device = app.test_client()
    login(other_device, "ana@example.org")
    assert SAME_ANSWER in _ask_for_reset(client, "Ana@example.org").data.decode()
    mail = fetch_all(db_session, select(OutboxMail))[0]
    assert mail.to_address == "ana@example.org"
    path = LINK_RE.search(mail.body).group(1)
    assert _set_password(client, path, "the new password 1").status_code == 302
    login(client, "ana@example.org", "the new password 1")
    assert login(app.test_client(), "ana@example.org", DEFAULT_PASSWORD, expect_success=False).status_code == 401
    assert other_device.get("/account").status_code == 302  # signed out by the password change
    # Single use: the link is dead now, and the password stays as set.
    reused = client.get(path)
    assert reused.status_code == 400
    assert "already been used" in reused.data.decode()
    hash_now = reload(db_session, Member, member.id).password_hash
    response = client.post(path, data={"password": "another password 2", "confirm": "another password 2",
                                       "csrf_token": csrf_token(client.get("/forgot-password").data)})
    assert response.status_code == 400
    assert reload(db_session, Member, member.id).password_hash == hash_now
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "member.password_changed"))[0]
    assert entry.details == {"via_reset": True}


def test_unknown_email_gets_the_same_answer_and_no_mail(client, db_session):
    assert SAME_ANSWER in _ask_for_reset(client, "nobody@example.org").data.decode()
    assert count_rows(db_session, OutboxMail) == 0


def test_expired_and_tampered_reset_links_are_refused_and_change_nothing(app, client, db_session):
    member = make_member(db_session, "ana@example.org")
    before = member.password_hash
    site = SiteSettings.from_config(app.config)
    old_link = request_password_reset(db_session, email="ana@example.org", site=site,
                                      now=utcnow() - timedelta(hours=3))
    fresh_link = request_password_reset(db_session, email="ana@example.org", site=site)
    db_session.commit()
    expired = client.get(old_link.removeprefix("http://localhost"))
    assert expired.status_code == 400
    assert "expired" in expired.data.decode()
    fresh = fresh_link.removeprefix("http://localhost")
    tampered = fresh[:-2] + ("xy" if not fresh.endswith("xy") else "zw")
    for bad in (tampered, "/reset-password/garbage"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "not valid" in response.data.decode()
    assert client.post(tampered, data={"password": "evil password!", "confirm": "evil password!"}).status_code == 400
    assert reload(db_session, Member, member.id).password_hash == before


def test_new_password_must_be_long_enough_and_repeated(client, db_session, app):
    make_member(db_session, "ana@example.org")
    link = request_password_reset(db_session, email="ana@example.org", site=SiteSettings.from_config(app.config))
    db_session.commit()
    path = link.removeprefix("http://localhost")
    short = _set_password(client, path, "short")
    assert short.status_code == 400
    assert "at least 10 characters" in short.data.decode()
    page = client.get(path)
    differ = client.post(path, data={"password": "long password 1", "confirm": "long password 2",
                                     "csrf_token": csrf_token(page.data)})
    assert differ.status_code == 400
    assert "The two passwords differ." in differ.data.decode()
    login(client, "ana@example.org")  # the old password still works
