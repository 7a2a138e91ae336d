"""Valid sample bodies (as JSON) and hypothesis strategies for policy bodies, for the pure policy tests."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import (
    Assignee,
    BodyContext,
    Constraints,
    Counterparty,
    DataUseRuleBody,
    DealBody,
    Duty,
    PayoutFormula,
    PayoutPolicyBody,
    PermittedUse,
    Rule,
    RuleChange,
)

DPV = vocab.DPV
CATALOGUE = frozenset({"ride-logs", "health-diary", "chat-transcripts", "shift-schedules"})
CONTEXT = BodyContext(datasets=CATALOGUE, constitution=None)
TITLES = {"ride-logs": "Ride logs", "health-diary": "Health diary", "chat-transcripts": "Chat transcripts",
          "shift-schedules": "Shift schedules"}


def rule_json(**overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": "research-only",
        "effect": "permission",
        "datasets": ["ride-logs"],
        "action": "aggregate",
        "assignee": {"type": "category", "value": "academic"},
        "purposes": [DPV + "AcademicResearch"],
        "constraints": {"min_cohort_size": 50, "retention_days": 365, "not_before": "2027-01-01",
                        "not_after": "2027-12-31", "regions": ["EU"]},
        "duties": [{"kind": "delete_after", "days": 365}, {"kind": "attribute"}],
        "description": "Research use only, in large cohorts.",
    }
    rule.update(overrides)
    return rule


def covering_rule_json(**overrides: Any) -> dict[str, Any]:
    """A permission that covers :func:`deal_json`'s deal (which only narrows it): Example AI may train AI
    models on ride logs for commercial research in 2027, attributing the cooperative. Assigned to Example
    AI alone, so that other parties' deals are covered by no rule."""
    rule: dict[str, Any] = {
        "id": "commercial-training", "effect": "permission", "datasets": ["ride-logs"], "action": "train_ai_model",
        "assignee": {"type": "party", "value": "https://example.ai", "name": "Example AI"},
        "purposes": [DPV + "CommercialResearch"],
        "constraints": {"min_cohort_size": None, "retention_days": None, "not_before": "2027-01-01",
                        "not_after": "2027-12-31", "regions": []},
        "duties": [{"kind": "attribute"}], "description": "",
    }
    rule.update(overrides)
    return rule


def prohibition_json(**overrides: Any) -> dict[str, Any]:
    rule = {
        "id": "no-genai-training", "effect": "prohibition", "datasets": ["ride-logs"],
        "action": "train_generative_model", "assignee": None, "purposes": [],
        "constraints": {"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
                        "regions": []},
        "duties": [], "description": "",
    }
    rule.update(overrides)
    return rule


def data_use_json(*changes: dict[str, Any]) -> dict[str, Any]:
    return {"changes": list(changes) or [{"op": "add", "rule": rule_json()}]}


def deal_json(**overrides: Any) -> dict[str, Any]:
    deal: dict[str, Any] = {
        "counterparty": {"name": "Example AI", "identifier": "https://example.ai", "contact": "deals@example.ai",
                         "category": "commercial"},
        "datasets": ["ride-logs"],
        "permitted": [{"action": "train_ai_model", "purposes": [DPV + "CommercialResearch"]}],
        "prohibited_actions": ["sell"],
        "price": "12000.00",
        "currency": "EUR",
        "payment_schedule": "quarterly",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "retention_days": 365,
        "min_cohort_size": 100,
        "reporting_every_days": 90,
        "audit": True,
        "notes": "Negotiated in October.",
    }
    deal.update(overrides)
    return deal


def formula_json(**overrides: Any) -> dict[str, Any]:
    formula: dict[str, Any] = {
        "label": "Hybrid", "method": "hybrid", "equal_fraction": "0.40", "metric": "records_contributed",
        "reserve_fraction": "0.10", "operating_cost_fraction": "0.05", "minimum_per_member": "5.00",
        "rounding": "cent_remainder_to_reserve",
    }
    formula.update(overrides)
    return formula


def payout_json(*formulas: dict[str, Any]) -> dict[str, Any]:
    return {"alternatives": list(formulas) or [formula_json()]}


def bylaw_json() -> dict[str, Any]:
    return {"changes": {"deal_approval": {"quorum_percent": 30, "threshold": "2/3"}}}


def suspension_json() -> dict[str, Any]:
    return {"agreement_id": 1, "reason": "The counterparty sold ride logs to a data broker."}


def valid_bodies() -> dict[str, dict[str, Any]]:
    return copy.deepcopy({"data_use_rule": data_use_json(), "deal_approval": deal_json(),
                          "payout_policy": payout_json(), "bylaw_change": bylaw_json(),
                          "deal_suspension": suspension_json()})


# --- hypothesis strategies --------------------------------------------------------------------

slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
datasets = st.one_of(st.just(("*",)), st.sets(st.sampled_from(sorted(CATALOGUE)), min_size=1).map(
    lambda s: tuple(sorted(s))))
purpose_sets = st.sets(st.sampled_from(sorted(vocab.PURPOSES)), max_size=4).map(lambda s: tuple(sorted(s)))
actions = st.sampled_from(sorted(vocab.ACTIONS))
days = st.integers(min_value=1, max_value=36_500)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40).map(
    str.strip)
names = text.filter(bool)
urls = st.from_regex(r"https://[a-z]{1,12}\.(ai|org|com)(/[a-z0-9]{1,8})?", fullmatch=True)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
fractions = st.integers(min_value=0, max_value=4999).map(lambda n: Decimal(n).scaleb(-4))


@st.composite
def constraints(draw: st.DrawFn) -> Constraints:
    start = draw(st.none() | dates)
    end = draw(st.none() | dates)
    if start and end and end < start:
        start, end = end, start
    return Constraints(draw(st.none() | st.integers(1, 10_000)), draw(st.none() | days), start, end,
                       tuple(sorted(draw(st.sets(st.sampled_from(sorted(vocab.REGIONS)), max_size=3)))))


assignees = st.none() | st.builds(Assignee, st.just("category"), st.sampled_from(sorted(vocab.PARTY_CATEGORIES))) \
    | st.builds(Assignee, st.just("party"), urls, names)


@st.composite
def rules(draw: st.DrawFn, rule_id: str | None = None) -> Rule:
    effect = draw(st.sampled_from(["permission", "prohibition"]))
    limits = draw(constraints())
    duties: tuple[Duty, ...] = ()
    if effect == "permission":
        kinds = draw(st.lists(st.sampled_from(sorted(vocab.DUTY_KINDS)), unique=True, max_size=4))
        upper = limits.retention_days or 36_500
        duties = tuple(Duty(k, draw(st.integers(1, upper))) if k in vocab.DUTIES_WITH_DAYS else Duty(k)
                       for k in kinds)
    return Rule(rule_id or draw(slugs), effect, draw(datasets), draw(actions), draw(assignees), draw(purpose_sets),
                limits, duties, draw(text))


@st.composite
def data_use_bodies(draw: st.DrawFn) -> DataUseRuleBody:
    ids = draw(st.lists(slugs, min_size=1, max_size=5, unique=True))
    changes = []
    for rule_id in ids:
        op = draw(st.sampled_from(["add", "change", "remove"]))
        changes.append(RuleChange(op, rule_id=rule_id) if op == "remove" else RuleChange(op, draw(rules(rule_id))))
    return DataUseRuleBody(tuple(changes))


@st.composite
def deals(draw: st.DrawFn) -> DealBody:
    start = draw(dates)
    end = start + timedelta(days=draw(st.integers(1, 3000)))
    permitted_actions = draw(st.lists(actions, min_size=1, max_size=3, unique=True))
    permitted = tuple(PermittedUse(a, draw(purpose_sets.filter(bool))) for a in permitted_actions)
    prohibited = draw(st.sets(actions, max_size=3))
    prohibited = {p for p in prohibited if not any(vocab.action_is_a(a, p) for a in permitted_actions)}
    counterparty = Counterparty(draw(names), draw(urls), draw(st.sampled_from(sorted(vocab.PARTY_CATEGORIES))),
                                draw(text))
    currency = draw(st.sampled_from(sorted(vocab.CURRENCIES)))
    return DealBody(counterparty, draw(datasets), permitted, draw(money), currency,
                    draw(st.sampled_from(sorted(vocab.PAYMENT_SCHEDULES))), start, end, tuple(sorted(prohibited)),
                    draw(st.none() | days), draw(st.none() | st.integers(1, 10_000)), draw(st.none() | days),
                    draw(st.booleans()), draw(text))


@st.composite
def formulas(draw: st.DrawFn, label: str = "Option") -> PayoutFormula:
    method = draw(st.sampled_from(sorted(vocab.PAYOUT_METHODS)))
    equal = draw(st.integers(1, 9999).map(lambda n: Decimal(n).scaleb(-4))) if method == "hybrid" else None
    metric = None if method == "equal" else draw(st.sampled_from(sorted(vocab.CONTRIBUTION_METRICS)))
    return PayoutFormula(label, method, draw(fractions), draw(fractions), draw(money), equal, metric)


@st.composite
def payout_bodies(draw: st.DrawFn) -> PayoutPolicyBody:
    count = draw(st.integers(1, 5))
    return PayoutPolicyBody(tuple(draw(formulas(f"Option {n}")) for n in range(1, count + 1)))
