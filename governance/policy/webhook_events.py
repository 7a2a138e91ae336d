"""The policy store's webhook events (docs/webhooks.md): a version adopted, an agreement approved,
suspended or expired. Each is emitted in the transaction of the change, with a key that names it,
so it is sent once even if a sweep or an enactment runs twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from governance.policy.models import Agreement, PolicyVersion
from governance.sitecontext import as_utc
from governance.webhooks import emit

#: The site paths of the documents (as ``governance.policy.odrl.views`` serves them).
DOCUMENT_PATHS = {"data_use": "/policy/data-use", "payout": "/policy/payout"}
PAGE_PATHS = {"data_use": "/policy", "payout": "/policy/payout"}


def _time(when: datetime) -> str:
    return as_utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _proposal_link(links: dict[str, str], proposal_id: int | None) -> dict[str, str]:
    if proposal_id is not None:
        links["proposal"] = f"/proposals/{proposal_id}"
    return links


def version_adopted(session: Session, version: PolicyVersion) -> None:
    data = {"line": version.line, "number": version.number, "document_hash": version.document_hash,
            "previous_hash": version.previous_hash, "proposal_id": version.proposal_id,
            "election_id": version.election_id, "adopted_at": _time(version.adopted_at)}
    links = _proposal_link({"document": f"{DOCUMENT_PATHS[version.line]}/v{version.number}.jsonld",
                            "policy": PAGE_PATHS[version.line], "versions": "/policy/versions"},
                           version.proposal_id)
    emit(session, "policy.version_adopted", data, version.adopted_at,
         key=f"policy.version_adopted:{version.line}/{version.number}", links=links)


def _agreement_data(agreement: Agreement) -> dict[str, Any]:
    return {"agreement_id": agreement.id,
            "party": {"name": agreement.counterparty_name, "identifier": agreement.counterparty_identifier},
            "start_date": agreement.start_date.isoformat(), "end_date": agreement.end_date.isoformat(),
            "terms_hash": agreement.terms_hash, "record_hash": agreement.record_hash,
            "proposal_id": agreement.proposal_id}


def _agreement_links(agreement: Agreement) -> dict[str, str]:
    return _proposal_link({"agreement": f"/deals/{agreement.id}",
                           "document": f"/deals/{agreement.id}/agreement.jsonld"}, agreement.proposal_id)


def agreement_approved(session: Session, agreement: Agreement) -> None:
    emit(session, "agreement.approved", {**_agreement_data(agreement), "approved_at": _time(agreement.approved_at)},
         agreement.approved_at, key=f"agreement.approved:{agreement.id}", links=_agreement_links(agreement))


def agreement_suspended(session: Session, agreement: Agreement, *, by_proposal_id: int | None) -> None:
    assert agreement.suspended_at is not None
    data = {**_agreement_data(agreement), "suspended_at": _time(agreement.suspended_at),
            "reason": agreement.suspension_reason, "by": "vote" if by_proposal_id is not None else "steward",
            "suspended_by_proposal_id": by_proposal_id}
    links = _agreement_links(agreement)
    if by_proposal_id is not None:
        links["suspending_proposal"] = f"/proposals/{by_proposal_id}"
    emit(session, "agreement.suspended", data, agreement.suspended_at, key=f"agreement.suspended:{agreement.id}",
         links=links)


def expired_key(agreement_id: int) -> str:
    return f"agreement.expired:{agreement_id}"


def agreement_expired(session: Session, agreement: Agreement, *, now: datetime) -> bool:
    """Emit the expiry once (True if it was emitted now)."""
    return emit(session, "agreement.expired", _agreement_data(agreement), now, key=expired_key(agreement.id),
                links=_agreement_links(agreement)) is not None
