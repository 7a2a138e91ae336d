"""Personal access tokens: the account page, the services, and how the API lets them (and sessions) in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.api import services as svc
from governance.api.models import ApiToken
from governance.audit.models import AuditEntry
from governance.members.models import MemberStatus
from tests.conftest import csrf_token, fetch_all, make_member, make_token, reload

NOW = datetime.now(UTC)


def _problem(response, status: int, words: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert words in response.json["detail"], response.json["detail"]
    return response.json


def test_the_account_page_creates_a_token_shown_once_and_revokes_it(make_logged_in_client, client, db_session):
    member_client, member = make_logged_in_client("member")
    other_client, _other = make_logged_in_client("member")
    assert 'href="/account/tokens"' in member_client.get("/account").get_data(as_text=True)
    page = member_client.get("/account/tokens")
    html = page.get_data(as_text=True)
    assert "You have no tokens yet" in html
    assert 'value="vote"' in html
    assert 'value="draft"' in html
    assert 'value="steward"' not in html
    assert 'value="trustee"' not in html
    form = {"csrf_token": csrf_token(page.data), "label": "laptop", "scopes": ["read", "vote"], "lifetime_days": "30"}
    assert member_client.post("/account/tokens", data={**form, "label": ""}).status_code == 400
    assert member_client.post("/account/tokens", data={**form, "scopes": []}).status_code == 400
    assert member_client.post("/account/tokens", data={**form, "scopes": ["steward"]}).status_code == 400
    assert member_client.post("/account/tokens", data={**form, "lifetime_days": "9999"}).status_code == 400
    assert fetch_all(db_session, select(ApiToken)) == []
    created = member_client.post("/account/tokens", data=form)
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token">(dgp_[^<]+)</code>', created.get_data(as_text=True)).group(1)
    again = member_client.get("/account/tokens").get_data(as_text=True)
    assert token not in again
    assert "laptop" in again
    row = fetch_all(db_session, select(ApiToken))[0]
    assert row.scopes == "read vote"
    assert row.token_hash == svc.token_hash(token)
    assert token not in row.token_hash
    assert reload(db_session, ApiToken, row.id).expires_at.replace(tzinfo=UTC) - \
        reload(db_session, ApiToken, row.id).created_at.replace(tzinfo=UTC) == timedelta(days=30)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["token"]["scopes"] == ["read", "vote"]
    assert me.json["email"] == member.email
    db_session.rollback()
    assert other_client.post(f"/account/tokens/{row.id}/revoke",
                             data={"csrf_token": csrf_token(other_client.get("/account/tokens").data)}
                             ).status_code == 404
    assert member_client.post(f"/account/tokens/{row.id}/revoke", data={}).status_code == 400   # no CSRF token
    revoked = member_client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(again)},
                                 follow_redirects=True)
    assert "Token “laptop” revoked" in revoked.get_data(as_text=True)
    _problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "revoked")
    audit = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action.like("api_token.%")))
    assert [a.action for a in audit] == ["api_token.created", "api_token.revoked"]
    assert all(token not in str(a.details) for a in audit)   # the secret is never written down


def test_tokens_need_a_live_owner_the_scope_and_its_role(db_session):
    steward = make_member(db_session, "s@example.org", roles=("member", "steward"))
    assert svc.scopes_allowed(steward) == ["read", "vote", "draft", "steward"]
    row, token = svc.create_token(db_session, member=steward, label="ci", scopes=["steward", "read"],
                                  lifetime_days=7, now=NOW)
    assert row.scopes == "read steward"
    assert svc.authenticate(db_session, token, scope="steward", now=NOW).id == row.id
    assert svc.authenticate(db_session, token, scope=None, now=NOW).id == row.id
    with pytest.raises(svc.ScopeMissing, match="lacks the scope “vote”"):
        svc.authenticate(db_session, token, scope="vote", now=NOW)
    for bad in (None, "", "dgp_unknown", token[:-1], "Bearer " + token, "x" * 500):
        with pytest.raises(svc.TokenRefused):
            svc.authenticate(db_session, bad, scope=None, now=NOW)
    with pytest.raises(svc.TokenRefused, match="expired"):
        svc.authenticate(db_session, token, scope=None, now=NOW + timedelta(days=7))
    steward.roles = [r for r in steward.roles if r.role.value != "steward"]
    db_session.flush()
    with pytest.raises(svc.ScopeMissing, match="no longer holds"):
        svc.authenticate(db_session, token, scope="steward", now=NOW)
    steward.status = MemberStatus.SUSPENDED
    with pytest.raises(svc.TokenRefused, match="no longer an active member"):
        svc.authenticate(db_session, token, scope="read", now=NOW)
    with pytest.raises(svc.TokenError, match="do not allow the scope trustee"):
        svc.create_token(db_session, member=make_member(db_session, "m@example.org"), label="x",
                         scopes=["trustee"], lifetime_days=7, now=NOW)
    with pytest.raises(svc.TokenError, match="at least one scope"):
        svc.create_token(db_session, member=make_member(db_session, "n@example.org"), label="x",
                         scopes=["read", "everything"], lifetime_days=7, now=NOW)


def test_the_api_refuses_anonymous_missing_scope_and_malformed_credentials(client, db_session):
    member = make_member(db_session, "a@example.org")
    problem = _problem(client.get("/api/v1/me"), 401, "Sign in, or send a personal access token")
    assert problem["type"].endswith("#problem-unauthorized")
    assert client.get("/api/v1/me").headers["WWW-Authenticate"].startswith("Bearer")
    _problem(client.get("/api/v1/me", headers={"Authorization": "Basic YTpi"}), 401, "Bearer dgp_")
    _problem(client.get("/api/v1/me", headers={"Authorization": "Bearer dgp_nope"}), 401, "not known")
    vote_only = make_token(db_session, member, "vote")
    _problem(client.get("/api/v1/me", headers={"Authorization": vote_only}), 403, "lacks the scope “read”")
    # a public operation answers anonymous callers, but a bad token sent to it is still refused
    assert client.post("/api/v1/policy/decide", json={}).status_code == 400
    _problem(client.post("/api/v1/policy/decide", json={}, headers={"Authorization": "Bearer dgp_nope"}), 401,
             "not known")


def test_each_token_has_a_rate_limit_and_notes_its_last_use(app, client, db_session):
    member = make_member(db_session, "r@example.org")
    header = make_token(db_session, member, "read")
    other = make_token(db_session, member, "read", label="other")
    app.config["API_RATE_LIMIT_REQUESTS"] = 3
    for _ in range(3):
        assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 200
    refused = client.get("/api/v1/me", headers={"Authorization": header})
    _problem(refused, 429, "more than 3 requests in 60 seconds")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/me", headers={"Authorization": other}).status_code == 200   # per token
    rows = fetch_all(db_session, select(ApiToken).order_by(ApiToken.id))
    assert [r.window_count for r in rows] == [4, 1]
    assert all(r.last_used_at is not None for r in rows)


def test_a_signed_in_browser_calls_the_api_and_sends_the_csrf_header_on_posts(make_logged_in_client):
    browser, _member = make_logged_in_client("member")
    assert browser.get("/api/v1/me").json["token"] is None   # a GET needs no CSRF header
    body = {"party": "https://example.ai", "action": "use", "dataset": "none", "purpose": "AcademicResearch",
            "time": "2027-01-01T00:00:00Z"}
    _problem(browser.post("/api/v1/policy/decide", json=body), 400, "X-CSRFToken")
    token = csrf_token(browser.get("/account").data)
    answer = browser.post("/api/v1/policy/decide", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 400
    assert answer.json["field"] == "dataset"
