"""argon2id password hashing (argon2-cffi). Tests use cheap parameters; production the library defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10

# Deliberately weak: only so that the test suite stays fast. Never used outside ENV=test.
_TEST_PARAMETERS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def password_hasher(config: Mapping[str, Any]) -> PasswordHasher:
    """The hasher for this site: ``PASSWORD_HASH_PARAMETERS`` if configured, cheap ones in tests,
    otherwise argon2-cffi's current recommended defaults (so upgrading the library upgrades hashes)."""
    params = config.get("PASSWORD_HASH_PARAMETERS")
    if params is None and config.get("ENV_NAME") == "test":
        params = _TEST_PARAMETERS
    return PasswordHasher(**(params or {}))


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    return None
