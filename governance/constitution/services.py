"""Reading and amending the constitution. Services flush only; the caller commits once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import canonical_json
from governance.audit.models import AuditEntry
from governance.audit.services import Actor, lock_head, record_event
from governance.constitution.models import ConstitutionRule, ConstitutionVersion
from governance.constitution.rules import (
    DEFAULTS,
    KINDS,
    LATER_KINDS,
    Change,
    InvalidChanges,
    KindRules,
    diff,
    validate_changes,
)

MAX_REASON_LENGTH = 2000


class ConstitutionNotSeeded(LookupError):
    """No version exists yet: run ``dataguild constitution seed`` (the demo does)."""

    def __init__(self) -> None:
        super().__init__("the constitution has not been adopted yet; run `dataguild constitution seed`")


def snapshot_hash(snapshot: Mapping[str, KindRules]) -> str:
    """SHA-256 of the canonical JSON list of every kind's rules, in kind order. A kind the snapshot
    lacks (a version stored before the kind existed) is left out, so older versions keep their hash."""
    body = [snapshot[kind].to_json() for kind in KINDS if kind in snapshot]
    return hashlib.sha256(canonical_json(body)).hexdigest()


def current_version(session: Session) -> ConstitutionVersion | None:
    stmt = select(ConstitutionVersion).order_by(ConstitutionVersion.number.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def current_constitution(session: Session) -> ConstitutionVersion:
    """The version in force; raises :class:`ConstitutionNotSeeded` if there is none."""
    version = current_version(session)
    if version is None:
        raise ConstitutionNotSeeded()
    return version


def rules_for(session: Session, kind: str) -> KindRules:
    """The current rules for one proposal kind (``ValueError`` for an unknown kind)."""
    if kind not in KINDS:
        raise ValueError(f"unknown proposal kind {kind!r}; known kinds: {', '.join(KINDS)}")
    return current_constitution(session).snapshot()[kind]


def get_version(session: Session, number: int) -> ConstitutionVersion | None:
    return session.execute(
        select(ConstitutionVersion).where(ConstitutionVersion.number == number)).scalar_one_or_none()


def list_versions(session: Session) -> list[ConstitutionVersion]:
    """Every version, newest first."""
    return list(session.execute(
        select(ConstitutionVersion).order_by(ConstitutionVersion.number.desc())).scalars())


def version_changes(session: Session, version: ConstitutionVersion) -> list[Change]:
    """What ``version`` changed compared with the one before it ([] for the first)."""
    previous = get_version(session, version.number - 1)
    return [] if previous is None else diff(previous.snapshot(), version.snapshot())


def _add_version(session: Session, *, number: int, snapshot: Mapping[str, KindRules], actor: Actor | None,
                 reason: str, proposal_id: int | None) -> ConstitutionVersion:
    version = ConstitutionVersion(
        number=number, created_at=datetime.now(UTC), actor_id=actor.id if actor else None,
        actor_label=(actor.name if actor else "system")[:200], reason=reason, proposal_id=proposal_id,
        snapshot_hash=snapshot_hash(snapshot),
        rules=[ConstitutionRule.from_rules(snapshot[kind]) for kind in KINDS])
    session.add(version)
    session.flush()
    return version


def seed_defaults(session: Session, actor: Actor | None = None) -> ConstitutionVersion:
    """Adopt the default constitution as version 1, unless some version exists (then return the
    current one unchanged). Safe to call from several processes at once."""
    lock_head(session)  # serialises with any concurrent seed or amendment (see audit.services)
    existing = current_version(session)
    if existing is not None:
        return existing
    version = _add_version(session, number=1, snapshot=DEFAULTS, actor=actor,
                           reason="Default constitution adopted at founding", proposal_id=None)
    record_event(session, actor=actor, action="constitution.adopted", subject_type="constitution",
                 subject_id=1, details={"version": 1, "snapshot_hash": version.snapshot_hash})
    return version


def amend_constitution(session: Session, actor: Actor | None, changes: Mapping[str, Mapping[str, Any]],
                       reason: str, proposal_id: int | None = None) -> ConstitutionVersion:
    """Create the next version: the current snapshot with ``changes`` (``{kind: {parameter: value}}``)
    applied, logged in the audit log. Raises :class:`InvalidChanges` (nothing written) when a kind,
    parameter, value or the reason is invalid, or when nothing would change."""
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "give a reason for the amendment"
    elif len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = f"the reason must be at most {MAX_REASON_LENGTH} characters"
    if proposal_id is not None and (not isinstance(proposal_id, int) or isinstance(proposal_id, bool)
                                    or proposal_id < 1):
        errors["proposal_id"] = "the proposal reference must be a positive integer"

    lock_head(session)  # read the current version only once no other amendment can be in flight
    current = current_constitution(session)
    old = current.snapshot()
    try:
        new = validate_changes(old, changes)
    except InvalidChanges as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise InvalidChanges(errors)

    version = _add_version(session, number=current.number + 1, snapshot=new, actor=actor, reason=reason,
                           proposal_id=proposal_id)
    record_event(session, actor=actor, action="constitution.amended", subject_type="constitution",
                 subject_id=version.number,
                 details={"version": version.number, "previous_version": current.number,
                          "reason": reason, "proposal_id": proposal_id, "snapshot_hash": version.snapshot_hash,
                          "changes": [c.to_json() for c in diff(old, new)]})
    return version


def verify_versions(session: Session) -> list[str]:
    """Problems with the stored history: numbering gaps, a snapshot that no longer matches its hash, or
    a hash that differs from the one the audit log recorded when the version was adopted."""
    versions = list(reversed(list_versions(session)))
    numbers = {v.number for v in versions}
    problems = [f"version {n} is missing" for n in range(1, max(numbers, default=0) + 1) if n not in numbers]
    logged = {}
    for entry in session.execute(select(AuditEntry).where(
            AuditEntry.action.in_(("constitution.adopted", "constitution.amended")))).scalars():
        logged[entry.subject_id] = entry.details.get("snapshot_hash")
    for version in versions:
        if logged.get(str(version.number)) != version.snapshot_hash:
            problems.append(f"version {version.number} does not match the snapshot hash in the audit log")
        snap = version.stored_snapshot()
        # A version may predate a later kind (read with its defaults); one written since holds every
        # kind, and a row removed from it shows as a hash mismatch.
        missing = set(KINDS) - set(snap) - LATER_KINDS
        if missing:
            problems.append(f"version {version.number} lacks rules for {', '.join(sorted(missing))}")
        elif snapshot_hash(snap) != version.snapshot_hash:
            problems.append(f"version {version.number} was changed after adoption (snapshot hash mismatch)")
    return problems
