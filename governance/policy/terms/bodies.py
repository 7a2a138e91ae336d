"""The structured bodies of proposals: data-use rules, deals, payout formulas, bylaw changes.

Frozen dataclasses with ``to_json()`` (the stored form: only str/int/bool/null/list/dict, never
floats). Reading them is :mod:`governance.policy.terms.parsing`'s: ``parse_body`` validates a body
against the cooperative (its dataset catalogue, the curated purposes, the constitution) and raises
:class:`InvalidBody` listing every problem at once, keyed by dotted paths into the JSON;
``from_json(cls, data)`` reads a stored body or part of one: it checks shapes and types, but not
catalogue membership (old versions may name retired datasets).
Pure code: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from governance.constitution.rules import KindRules
from governance.policy.terms.fields import fraction_json, money_json

EFFECTS: dict[str, str] = {"permission": "Permission", "prohibition": "Prohibition"}
CHANGE_OPS: dict[str, str] = {"add": "Add a rule", "change": "Change a rule", "remove": "Remove a rule"}
EVERY_DATASET = "*"


class InvalidBody(ValueError):
    """A body that cannot be accepted. ``errors`` maps a dotted path into the body JSON
    (``"counterparty.name"``, ``"changes.0.rule.constraints.min_cohort_size"``; ``""`` for the whole
    body) to a sentence meant for people."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{path or 'body'}: {message}" for path, message in self.errors.items()))


# --- data-use rules ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Constraints:
    min_cohort_size: int | None = None
    retention_days: int | None = None
    not_before: date | None = None
    not_after: date | None = None
    regions: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "min_cohort_size": self.min_cohort_size,
            "retention_days": self.retention_days,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "regions": list(self.regions),
        }



@dataclass(frozen=True)
class Duty:
    """``delete_after`` and ``report_every`` carry ``days``; ``attribute`` and ``submit_to_audit`` do not."""

    kind: str
    days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "days": self.days} if self.days is not None else {"kind": self.kind}



@dataclass(frozen=True)
class Assignee:
    """Who a rule applies to: a ``category`` of party (``value`` a PARTY_CATEGORIES key) or one
    ``party`` (``value`` its web address, ``name`` its name)."""

    type: str
    value: str
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.type == "party":
            return {"type": "party", "value": self.value, "name": self.name}
        return {"type": self.type, "value": self.value}



@dataclass(frozen=True)
class Rule:
    """One permission or prohibition of the data-use policy. Empty ``purposes`` means any purpose;
    ``datasets == ("*",)`` means every dataset of the catalogue."""

    id: str
    effect: str
    datasets: tuple[str, ...]
    action: str
    assignee: Assignee | None = None
    purposes: tuple[str, ...] = ()
    constraints: Constraints = Constraints()
    duties: tuple[Duty, ...] = ()
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "effect": self.effect,
            "datasets": list(self.datasets),
            "action": self.action,
            "assignee": self.assignee.to_json() if self.assignee else None,
            "purposes": list(self.purposes),
            "constraints": self.constraints.to_json(),
            "duties": [duty.to_json() for duty in self.duties],
            "description": self.description,
        }



@dataclass(frozen=True)
class RuleChange:
    """``add``/``change`` carry the whole new ``rule``; ``remove`` names the ``rule_id`` only."""

    op: str
    rule: Rule | None = None
    rule_id: str = ""

    @property
    def target_id(self) -> str:
        return self.rule.id if self.rule is not None else self.rule_id

    def to_json(self) -> dict[str, Any]:
        if self.op == "remove":
            return {"op": "remove", "rule_id": self.rule_id}
        assert self.rule is not None
        return {"op": self.op, "rule": self.rule.to_json()}



@dataclass(frozen=True)
class DataUseRuleBody:
    changes: tuple[RuleChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {"changes": [change.to_json() for change in self.changes]}



# --- deals ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counterparty:
    name: str
    identifier: str
    category: str
    contact: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "identifier": self.identifier, "contact": self.contact,
                "category": self.category}



@dataclass(frozen=True)
class PermittedUse:
    action: str
    purposes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "purposes": list(self.purposes)}



@dataclass(frozen=True)
class DealBody:
    """A deal with a counterparty. ``price`` is the total for the whole term, paid on
    ``payment_schedule``; ``retention_days`` None means the deal sets no deletion deadline.
    ``regions`` (where the data may be processed; empty: the deal itself names none) and
    ``attribution`` (the counterparty attributes the cooperative) are stored only when set, so that
    the terms, and the hashes, of deals drafted before they existed stay as they were. Whatever the
    deal says, the adopted rules that cover it bind it too (docs/policy.md, "Rules and deals")."""

    counterparty: Counterparty
    datasets: tuple[str, ...]
    permitted: tuple[PermittedUse, ...]
    price: Decimal
    currency: str
    payment_schedule: str
    start_date: date
    end_date: date
    prohibited_actions: tuple[str, ...] = ()
    retention_days: int | None = None
    min_cohort_size: int | None = None
    reporting_every_days: int | None = None
    audit: bool = False
    notes: str = ""
    regions: tuple[str, ...] = ()
    attribution: bool = False

    def to_json(self) -> dict[str, Any]:
        optional: dict[str, Any] = {}
        if self.regions:
            optional["regions"] = list(self.regions)
        if self.attribution:
            optional["attribution"] = True
        return {
            "counterparty": self.counterparty.to_json(),
            "datasets": list(self.datasets),
            "permitted": [use.to_json() for use in self.permitted],
            "prohibited_actions": list(self.prohibited_actions),
            "price": money_json(self.price),
            "currency": self.currency,
            "payment_schedule": self.payment_schedule,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "retention_days": self.retention_days,
            "min_cohort_size": self.min_cohort_size,
            "reporting_every_days": self.reporting_every_days,
            "audit": self.audit,
            "notes": self.notes,
            **optional,
        }



# --- payout policy ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PayoutFormula:
    """How revenue is shared: first ``reserve_fraction`` and ``operating_cost_fraction`` are set
    aside, the rest is split ``equal``-ly, ``pro_rata`` by ``metric``, or ``hybrid``
    (``equal_fraction`` of it equally, the rest pro rata)."""

    label: str
    method: str
    reserve_fraction: Decimal
    operating_cost_fraction: Decimal
    minimum_per_member: Decimal
    equal_fraction: Decimal | None = None
    metric: str | None = None
    rounding: str = "cent_remainder_to_reserve"

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "method": self.method,
            "equal_fraction": fraction_json(self.equal_fraction) if self.equal_fraction is not None else None,
            "metric": self.metric,
            "reserve_fraction": fraction_json(self.reserve_fraction),
            "operating_cost_fraction": fraction_json(self.operating_cost_fraction),
            "minimum_per_member": money_json(self.minimum_per_member),
            "rounding": self.rounding,
        }



@dataclass(frozen=True)
class PayoutPolicyBody:
    alternatives: tuple[PayoutFormula, ...]

    def to_json(self) -> dict[str, Any]:
        return {"alternatives": [formula.to_json() for formula in self.alternatives]}



# --- bylaw changes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BylawChangeBody:
    """``changes`` is ``{kind: {parameter: value}}`` in JSON form (threshold as ``"2/3"``), ready for
    ``governance.constitution.services.amend_constitution``."""

    changes: Mapping[str, Mapping[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"changes": {kind: dict(params) for kind, params in self.changes.items()}}



# --- deal suspensions -------------------------------------------------------------------------

MAX_SUSPENSION_REASON = 2000


@dataclass(frozen=True)
class DealSuspensionBody:
    """An emergency vote to suspend an approved agreement (``agreement_id``) for ``reason``. Adopted,
    it stops the agreement at once, like a steward's suspension."""

    agreement_id: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"agreement_id": self.agreement_id, "reason": self.reason}



@dataclass(frozen=True)
class AgreementRef:
    """An agreement as a suspension body is checked against: its counterparty and its status today
    (``upcoming``, ``active``, ``expired`` or ``suspended``)."""

    id: int
    counterparty: str
    status: str

    @property
    def label(self) -> str:
        return f"the agreement with {self.counterparty} (#{self.id})"

    @property
    def suspendable(self) -> bool:
        return self.status in ("upcoming", "active")


Body = DataUseRuleBody | DealBody | PayoutPolicyBody | BylawChangeBody | DealSuspensionBody

BODY_KINDS: dict[str, type] = {
    "data_use_rule": DataUseRuleBody,
    "deal_approval": DealBody,
    "payout_policy": PayoutPolicyBody,
    "bylaw_change": BylawChangeBody,
    "deal_suspension": DealSuspensionBody,
}


@dataclass(frozen=True)
class BodyContext:
    """What a body is validated against. ``constitution`` None means the default constitution;
    ``rules`` (the adopted data-use rules), when given, lets data-use changes be checked against them
    (changing or removing a rule that does not exist, adding one that does); ``agreements`` (every
    agreement by id, with its status today), when given, lets a suspension name only an agreement
    that is in force or upcoming."""

    datasets: frozenset[str]
    constitution: Mapping[str, KindRules] | None = None
    rules: tuple[Rule, ...] | None = None
    agreements: Mapping[int, AgreementRef] | None = None


def empty_body(kind: str) -> dict[str, Any]:
    """A starting JSON for a new draft's form. It is not valid yet: names, datasets and dates
    (``None``) are for the author to fill in."""
    if kind == "data_use_rule":
        return {"changes": [{"op": "add", "rule": empty_rule()}]}
    if kind == "deal_approval":
        return {
            "counterparty": {"name": "", "identifier": "", "contact": "", "category": "commercial"},
            "datasets": [],
            "permitted": [{"action": "aggregate", "purposes": []}],
            "prohibited_actions": [],
            "price": "0.00", "currency": "EUR", "payment_schedule": "once",
            "start_date": None, "end_date": None,
            "retention_days": None, "min_cohort_size": None, "reporting_every_days": None,
            "audit": False, "notes": "",
        }
    if kind == "payout_policy":
        return {"alternatives": [{
            "label": "Equal split", "method": "equal", "equal_fraction": None, "metric": None,
            "reserve_fraction": "0.10", "operating_cost_fraction": "0.05", "minimum_per_member": "0.00",
            "rounding": "cent_remainder_to_reserve",
        }]}
    if kind == "bylaw_change":
        return {"changes": {}}
    if kind == "deal_suspension":
        return {"agreement_id": None, "reason": ""}
    raise ValueError(f"unknown proposal kind {kind!r}")


def empty_rule() -> dict[str, Any]:
    """A blank rule (for "add another rule" in forms)."""
    return {
        "id": "", "effect": "prohibition", "datasets": [], "action": "use", "assignee": None, "purposes": [],
        "constraints": {"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
                        "regions": []},
        "duties": [], "description": "",
    }
