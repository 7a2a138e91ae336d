"""Hashing: one length-prefixed encoding, SHA-256, and hash-to-scalar (RFC 9380 expand_message_xmd).

Encoding (``encode``) — every item is ``tag (1 byte) || length (4 bytes, big-endian) || payload``:

====  =========  ==========================================================================
tag   type       payload
====  =========  ==========================================================================
0x01  bytes      the bytes
0x02  str        UTF-8 bytes
0x03  int        two's-complement big-endian, minimal length (0 -> one zero byte)
0x04  Point      33-byte SEC1 compressed; the identity is the single byte 0x00
0x05  sequence   the concatenated encodings of its items (list or tuple; nesting allowed)
====  =========  ==========================================================================

``encode(a, b, c)`` is the concatenation of the encodings of ``a``, ``b`` and ``c``. Because every
item carries its type and length, no two different item lists encode to the same bytes.

Hash-to-scalar: ``expand_message_xmd(encode(*items), DST, 48)`` with SHA-256, read big-endian and
reduced mod n (48 bytes = 384 bits, so the bias is below 2^-128, as RFC 9380 hash_to_field does).
Every use has its own domain-separation tag built by :func:`dst`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

from .group import GROUP_NAME, N, Point

#: Protocol version hashed into every challenge and every domain tag.
PROTOCOL_VERSION = "dataguild-ballot-v1"

_TAG_BYTES, _TAG_STR, _TAG_INT, _TAG_POINT, _TAG_SEQ = 1, 2, 3, 4, 5

Encodable = bytes | str | int | Point | Sequence["Encodable"]


@lru_cache(maxsize=256)
def dst(purpose: str) -> bytes:
    """Domain-separation tag for one use, e.g. ``dst("proof/disjunctive")``.

    ``DATAGUILD-V1-SECP256K1_XMD:SHA-256_<purpose>`` (ASCII, at most 255 bytes as RFC 9380 requires).
    """
    tag = f"DATAGUILD-V1-{GROUP_NAME.upper()}_XMD:SHA-256_{purpose}".encode("ascii")
    if len(tag) > 255:
        raise ValueError("domain-separation tag longer than 255 bytes")
    return tag


def _frame(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + len(payload).to_bytes(4, "big") + payload


# Frame headers of a point's encoding, indexed by y's parity (tag, length 33, SEC1 prefix).
_POINT_HEAD = (b"\x04\x00\x00\x00\x21\x02", b"\x04\x00\x00\x00\x21\x03")
_IDENTITY_ITEM = b"\x04\x00\x00\x00\x01\x00"


def _encode_into(item: Encodable, out: list[bytes]) -> None:
    """Append the encoding of ``item`` to ``out``.

    The common types are dispatched on their exact type first (the challenge of every proof of
    every ballot goes through here, so this is on the verifier's hot path); anything else —
    subclasses, booleans, unsupported types — takes the general path of :func:`_encode_slow`.
    """
    t = type(item)
    if t is Point:
        x = item.x  # type: ignore[union-attr]
        if x is None:
            out.append(_IDENTITY_ITEM)
        else:
            out.append(_POINT_HEAD[item.y & 1] + x.to_bytes(32, "big"))  # type: ignore[union-attr,operator]
    elif t is list or t is tuple:
        sub: list[bytes] = []
        for x in item:  # type: ignore[union-attr]
            _encode_into(x, sub)
        payload = b"".join(sub)
        out.append(b"\x05" + len(payload).to_bytes(4, "big") + payload)
    elif t is int:
        length = max(1, (item.bit_length() + 8) // 8)  # type: ignore[union-attr]
        out.append(b"\x03" + length.to_bytes(4, "big") + item.to_bytes(length, "big", signed=True))  # type: ignore[union-attr]
    elif t is str:
        raw = item.encode("utf-8")  # type: ignore[union-attr]
        out.append(b"\x02" + len(raw).to_bytes(4, "big") + raw)
    elif t is bytes:
        out.append(b"\x01" + len(item).to_bytes(4, "big") + item)  # type: ignore[arg-type,operator]
    else:
        out.append(_encode_slow(item))


def _encode_slow(item: Encodable) -> bytes:
    if isinstance(item, Point):
        payload = b"\x00" if item.is_identity else item.to_bytes()
        return _frame(_TAG_POINT, payload)
    if isinstance(item, bytes | bytearray):
        return _frame(_TAG_BYTES, bytes(item))
    if isinstance(item, str):
        return _frame(_TAG_STR, item.encode("utf-8"))
    if isinstance(item, bool):
        raise TypeError("booleans are not encodable; use 0/1")
    if isinstance(item, int):
        length = max(1, (item.bit_length() + 8) // 8)
        return _frame(_TAG_INT, item.to_bytes(length, "big", signed=True))
    if isinstance(item, list | tuple):
        return _frame(_TAG_SEQ, b"".join(encode_item(x) for x in item))
    raise TypeError(f"cannot encode {type(item).__name__}")


def encode_item(item: Encodable) -> bytes:
    out: list[bytes] = []
    _encode_into(item, out)
    return out[0]


def encode(*items: Encodable) -> bytes:
    out: list[bytes] = []
    for x in items:
        _encode_into(x, out)
    return b"".join(out)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def expand_message_xmd(msg: bytes, dst_tag: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-256 (b_in_bytes = 32, s_in_bytes = 64)."""
    b_in_bytes, s_in_bytes = 32, 64
    ell = -(-len_in_bytes // b_in_bytes)
    if ell > 255 or len_in_bytes > 65535 or len(dst_tag) > 255:
        raise ValueError("expand_message_xmd: requested length or DST too long")
    dst_prime = dst_tag + bytes([len(dst_tag)])
    z_pad = bytes(s_in_bytes)
    l_i_b_str = len_in_bytes.to_bytes(2, "big")
    b0 = hashlib.sha256(z_pad + msg + l_i_b_str + b"\x00" + dst_prime).digest()
    b_prev = hashlib.sha256(b0 + b"\x01" + dst_prime).digest()
    out = [b_prev]
    b0_int = int.from_bytes(b0, "big")
    for i in range(2, ell + 1):
        xored = (b0_int ^ int.from_bytes(b_prev, "big")).to_bytes(32, "big")
        b_prev = hashlib.sha256(xored + bytes([i]) + dst_prime).digest()
        out.append(b_prev)
    return b"".join(out)[:len_in_bytes]


def hash_to_scalar(dst_tag: bytes, *items: Encodable) -> int:
    """A scalar in [0, n) from the encoded items under one domain-separation tag."""
    uniform = expand_message_xmd(encode(*items), dst_tag, 48)
    return int.from_bytes(uniform, "big") % N


@lru_cache(maxsize=64)
def _challenge_prefix(fingerprint: bytes) -> bytes:
    return encode(PROTOCOL_VERSION, GROUP_NAME, fingerprint)


def challenge(purpose: str, fingerprint: bytes, position: Sequence[Encodable],
              statement: Sequence[Encodable], commitments: Sequence[Encodable]) -> int:
    """The strong Fiat–Shamir challenge every proof uses.

    Hashes protocol version, group, election fingerprint, position (e.g. ballot reference,
    question index, option index), the whole statement and all commitments, under the
    proof type's own domain tag: ``hash_to_scalar(dst(purpose), PROTOCOL_VERSION, GROUP_NAME,
    fingerprint, list(position), list(statement), list(commitments))``.
    """
    prefix = _challenge_prefix(fingerprint) if type(fingerprint) is bytes else encode(
        PROTOCOL_VERSION, GROUP_NAME, fingerprint)
    msg = prefix + encode(list(position), list(statement), list(commitments))
    return int.from_bytes(expand_message_xmd(msg, dst(purpose), 48), "big") % N
