"""BIP-340 Schnorr signatures over secp256k1 (x-only public keys, tagged hashes).

Receipts are signed with these so that any secp256k1 library can check them. The algorithms follow
BIP-340 exactly (https://github.com/bitcoin/bips/blob/master/bip-0340.mediawiki), including
messages of any length (the 2023 revision of the BIP), and are checked against every row of the
official test vectors (``tests/voting/crypto/data/bip340-test-vectors.csv``).

Encodings: secret keys are 32-byte big-endian scalars in [1, n); public keys are the 32-byte
x coordinate of a point with even y; signatures are 64 bytes ``bytes(R.x) || bytes(s)``.

:func:`verify` returns ``None`` on success and raises :class:`InvalidSignature` with the reason
otherwise (malformed keys and signatures included) — it never returns ``False``.
"""

from __future__ import annotations

import hashlib
import secrets

from .errors import InvalidSignature
from .group import IDENTITY, G, N, P, Point, base_mult, lift_x, multi_scalar_mult

SECRET_KEY_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def tagged_hash(tag: str, msg: bytes) -> bytes:
    """``SHA256(SHA256(tag) || SHA256(tag) || msg)``."""
    tag_hash = hashlib.sha256(tag.encode("utf-8")).digest()
    return hashlib.sha256(tag_hash + tag_hash + msg).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _secret_scalar(secret: bytes | int) -> int:
    if isinstance(secret, bytes | bytearray):
        if len(secret) != SECRET_KEY_SIZE:
            raise InvalidSignature(f"secret key must be {SECRET_KEY_SIZE} bytes, got {len(secret)}")
        d = int.from_bytes(secret, "big")
    elif isinstance(secret, int) and not isinstance(secret, bool):
        d = secret
    else:
        raise InvalidSignature("secret key must be 32 bytes or an int")
    if not 0 < d < N:
        raise InvalidSignature("secret key out of range (must be 1 <= d < n)")
    return d


def _x_bytes(point: Point) -> bytes:
    if point.x is None:
        raise InvalidSignature("the point at infinity has no x-only encoding")
    return point.x.to_bytes(32, "big")


def _has_even_y(point: Point) -> bool:
    if point.y is None:
        raise InvalidSignature("the point at infinity has no y coordinate")
    return point.y % 2 == 0


def pubkey_from_secret(secret: bytes | int) -> bytes:
    """The 32-byte x-only public key of a secret key (32 bytes or int in [1, n))."""
    return _x_bytes(base_mult(_secret_scalar(secret)))


def generate_secret() -> bytes:
    """A fresh random secret key from the OS CSPRNG."""
    while True:
        candidate = secrets.token_bytes(SECRET_KEY_SIZE)
        if 0 < int.from_bytes(candidate, "big") < N:
            return candidate


def _pubkey_point(pubkey: bytes) -> Point:
    if not isinstance(pubkey, bytes | bytearray):
        raise InvalidSignature("public key must be bytes")
    if len(pubkey) != PUBLIC_KEY_SIZE:
        raise InvalidSignature(f"public key must be {PUBLIC_KEY_SIZE} bytes, got {len(pubkey)}")
    x = int.from_bytes(pubkey, "big")
    if x >= P:
        raise InvalidSignature("public key x coordinate is not below the field size p")
    try:
        y = lift_x(x)
    except ValueError as exc:
        raise InvalidSignature("public key is not the x coordinate of a point on secp256k1") from exc
    return Point(x, y if y % 2 == 0 else P - y)


def sign(secret: bytes | int, msg: bytes, aux_rand: bytes | None = None) -> bytes:
    """BIP-340 ``Sign(sk, m, a)``; ``msg`` may have any length; ``aux_rand`` is 32 bytes (random if None).

    The signature is verified before it is returned, as BIP-340 recommends.
    """
    if not isinstance(msg, bytes | bytearray):
        raise InvalidSignature("message must be bytes")
    msg = bytes(msg)
    if aux_rand is None:
        aux_rand = secrets.token_bytes(32)
    if not isinstance(aux_rand, bytes | bytearray) or len(aux_rand) != 32:
        raise InvalidSignature("aux_rand must be 32 bytes")
    d0 = _secret_scalar(secret)
    pub = base_mult(d0)
    d = d0 if _has_even_y(pub) else N - d0
    t = _xor(d.to_bytes(32, "big"), tagged_hash("BIP0340/aux", bytes(aux_rand)))
    k0 = int.from_bytes(tagged_hash("BIP0340/nonce", t + _x_bytes(pub) + msg), "big") % N
    if k0 == 0:  # probability 2^-256; BIP-340 says fail
        raise InvalidSignature("nonce is zero; sign again with other aux_rand")
    r_point = base_mult(k0)
    k = k0 if _has_even_y(r_point) else N - k0
    e = _challenge(_x_bytes(r_point), _x_bytes(pub), msg)
    sig = _x_bytes(r_point) + ((k + e * d) % N).to_bytes(32, "big")
    verify(_x_bytes(pub), msg, sig)
    return sig


def _challenge(r_x: bytes, pub_x: bytes, msg: bytes) -> int:
    return int.from_bytes(tagged_hash("BIP0340/challenge", r_x + pub_x + msg), "big") % N


def verify(pubkey: bytes, msg: bytes, sig: bytes) -> None:
    """BIP-340 ``Verify(pk, m, sig)``: return ``None`` or raise :class:`InvalidSignature` with the reason."""
    if not isinstance(msg, bytes | bytearray):
        raise InvalidSignature("message must be bytes")
    if not isinstance(sig, bytes | bytearray) or len(sig) != SIGNATURE_SIZE:
        raise InvalidSignature(f"signature must be {SIGNATURE_SIZE} bytes")
    pub = _pubkey_point(pubkey)
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big")
    if r >= P:
        raise InvalidSignature("signature r is not below the field size p")
    if s >= N:
        raise InvalidSignature("signature s is not below the group order n")
    e = _challenge(sig[:32], bytes(pubkey), bytes(msg))
    r_point = multi_scalar_mult([s, N - e], [G, pub])
    if r_point == IDENTITY:
        raise InvalidSignature("signature does not verify (R is the point at infinity)")
    if not _has_even_y(r_point):
        raise InvalidSignature("signature does not verify (R has odd y)")
    if r_point.x != r:
        raise InvalidSignature("signature does not verify (R.x differs from r)")

