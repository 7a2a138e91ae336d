"""Protections every page shares: CSRF (bound in ``create_app``), the security headers of every
response, and the Subresource Integrity of the site's own scripts.

The Content-Security-Policy allows scripts, styles, fonts, images and connections from the site
only (no inline script or style, no ``eval``), no plugins, no ``<base>``, no framing, and forms that
post to the site only: a script the site did not serve as a file cannot run on a ballot or trustee
page. Templates load scripts with ``integrity="{{ sri('js/...') }}"`` so a browser also refuses a
script whose bytes differ from the file the page was rendered with.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Flask, Response, current_app
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Sent only when cookies are HTTPS-only (production): a development site on http:// must stay reachable.
HSTS = "max-age=31536000; includeSubDomains"

_sri_cache: dict[tuple[str, int, int], str] = {}


def subresource_integrity(path: Path) -> str:
    """``sha384-<base64>`` of a file (remembered until the file changes)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _sri_cache:
        digest = hashlib.sha384(path.read_bytes()).digest()
        _sri_cache[key] = "sha384-" + base64.b64encode(digest).decode("ascii")
    return _sri_cache[key]


def sri(filename: str) -> str:
    """The integrity attribute of a file under ``static/`` (a Jinja global)."""
    static = current_app.static_folder
    assert static is not None  # create_app always sets it
    return subresource_integrity(Path(static) / filename)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_add_headers)
    app.jinja_env.globals["sri"] = sri
