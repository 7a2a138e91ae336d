"""Signed, expiring tokens for links sent by mail (invitations, password resets).

itsdangerous' timed serializer with one salt per purpose, so that a token for one purpose is never
accepted for another. ``now`` is a parameter so that expiry is testable without patching the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer


class TokenInvalid(ValueError):
    """Tampered, malformed, for another purpose, or no longer usable."""


class TokenExpired(TokenInvalid):
    """Correctly signed but older than its maximum age."""


def _serializer(secret_key: str, purpose: str, now: datetime) -> URLSafeTimedSerializer:
    timestamp = int(now.timestamp())

    class _ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return timestamp

    return URLSafeTimedSerializer(secret_key, salt=f"dataguild.{purpose}", signer=_ClockedSigner)


def sign_token(secret_key: str, purpose: str, payload: Any, *, now: datetime) -> str:
    return _serializer(secret_key, purpose, now).dumps(payload)


def read_token(secret_key: str, purpose: str, token: str, *, max_age_seconds: int, now: datetime) -> Any:
    try:
        return _serializer(secret_key, purpose, now).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise TokenExpired("This link has expired.") from exc
    except BadSignature as exc:
        raise TokenInvalid("This link is not valid.") from exc
