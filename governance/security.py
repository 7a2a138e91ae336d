"""Protections every page shares: the CSRF extension (bound to the app in ``create_app``)."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
