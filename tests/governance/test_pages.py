"""Layout, home page, error pages (HTML and JSON under /api/), health check."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from governance.members.models import Role
from governance.members.services import invite_member
from governance.sitecontext import SiteSettings, utcnow
from tests.conftest import csrf_token, login, make_member, make_test_app


def test_layout_is_accessible_without_javascript(client):
    page = client.get("/login").data.decode()
    assert '<a class="skip-link" href="#main">' in page
    assert '<main id="main"' in page
    assert 'role="banner"' in page
    assert 'role="contentinfo"' in page
    assert '<nav aria-label="Main">' in page
    assert '<label class="label" for="email">' in page
    assert '<label class="label" for="password">' in page
    assert "<script" not in page
    assert "dataguild cooperative" in page


def test_form_errors_are_tied_to_their_fields(client):
    page = client.get("/forgot-password")
    response = client.post("/forgot-password", data={"email": "not-an-email", "csrf_token": csrf_token(page.data)})
    html = response.data.decode()
    assert response.status_code == 400
    assert 'aria-describedby="email-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="email-error"' in html


def test_stylesheet_is_served(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b":focus-visible" in response.data


def test_home_for_visitors_links_to_sign_in(client):
    page = client.get("/").data.decode()
    assert "/login" in page
    assert "Needs your attention" not in page


def test_home_welcomes_new_members_and_shows_stewards_pending_invitations(app, make_logged_in_client, db_session):
    member_client, _ = make_logged_in_client("member")
    page = member_client.get("/").data.decode()
    assert "Welcome to" in page
    assert "Nothing needs your attention" in page
    assert "/members/invite" not in page  # nav by role
    steward_client, steward = make_logged_in_client("member", "steward")
    invite_member(db_session, actor=steward, email="n@example.org", name="N", roles=[Role.MEMBER],
                  site=SiteSettings.from_config(app.config))
    db_session.commit()
    page = steward_client.get("/").data.decode()
    assert "Invitations not yet accepted" in page
    assert "1 invited person has not joined yet" in page
    assert "/members/invite" in page


def test_long_standing_member_gets_no_welcome(client, db_session):
    member = make_member(db_session, "old@example.org", commit=False)
    member.joined_at = utcnow() - timedelta(days=400)
    db_session.commit()
    login(client, "old@example.org")
    assert "Welcome to" not in client.get("/").data.decode()


@pytest.mark.parametrize(("method", "path", "status"), [
    ("get", "/no-such-page", 404),
    ("get", "/logout", 405),
    ("post", "/login", 400),  # no CSRF token
])
def test_friendly_error_pages(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.data.decode()
    assert f"Error {status}" in html
    assert "Go to the home page" in html


def test_api_paths_get_json_errors(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"  # RFC 9457 problem details
    assert response.json["status"] == 404
    assert response.json["title"] == "Not found"
    assert response.json["type"].endswith("/api/v1/docs#problem-not-found")


def test_forbidden_page_is_friendly(member_client):
    response = member_client.get("/members/invite")
    assert response.status_code == 403
    assert "ask a steward" in response.data.decode()


def _app_with_failing_routes(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path / "boom")

    def boom() -> str:
        raise RuntimeError("kaput")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    return app


def test_unexpected_errors_render_a_500_page_without_details(database_url, tmp_path):
    app = _app_with_failing_routes(database_url, tmp_path)
    try:
        client = app.test_client()
        response = client.get("/boom")
        assert response.status_code == 500
        assert "Something went wrong on our side" in response.data.decode()
        assert "kaput" not in response.data.decode()
        api = client.get("/api/boom")
        assert api.status_code == 500
        assert api.json["status"] == 500
        assert "kaput" not in api.get_data(as_text=True)
    finally:
        app.extensions["dataguild_db"].engine.dispose()


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_fails_when_the_database_is_unreachable(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite'}", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_element_ids_are_unique_on_every_page(app, make_logged_in_client, db_session):
    client, steward = make_logged_in_client("member", "steward")
    target = make_member(db_session, "t@example.org")
    invite_member(db_session, actor=steward, email="a@example.org", name="A", roles=[Role.MEMBER],
                  site=SiteSettings.from_config(app.config))
    invite_member(db_session, actor=steward, email="b@example.org", name="B", roles=[Role.MEMBER],
                  site=SiteSettings.from_config(app.config))
    db_session.commit()
    for path in ("/", "/members", f"/members/{target.id}", "/members/invite", "/members/invitations", "/account",
                 "/account/password", "/dev/outbox"):
        html = client.get(path).data.decode()
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))


def test_every_page_links_the_public_checks_in_its_footer(client):
    page = client.get("/").data.decode()
    footer = page[page.index('<footer'):]
    for path in ("/audit", "/receipts/check", "/policy/check"):
        assert f'href="{path}"' in footer
        assert client.get(path).status_code == 200
