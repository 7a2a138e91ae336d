"""The policies the decision engine reads: data-use rules and agreement terms in one shape. Pure code.

A data-use version and an agreement say the same kind of things in different words: a rule has an
assignee, datasets, an action, purposes, constraints and duties; a deal has a counterparty, datasets,
permitted uses, prohibited actions, a term, a cohort minimum and obligations. Both become
:class:`PolicyRule` rows here, with the IRIs of the shared contract:

* data-use version N, rule R: ``{base}/policy/data-use/vN#rule-R``;
* agreement A: ``{base}/deals/A/agreement#permission-i`` for the i-th permitted use and
  ``#prohibition-i`` for the i-th prohibited action (i from 1, in the order of the terms).

An agreement's rules are assigned to its counterparty, target the deal's datasets, and are limited to
the deal's term. Every permission of a deal carries the deal's duties: pay the price, report,
delete after the retention period, submit to audit. A data-use rule's ``retention_days`` is a duty to
delete (the request cannot say how long data will be kept, so it is an obligation, not a condition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.policy.terms.bodies import Assignee, DealBody, Rule
from governance.policy.terms.fields import money_json
from governance.policy.wording.describe import days_text, money_text

SET = "Set"
AGREEMENT = "Agreement"


@dataclass(frozen=True)
class DecisionDuty:
    """An obligation of a permission: ``delete_after``/``report_every`` (``days``), ``attribute``,
    ``submit_to_audit``, or ``compensate`` (``amount`` as "12000.00", ``currency``, ``schedule``)."""

    kind: str
    days: int | None = None
    amount: str | None = None
    currency: str | None = None
    schedule: str | None = None

    def text(self) -> str:
        if self.kind == "delete_after":
            return f"delete the data within {days_text(self.days or 0)}"
        if self.kind == "report_every":
            return f"report on the use at least every {days_text(self.days or 0)}"
        if self.kind == "attribute":
            return "attribute the cooperative"
        if self.kind == "submit_to_audit":
            return "submit to audit by the cooperative"
        if self.kind == "compensate":
            paid = "once" if self.schedule == "once" else f"in {self.schedule} instalments"
            return f"pay {money_text(self.amount or '0', self.currency)} in total, {paid}"
        return self.kind

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name in ("days", "amount", "currency", "schedule"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


@dataclass(frozen=True)
class PolicyRule:
    """One permission or prohibition of a policy in force. ``datasets`` may be ``("*",)`` (every
    dataset); empty ``purposes`` or ``regions`` mean no condition on them."""

    iri: str
    name: str
    effect: str
    datasets: tuple[str, ...]
    action: str
    assignee: Assignee | None = None
    purposes: tuple[str, ...] = ()
    min_cohort_size: int | None = None
    not_before: date | None = None
    not_after: date | None = None
    regions: tuple[str, ...] = ()
    duties: tuple[DecisionDuty, ...] = ()


@dataclass(frozen=True)
class InForcePolicy:
    """A policy consulted for a decision. ``details`` goes into the response as is (version, hashes, dates)."""

    uid: str
    type: str
    title: str
    rules: tuple[PolicyRule, ...]
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "type": self.type, "title": self.title, "document": f"{self.uid}.jsonld",
                **self.details}


def data_use_uid(base_url: str, number: int) -> str:
    return f"{base_url}/policy/data-use/v{number}"


def agreement_uid(base_url: str, agreement_id: int) -> str:
    return f"{base_url}/deals/{agreement_id}/agreement"


def _rule_duties(rule: Rule) -> tuple[DecisionDuty, ...]:
    duties = [DecisionDuty(d.kind, d.days) for d in rule.duties]
    retention = rule.constraints.retention_days
    deletes = [d.days for d in rule.duties if d.kind == "delete_after" and d.days is not None]
    if retention is not None and not any(days <= retention for days in deletes):
        duties.insert(0, DecisionDuty("delete_after", retention))
    return tuple(duties)


def data_use_policy(base_url: str, number: int, rules: Sequence[Rule],
                    details: Mapping[str, Any] | None = None) -> InForcePolicy:
    """Version ``number`` of the data-use Set. Prohibitions carry no duties (ODRL has none on them)."""
    uid = data_use_uid(base_url, number)
    compiled = tuple(PolicyRule(
        iri=f"{uid}#rule-{rule.id}", name=f"rule '{rule.id}' of data-use policy version {number}",
        effect=rule.effect, datasets=rule.datasets, action=rule.action, assignee=rule.assignee,
        purposes=rule.purposes, min_cohort_size=rule.constraints.min_cohort_size,
        not_before=rule.constraints.not_before, not_after=rule.constraints.not_after,
        regions=rule.constraints.regions, duties=_rule_duties(rule) if rule.effect == "permission" else ())
        for rule in rules)
    return InForcePolicy(uid, SET, f"data-use policy version {number}", compiled,
                         {"version": number, **(details or {})})


def _deal_duties(deal: DealBody) -> tuple[DecisionDuty, ...]:
    duties = [DecisionDuty("compensate", amount=money_json(deal.price), currency=deal.currency,
                           schedule=deal.payment_schedule)]
    if deal.retention_days is not None:
        duties.append(DecisionDuty("delete_after", deal.retention_days))
    if deal.reporting_every_days is not None:
        duties.append(DecisionDuty("report_every", deal.reporting_every_days))
    if deal.audit:
        duties.append(DecisionDuty("submit_to_audit"))
    return tuple(duties)


def agreement_policy(base_url: str, agreement_id: int, deal: DealBody,
                     details: Mapping[str, Any] | None = None) -> InForcePolicy:
    """The agreement of an approved deal: its permitted uses, then its prohibited actions."""
    uid = agreement_uid(base_url, agreement_id)
    party = Assignee("party", deal.counterparty.identifier, deal.counterparty.name)
    title = f"agreement #{agreement_id} with {deal.counterparty.name}"
    common = {"datasets": deal.datasets, "assignee": party, "not_before": deal.start_date,
              "not_after": deal.end_date}
    permissions = tuple(PolicyRule(
        iri=f"{uid}#permission-{i}", name=f"permission {i} of the {title}", effect="permission", action=use.action,
        purposes=use.purposes, min_cohort_size=deal.min_cohort_size, duties=_deal_duties(deal), **common)
        for i, use in enumerate(deal.permitted, 1))
    prohibitions = tuple(PolicyRule(
        iri=f"{uid}#prohibition-{i}", name=f"prohibition {i} of the {title}", effect="prohibition", action=action,
        **common)
        for i, action in enumerate(deal.prohibited_actions, 1))
    return InForcePolicy(uid, AGREEMENT, title, permissions + prohibitions,
                         {"agreement": agreement_id, **(details or {})})
