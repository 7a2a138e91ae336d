"""IETF BLS signatures (draft-irtf-cfrg-bls-signature, proof-of-possession scheme) via py-ecc.

The cooperative signs tree heads with one BLS key; the trustees co-sign a result with an aggregate
signature checked by :func:`fast_aggregate_verify` — safe against rogue keys because every
trustee's key comes with a proof of possession (:func:`pop_prove` / :func:`pop_verify`) that is
checked when the key is registered.

Ciphersuite: ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`` (public keys in G1, 48 bytes
compressed; signatures in G2, 96 bytes compressed); proofs of possession use
``BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``. These are exactly py-ecc's
``G2ProofOfPossession`` (the scheme Ethereum uses). Keys, signing and aggregation are py-ecc's; verification
gives py-ecc's answers with the endomorphism-based hash-to-G2 cofactor clearing and G2 subgroup
check of :mod:`voting.crypto.g2` (RFC 9380 G.3, Scott's test), which tests/voting/crypto/test_g2.py
proves equal to py-ecc's on valid and invalid points.

JSON: public keys, signatures and proofs are lowercase hex strings of their compressed encodings;
:meth:`BlsPublicKey.from_hex` and :meth:`BlsSignature.from_hex` reject wrong lengths, points not on
the curve, not in the subgroup, and (for keys) the identity. Verification functions return ``None``
or raise :class:`InvalidSignature`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from py_ecc.bls import G2ProofOfPossession as _Scheme
from py_ecc.bls.g2_primitives import BLSPubkey, BLSSignature, is_inf, signature_to_G2
from py_ecc.optimized_bls12_381 import curve_order as BLS_ORDER

from . import bls_fast, g2
from .bls_fast import PUBLIC_KEY_SIZE, SIGNATURE_SIZE
from .errors import InvalidEncoding, InvalidSignature

SECRET_KEY_SIZE = 32
CIPHERSUITE = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
_LOWER_HEX = re.compile(r"(?:[0-9a-f]{2})*")


def hex_bytes(text: object, size: int, what: str) -> bytes:
    """``text`` as bytes: lowercase hex of exactly ``size`` bytes, else :class:`InvalidEncoding`."""
    if not isinstance(text, str) or not _LOWER_HEX.fullmatch(text):
        raise InvalidEncoding(f"{what} must be a lowercase hex string")
    raw = bytes.fromhex(text)
    if len(raw) != size:
        raise InvalidEncoding(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class BlsSecretKey:
    """A BLS secret key: an integer in [1, r) where r is the BLS12-381 group order."""

    value: int

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or not 0 < self.value < BLS_ORDER:
            raise InvalidEncoding("BLS secret key must be an integer in [1, r)")

    def __repr__(self) -> str:  # never print the secret
        return "BlsSecretKey(<secret>)"

    def to_hex(self) -> str:
        return self.value.to_bytes(SECRET_KEY_SIZE, "big").hex()

    @classmethod
    def from_hex(cls, text: object) -> BlsSecretKey:
        return cls(int.from_bytes(hex_bytes(text, SECRET_KEY_SIZE, "BLS secret key"), "big"))

    def public_key(self) -> BlsPublicKey:
        return BlsPublicKey(_Scheme.SkToPk(self.value))


@dataclass(frozen=True, slots=True)
class BlsPublicKey:
    """48-byte compressed G1 point, validated (on curve, in subgroup, not the identity)."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != PUBLIC_KEY_SIZE:
            raise InvalidEncoding(f"BLS public key must be {PUBLIC_KEY_SIZE} bytes")
        if not _Scheme.KeyValidate(BLSPubkey(self.raw)):
            raise InvalidEncoding("BLS public key is not a valid G1 point of the subgroup (or is the identity)")

    def to_hex(self) -> str:
        return self.raw.hex()

    @classmethod
    def from_hex(cls, text: object) -> BlsPublicKey:
        return cls(hex_bytes(text, PUBLIC_KEY_SIZE, "BLS public key"))


@dataclass(frozen=True, slots=True)
class BlsSignature:
    """96-byte compressed G2 point, validated (on curve, in the subgroup). Also used for PoPs."""

    raw: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != SIGNATURE_SIZE:
            raise InvalidEncoding(f"BLS signature must be {SIGNATURE_SIZE} bytes")
        try:
            point = signature_to_G2(BLSSignature(self.raw))
        except (ValueError, AssertionError) as exc:  # py-ecc's ValidationError is a ValueError
            raise InvalidEncoding(f"BLS signature is not a valid G2 point: {exc}") from exc
        if not is_inf(point) and not g2.in_subgroup(point):  # = py-ecc's subgroup_check (test_g2.py)
            raise InvalidEncoding("BLS signature is not in the G2 subgroup")

    def to_hex(self) -> str:
        return self.raw.hex()

    @classmethod
    def from_hex(cls, text: object) -> BlsSignature:
        return cls(hex_bytes(text, SIGNATURE_SIZE, "BLS signature"))


def keygen(seed: bytes, key_info: bytes = b"") -> BlsSecretKey:
    """IETF ``KeyGen(IKM, key_info)``; the seed (IKM) must have at least 32 bytes of entropy."""
    if not isinstance(seed, bytes) or len(seed) < 32:
        raise InvalidEncoding("BLS key seed must be at least 32 bytes")
    return BlsSecretKey(_Scheme.KeyGen(seed, key_info))


def _check_message(msg: object) -> bytes:
    if not isinstance(msg, bytes | bytearray):
        raise InvalidSignature("BLS message must be bytes")
    return bytes(msg)


def sign(secret: BlsSecretKey, msg: bytes) -> BlsSignature:
    msg = _check_message(msg)
    return BlsSignature(_Scheme.Sign(secret.value, msg))


def verify(public: BlsPublicKey, msg: bytes, sig: BlsSignature) -> None:
    msg = _check_message(msg)
    if not bls_fast.verify_one(public.raw, msg, sig.raw, _Scheme.DST):
        raise InvalidSignature("BLS signature does not verify for this key and message")


def aggregate(sigs: Sequence[BlsSignature]) -> BlsSignature:
    if not sigs:
        raise InvalidSignature("cannot aggregate an empty list of BLS signatures")
    return BlsSignature(_Scheme.Aggregate([BLSSignature(s.raw) for s in sigs]))


def fast_aggregate_verify(publics: Sequence[BlsPublicKey], msg: bytes, sig: BlsSignature) -> None:
    """All ``publics`` signed the same ``msg``. Every key's PoP must have been checked beforehand."""
    msg = _check_message(msg)
    if not publics:
        raise InvalidSignature("aggregate verification needs at least one public key")
    if len({p.raw for p in publics}) != len(publics):
        raise InvalidSignature("duplicate public key in aggregate verification")
    if not bls_fast.fast_aggregate_verify([p.raw for p in publics], msg, sig.raw):
        raise InvalidSignature("aggregate BLS signature does not verify for these keys and message")


def pop_prove(secret: BlsSecretKey) -> BlsSignature:
    return BlsSignature(_Scheme.PopProve(secret.value))


def pop_verify(public: BlsPublicKey, proof: BlsSignature) -> None:
    if not bls_fast.pop_verify_many([(public.raw, proof.raw)])[0]:
        raise InvalidSignature("BLS proof of possession does not verify for this key")
