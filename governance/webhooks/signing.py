"""Webhook secrets and signatures (stdlib only; docs/webhooks.md shows a receiver's side).

The secret of a subscription is ``dgwh_`` + URL-safe base64 (no padding) of
``HMAC-SHA256(key=SECRET_KEY, msg="dataguild-webhook-secret-v1:" || salt)``, with a random 32-byte salt
stored in its row: the site can always recompute it to sign, a copy of the database alone cannot.
(Changing ``DATAGUILD_SECRET_KEY`` therefore changes every webhook secret.)

A delivery is signed as ``Dataguild-Signature: v1=<hex>`` where ``<hex>`` is
``HMAC-SHA256(key=ASCII bytes of the whole secret, msg=ASCII(timestamp) || "." || body bytes)`` and
``timestamp`` the ``Dataguild-Timestamp`` header (Unix seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "dgwh_"  # noqa: S105 - marks our webhook secrets, not a secret
SIGNATURE_VERSION = "v1"
#: A receiver refuses a timestamp further than this from its own clock (replayed or stale deliveries).
TOLERANCE_SECONDS = 300
_DERIVATION_TAG = b"dataguild-webhook-secret-v1:"


def new_salt() -> str:
    return secrets.token_hex(32)


def derive_secret(site_secret_key: str, salt_hex: str) -> str:
    digest = hmac.new(site_secret_key.encode(), _DERIVATION_TAG + bytes.fromhex(salt_hex), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Dataguild-Signature`` header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("ascii"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(secret: str, header: str, timestamp_header: str, body: bytes, *, now: float,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver checks: a fresh timestamp and a matching ``v1`` signature (compared in constant
    time). Several comma-separated signatures are accepted, so the format can grow."""
    if not (timestamp_header.isascii() and timestamp_header.isdigit()):
        return False
    timestamp = int(timestamp_header)
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
