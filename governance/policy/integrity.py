"""Checking the stored policy: every version and agreement intact, linked, logged and signed (an audit check).

``dataguild audit verify`` and the tests call :func:`verify_policy_chain`; nothing here runs on a page view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.models import AuditEntry
from governance.policy.agreements import agreement_problems
from governance.policy.models import Agreement, PolicyVersion
from governance.policy.services import LINE_LABELS, policy_version_message, version_hash
from governance.signing import SESSION_INFO_KEY, site_keys, verify_bls
from voting.crypto.errors import CryptoError


def _logged(session: Session, action: str) -> dict[str, dict[str, Any]]:
    """``subject_id → details`` of the audit entries with ``action``: the hashes as recorded at the time."""
    stmt = select(AuditEntry.subject_id, AuditEntry.details).where(AuditEntry.action == action)
    return {subject_id: details or {} for subject_id, details in session.execute(stmt)}


SignatureCheck = Callable[[str, bytes, str | None, str | None], list[str]]


def _signature_check(session: Session, public_key: str | None) -> SignatureCheck:
    """Checks one stored signature against the cooperative's public key: ``public_key`` if given, else
    the site's own key. A session without the site's keys (an offline copy of the database) checks
    each signature against the key stored with it, and the caller compares that key with the one
    published at ``/.well-known/dataguild-keys.json``."""
    if public_key is None and session.info.get(SESSION_INFO_KEY) is not None:
        public_key = site_keys(session).bls_public_hex

    def check(name: str, message: bytes, signature: str | None, signing_key: str | None) -> list[str]:
        if not signature or not signing_key:
            return [f"{name} is not signed"]
        if public_key is not None and signing_key != public_key:
            return [f"{name} was signed by the key {signing_key[:16]}…, not by the cooperative's key "
                    f"{public_key[:16]}…"]
        try:
            verify_bls(signing_key, message, signature)
        except CryptoError:
            return [f"{name} has a signature that does not verify (the signed record or the signature changed)"]
        return []

    return check


def verify_policy_chain(session: Session, *, check_signatures: bool = True,
                        public_key: str | None = None) -> list[str]:
    """Problems with the stored policy, in plain words ([] when intact): a missing version, a version
    whose hash no longer matches its content (election fields included), a broken link to the previous
    version, a hash that differs from the one the audit log recorded at enactment, an agreement whose
    terms or provenance changed after approval, and (``check_signatures``) a missing signature, one by
    another key or one that does not verify. A BLS verification takes about half a second in pure
    Python: this is an audit check (CLI, tests), never something to run on a page view."""
    problems: list[str] = []
    logged = _logged(session, "policy.version_enacted")
    check = _signature_check(session, public_key) if check_signatures else None
    keys_seen: set[str] = set()
    fresh = {"populate_existing": True}  # check what is stored now, not objects this session loaded earlier
    for line, label in LINE_LABELS.items():
        versions = list(session.execute(select(PolicyVersion).where(PolicyVersion.line == line)
                                        .order_by(PolicyVersion.number).execution_options(**fresh)).scalars())
        numbers = {version.number for version in versions}
        problems += [f"{label} version {n} is missing" for n in range(1, max(numbers, default=0) + 1)
                     if n not in numbers]
        previous_hash: str | None = None
        for version in versions:
            name = f"{label} version {version.number}"
            recomputed = version_hash(line=line, number=version.number, document=version.document,
                                      previous_hash=version.previous_hash, proposal_id=version.proposal_id,
                                      election_id=version.election_id,
                                      election_record_hash=version.election_record_hash,
                                      adopted_at=version.adopted_at)
            if recomputed != version.document_hash:
                problems.append(f"{name} was changed after it was enacted (its hash no longer matches its content)")
            if version.previous_hash != previous_hash:
                problems.append(f"{name} does not link to the version before it (previous hash mismatch)")
            if logged.get(f"{line}/{version.number}", {}).get("document_hash") != version.document_hash:
                problems.append(f"{name} does not match the hash the audit log recorded when it was enacted")
            if check is not None:
                problems += check(name, policy_version_message(line, version.number, version.document_hash),
                                  version.signature, version.signing_key)
                keys_seen.add(version.signing_key or "")
            previous_hash = version.document_hash
    agreements = list(session.execute(select(Agreement).order_by(Agreement.id).execution_options(**fresh)).scalars())
    problems += agreement_problems(agreements, logged=_logged(session, "policy.agreement_approved"),
                                   check_signature=check or (lambda *_: []))
    keys_seen |= {a.signing_key or "" for a in agreements} if check is not None else set()
    keys_seen.discard("")
    if len(keys_seen) > 1:
        problems.append(f"the policy is signed with {len(keys_seen)} different keys; the cooperative has one")
    return problems
