"""Hashing of audit entries (pure: used by the service, the views and ``dataguild audit verify``).

``entry_hash = SHA-256( prev_hash as 64 ASCII hex chars || canonical JSON of the entry payload )``
where the payload is the object built by :func:`entry_payload` and canonical JSON means sorted keys,
no whitespace, UTF-8, non-ASCII characters unescaped. docs/operations-audit.md specifies it for
people who want to write their own verifier.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from governance.audit.models import GENESIS_HASH

#: Integers in details stay exact in every JSON implementation (JavaScript included) below 2**53.
MAX_SAFE_INT = 2**53 - 1
#: Detail keys that look like credentials are refused: the log is public.
_SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "privkey", "otp"})
_KEY_SPLIT = re.compile(r"[^a-z0-9]+")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: stable bytes for hashing (values are str/int/bool/None/lists/dicts)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def utc(when: datetime) -> datetime:
    """``when`` as an aware UTC datetime. Naive values are taken as UTC (SQLite returns them so)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def timestamp(when: datetime) -> str:
    """The hashed form of a time: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (microseconds: what both
    SQLite and PostgreSQL keep)."""
    return utc(when).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_json(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError(f"audit details {path}: integer {value} is too large (write it as text)")
        return
    if isinstance(value, float):
        raise ValueError(f"audit details {path}: floats are not allowed (their text form is not canonical); "
                         "use an integer or a string")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"audit details {path}: keys must be strings, not {key!r}")
            words = set(_KEY_SPLIT.split(key.lower()))
            if words & _SECRET_WORDS or "private_key" in key.lower():
                raise ValueError(f"audit details {path}.{key}: the audit log is public and must never hold "
                                 "secrets (passwords, tokens, keys)")
            _check_json(item, f"{path}.{key}")
        return
    raise ValueError(f"audit details {path}: {type(value).__name__} is not a JSON value")


def clean_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Validated details, in the exact form the database gives back (tuples become lists)."""
    details = {} if details is None else details
    if not isinstance(details, dict):
        raise ValueError("audit details must be a dict")
    _check_json(details, "details")
    return json.loads(canonical_json(details))


def entry_payload(*, seq: int, created_at: datetime, actor_id: int | None, actor_label: str,
                  action: str, subject_type: str, subject_id: str, details: dict) -> dict[str, Any]:
    return {
        "seq": seq,
        "created_at": timestamp(created_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details,
    }


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(payload)).hexdigest()


def payload_of(entry: Any) -> dict[str, Any]:
    """The hashed payload of a stored entry (an ``AuditEntry`` or a row with the same attributes)."""
    return entry_payload(seq=entry.seq, created_at=entry.created_at, actor_id=entry.actor_id,
                         actor_label=entry.actor_label, action=entry.action, subject_type=entry.subject_type,
                         subject_id=entry.subject_id, details=entry.details)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry #{self.seq}: {self.reason}"


def verify_chain(entries: Iterable[Any]) -> list[ChainBreak]:
    """Recompute the chain over entries ordered by seq; return every break found ([] = intact).

    An edited entry breaks only itself (its stored hash no longer matches its content); an edited
    hash also breaks the next entry's link; a deleted entry shows as a gap and a broken link; an
    inserted one as a duplicate/out-of-order seq or a broken link.
    """
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            if e.seq > expected_seq:
                missing = (f"#{expected_seq}" if e.seq == expected_seq + 1
                           else f"#{expected_seq}–#{e.seq - 1}")
                breaks.append(ChainBreak(e.seq, f"entries {missing} are missing (deleted)"
                                         if e.seq > expected_seq + 1 else f"entry {missing} is missing (deleted)"))
            else:
                breaks.append(ChainBreak(e.seq, f"out of sequence after #{expected_seq - 1} (inserted)"))
        if e.prev_hash != expected_prev:
            breaks.append(ChainBreak(e.seq, "its link to the preceding entry does not match that entry's hash"))
        try:
            recomputed = entry_hash(e.prev_hash, payload_of(e))
        except (TypeError, ValueError, AttributeError) as exc:  # e.g. a time or details edited into garbage
            recomputed = f"unhashable: {exc}"
        if recomputed != e.entry_hash:
            breaks.append(ChainBreak(e.seq, "its content does not match its hash (edited)"))
        expected_prev = e.entry_hash
        expected_seq = e.seq + 1
    return breaks
