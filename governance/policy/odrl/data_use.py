"""The cooperative's data-use policy as an ODRL 2.2 ``Set`` (JSON-LD), and the pieces it shares with
agreements (``odrl.agreement``). Pure code: no Flask, no SQLAlchemy.

Decisions the issue leaves open (documented in docs/policy.md):

* Every rule, duty and constraint is typed (``Permission``, ``Duty``, ``Constraint``...): ODRL does not
  require it, but SHACL validators without RDFS inference (the W3C shapes in poe-odrlapi.ttl target
  classes) then check them at all.
* Several datasets in one rule are several ``target`` values (ODRL 2.2 §2.7.1 rule composition);
  ``"*"`` (every dataset, including later ones) is the catalogue as an ``AssetCollection``.
* A party category is a ``PartyCollection`` defined in the cooperative's profile.
* Purposes: ``purpose isAnyOf [DPV IRIs]``; the profile reads it through DPV's hierarchy (a narrower
  purpose satisfies it). Regions: ``spatial isAnyOf [region IRIs of the profile]``.
* Retention (a constraint of the rule): ``elapsedTime lteq P{n}D``; the duty ``delete_after``:
  ``delete`` with ``elapsedTime lteq P{n}D``; ``report_every``: ``inform`` the cooperative with
  ``timeInterval eq P{n}D``.
* Within the Set, ODRL's ``conflict`` strategy is ``prohibit`` (a prohibition wins).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from governance.policy.canonical import sha256_hex
from governance.policy.terms.bodies import EVERY_DATASET, Assignee, Constraints, Duty, Rule
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import ACTIONS, ODRL, PROFILE

ODRL_CONTEXT_URL = "http://www.w3.org/ns/odrl.jsonld"
#: The cooperative's JSON-LD context (profile, provenance and payout terms). A fixed URL like the
#: profile namespace, so documents do not change with the site's address; the site serves a copy
#: at ``/ns/context.jsonld`` and the offline loader maps it to ``data/dataguild-context.jsonld``.
CONTEXT_URL = "https://dataguild.org/ns/context.jsonld"
CONTEXT = [ODRL_CONTEXT_URL, CONTEXT_URL]
#: The profile's IRI: its namespace without the ``#``.
PROFILE_IRI = PROFILE.rstrip("#")
DG = "dg:"
#: Characters RDF does not allow in an IRI (RFC 3987 plus the ones N-Triples refuses).
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`]')

#: Party categories as PartyCollections of the profile.
PARTY_COLLECTIONS: dict[str, str] = {
    "academic": "academicParties",
    "nonprofit": "nonprofitParties",
    "public_body": "publicBodyParties",
    "commercial": "commercialParties",
}


# ---------------------------------------------------------------- IRIs (the shared contract)

def data_use_iri(base: str, number: int) -> str:
    return f"{base}/policy/data-use/v{number}"


def payout_iri(base: str, number: int) -> str:
    return f"{base}/policy/payout/v{number}"


def agreement_iri(base: str, agreement_id: int) -> str:
    return f"{base}/deals/{agreement_id}/agreement"


def dataset_iri(base: str, slug: str) -> str:
    return f"{base}/datasets/{slug}"


def catalogue_iri(base: str) -> str:
    return f"{base}/datasets"


def cooperative_iri(base: str) -> str:
    return f"{base}/#cooperative"


def proposal_iri(base: str, proposal_id: int) -> str:
    return f"{base}/proposals/{proposal_id}"


def action_term(code: str) -> str:
    """ODRL's own actions by their term in the W3C context (``aggregate``); the profile's as ``dg:sell``.
    A compact ``dg:`` form also keeps ours apart from ODRL's ``sell``, which means something else."""
    iri = ACTIONS[code].iri
    if iri.startswith(ODRL):
        return iri.removeprefix(ODRL)
    return DG + iri.removeprefix(PROFILE)


def region_iri(code: str) -> str:
    """``EU``, ``EEA`` or an ISO 3166-1 alpha-2 code, as a region declared in the profile."""
    return f"{PROFILE}region-{code}"


# ---------------------------------------------------------------- typed values

def typed(value: Any, datatype: str) -> dict[str, Any]:
    return {"@value": value, "@type": datatype}


def xsd_date(day: date) -> dict[str, Any]:
    return typed(day.isoformat(), "xsd:date")


def xsd_integer(number: int) -> dict[str, Any]:
    return typed(number, "xsd:integer")


def days_duration(days: int) -> dict[str, Any]:
    return typed(f"P{days}D", "xsd:duration")


def timestamp(when: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (stored times are UTC whole seconds; SQLite returns them naive)."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def constraint(left: str, operator: str, right: Any, **extra: Any) -> dict[str, Any]:
    return {"@type": "Constraint", "leftOperand": left, "operator": operator, "rightOperand": right, **extra}


def purpose_constraint(purposes: Iterable[str]) -> dict[str, Any]:
    return constraint("purpose", "isAnyOf", [{"@id": iri} for iri in purposes])


def date_window(not_before: date | None, not_after: date | None) -> list[dict[str, Any]]:
    window = []
    if not_before is not None:
        window.append(constraint("dateTime", "gteq", xsd_date(not_before)))
    if not_after is not None:
        window.append(constraint("dateTime", "lteq", xsd_date(not_after)))
    return window


def cohort_constraint(minimum: int) -> dict[str, Any]:
    return constraint(DG + "cohortSize", "gteq", xsd_integer(minimum))


def targets(base: str, datasets: Iterable[str]) -> list[Any]:
    slugs = list(datasets)
    if EVERY_DATASET in slugs:
        return [{"@id": catalogue_iri(base), "@type": "AssetCollection"}]
    return [dataset_iri(base, slug) for slug in slugs]


def one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def document_text(document: Mapping[str, Any]) -> str:
    """How every export is written (site and CLI alike): indented UTF-8 JSON, keys in compiler order."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def document_etag(document: Mapping[str, Any]) -> str:
    """SHA-256 of the RFC 8785 canonical form: changes exactly when the document's content does."""
    return sha256_hex(dict(document))


# ---------------------------------------------------------------- provenance

@dataclass(frozen=True)
class Provenance:
    """What a policy version says about where it came from; None values are left out of the document
    (signature and election columns stay empty until enactment fills them)."""

    number: int
    issued: datetime
    proposal_id: int | None = None
    election_id: int | None = None
    election_record_hash: str | None = None
    document_hash: str | None = None
    previous_hash: str | None = None
    signature: str | None = None
    signing_key: str | None = None
    #: The stored document the hash covers (``{"rules": [...]}`` / ``{"formula": {...}}``), published as a
    #: JSON literal so that anyone can recompute ``document_hash`` from the export alone.
    document: Mapping[str, Any] | None = None


def provenance_of(version: Any) -> Provenance:
    """From a ``PolicyVersion`` row (read by attribute, so this module needs no SQLAlchemy)."""
    return Provenance(number=version.number, issued=version.adopted_at, proposal_id=version.proposal_id,
                      election_id=version.election_id, election_record_hash=version.election_record_hash,
                      document_hash=version.document_hash, previous_hash=version.previous_hash,
                      signature=version.signature, signing_key=version.signing_key, document=version.document)


def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def version_provenance(base: str, provenance: Provenance, iri_of_number: Callable[[str, int], str]) -> dict[str, Any]:
    """The provenance keys of a policy version (terms of the cooperative's context)."""
    number = provenance.number
    return without_none({
        "versionNumber": number,
        "issued": timestamp(provenance.issued),
        "replaces": iri_of_number(base, number - 1) if number > 1 else None,
        "wasDerivedFrom": proposal_iri(base, provenance.proposal_id) if provenance.proposal_id else None,
        "electionId": provenance.election_id,
        "electionRecordHash": provenance.election_record_hash,
        "documentHash": provenance.document_hash,
        "previousHash": provenance.previous_hash,
        "signature": provenance.signature,
        "signingKey": provenance.signing_key,
        "hashedDocument": dict(provenance.document) if provenance.document is not None else None,
    })


# ---------------------------------------------------------------- the data-use Set

def web_iri_or(address: str, fallback: str) -> str:
    """``address`` when it is an http(s) IRI that RDF accepts, else ``fallback``: bodies check web
    addresses loosely (no spaces), but a quote or angle bracket would make the RDF invalid."""
    if address.startswith(("https://", "http://")) and not _NOT_IRI.search(address):
        return address
    return fallback


def assignee_value(assignee: Assignee, rule_iri: str) -> Any:
    """A party by its web address (``{rule}-assignee`` if that is not an IRI: the address is still in
    ``hashedDocument``), a category as the profile's PartyCollection."""
    if assignee.type == "party":
        party: dict[str, Any] = {"@id": web_iri_or(assignee.value, f"{rule_iri}-assignee"), "@type": "Party"}
        if assignee.name:
            party["vcard:fn"] = assignee.name
        return party
    return {"@id": DG + PARTY_COLLECTIONS[assignee.value], "@type": "PartyCollection"}


def rule_constraints(rule_constraints: Constraints, purposes: tuple[str, ...]) -> list[dict[str, Any]]:
    found = [purpose_constraint(purposes)] if purposes else []
    if rule_constraints.min_cohort_size is not None:
        found.append(cohort_constraint(rule_constraints.min_cohort_size))
    if rule_constraints.retention_days is not None:
        found.append(constraint("elapsedTime", "lteq", days_duration(rule_constraints.retention_days)))
    found += date_window(rule_constraints.not_before, rule_constraints.not_after)
    if rule_constraints.regions:
        found.append(constraint("spatial", "isAnyOf", [{"@id": region_iri(code)} for code in rule_constraints.regions]))
    return found


def rule_duty(base: str, duty: Duty) -> dict[str, Any]:
    if duty.kind == "delete_after":
        return {"@type": "Duty", "action": "delete",
                "constraint": [constraint("elapsedTime", "lteq", days_duration(duty.days or 0))]}
    if duty.kind == "report_every":
        return {"@type": "Duty", "action": "inform", "informedParty": cooperative_iri(base),
                "constraint": [constraint("timeInterval", "eq", days_duration(duty.days or 0))]}
    if duty.kind == "attribute":
        return {"@type": "Duty", "action": "attribute", "attributedParty": cooperative_iri(base)}
    if duty.kind == "submit_to_audit":
        return {"@type": "Duty", "action": DG + "submitToAudit"}
    raise ValueError(f"unknown duty kind {duty.kind!r}")


def compile_rule(base: str, number: int, rule: Rule) -> dict[str, Any]:
    rule_iri = f"{data_use_iri(base, number)}#rule-{rule.id}"
    compiled: dict[str, Any] = {
        "@id": rule_iri,
        "@type": "Permission" if rule.effect == "permission" else "Prohibition",
        "target": one_or_many(targets(base, rule.datasets)),
        "assigner": cooperative_iri(base),
        "action": action_term(rule.action),
    }
    if rule.assignee is not None:
        compiled["assignee"] = assignee_value(rule.assignee, rule_iri)
    if found := rule_constraints(rule.constraints, rule.purposes):
        compiled["constraint"] = found
    if rule.duties:
        compiled["duty"] = [rule_duty(base, duty) for duty in rule.duties]
    if rule.description:
        compiled["description"] = rule.description
    return compiled


def data_use_set(base: str, provenance: Provenance, rules: Iterable[Rule]) -> dict[str, Any]:
    """Version ``provenance.number`` of the data-use policy as an ODRL ``Set``; rules keep their order."""
    number = provenance.number
    compiled = [compile_rule(base, number, rule) for rule in rules]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": data_use_iri(base, number),
        "@type": "Set",
        "profile": PROFILE_IRI,
        "assigner": cooperative_iri(base),
        "conflict": "prohibit",
        **version_provenance(base, provenance, data_use_iri),
    }
    permissions = [rule for rule in compiled if rule["@type"] == "Permission"]
    prohibitions = [rule for rule in compiled if rule["@type"] == "Prohibition"]
    if permissions:
        document["permission"] = permissions
    if prohibitions:
        document["prohibition"] = prohibitions
    return document


def data_use_set_of(base: str, version: Any) -> dict[str, Any]:
    """The Set of a stored data-use ``PolicyVersion`` row."""
    rules = [from_json(Rule, rule) for rule in version.document["rules"]]
    return data_use_set(base, provenance_of(version), rules)
