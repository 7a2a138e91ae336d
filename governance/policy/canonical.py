"""RFC 8785 (JSON Canonicalization Scheme) bytes and SHA-256 hashes of JSON documents.

Every hash over a proposal version, a policy version or an agreement is taken over these bytes, so
anyone can recompute it with any RFC 8785 implementation. Floats are refused: their text form is
not something two implementations agree on, and no document of ours needs them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def _refuse_floats(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in canonical documents; use a decimal string")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_floats(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_floats(item, f"{path}[{index}]")


def canonical_bytes(value: Any) -> bytes:
    _refuse_floats(value)
    return rfc8785.dumps(value)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
