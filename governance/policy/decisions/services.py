"""Answering decision requests from the stored policy: what was in force at the request's time.

The service behind ``POST /api/v1/policy/decide`` and ``/policy/check``. It reads, never writes.

In force at time T (UTC):

* the data-use version adopted last at or before T (none before the first enactment);
* the party's agreements whose term includes T's date (both ends included) and that were not
  suspended at or before T. An agreement applies to its counterparty only, matched on the
  identifier in the deal (case, surrounding spaces and a trailing ``/`` do not matter), and is
  bound by the data-use rules of the version in force at T that cover it.

The party's category (for rules assigned to a category, e.g. "academic") is what its agreement
records: one in force at T, else the latest approved at or before T. Only a party with no agreement
may state ``party_category`` itself; a stated category that contradicts the record is a bad request.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.policy.decisions.engine import Decision, decide
from governance.policy.decisions.policies import InForcePolicy, agreement_policy, data_use_policy
from governance.policy.decisions.request import BadDecisionRequest, DecisionRequest, iso_time, parse_decision_request
from governance.policy.models import Agreement, Dataset, PolicyVersion
from governance.policy.services import data_use_version_at, rules_of
from governance.policy.terms.binding import assignee_matches
from governance.policy.terms.bodies import Assignee, Counterparty, DealBody
from governance.policy.terms.parsing import from_json
from governance.sitecontext import as_utc


def known_datasets(session: Session) -> frozenset[str]:
    """Every slug of the catalogue, retired ones included: rules in force may still name them."""
    return frozenset(session.execute(select(Dataset.slug)).scalars())


def in_force_at(agreement: Agreement, when: datetime) -> bool:
    suspended = agreement.suspended_at is not None and as_utc(agreement.suspended_at) <= when
    return agreement.start_date <= when.date() <= agreement.end_date and not suspended


def party_agreements(session: Session, party: str) -> list[Agreement]:
    """The agreements whose counterparty is ``party``, newest approval first."""
    as_party = Counterparty(name="", identifier=party, category="")
    rows = session.execute(select(Agreement).order_by(Agreement.approved_at.desc(), Agreement.id.desc())).scalars()
    return [a for a in rows if assignee_matches(Assignee("party", a.counterparty_identifier), as_party)]


def _recorded_category(agreements: list[Agreement], when: datetime) -> tuple[str, Agreement] | None:
    in_force = [a for a in agreements if in_force_at(a, when)]
    earlier = [a for a in agreements if as_utc(a.approved_at) <= when]
    for agreement in in_force or earlier:
        category = (agreement.terms.get("counterparty") or {}).get("category")
        if category:
            return category, agreement
    return None


def _set_details(version: PolicyVersion, base_url: str) -> dict[str, Any]:
    details: dict[str, Any] = {"document_hash": version.document_hash,
                               "adopted_at": iso_time(as_utc(version.adopted_at))}
    if version.proposal_id is not None:
        details["proposal"] = f"{base_url}/proposals/{version.proposal_id}"
    return details


def _agreement_details(agreement: Agreement, base_url: str) -> dict[str, Any]:
    details: dict[str, Any] = {"terms_hash": agreement.terms_hash,
                               "approved_at": iso_time(as_utc(agreement.approved_at)),
                               "start_date": agreement.start_date.isoformat(),
                               "end_date": agreement.end_date.isoformat()}
    if agreement.record_hash:
        details["record_hash"] = agreement.record_hash
    if agreement.proposal_id is not None:
        details["proposal"] = f"{base_url}/proposals/{agreement.proposal_id}"
    return details


def _party_identifier(session: Session, party: str, base_url: str) -> str:
    """The exports name a counterparty whose identifier is not a web address ``{agreement}#counterparty``:
    such an IRI stands for that agreement's identifier."""
    match = re.fullmatch(re.escape(base_url) + r"/deals/(\d{1,9})/agreement#counterparty", party)
    agreement = session.get(Agreement, int(match.group(1))) if match else None
    return agreement.counterparty_identifier if agreement is not None else party


def decide_checked_request(session: Session, request: DecisionRequest, *, base_url: str) -> Decision:
    """Decide an already parsed request. Raises :class:`BadDecisionRequest` when its ``party_category``
    contradicts the party's agreement."""
    request = replace(request, party=_party_identifier(session, request.party, base_url))
    agreements = party_agreements(session, request.party)
    recorded = _recorded_category(agreements, request.time)
    source = "unknown"
    if recorded is not None:
        category, agreement = recorded
        if request.party_category is not None and request.party_category != category:
            raise BadDecisionRequest(
                f"Agreement #{agreement.id} records {request.party} as a '{category}' party; leave party_category "
                f"out or send '{category}'.", "party_category")
        request = replace(request, party_category=category)
        source = "agreement"
    elif request.party_category is not None:
        source = "request"
    policies: list[InForcePolicy] = []
    version = data_use_version_at(session, request.time)
    rules = rules_of(version) if version is not None else []
    data_use = None
    if version is not None:
        data_use = data_use_policy(base_url, version.number, rules, _set_details(version, base_url))
        policies.append(data_use)
    for agreement in sorted((a for a in agreements if in_force_at(a, request.time)), key=lambda a: a.id):
        # The rules in force at the request's time bind the agreement (a version adopted after the
        # approval binds it from its adoption on).
        policies.append(agreement_policy(base_url, agreement.id, from_json(DealBody, agreement.terms),
                                         _agreement_details(agreement, base_url), data_use, rules))
    return decide(request, policies, party_category_source=source)


def decide_request(session: Session, data: Any, *, base_url: str) -> Decision:
    """Check ``data`` (the decoded JSON of a request) and decide it. Raises :class:`BadDecisionRequest`."""
    request = parse_decision_request(data, datasets=known_datasets(session), base_url=base_url)
    return decide_checked_request(session, request, base_url=base_url)
