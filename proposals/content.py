"""The content of a proposal version: checking a title, summary and body, hashing, adding versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.constitution.services import current_constitution
from governance.members.models import Member
from governance.policy.agreements import agreement_refs
from governance.policy.canonical import sha256_hex
from governance.policy.services import current_rules, dataset_slugs
from governance.policy.terms.bodies import BodyContext, InvalidBody
from governance.policy.terms.parsing import parse_body
from governance.sitecontext import utcnow
from proposals.errors import ProposalError
from proposals.models import Proposal, ProposalVersion

MAX_TITLE = 200
MAX_SUMMARY = 20_000


def body_context(session: Session) -> BodyContext:
    """What a body is checked against: the active datasets, the constitution in force, the adopted
    data-use rules (a change must name an existing rule, an addition a new id) and the agreements
    with their status today (a suspension must name one in force or upcoming)."""
    return BodyContext(datasets=dataset_slugs(session), constitution=current_constitution(session).snapshot(),
                       rules=tuple(current_rules(session)), agreements=agreement_refs(session, utcnow().date()))


def content_hash(kind: str, title: str, summary: str, body: dict[str, Any]) -> str:
    return sha256_hex({"title": title, "summary": summary, "kind": kind, "body": body})


def check_content(session: Session, kind: str, title: str, summary: str,
                  body: Any) -> tuple[str, str, dict[str, Any]]:
    """Validated, normalised (title, summary, body JSON), or ProposalError listing every problem."""
    errors: dict[str, str] = {}
    title = (title or "").strip()
    summary = (summary or "").strip()
    if not title:
        errors["title"] = "Give the proposal a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title must be at most {MAX_TITLE} characters (it has {len(title)})."
    if len(summary) > MAX_SUMMARY:
        errors["summary"] = f"The summary must be at most {MAX_SUMMARY} characters."
    normalised: dict[str, Any] = {}
    try:
        normalised = parse_body(kind, body, body_context(session)).to_json()
    except InvalidBody as exc:
        errors.update(exc.errors or {"": str(exc)})
    if errors:
        raise ProposalError("The proposal has errors; see the marked fields.", errors)
    return title, summary, normalised


def add_version(session: Session, proposal: Proposal, *, actor: Member, title: str, summary: str,
                 body: dict[str, Any], note: str, now: datetime, amendment_id: int | None = None) -> ProposalVersion:
    number = max((v.number for v in proposal.versions), default=0) + 1
    version = ProposalVersion(proposal_id=proposal.id, number=number, title=title, summary=summary, body=body,
                              content_hash=content_hash(proposal.kind, title, summary, body), created_at=now,
                              created_by_id=actor.id, note=note, amendment_id=amendment_id)
    session.add(version)
    proposal.versions.append(version)
    proposal.current_version = number
    proposal.title = title
    proposal.updated_at = now
    session.flush()
    return version


