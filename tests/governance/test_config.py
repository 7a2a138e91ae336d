"""Settings from DATAGUILD_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.auth.passwords import password_hasher
from governance.config import ConfigError, load_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path):
    with pytest.raises(ConfigError, match="DATAGUILD_SECRET_KEY"):
        load_config(tmp_path, environ={"DATAGUILD_ENV": "production"})
    with pytest.raises(ConfigError):
        load_config(tmp_path, environ={})  # production is the default


def test_production_hardens_the_session_cookie(tmp_path: Path):
    cfg = load_config(tmp_path, environ={"DATAGUILD_SECRET_KEY": "x" * 40})
    assert cfg["ENV_NAME"] == "production"
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["MAIL_BACKEND"] == "smtp"


def test_settings_come_from_the_environment(tmp_path: Path):
    cfg = load_config(tmp_path, environ={
        "DATAGUILD_ENV": "development", "DATAGUILD_DATABASE_URL": "postgresql://u@h/db",
        "DATAGUILD_BASE_URL": "https://vote.example.coop/", "DATAGUILD_MAIL_PORT": "2525",
        "DATAGUILD_LOGIN_MAX_ATTEMPTS": "3"})
    assert cfg["DATABASE_URL"] == "postgresql://u@h/db"
    assert cfg["BASE_URL"] == "https://vote.example.coop"
    assert cfg["MAIL_PORT"] == 2525
    assert cfg["LOGIN_MAX_ATTEMPTS"] == 3
    assert cfg["MAIL_BACKEND"] == "console"
    assert cfg["DATABASE_URL"] != load_config(tmp_path, environ={"DATAGUILD_ENV": "test"})["DATABASE_URL"]


def test_unknown_environment_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="DATAGUILD_ENV"):
        load_config(tmp_path, environ={"DATAGUILD_ENV": "staging"})


def test_password_hashing_is_cheap_only_in_tests():
    assert password_hasher({"ENV_NAME": "test"}).memory_cost == 1024
    production = password_hasher({"ENV_NAME": "production"})
    assert production.memory_cost >= 19 * 1024  # argon2-cffi's RFC 9106 defaults
    assert password_hasher({"ENV_NAME": "production", "PASSWORD_HASH_PARAMETERS": {"time_cost": 4}}).time_cost == 4
