"""Every response carries the security headers; templates hold nothing the Content-Security-Policy
refuses (inline scripts, style attributes, event handlers); every script tag carries the Subresource
Integrity of the file it loads."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from governance.security import CONTENT_SECURITY_POLICY, HSTS
from tests.conftest import make_test_app
from tests.proposals.factories import seed_governance

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
PUBLIC_PAGES = ["/", "/login", "/proposals", "/policy", "/datasets", "/static/css/site.css",
                "/.well-known/dataguild-keys.json", "/no-such-page"]


def _csp(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in header.split("; ")}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_response_carries_the_headers(client, path: str) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # test config: cookies not HTTPS-only


def test_signed_in_pages_and_form_errors_carry_them(db_session, member_client) -> None:
    seed_governance(db_session)
    db_session.commit()
    for path in ("/proposals/new/data_use_rule", "/account"):
        response = member_client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path


def test_the_policy_is_strict() -> None:
    directives = _csp(CONTENT_SECURITY_POLICY)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_hsts_when_cookies_are_https_only(tmp_path: Path) -> None:
    app = make_test_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, SESSION_COOKIE_SECURE=True)
    app.extensions["dataguild_db"].create_all()
    assert app.test_client().get("/login").headers["Strict-Transport-Security"] == HSTS


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_hold_nothing_the_policy_refuses(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "an inline script (the CSP refuses it)"
    assert not re.search(r"\sstyle=\"", text), "a style attribute (the CSP refuses it): use a class"
    assert not re.search(r"<style\b", text), "a <style> element (the CSP refuses it): use static/css"
    assert not re.search(r"\son[a-z]+=\"", text), "an event-handler attribute (the CSP refuses it)"
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "integrity=\"{{ sri(" in tag, f"a script without Subresource Integrity: {tag}"


def test_rendered_integrity_is_the_served_files_hash(db_session, member_client) -> None:
    seed_governance(db_session)
    db_session.commit()
    response = member_client.get("/proposals/new/data_use_rule")
    assert response.status_code == 200, response.status_code
    tag = re.search(r'<script src="([^"]+)" integrity="([^"]+)"', response.get_data(as_text=True))
    assert tag is not None, "the drafting page loads body_forms.js"
    src, integrity = tag.groups()
    served = member_client.get(src).get_data()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(served).digest()).decode()
