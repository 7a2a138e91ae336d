"""Hashing of audit entries (pure: used by the service and by ``dataguild audit verify``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from governance.audit.models import GENESIS_HASH


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: stable bytes for hashing (values are str/int/bool/None/lists/dicts)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:  # SQLite returns naive datetimes: they were written as UTC
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_payload(*, seq: int, created_at: datetime, actor_id: int | None, actor_label: str,
                  action: str, subject_type: str, subject_id: str, details: dict) -> dict[str, Any]:
    return {
        "seq": seq,
        "created_at": _timestamp(created_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details,
    }


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(payload)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(entries: Iterable[Any]) -> list[ChainBreak]:
    """Recompute the chain over entries ordered by seq; return every break found ([] = intact)."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            breaks.append(ChainBreak(e.seq, f"expected entry #{expected_seq}, found #{e.seq} (entry missing)"))
        if e.prev_hash != expected_prev:
            breaks.append(ChainBreak(e.seq, "previous-hash link does not match the preceding entry"))
        payload = entry_payload(seq=e.seq, created_at=e.created_at, actor_id=e.actor_id,
                                actor_label=e.actor_label, action=e.action, subject_type=e.subject_type,
                                subject_id=e.subject_id, details=e.details)
        recomputed = entry_hash(e.prev_hash, payload)
        if recomputed != e.entry_hash:
            breaks.append(ChainBreak(e.seq, "entry content does not match its hash (edited)"))
        expected_prev = e.entry_hash
        expected_seq = e.seq + 1
    return breaks
