"""The policies the decision engine reads: data-use rules and agreement terms in one shape. Pure code.

A data-use version and an agreement say the same kind of things in different words: a rule has an
assignee, datasets, an action, purposes, constraints and duties; a deal has a counterparty, datasets,
permitted uses, prohibited actions, a term, a cohort minimum and obligations. Both become
:class:`PolicyRule` rows here, with the IRIs of the shared contract:

* data-use version N, rule R: ``{base}/policy/data-use/vN#rule-R``;
* agreement A: ``{base}/deals/A/agreement#permission-i`` for the i-th permitted use and
  ``#prohibition-i`` for the i-th prohibited action (i from 1, in the order of the terms).

An agreement's rules are assigned to its counterparty, target the deal's datasets, and are limited to
the deal's term. A deal only narrows what the rules permit (``terms.binding``): each permission of an
agreement is *bound by* the data-use rules in force that cover it (``bound_by``; the engine checks their
conditions too and requires one of them to admit the request) and carries the merged duties of the deal
and those rules: pay the price (the deal's alone), delete and report (the shortest period wins),
attribute, submit to audit. A data-use rule's ``retention_days`` is a duty to delete (the request
cannot say how long data will be kept, so it is an obligation, not a condition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.policy.terms.binding import DEAL, bind
from governance.policy.terms.bodies import Assignee, DealBody, Rule
from governance.policy.terms.fields import money_json
from governance.policy.wording.describe import days_text, money_text

SET = "Set"
AGREEMENT = "Agreement"


@dataclass(frozen=True)
class DecisionDuty:
    """An obligation of a permission: ``delete_after``/``report_every`` (``days``), ``attribute``,
    ``submit_to_audit``, or ``compensate`` (``amount`` as "12000.00", ``currency``, ``schedule``).
    ``required_by``: for an agreement's duty, the IRIs of the policies' rules that require it (the
    agreement's permission itself when the deal sets it, and every data-use rule that binds it)."""

    kind: str
    days: int | None = None
    amount: str | None = None
    currency: str | None = None
    schedule: str | None = None
    required_by: tuple[str, ...] = ()

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
        if self.required_by:
            data["required_by"] = list(self.required_by)
        return data


@dataclass(frozen=True)
class PolicyRule:
    """One permission or prohibition of a policy in force. ``datasets`` may be ``("*",)`` (every
    dataset); empty ``purposes`` or ``regions`` mean no condition on them. ``bound_by``: for an agreement's
    permission, the data-use rules that cover it (whose conditions bind it too)."""

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
    bound_by: tuple[PolicyRule, ...] = ()


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


def set_rule_iri(set_uid: str, rule_id: str) -> str:
    return f"{set_uid}#rule-{rule_id}"


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
        iri=set_rule_iri(uid, rule.id), name=f"rule '{rule.id}' of data-use policy version {number}",
        effect=rule.effect, datasets=rule.datasets, action=rule.action, assignee=rule.assignee,
        purposes=rule.purposes, min_cohort_size=rule.constraints.min_cohort_size,
        not_before=rule.constraints.not_before, not_after=rule.constraints.not_after,
        regions=rule.constraints.regions, duties=_rule_duties(rule) if rule.effect == "permission" else ())
        for rule in rules)
    return InForcePolicy(uid, SET, f"data-use policy version {number}", compiled,
                         {"version": number, **(details or {})})


def _bound_duties(deal: DealBody, binding_duties: Sequence[Any], own_iri: str, rule_iri: Mapping[str, str]
                  ) -> tuple[DecisionDuty, ...]:
    pay = DecisionDuty("compensate", amount=money_json(deal.price), currency=deal.currency,
                       schedule=deal.payment_schedule, required_by=(own_iri,))
    return (pay, *(DecisionDuty(duty.kind, duty.days, required_by=tuple(
        own_iri if source == DEAL else rule_iri[source] for source in duty.sources)) for duty in binding_duties))


def agreement_policy(base_url: str, agreement_id: int, deal: DealBody,
                     details: Mapping[str, Any] | None = None,
                     data_use: InForcePolicy | None = None, rules: Sequence[Rule] = ()) -> InForcePolicy:
    """The agreement of an approved deal: its permitted uses, then its prohibited actions. ``data_use`` is
    the data-use version in force at the time asked about (compiled from ``rules``), None if there is none:
    a permission no rule in force covers permits nothing."""
    uid = agreement_uid(base_url, agreement_id)
    party = Assignee("party", deal.counterparty.identifier, deal.counterparty.name)
    title = f"agreement #{agreement_id} with {deal.counterparty.name}"
    common = {"datasets": deal.datasets, "assignee": party, "not_before": deal.start_date,
              "not_after": deal.end_date}
    compiled = {rule.iri: rule for rule in data_use.rules} if data_use else {}
    rule_iri = {rule.id: set_rule_iri(data_use.uid, rule.id) for rule in rules} if data_use else {}
    permissions = []
    for binding in bind(deal, rules if data_use else ()):
        iri = f"{uid}#permission-{binding.index}"
        permissions.append(PolicyRule(
            iri=iri, name=f"permission {binding.index} of the {title}", effect="permission",
            action=binding.use.action, purposes=binding.use.purposes, min_cohort_size=deal.min_cohort_size,
            regions=deal.regions, duties=_bound_duties(deal, binding.duties, iri, rule_iri),
            bound_by=tuple(compiled[rule_iri[rule_id]] for rule_id in binding.rule_ids()), **common))
    prohibitions = tuple(PolicyRule(
        iri=f"{uid}#prohibition-{i}", name=f"prohibition {i} of the {title}", effect="prohibition", action=action,
        **common)
        for i, action in enumerate(deal.prohibited_actions, 1))
    return InForcePolicy(uid, AGREEMENT, title, (*permissions, *prohibitions),
                         {"agreement": agreement_id, **(details or {})})
