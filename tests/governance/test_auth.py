"""Sign-in: the real login form with CSRF, argon2 hashes, sessions, rate limiting."""

from __future__ import annotations

from datetime import timedelta

from governance.auth.models import LoginAttempt
from governance.auth.passwords import password_hasher
from governance.auth.services import BAD_CREDENTIALS
from governance.members.models import Member
from governance.members.services import suspend_member
from governance.sitecontext import utcnow
from tests.conftest import DEFAULT_PASSWORD, count_rows, csrf_token, login, make_member, make_test_app, reload


def _post_login(client, email, password, **kwargs):
    page = client.get("/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(page.data)},
                       **kwargs)


def _signed_in_name(client) -> str | None:
    page = client.get("/").data.decode()
    return page.split("Hello, ", 1)[1].split("<", 1)[0] if "Hello, " in page else None


def test_login_with_the_right_password_signs_in_and_stores_an_argon2_hash(client, db_session):
    member = make_member(db_session, "Ana@Example.org", name="Ana")
    assert member.email == "ana@example.org"
    assert member.password_hash.startswith("$argon2id$")
    response = login(client, "ANA@example.org")  # email matching ignores case
    assert response.headers["Location"] == "/"
    assert _signed_in_name(client) == "Ana"


def test_wrong_password_and_unknown_email_get_the_same_message_and_change_nothing(client, db_session):
    member = make_member(db_session, "ana@example.org")
    hash_before = member.password_hash
    wrong = _post_login(client, "ana@example.org", "not the password")
    unknown = _post_login(client, "nobody@example.org", DEFAULT_PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert BAD_CREDENTIALS in response.data.decode()
    assert wrong.data.decode().count(BAD_CREDENTIALS) == unknown.data.decode().count(BAD_CREDENTIALS)
    assert reload(db_session, Member, member.id).password_hash == hash_before
    assert _signed_in_name(client) is None


def test_suspended_and_left_members_cannot_sign_in(client, db_session):
    member = make_member(db_session, "sus@example.org")
    suspend_member(db_session, actor=None, member=member, reason="test")
    db_session.commit()
    response = _post_login(client, "sus@example.org", DEFAULT_PASSWORD)
    assert response.status_code == 403
    assert "suspended" in response.data.decode()
    assert _signed_in_name(client) is None


def test_rate_limit_answers_429_with_a_clear_message_even_for_the_right_password(app, client, db_session):
    make_member(db_session, "ana@example.org")
    limit = app.config["LOGIN_MAX_ATTEMPTS"]
    for _ in range(limit):
        assert _post_login(client, "ana@example.org", "wrong password!").status_code == 401
    blocked = _post_login(client, "ana@example.org", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.data.decode()
    assert _signed_in_name(client) is None
    # Another client address is not blocked for this email.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    ok = _post_login(other, "ana@example.org", DEFAULT_PASSWORD)
    assert ok.status_code == 302, ok.data.decode()[-1500:]


def test_rate_limit_is_shared_between_app_instances_through_the_database(app, client, db_session, tmp_path):
    make_member(db_session, "ana@example.org")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        _post_login(client, "ana@example.org", "wrong password!")
    # A second "worker": its own app object and engine on the same database.
    second = make_test_app(app.config["DATABASE_URL"], tmp_path / "worker2")
    try:
        response = _post_login(second.test_client(), "ana@example.org", DEFAULT_PASSWORD)
        assert response.status_code == 429
    finally:
        second.extensions["dataguild_db"].engine.dispose()


def test_successful_sign_in_clears_the_failures_of_that_email(client, db_session):
    make_member(db_session, "ana@example.org")
    _post_login(client, "ana@example.org", "wrong password!")
    assert count_rows(db_session, LoginAttempt) == 1
    login(client, "ana@example.org")
    assert count_rows(db_session, LoginAttempt) == 0


def test_sign_in_starts_a_fresh_session(client, db_session):
    make_member(db_session, "ana@example.org")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, "ana@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["member_id"]


def test_session_cookie_is_hardened(client, db_session):
    make_member(db_session, "ana@example.org")
    response = login(client, "ana@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "dataguild_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_required_redirects_to_login_and_back_to_local_pages_only(client, db_session):
    make_member(db_session, "ana@example.org")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")
    page = client.get("/login?next=/account")
    response = client.post("/login?next=/account", data={"email": "ana@example.org", "password": DEFAULT_PASSWORD,
                                                         "csrf_token": csrf_token(page.data)})
    assert response.headers["Location"] == "/account"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").data)})
    page = client.get("/login")
    response = client.post("/login?next=//evil.example/", data={
        "email": "ana@example.org", "password": DEFAULT_PASSWORD, "csrf_token": csrf_token(page.data)})
    assert response.headers["Location"] == "/"


def test_logout_needs_post_with_csrf(client, db_session):
    make_member(db_session, "ana@example.org")
    login(client, "ana@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token: still signed in
    assert _signed_in_name(client) is not None
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").data)})
    assert _signed_in_name(client) is None


def test_login_without_csrf_token_is_refused_with_a_clear_page(client, db_session):
    make_member(db_session, "ana@example.org")
    response = client.post("/login", data={"email": "ana@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.data.decode()
    assert _signed_in_name(client) is None


def test_changing_the_password_signs_out_other_sessions(app, client, db_session):
    member = make_member(db_session, "ana@example.org")
    other_device = app.test_client()
    login(client, "ana@example.org")
    login(other_device, "ana@example.org")
    page = client.get("/account/password")
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "password": "a brand new secret", "confirm": "a brand new secret",
        "csrf_token": csrf_token(page.data)})
    assert response.status_code == 302
    assert _signed_in_name(client) is not None  # this device stays signed in
    assert other_device.get("/account").status_code == 302  # the other is signed out
    assert password_hasher(app.config).verify(reload(db_session, Member, member.id).password_hash,
                                              "a brand new secret")


def test_changing_the_password_needs_the_current_one(client, db_session):
    member = make_member(db_session, "ana@example.org")
    before = member.password_hash
    login(client, "ana@example.org")
    page = client.get("/account/password")
    response = client.post("/account/password", data={
        "current_password": "wrong", "password": "a brand new secret", "confirm": "a brand new secret",
        "csrf_token": csrf_token(page.data)})
    assert response.status_code == 400
    assert "not your current password" in response.data.decode()
    assert reload(db_session, Member, member.id).password_hash == before


def test_hash_is_upgraded_at_sign_in_when_parameters_change(client, db_session):
    member = make_member(db_session, "ana@example.org")
    old_params = password_hasher({"PASSWORD_HASH_PARAMETERS": {"time_cost": 2, "memory_cost": 2048,
                                                               "parallelism": 1}})
    member.password_hash = old_params.hash(DEFAULT_PASSWORD)
    db_session.commit()
    old_hash = member.password_hash
    login(client, "ana@example.org")
    new_hash = reload(db_session, Member, member.id).password_hash
    assert new_hash != old_hash
    assert "t=1" in new_hash
    assert "m=1024" in new_hash
    login(client.application.test_client(), "ana@example.org")  # and the new hash works


def test_one_address_trying_many_emails_is_limited_too(app, client, db_session):
    make_member(db_session, "ana@example.org")
    per_address = app.config["LOGIN_MAX_ATTEMPTS"] * 4
    for i in range(per_address):
        assert _post_login(client, f"guess{i}@example.org", "wrong password!").status_code == 401
    assert _post_login(client, "ana@example.org", DEFAULT_PASSWORD).status_code == 429


def test_failed_attempts_older_than_the_window_do_not_count(app, client, db_session):
    make_member(db_session, "ana@example.org")
    long_ago = utcnow() - timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 60)
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"] * 5):
        db_session.add(LoginAttempt(email="ana@example.org", client_address="127.0.0.1", attempted_at=long_ago))
    db_session.commit()
    login(client, "ana@example.org")
