"""An approved deal as an ODRL 2.2 ``Agreement`` (JSON-LD). Pure code: no Flask, no SQLAlchemy.

The Dataspace Protocol schema wants ``target``, ``assigner`` and ``assignee`` at policy level as single
IRIs, and the issue wants them in each rule too; so:

* one dataset is its IRI; several are an ``AssetCollection`` ``{agreement}#datasets`` whose members are
  ``partOf`` it (written in the rules with ``@reverse``); every dataset (``"*"``) is the catalogue;
* the assignee is the counterparty's web address (bodies only accept http(s) addresses); anything that
  is not a plain IRI falls back to ``{agreement}#counterparty``; name and identifier are kept as literals;
* a deal only narrows what the data-use rules permit (``terms.binding``): each permission carries, besides
  its purposes, the strictest term, cohort minimum and one ``spatial isAnyOf`` per region limit of the
  deal and of the rules in force at the agreement's approval that cover it, names those rules
  (``dg:boundBy``, their versioned IRIs), and carries the merged duties;
* a duty the deal itself sets, with the deal's own value, has one IRI (``{agreement}#duty-compensate``,
  ``#duty-delete``, ``#duty-inform``, ``#duty-attribute``, ``#duty-audit``) and every permission refers to
  the same node; a duty that a covering rule adds or makes stricter is the permission's own
  (``{agreement}#permission-i-duty-delete``...).

A data-use version adopted after the approval binds the agreement too, from its adoption on (the
decision API applies it); this document, fixed at approval, does not change with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    data_use_iri,
    dataset_iri,
    date_window,
    days_duration,
    proposal_iri,
    purpose_constraint,
    region_iri,
    timestamp,
    typed,
    web_iri_or,
    without_none,
)
from governance.policy.terms.binding import DEAL, Binding, BoundDuty, bind
from governance.policy.terms.bodies import EVERY_DATASET, DealBody, Rule
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


_DUTY_NAMES = {"delete_after": "delete", "report_every": "inform", "attribute": "attribute",
               "submit_to_audit": "audit"}


def _compensate(uid: str, coop: str, deal: DealBody) -> dict[str, Any]:
    pay = constraint("payAmount", "eq", typed(f"{deal.price:.2f}", "xsd:decimal"), unit=currency_unit(deal.currency))
    return {"@id": f"{uid}#duty-compensate", "@type": "Duty", "action": "compensate", "compensatedParty": coop,
            "paymentSchedule": DG + deal.payment_schedule, "constraint": [pay]}


def _own_days(deal: DealBody, kind: str) -> int | None:
    return deal.retention_days if kind == "delete_after" else deal.reporting_every_days


def _duty(uid: str, index: int, coop: str, deal: DealBody, duty: BoundDuty) -> dict[str, Any]:
    """The deal's shared node when the deal sets this duty with this value, else the permission's own."""
    shared = DEAL in duty.sources and (duty.days is None or duty.days == _own_days(deal, duty.kind))
    name = _DUTY_NAMES[duty.kind]
    node: dict[str, Any] = {"@id": f"{uid}#duty-{name}" if shared else f"{uid}#permission-{index}-duty-{name}",
                            "@type": "Duty"}
    if duty.kind == "delete_after":
        node |= {"action": "delete", "constraint": [constraint("elapsedTime", "lteq", days_duration(duty.days or 0))]}
    elif duty.kind == "report_every":
        node |= {"action": "inform", "informedParty": coop,
                 "constraint": [constraint("timeInterval", "eq", days_duration(duty.days or 0))]}
    elif duty.kind == "attribute":
        node |= {"action": "attribute", "attributedParty": coop}
    else:
        node["action"] = DG + "submitToAudit"
    return node


def _permission(base: str, uid: str, parties: Mapping[str, Any], deal: DealBody, binding: Binding,
                number: int | None) -> dict[str, Any]:
    coop = cooperative_iri(base)
    limits = [purpose_constraint(binding.use.purposes)]
    limits += date_window(binding.not_before[0] if binding.not_before else None,
                          binding.not_after[0] if binding.not_after else None)
    if binding.min_cohort_size is not None:
        limits.append(cohort_constraint(binding.min_cohort_size[0]))
    limits += [constraint("spatial", "isAnyOf", [{"@id": region_iri(code)} for code in limit.regions])
               for limit in binding.regions]
    permission: dict[str, Any] = {
        "@id": f"{uid}#permission-{binding.index}", "@type": "Permission", **parties,
        "action": action_term(binding.use.action), "constraint": limits,
        "duty": [_compensate(uid, coop, deal), *(_duty(uid, binding.index, coop, deal, duty)
                                                 for duty in binding.duties)]}
    if binding.rules and number is not None:
        permission["boundBy"] = [f"{data_use_iri(base, number)}#rule-{rule.id}" for rule in binding.rules]
    return permission


def agreement_document(base: str, record: AgreementRecord, deal: DealBody,
                       bound_by: tuple[int, Sequence[Rule]] | None = None) -> dict[str, Any]:
    """The Agreement of ``record`` (an approved deal whose terms are ``deal``), bound by ``bound_by``: the
    number and rules of the data-use version in force at its approval (None: there was none)."""
    uid = agreement_iri(base, record.id)
    coop = cooperative_iri(base)
    assignee = counterparty_iri(uid, deal.counterparty.identifier)
    target, rule_target = _target(base, uid, deal.datasets)
    parties = {"target": rule_target, "assigner": coop, "assignee": assignee}
    number, rules = bound_by if bound_by is not None else (None, ())
    permissions = [_permission(base, uid, parties, deal, binding, number) for binding in bind(deal, rules)]
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


def agreement_document_of(base: str, agreement: Any,
                          bound_by: tuple[int, Sequence[Rule]] | None = None) -> dict[str, Any]:
    """The Agreement of a stored ``Agreement`` row (``bound_by`` as for :func:`agreement_document`)."""
    return agreement_document(base, record_of(agreement), from_json(DealBody, agreement.terms), bound_by)
