"""The policy store: the dataset catalogue, the hash-chained policy versions and approved agreements
(the agreement services are in :mod:`governance.policy.agreements`).

Services flush and never commit (the caller commits once); every change is audit-logged in the same
transaction. Enacting reads the current version only after taking the audit head lock, so two
enactments cannot both build on the same version and fork the chain (see ``governance.audit.services``).

Version hash (recomputable by anyone with an RFC 8785 implementation)::

    document_hash = SHA-256(JCS({"line", "number", "document", "previous_hash", "proposal_id",
                                "election_id", "election_record_hash", "adopted_at"}))

with ``adopted_at`` written ``YYYY-MM-DDTHH:MM:SSZ`` (stored times are whole seconds for that reason)
and ``null`` for a missing proposal or election. The cooperative signs each version with its BLS key
over :func:`policy_version_message` (``dataguild-policy-version-v1:{line}:{number}:{document_hash}``);
the public key is served at ``/.well-known/dataguild-keys.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.audit.services import lock_head, record_event
from governance.members.models import Member, Role
from governance.policy import actions as _actions  # noqa: F401  (registers the audit action descriptions)
from governance.policy import webhook_events
from governance.policy.canonical import sha256_hex
from governance.policy.models import Dataset, PolicyVersion
from governance.policy.terms.bodies import DataUseRuleBody, PayoutFormula, Rule
from governance.policy.terms.parsing import from_json
from governance.policy.terms.ruleset import apply_changes
from governance.signing import site_keys
from governance.sitecontext import as_utc

DATA_USE = "data_use"
PAYOUT = "payout"
LINE_LABELS = {DATA_USE: "data-use policy", PAYOUT: "payout policy"}

#: Same shape as rule ids: short, lower-case, safe in URLs and in ODRL target IRIs. "*" is reserved
#: (it means "every dataset" in rules and deals) and never matches.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_CATEGORY = 80
MAX_REASON = 2000
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

AgreementStatus = Literal["upcoming", "active", "expired", "suspended"]


class PolicyError(ValueError):
    """Bad input or a refused change; nothing was written. ``errors`` maps a field name ("slug",
    "title", "reason", ...) or "" (the whole request) to a sentence for people."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors or {"": message})


class NotPermitted(PolicyError):
    pass


def _now(now: datetime | None) -> datetime:
    return utc(now or datetime.now(UTC))


def _require_steward(actor: Member | None, doing: str) -> None:
    """Stewards and admins keep the catalogue and agreements; ``None`` is the system (CLI, demo)."""
    if actor is not None and not actor.has_role(Role.STEWARD, Role.ADMIN):
        raise NotPermitted(f"Only stewards may {doing}.")


def _insert(session: Session, row: Any, error: PolicyError) -> None:
    """Insert, turning a lost race on a unique column into the same clear error as the check before it."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise error from None


# ---------------------------------------------------------------- the dataset catalogue


def list_datasets(session: Session, *, include_retired: bool = False) -> list[Dataset]:
    stmt = select(Dataset).order_by(Dataset.title, Dataset.slug)
    if not include_retired:
        stmt = stmt.where(Dataset.retired_at.is_(None))
    return list(session.execute(stmt).scalars())


def get_dataset(session: Session, slug: str) -> Dataset | None:
    return session.execute(select(Dataset).where(Dataset.slug == slug)).scalar_one_or_none()


def dataset_slugs(session: Session) -> frozenset[str]:
    """Slugs that new rules and deals may name (retired datasets excluded)."""
    return frozenset(session.execute(select(Dataset.slug).where(Dataset.retired_at.is_(None))).scalars())


def dataset_titles(session: Session) -> dict[str, str]:
    """Every slug's title, retired ones included: old versions and proposals still name them."""
    return dict(session.execute(select(Dataset.slug, Dataset.title)).all())


def _describe_errors(title: str, description: str, category: str) -> dict[str, str]:
    errors = {}
    if not title:
        errors["title"] = "Give the dataset a title, e.g. “Ride logs”."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title must be at most {MAX_TITLE} characters."
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"The description must be at most {MAX_DESCRIPTION} characters."
    if len(category) > MAX_CATEGORY:
        errors["category"] = f"The category must be at most {MAX_CATEGORY} characters."
    return errors


def _slug_error(session: Session, slug: str) -> str | None:
    if not slug:
        return "Give a short name for links and rules, e.g. ride-logs."
    if not SLUG_RE.match(slug):
        return ("Use only lower-case letters, digits and hyphens (e.g. ride-logs), starting with a letter or "
                "digit, at most 64 characters.")
    existing = get_dataset(session, slug)
    if existing is not None:
        retired = " (retired)" if existing.retired_at is not None else ""
        return f"There is already a dataset{retired} with the short name {slug}; short names are never reused."
    return None


def add_dataset(session: Session, *, actor: Member | None, slug: str, title: str, description: str = "",
                category: str = "", now: datetime | None = None) -> Dataset:
    """Add a dataset to the catalogue. Raises :class:`PolicyError` listing every problem (nothing written)."""
    _require_steward(actor, "add datasets to the catalogue")
    slug, title, description, category = (slug or "").strip(), (title or "").strip(), \
        (description or "").strip(), (category or "").strip()
    errors = _describe_errors(title, description, category)
    if (slug_error := _slug_error(session, slug)) is not None:
        errors = {"slug": slug_error, **errors}
    if errors:
        raise PolicyError("The dataset was not added; see the problems next to the fields.", errors)
    when = _now(now)
    dataset = Dataset(slug=slug, title=title, description=description, category=category, created_at=when,
                      created_by_id=actor.id if actor else None)
    _insert(session, dataset, PolicyError("The dataset was not added.", {
        "slug": f"There is already a dataset with the short name {slug}; short names are never reused."}))
    record_event(session, actor=actor, action="dataset.added", subject_type="dataset", subject_id=slug,
                 details={"slug": slug, "title": title, "category": category}, now=when)
    return dataset


def update_dataset(session: Session, dataset: Dataset, *, actor: Member | None, title: str, description: str,
                   category: str, now: datetime | None = None) -> Dataset:
    """Change title, description or category. The slug never changes: rules, deals and adopted
    versions refer to the dataset by it."""
    _require_steward(actor, "edit the dataset catalogue")
    if dataset.retired_at is not None:
        raise PolicyError(f"{dataset.title} is retired and can no longer be edited.")
    title, description, category = (title or "").strip(), (description or "").strip(), (category or "").strip()
    errors = _describe_errors(title, description, category)
    if errors:
        raise PolicyError("The dataset was not saved; see the problems next to the fields.", errors)
    new = {"title": title, "description": description, "category": category}
    changed = sorted(field for field, value in new.items() if getattr(dataset, field) != value)
    if not changed:
        raise PolicyError("Nothing was changed.")
    for field in changed:
        setattr(dataset, field, new[field])
    session.flush()
    record_event(session, actor=actor, action="dataset.updated", subject_type="dataset", subject_id=dataset.slug,
                 details={"slug": dataset.slug, "changed": changed, "title": title, "category": category},
                 now=_now(now))
    return dataset


def retire_dataset(session: Session, dataset: Dataset, *, actor: Member | None, reason: str = "",
                   now: datetime | None = None) -> Dataset:
    """Take a dataset out of the choices for new rules and deals. It stays in the catalogue, because
    adopted versions and agreements keep naming it; rules that name it stay in force until changed."""
    _require_steward(actor, "retire datasets")
    reason = (reason or "").strip()
    if dataset.retired_at is not None:
        raise PolicyError(f"{dataset.title} is already retired.")
    if len(reason) > MAX_REASON:
        raise PolicyError("The reason is too long.", {"reason": f"The reason must be at most {MAX_REASON} characters."})
    when = _now(now)
    dataset.retired_at = when
    session.flush()
    still_named = sorted(rule.id for rule in current_rules(session) if dataset.slug in rule.datasets)
    record_event(session, actor=actor, action="dataset.retired", subject_type="dataset", subject_id=dataset.slug,
                 details={"slug": dataset.slug, "reason": reason, "rules_naming_it": still_named}, now=when)
    return dataset


# ---------------------------------------------------------------- policy versions


def _check_line(line: str) -> None:
    if line not in LINE_LABELS:
        raise ValueError(f"unknown policy line {line!r}; known lines: {', '.join(LINE_LABELS)}")


def hash_timestamp(when: datetime) -> str:
    return utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def version_hash(*, line: str, number: int, document: Mapping[str, Any], previous_hash: str | None,
                 proposal_id: int | None, election_id: int | None, election_record_hash: str | None,
                 adopted_at: datetime) -> str:
    return sha256_hex({"line": line, "number": number, "document": dict(document), "previous_hash": previous_hash,
                       "proposal_id": proposal_id, "election_id": election_id,
                       "election_record_hash": election_record_hash, "adopted_at": hash_timestamp(adopted_at)})


def policy_version_message(line: str, number: int, document_hash: str) -> bytes:
    """What the cooperative's BLS key signs for a policy version (a domain tag, so a signature over
    one kind of record can never pass for another)."""
    return f"dataguild-policy-version-v1:{line}:{number}:{document_hash}".encode()


def agreement_message(agreement_id: int, record_hash: str) -> bytes:
    """What the cooperative's BLS key signs for an agreement (see ``agreements.agreement_record_hash``)."""
    return f"dataguild-agreement-v1:{agreement_id}:{record_hash}".encode()


def _sign(session: Session, message: bytes) -> tuple[str, str]:
    """(signature, public key) of the site's BLS key over ``message``. Without a key file nothing is
    enacted: an unsigned version could not be told from a forged one."""
    keys = site_keys(session)
    return keys.sign_bls(message), keys.bls_public_hex


def _check_election(election_id: int | None, election_record_hash: str | None) -> None:
    if election_id is not None and (not isinstance(election_id, int) or isinstance(election_id, bool)
                                    or election_id < 1):
        raise PolicyError("The election reference must be a positive integer.")
    if election_record_hash is not None:
        if not isinstance(election_record_hash, str) or not HEX64_RE.match(election_record_hash):
            raise PolicyError("The election record hash must be 64 lower-case hexadecimal characters (SHA-256).")
        if election_id is None:
            raise PolicyError("An election record hash needs the election it belongs to.")


def current_policy_version(session: Session, line: str) -> PolicyVersion | None:
    _check_line(line)
    stmt = select(PolicyVersion).where(PolicyVersion.line == line).order_by(PolicyVersion.number.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def list_policy_versions(session: Session, line: str) -> list[PolicyVersion]:
    """Every version of ``line``, newest first."""
    _check_line(line)
    stmt = select(PolicyVersion).where(PolicyVersion.line == line).order_by(PolicyVersion.number.desc())
    return list(session.execute(stmt).scalars())


def get_policy_version(session: Session, line: str, number: int) -> PolicyVersion | None:
    _check_line(line)
    stmt = select(PolicyVersion).where(PolicyVersion.line == line, PolicyVersion.number == number)
    return session.execute(stmt).scalar_one_or_none()


def rules_of(version: PolicyVersion) -> tuple[Rule, ...]:
    return tuple(from_json(Rule, rule) for rule in version.document["rules"])


def data_use_version_at(session: Session, when: datetime) -> PolicyVersion | None:
    """The data-use version in force at ``when``: the last one adopted at or before it. Compared in
    Python, so that SQLite's zone-less timestamps and PostgreSQL's agree."""
    rows = session.execute(select(PolicyVersion.id, PolicyVersion.number, PolicyVersion.adopted_at)
                           .where(PolicyVersion.line == DATA_USE)).all()
    adopted = [(row.number, row.id) for row in rows if as_utc(row.adopted_at) <= as_utc(when)]
    return session.get(PolicyVersion, max(adopted)[1]) if adopted else None


def rules_in_force_at(session: Session, when: datetime) -> tuple[int, tuple[Rule, ...]] | None:
    """The number and rules of the data-use version in force at ``when`` (None before the first one):
    what binds an agreement at that time (``terms.binding``)."""
    version = data_use_version_at(session, when)
    return (version.number, rules_of(version)) if version is not None else None


def current_rules(session: Session) -> tuple[Rule, ...]:
    """The data-use rules in force (empty before the first enactment)."""
    version = current_policy_version(session, DATA_USE)
    return () if version is None else rules_of(version)


def current_payout_formula(session: Session) -> PayoutFormula | None:
    version = current_policy_version(session, PAYOUT)
    return None if version is None else from_json(PayoutFormula, version.document["formula"])


def _check_proposal_id(proposal_id: int | None) -> None:
    if proposal_id is not None and (not isinstance(proposal_id, int) or isinstance(proposal_id, bool)
                                    or proposal_id < 1):
        raise PolicyError("The proposal reference must be a positive integer.")


def _append_version(session: Session, *, line: str, document: dict[str, Any], actor: Member | None,
                    proposal_id: int | None, election_id: int | None, election_record_hash: str | None,
                    now: datetime | None, details: Mapping[str, Any]) -> PolicyVersion:
    """The next version of ``line``, hashed into the chain and signed. The caller holds the audit head
    lock (taken before it read the current version it built ``document`` from)."""
    if proposal_id is not None and session.execute(select(PolicyVersion.id).where(
            PolicyVersion.line == line, PolicyVersion.proposal_id == proposal_id)).first() is not None:
        raise PolicyError(f"Proposal {proposal_id} has already been enacted in the {LINE_LABELS[line]}.")
    current = current_policy_version(session, line)
    number = 1 if current is None else current.number + 1
    previous_hash = None if current is None else current.document_hash
    adopted_at = _now(now).replace(microsecond=0)  # the hash covers whole seconds
    digest = version_hash(line=line, number=number, document=document, previous_hash=previous_hash,
                          proposal_id=proposal_id, election_id=election_id,
                          election_record_hash=election_record_hash, adopted_at=adopted_at)
    signature, signing_key = _sign(session, policy_version_message(line, number, digest))
    version = PolicyVersion(line=line, number=number, document=document, document_hash=digest,
                            previous_hash=previous_hash, proposal_id=proposal_id, election_id=election_id,
                            election_record_hash=election_record_hash, signature=signature,
                            signing_key=signing_key, adopted_at=adopted_at, created_by_id=actor.id if actor else None)
    _insert(session, version, PolicyError(f"Another version of the {LINE_LABELS[line]} was enacted at the same "
                                          "moment; try again."))
    record_event(session, actor=actor, action="policy.version_enacted", subject_type="policy_version",
                 subject_id=f"{line}/{number}",
                 details={"line": line, "number": number, "document_hash": digest, "previous_hash": previous_hash,
                          "proposal_id": proposal_id, "election_id": election_id,
                          "election_record_hash": election_record_hash, "signing_key": signing_key, **details},
                 now=adopted_at)
    webhook_events.version_adopted(session, version)
    return version


def enact_rule_changes(session: Session, *, actor: Member | None, body: DataUseRuleBody, proposal_id: int | None,
                       election_id: int | None = None, election_record_hash: str | None = None,
                       now: datetime | None = None) -> PolicyVersion:
    """The next data-use version: the rules in force with ``body``'s changes applied. Raises
    ``InvalidBody`` when a change names a rule that is not (or already) in force; nothing written."""
    _check_proposal_id(proposal_id)
    _check_election(election_id, election_record_hash)
    lock_head(session)
    rules = apply_changes(current_rules(session), body)
    changes = [{"op": change["op"], "rule_id": change.get("rule_id") or change["rule"]["id"]}
               for change in body.to_json()["changes"]]
    return _append_version(session, line=DATA_USE, document={"rules": [rule.to_json() for rule in rules]},
                           actor=actor, proposal_id=proposal_id, election_id=election_id,
                           election_record_hash=election_record_hash, now=now, details={"changes": changes})


def enact_payout_formula(session: Session, *, actor: Member | None, formula: PayoutFormula,
                         proposal_id: int | None, election_id: int | None = None,
                         election_record_hash: str | None = None, now: datetime | None = None) -> PolicyVersion:
    """The next payout version: ``formula`` (the alternative members chose) replaces the one in force."""
    _check_proposal_id(proposal_id)
    _check_election(election_id, election_record_hash)
    lock_head(session)
    document = {"formula": formula.to_json()}
    return _append_version(session, line=PAYOUT, document=document, actor=actor, proposal_id=proposal_id,
                           election_id=election_id, election_record_hash=election_record_hash, now=now,
                           details={"label": document["formula"]["label"], "method": document["formula"]["method"]})
