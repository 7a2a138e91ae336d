"""An approved deal as an ODRL 2.2 ``Agreement`` (JSON-LD). Pure code: no Flask, no SQLAlchemy.

The Dataspace Protocol schema wants ``target``, ``assigner`` and ``assignee`` at policy level as single
IRIs, and the issue wants them in each rule too; so:

* one dataset is its IRI; several are an ``AssetCollection`` ``{agreement}#datasets`` whose members are
  ``partOf`` it (written in the rules with ``@reverse``); every dataset (``"*"``) is the catalogue;
* the assignee is the counterparty's web address (bodies only accept http(s) addresses); anything that
  is not a plain IRI falls back to ``{agreement}#counterparty``; name and identifier are kept as literals;
* the duties (pay, delete, inform, audit) are the deal's, not one per permission: each has one IRI
  (``{agreement}#duty-compensate``...) and every permission refers to the same duty node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from governance.policy.odrl.data_use import (
    CONTEXT,
    DG,
    PARTY_COLLECTIONS,
    PROFILE_IRI,
    action_term,
    agreement_iri,
    catalogue_iri,
    cohort_constraint,
    constraint,
    cooperative_iri,
    dataset_iri,
    date_window,
    days_duration,
    proposal_iri,
    purpose_constraint,
    timestamp,
    typed,
    web_iri_or,
    without_none,
)
from governance.policy.terms.bodies import EVERY_DATASET, DealBody
from governance.policy.terms.parsing import from_json


def currency_unit(code: str) -> dict[str, str]:
    """QUDT names a unit for every ISO 4217 currency (``unit:CCY_EUR``); ``unit`` is not @id-typed in
    the ODRL context, hence the explicit ``@id``."""
    return {"@id": f"http://qudt.org/vocab/unit/CCY_{code}"}


@dataclass(frozen=True)
class AgreementRecord:
    """The agreement row's columns the document shows; None values are left out."""

    id: int
    approved_at: datetime
    terms_hash: str
    proposal_id: int | None = None
    election_id: int | None = None
    election_record_hash: str | None = None
    record_hash: str | None = None
    signature: str | None = None
    signing_key: str | None = None
    #: The stored terms ``terms_hash`` covers, published as a JSON literal (recompute the hash from the export).
    terms: Mapping[str, Any] | None = None


def record_of(agreement: Any) -> AgreementRecord:
    """From an ``Agreement`` row (read by attribute, so this module needs no SQLAlchemy)."""
    return AgreementRecord(
        id=agreement.id, approved_at=agreement.approved_at, terms_hash=agreement.terms_hash,
        proposal_id=agreement.proposal_id, election_id=agreement.election_id,
        election_record_hash=agreement.election_record_hash, record_hash=agreement.record_hash,
        signature=agreement.signature, signing_key=agreement.signing_key, terms=agreement.terms)


def counterparty_iri(uid: str, identifier: str) -> str:
    return web_iri_or(identifier, f"{uid}#counterparty")


def _target(base: str, uid: str, datasets: tuple[str, ...]) -> tuple[str, Any]:
    """The policy-level target (one IRI) and the same target as written in each rule."""
    if EVERY_DATASET in datasets:
        iri = catalogue_iri(base)
        return iri, {"@id": iri, "@type": "AssetCollection"}
    if len(datasets) == 1:
        iri = dataset_iri(base, datasets[0])
        return iri, iri
    iri = f"{uid}#datasets"
    members = [{"@id": dataset_iri(base, slug)} for slug in datasets]
    return iri, {"@id": iri, "@type": "AssetCollection", "@reverse": {"partOf": members}}


def _duties(base: str, uid: str, deal: DealBody) -> list[dict[str, Any]]:
    coop = cooperative_iri(base)
    pay = constraint("payAmount", "eq", typed(f"{deal.price:.2f}", "xsd:decimal"), unit=currency_unit(deal.currency))
    duties: list[dict[str, Any]] = [{
        "@id": f"{uid}#duty-compensate", "@type": "Duty", "action": "compensate", "compensatedParty": coop,
        "paymentSchedule": DG + deal.payment_schedule, "constraint": [pay]}]
    if deal.retention_days is not None:
        duties.append({"@id": f"{uid}#duty-delete", "@type": "Duty", "action": "delete",
                       "constraint": [constraint("elapsedTime", "lteq", days_duration(deal.retention_days))]})
    if deal.reporting_every_days is not None:
        duties.append({"@id": f"{uid}#duty-inform", "@type": "Duty", "action": "inform", "informedParty": coop,
                       "constraint": [constraint("timeInterval", "eq", days_duration(deal.reporting_every_days))]})
    if deal.audit:
        duties.append({"@id": f"{uid}#duty-audit", "@type": "Duty", "action": DG + "submitToAudit"})
    return duties


def agreement_document(base: str, record: AgreementRecord, deal: DealBody) -> dict[str, Any]:
    """The Agreement of ``record`` (an approved deal whose terms are ``deal``)."""
    uid = agreement_iri(base, record.id)
    coop = cooperative_iri(base)
    assignee = counterparty_iri(uid, deal.counterparty.identifier)
    target, rule_target = _target(base, uid, deal.datasets)
    parties = {"target": rule_target, "assigner": coop, "assignee": assignee}
    term = date_window(deal.start_date, deal.end_date)
    duties = _duties(base, uid, deal)
    permissions = []
    for index, use in enumerate(deal.permitted, start=1):
        limits = [purpose_constraint(use.purposes), *term]
        if deal.min_cohort_size is not None:
            limits.append(cohort_constraint(deal.min_cohort_size))
        permissions.append({"@id": f"{uid}#permission-{index}", "@type": "Permission", **parties,
                            "action": action_term(use.action), "constraint": limits, "duty": duties})
    prohibitions = [{"@id": f"{uid}#prohibition-{index}", "@type": "Prohibition", **parties,
                     "action": action_term(action)}
                    for index, action in enumerate(deal.prohibited_actions, start=1)]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": uid,
        "@type": "Agreement",
        "profile": PROFILE_IRI,
        "target": target,
        "assigner": coop,
        "assignee": assignee,
        "conflict": "prohibit",
        "counterpartyName": deal.counterparty.name,
        "counterpartyIdentifier": deal.counterparty.identifier,
        "counterpartyCategory": DG + PARTY_COLLECTIONS[deal.counterparty.category],
        **without_none({
            "issued": timestamp(record.approved_at),
            "wasDerivedFrom": proposal_iri(base, record.proposal_id) if record.proposal_id else None,
            "electionId": record.election_id,
            "electionRecordHash": record.election_record_hash,
            "termsHash": record.terms_hash,
            "recordHash": record.record_hash,
            "signature": record.signature,
            "signingKey": record.signing_key,
            "description": deal.notes or None,
            "terms": dict(record.terms) if record.terms is not None else None,
        }),
        "permission": permissions,
    }
    if prohibitions:
        document["prohibition"] = prohibitions
    return document


def agreement_document_of(base: str, agreement: Any) -> dict[str, Any]:
    """The Agreement of a stored ``Agreement`` row."""
    return agreement_document(base, record_of(agreement), from_json(DealBody, agreement.terms))
