"""A trustee's private key material, its JSON key file, and the stdlib-only sealing both use.

Sealing (used for key-ceremony shares and for passphrase-protected key files) — no third-party
cipher, only SHA-256 and HMAC:

- keys: ``enc_key || mac_key`` (32 + 32 bytes) come from RFC 9380 ``expand_message_xmd`` (SHA-256)
  over a secret input and a per-use domain tag; every key pair is used for exactly one message, so
  no nonce is needed;
- keystream block i (i = 0, 1, ...) is ``SHA-256(enc_key || i as 8-byte big-endian)``; the
  ciphertext is ``plaintext XOR keystream`` (same length as the plaintext);
- tag ``HMAC-SHA256(mac_key, hashing.encode(aad, ciphertext))`` (encrypt-then-MAC), compared in
  constant time before anything is decrypted.

Key file (``dataguild-trustee-key/v1``)::

    {"format": "dataguild-trustee-key/v1", "encryption": "none", "key": {...TrusteeSecrets...}}
    {"format": "dataguild-trustee-key/v1", "encryption": "scrypt-sha256ctr-hmacsha256",
     "kdf": {"salt": hex, "n": 131072, "r": 8, "p": 1}, "check": hex32, "ciphertext": hex, "tag": hex32}

With a passphrase: ``master = scrypt(passphrase (UTF-8), salt, n, r, p, dklen=32)``,
``enc_key || mac_key || check = expand_message_xmd(encode(master), dst("keyfile"), 96)``; the
plaintext is the canonical JSON (sorted keys, no spaces) of the key object; the aad is
``encode(format, encryption, salt, n, r, p)``. A wrong passphrase yields another ``check`` and is
reported as :class:`WrongPassphrase` before the MAC is checked; a right passphrase with a failing
MAC means the file was altered (:class:`CorruptKeyFile`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets as _secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .errors import CryptoError, InvalidEncoding
from .group import N, Point, base_mult, check_scalar, random_scalar, scalar_to_bytes
from .hashing import dst, encode, expand_message_xmd

KEYFILE_FORMAT = "dataguild-trustee-key/v1"
SEALED = "scrypt-sha256ctr-hmacsha256"
DEFAULT_SCRYPT_N = 2**17  # 128 MiB, about 0.4 s
_SCRYPT_MAX_BYTES = 2**29  # refuse files that would need more than 512 MiB

ScalarSource = Callable[[], int]
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


class WrongPassphrase(CryptoError):
    """The passphrase does not open this key file (or none was given for an encrypted file)."""


class CorruptKeyFile(InvalidEncoding):
    """The key file is malformed or was altered after it was written."""


class SealError(CryptoError):
    """A sealed message whose MAC does not verify."""


# --- sealing ------------------------------------------------------------------------------
def derive_keys(secret_input: bytes, purpose: str, extra: int = 0) -> bytes:
    """``64 + extra`` bytes of key material: ``expand_message_xmd(secret_input, dst(purpose), ...)``."""
    return expand_message_xmd(secret_input, dst(purpose), 64 + extra)


def keystream(enc_key: bytes, length: int) -> bytes:
    blocks = (hashlib.sha256(enc_key + i.to_bytes(8, "big")).digest() for i in range(-(-length // 32)))
    return b"".join(blocks)[:length]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def seal(keys: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt-then-MAC with ``keys = enc_key || mac_key``; returns ``(ciphertext, tag)``."""
    enc_key, mac_key = keys[:32], keys[32:64]
    ciphertext = _xor(plaintext, keystream(enc_key, len(plaintext)))
    return ciphertext, hmac.new(mac_key, encode(aad, ciphertext), hashlib.sha256).digest()


def unseal(keys: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """Check the tag (constant time), then decrypt. Raises :class:`SealError` on a bad tag."""
    enc_key, mac_key = keys[:32], keys[32:64]
    expected = hmac.new(mac_key, encode(aad, ciphertext), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, tag):
        raise SealError("authentication tag does not verify")
    return _xor(ciphertext, keystream(enc_key, len(ciphertext)))


# --- JSON field validation (shared by the trustee messages) ---------------------------------
def json_object(data: object, keys: set[str], what: str) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise InvalidEncoding(f"{what} must be a JSON object")
    if set(data) != keys:
        missing, extra = sorted(keys - set(data)), sorted(set(data) - keys)
        raise InvalidEncoding(f"{what}: missing keys {missing}, unexpected keys {extra}")
    return data


def json_int(value: object, what: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise InvalidEncoding(f"{what} must be an integer in [{lo}, {hi}]")
    return value


def strict_hex(value: object, what: str, size: int | None = None) -> bytes:
    """Canonical hex only: lowercase, even length, no prefix or whitespace (so JSON hashes are stable)."""
    if not isinstance(value, str) or not _LOWER_HEX.fullmatch(value):
        raise InvalidEncoding(f"{what} must be a lowercase hex string")
    raw = bytes.fromhex(value)
    if size is not None and len(raw) != size:
        raise InvalidEncoding(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def json_bytes(value: object, what: str, size: int | None = None) -> bytes:
    return strict_hex(value, what, size)


def json_point(value: object, what: str) -> Point:
    raw = strict_hex(value, what, 33)
    try:
        return Point.from_bytes(raw)
    except CryptoError as exc:
        raise type(exc)(f"{what}: {exc}") from exc


def json_scalar(value: object, what: str, *, nonzero: bool = False) -> int:
    raw = strict_hex(value, what, 32)
    try:
        return check_scalar(int.from_bytes(raw, "big"), nonzero=nonzero)
    except CryptoError as exc:
        raise type(exc)(f"{what}: {exc}") from exc


def json_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise InvalidEncoding(f"{what} must be a JSON list")
    return value


# --- the trustee's private key material -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrusteeSecrets:
    """Everything a trustee keeps private. ``polynomial``/``share`` are set during the ceremony
    identified by ``fingerprint``."""

    index: int
    encryption_secret: int
    signing_secret: bytes
    fingerprint: bytes | None = None
    polynomial: tuple[int, ...] = ()
    share: int | None = None

    def __post_init__(self) -> None:
        json_int(self.index, "trustee index", 1, 10_000)
        if not isinstance(self.encryption_secret, int) or not 0 < self.encryption_secret < N:
            raise InvalidEncoding("encryption secret must be a scalar in [1, n)")
        if not isinstance(self.signing_secret, bytes) or len(self.signing_secret) != 32 \
                or not 0 < int.from_bytes(self.signing_secret, "big") < N:
            raise InvalidEncoding("signing secret must be 32 bytes encoding a scalar in [1, n)")
        if self.fingerprint is not None and (not isinstance(self.fingerprint, bytes)
                                             or len(self.fingerprint) != 32):
            raise InvalidEncoding("fingerprint must be 32 bytes")

    def __repr__(self) -> str:  # never print secrets
        return f"TrusteeSecrets(index={self.index}, <secret>)"

    @property
    def encryption_key(self) -> Point:
        return base_mult(self.encryption_secret)

    def with_polynomial(self, fingerprint: bytes, polynomial: tuple[int, ...]) -> TrusteeSecrets:
        return replace(self, fingerprint=fingerprint, polynomial=polynomial, share=None)

    def with_share(self, share: int) -> TrusteeSecrets:
        return replace(self, share=share)

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "encryption_secret": scalar_to_bytes(self.encryption_secret).hex(),
            "signing_secret": self.signing_secret.hex(),
            "fingerprint": None if self.fingerprint is None else self.fingerprint.hex(),
            "polynomial": [scalar_to_bytes(a).hex() for a in self.polynomial],
            "share": None if self.share is None else scalar_to_bytes(self.share).hex(),
        }

    @classmethod
    def from_json(cls, data: object) -> TrusteeSecrets:
        obj = json_object(data, {"index", "encryption_secret", "signing_secret", "fingerprint",
                                 "polynomial", "share"}, "trustee key")
        fp, share = obj["fingerprint"], obj["share"]
        return cls(
            index=json_int(obj["index"], "trustee index", 1, 10_000),
            encryption_secret=json_scalar(obj["encryption_secret"], "encryption secret", nonzero=True),
            signing_secret=json_bytes(obj["signing_secret"], "signing secret", 32),
            fingerprint=None if fp is None else json_bytes(fp, "fingerprint", 32),
            polynomial=tuple(json_scalar(a, "polynomial coefficient")
                             for a in json_list(obj["polynomial"], "polynomial")),
            share=None if share is None else json_scalar(share, "share"),
        )


def generate_trustee(index: int, rng: ScalarSource = random_scalar) -> TrusteeSecrets:
    """Fresh long-term keys for trustee ``index``: an ECIES encryption key and a BIP-340 signing key."""
    return TrusteeSecrets(index=index, encryption_secret=rng(), signing_secret=scalar_to_bytes(rng()))


# --- key files ------------------------------------------------------------------------------
def _canonical(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _scrypt_keys(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 2**20
    master = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=32)
    return derive_keys(encode(master), "keyfile", extra=32)


def _aad(salt: bytes, n: int, r: int, p: int) -> bytes:
    return encode(KEYFILE_FORMAT, SEALED, salt, n, r, p)


def dump_keyfile(secrets: TrusteeSecrets, passphrase: str | None = None, *,
                 scrypt_n: int = DEFAULT_SCRYPT_N, salt: bytes | None = None) -> str:
    """The key file text; encrypted when a passphrase is given (an empty passphrase is refused)."""
    key = secrets.to_json()
    if passphrase is None:
        return json.dumps({"format": KEYFILE_FORMAT, "encryption": "none", "key": key}, indent=2)
    if not passphrase:
        raise WrongPassphrase("refusing to encrypt a key file with an empty passphrase")
    salt = _secrets.token_bytes(16) if salt is None else salt
    r, p = 8, 1
    _check_kdf(salt, scrypt_n, r, p)
    keys = _scrypt_keys(passphrase, salt, scrypt_n, r, p)
    ciphertext, tag = seal(keys[:64], _canonical(key), _aad(salt, scrypt_n, r, p))
    return json.dumps({
        "format": KEYFILE_FORMAT, "encryption": SEALED,
        "kdf": {"salt": salt.hex(), "n": scrypt_n, "r": r, "p": p},
        "check": keys[64:96].hex(), "ciphertext": ciphertext.hex(), "tag": tag.hex(),
    }, indent=2)


def _check_kdf(salt: bytes, n: int, r: int, p: int) -> None:
    if not 16 <= len(salt) <= 64:
        raise CorruptKeyFile("scrypt salt must be 16 to 64 bytes")
    if n < 2**10 or n > 2**20 or n & (n - 1):
        raise CorruptKeyFile("scrypt n must be a power of two between 2^10 and 2^20")
    if not (1 <= r <= 32 and 1 <= p <= 16):
        raise CorruptKeyFile("scrypt r must be in [1, 32] and p in [1, 16]")
    if 128 * r * n > _SCRYPT_MAX_BYTES:
        raise CorruptKeyFile("scrypt parameters would need more than 512 MiB of memory")


def load_keyfile(text: str | bytes, passphrase: str | None = None) -> TrusteeSecrets:
    """Parse (and decrypt) a key file; raises :class:`WrongPassphrase` or :class:`CorruptKeyFile`."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise CorruptKeyFile("key file is not valid JSON") from exc
    if not isinstance(data, dict) or data.get("format") != KEYFILE_FORMAT:
        raise CorruptKeyFile(f"not a {KEYFILE_FORMAT} key file")
    try:
        if data.get("encryption") == "none":
            obj = json_object(data, {"format", "encryption", "key"}, "key file")
            return TrusteeSecrets.from_json(obj["key"])
        if data.get("encryption") != SEALED:
            raise CorruptKeyFile("unknown key file encryption")
        obj = json_object(data, {"format", "encryption", "kdf", "check", "ciphertext", "tag"}, "key file")
        kdf = json_object(obj["kdf"], {"salt", "n", "r", "p"}, "key file kdf")
        salt = json_bytes(kdf["salt"], "salt")
        n, r, p = (json_int(kdf[x], f"scrypt {x}", 1, 2**20) for x in ("n", "r", "p"))
        _check_kdf(salt, n, r, p)
        check = json_bytes(obj["check"], "check", 32)
        ciphertext = json_bytes(obj["ciphertext"], "ciphertext")
        tag = json_bytes(obj["tag"], "tag", 32)
    except CorruptKeyFile:
        raise
    except CryptoError as exc:  # InvalidEncoding, InvalidScalar, ... from a field
        raise CorruptKeyFile(f"malformed key file: {exc}") from exc
    if not passphrase:
        raise WrongPassphrase("key file is encrypted: a passphrase is needed")
    keys = _scrypt_keys(passphrase, salt, n, r, p)
    if not hmac.compare_digest(keys[64:96], check):
        raise WrongPassphrase("wrong passphrase for this key file (or its kdf parameters were altered)")
    try:
        plaintext = unseal(keys[:64], ciphertext, tag, _aad(salt, n, r, p))
    except SealError as exc:
        raise CorruptKeyFile("key file was altered: its authentication tag does not verify") from exc
    try:
        inner = json.loads(plaintext)
    except ValueError as exc:  # cannot happen unless the writer was broken
        raise CorruptKeyFile("decrypted key is not valid JSON") from exc
    try:
        return TrusteeSecrets.from_json(inner)
    except CryptoError as exc:
        raise CorruptKeyFile(f"malformed key: {exc}") from exc
