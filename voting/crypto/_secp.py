"""Thin bridge to libsecp256k1 through coincurve's cffi bindings (optional accelerator).

Why the raw ``lib`` calls instead of coincurve's ``PublicKey`` objects: for one multiplication the
C work is a few tens of microseconds and coincurve's object layer (validation, copies, new
objects) adds a large share on top. Points cross the boundary as 65-byte uncompressed encodings,
which libsecp256k1 parses with an on-curve check but without a square root.

Only :mod:`.group` calls this module, and only when the ``coincurve`` backend is active; all
inputs are already validated (points on the curve, scalars in [1, n)).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._field import _coincurve

AVAILABLE = _coincurve is not None

if AVAILABLE:
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    _CTX = GLOBAL_CONTEXT.ctx
    _UNCOMPRESSED = lib.SECP256K1_EC_UNCOMPRESSED


def _serialize(pubkey: object) -> tuple[int, int]:
    out = ffi.new("unsigned char[65]")
    out_len = ffi.new("size_t *", 65)
    lib.secp256k1_ec_pubkey_serialize(_CTX, out, out_len, pubkey, _UNCOMPRESSED)
    raw = ffi.buffer(out, 65)[:]
    return int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")


def _parse_xy(x: int, y: int) -> object:
    pubkey = ffi.new("secp256k1_pubkey *")
    data = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    if not lib.secp256k1_ec_pubkey_parse(_CTX, pubkey, data, 65):
        raise ValueError("libsecp256k1 rejected a point that passed validation")
    return pubkey


def decompress(data: bytes) -> tuple[int, int] | None:
    """(x, y) of a 33-byte compressed encoding, or None if x >= p or x is not on the curve."""
    pubkey = ffi.new("secp256k1_pubkey *")
    if not lib.secp256k1_ec_pubkey_parse(_CTX, pubkey, data, 33):
        return None
    return _serialize(pubkey)


def base_mult(k: int) -> tuple[int, int]:
    """k·G for k in [1, n) (libsecp256k1's own precomputed generator table)."""
    pubkey = ffi.new("secp256k1_pubkey *")
    if not lib.secp256k1_ec_pubkey_create(_CTX, pubkey, k.to_bytes(32, "big")):
        raise ValueError("scalar out of range for libsecp256k1")
    return _serialize(pubkey)


def scalar_mult(k: int, x: int, y: int) -> tuple[int, int]:
    """k·(x, y) for k in [1, n) (never the identity: the group has prime order)."""
    pubkey = _parse_xy(x, y)
    if not lib.secp256k1_ec_pubkey_tweak_mul(_CTX, pubkey, k.to_bytes(32, "big")):
        raise ValueError("scalar out of range for libsecp256k1")
    return _serialize(pubkey)


def multi_scalar_mult(scalars: Sequence[int], xs: Sequence[int], ys: Sequence[int]) -> tuple[int, int] | None:
    """Σ k_i·(x_i, y_i) as separate C multiplications and one combine; None for the identity.

    ``secp256k1_ec_pubkey_combine`` fails exactly when the sum is the point at infinity
    (its inputs are valid public keys), which is how a true batch relation ends.
    """
    keys = []
    for k, x, y in zip(scalars, xs, ys, strict=True):
        pubkey = _parse_xy(x, y)
        if not lib.secp256k1_ec_pubkey_tweak_mul(_CTX, pubkey, k.to_bytes(32, "big")):
            raise ValueError("scalar out of range for libsecp256k1")
        keys.append(pubkey)
    out = ffi.new("secp256k1_pubkey *")
    if not lib.secp256k1_ec_pubkey_combine(_CTX, out, keys, len(keys)):
        return None
    return _serialize(out)
