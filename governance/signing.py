"""The site's signing keys: the cooperative's BLS key (policy versions, agreements, signed tree heads of
the bulletin boards) and the election server's BIP-340 key (ballot receipts).

They live in a JSON key file outside the database (``DATAGUILD_SIGNING_KEY_FILE``, by default
``signing-keys.json`` in the instance folder, mode 0600), so a copy of the database alone cannot forge
a signature. Development and test create the file on first use; production refuses to sign until
``dataguild keys generate`` has written it. Every signature is stored with the public key that made
it, and the public keys are served at ``/.well-known/dataguild-keys.json``.

Services reach the keys through their session (``site_keys(session)``): ``governance.db`` puts a
:class:`KeyStore` into every session's ``info``, so domain code never reads Flask globals.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from voting.crypto import bip340, bls
from voting.crypto.errors import CryptoError

KEY_FILE_NAME = "signing-keys.json"
KEY_FILE_FORMAT = "dataguild-signing-keys-v1"
SESSION_INFO_KEY = "site_keys"


class SigningKeysUnavailable(RuntimeError):
    """The key file is missing (production) or unreadable; the message says what to do."""


@dataclass(frozen=True)
class SiteKeys:
    bls_secret: bls.BlsSecretKey
    bip340_secret: bytes

    def __repr__(self) -> str:  # never print a secret
        return f"SiteKeys(bls_public={self.bls_public_hex}, bip340_public={self.bip340_public_hex})"

    @property
    def bls_public_hex(self) -> str:
        return self.bls_secret.public_key().to_hex()

    @property
    def bip340_public_hex(self) -> str:
        return bip340.pubkey_from_secret(self.bip340_secret).hex()

    def sign_bls(self, message: bytes) -> str:
        """Hex of the cooperative's BLS signature over ``message``."""
        return bls.sign(self.bls_secret, message).to_hex()

    def sign_bip340(self, message: bytes) -> str:
        """Hex of the election server's BIP-340 signature over ``message`` (32 bytes)."""
        return bip340.sign(self.bip340_secret, message).hex()

    def public_json(self) -> dict[str, Any]:
        return {"bls_public_key": self.bls_public_hex, "bls_ciphersuite": bls.CIPHERSUITE,
                "bip340_public_key": self.bip340_public_hex}


def verify_bls(public_hex: str, message: bytes, signature_hex: str) -> None:
    """Raises ``voting.crypto.errors.CryptoError`` unless ``signature_hex`` signs ``message`` for the key."""
    bls.verify(bls.BlsPublicKey.from_hex(public_hex), message, bls.BlsSignature.from_hex(signature_hex))


def generate_site_keys() -> SiteKeys:
    return SiteKeys(bls_secret=bls.keygen(secrets.token_bytes(32)), bip340_secret=bip340.generate_secret())


def write_key_file(path: Path, keys: SiteKeys) -> None:
    """Create ``path`` (mode 0600); refuses to overwrite an existing key file."""
    data = {"format": KEY_FILE_FORMAT, "bls_secret_key": keys.bls_secret.to_hex(),
            "bip340_secret_key": keys.bip340_secret.hex(), **keys.public_json()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def read_key_file(path: Path) -> SiteKeys:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SigningKeysUnavailable(f"the signing key file {path} does not exist; create it with "
                                     "`dataguild keys generate`") from None
    except (OSError, ValueError) as exc:
        raise SigningKeysUnavailable(f"the signing key file {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
        raise SigningKeysUnavailable(f"{path} is not a dataguild signing key file ({KEY_FILE_FORMAT})")
    try:
        secret = data["bip340_secret_key"]
        if not isinstance(secret, str) or len(secret) != 64:
            raise ValueError("the BIP-340 secret key must be 64 hex characters")
        keys = SiteKeys(bls_secret=bls.BlsSecretKey.from_hex(data["bls_secret_key"]),
                        bip340_secret=bytes.fromhex(secret))
        keys.bip340_public_hex  # noqa: B018 - validates the scalar
    except (KeyError, ValueError, CryptoError) as exc:
        raise SigningKeysUnavailable(f"the signing key file {path} is damaged: {exc}") from exc
    return keys


class KeyStore:
    """Loads the key file once per process (creating it first in development and test)."""

    def __init__(self, path: Path, *, create_if_missing: bool) -> None:
        self.path = Path(path)
        self.create_if_missing = create_if_missing
        self._keys: SiteKeys | None = None
        self._lock = threading.Lock()

    def get(self) -> SiteKeys:
        with self._lock:
            if self._keys is None:
                if self.create_if_missing and not self.path.exists():
                    with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                        write_key_file(self.path, generate_site_keys())
                self._keys = read_key_file(self.path)
            return self._keys


def key_store_for(config: dict[str, Any], instance_path: str | Path) -> KeyStore:
    path = config.get("SIGNING_KEY_FILE") or Path(instance_path) / KEY_FILE_NAME
    return KeyStore(Path(path), create_if_missing=config.get("ENV_NAME") in ("development", "test"))


def site_keys(session: Session) -> SiteKeys:
    """The keys of the site this session belongs to."""
    store = session.info.get(SESSION_INFO_KEY)
    if store is None:
        raise SigningKeysUnavailable("this database session has no signing keys (it was not made by the app)")
    return store.get()
