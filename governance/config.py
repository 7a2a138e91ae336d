"""Settings from ``DATAGUILD_*`` environment variables.

Three environments (``DATAGUILD_ENV``): ``development`` (also used by ``dataguild demo``), ``test``
and ``production`` (the default). Only development and test have a fallback secret key; production
refuses to start without ``DATAGUILD_SECRET_KEY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")
_DEV_SECRET = "dev-only-insecure-secret-key"  # noqa: S105 - used only in development/test


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production without a secret key)."""


def _env(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(f"DATAGUILD_{name}")
    return value if value not in (None, "") else default


def _env_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _env(environ, name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_config(instance_path: Path, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config dict from the environment, then apply ``overrides`` (tests)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    env = overrides.pop("ENV", None) or _env(environ, "ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"DATAGUILD_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    dev_like = env in ("development", "test")

    cfg: dict[str, Any] = {
        "ENV_NAME": env,
        "TESTING": env == "test",
        "DEBUG": False,
        "SECRET_KEY": _env(environ, "SECRET_KEY", _DEV_SECRET if dev_like else None),
        "DATABASE_URL": _env(environ, "DATABASE_URL", f"sqlite:///{instance_path / 'dataguild.sqlite'}"),
        "BASE_URL": (_env(environ, "BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/"),
        "COOPERATIVE_NAME": _env(environ, "COOPERATIVE_NAME", "dataguild cooperative"),
        # The cooperative's BLS and BIP-340 keys (governance.signing); default: instance/signing-keys.json.
        "SIGNING_KEY_FILE": _env(environ, "SIGNING_KEY_FILE"),
        # Mail: "console" prints and keeps mails in the outbox (dev/demo); "smtp" sends them.
        "MAIL_BACKEND": _env(environ, "MAIL_BACKEND", "console" if dev_like else "smtp"),
        "MAIL_SERVER": _env(environ, "MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(_env(environ, "MAIL_PORT", "25") or 25),
        "MAIL_USERNAME": _env(environ, "MAIL_USERNAME"),
        "MAIL_PASSWORD": _env(environ, "MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool(environ, "MAIL_USE_TLS", False),
        "MAIL_FROM": _env(environ, "MAIL_FROM", "dataguild <no-reply@localhost>"),
        # Login rate limiting: attempts per window per (email, client address).
        "LOGIN_MAX_ATTEMPTS": int(_env(environ, "LOGIN_MAX_ATTEMPTS", "5") or 5),
        "LOGIN_WINDOW_SECONDS": int(_env(environ, "LOGIN_WINDOW_SECONDS", "900") or 900),
        "INVITATION_MAX_AGE_DAYS": int(_env(environ, "INVITATION_MAX_AGE_DAYS", "14") or 14),
        "RESET_MAX_AGE_HOURS": int(_env(environ, "RESET_MAX_AGE_HOURS", "2") or 2),
        # The public API's rate limit per personal access token: requests per window of seconds.
        "API_RATE_LIMIT_REQUESTS": int(_env(environ, "API_RATE_LIMIT_REQUESTS", "600") or 600),
        "API_RATE_LIMIT_SECONDS": int(_env(environ, "API_RATE_LIMIT_SECONDS", "60") or 60),
        # Webhooks (docs/webhooks.md): subscriptions are https:// only; this also allows plain
        # http://127.0.0.1, http://[::1] and http://localhost receivers (on by default only in
        # development and test: never turn it on in production). The timeout covers each attempt.
        "WEBHOOK_ALLOW_LOCAL_HTTP": _env_bool(environ, "WEBHOOK_ALLOW_LOCAL_HTTP", dev_like),
        "WEBHOOK_TIMEOUT_SECONDS": float(_env(environ, "WEBHOOK_TIMEOUT_SECONDS", "5") or 5),
        # Session cookie hardening.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool(environ, "SECURE_COOKIES", not dev_like),
        "SESSION_COOKIE_NAME": "dataguild_session",
        "PERMANENT_SESSION_LIFETIME": int(_env(environ, "SESSION_LIFETIME_SECONDS", "43200") or 43200),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        "PREFERRED_URL_SCHEME": "https" if not dev_like else "http",
    }
    cfg.update(overrides)
    if not cfg["SECRET_KEY"] or (env == "production" and cfg["SECRET_KEY"] == _DEV_SECRET):
        raise ConfigError("DATAGUILD_SECRET_KEY must be set in production "
                          "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
    return cfg
