"""Bodies flattened into labelled display fields, which :func:`describe.diff_bodies` compares.

Fields are keyed by what they mean rather than by list position (a rule by its id, a permitted use
by its action, a bylaw value by kind and parameter), so inserting one rule does not make every later
rule look changed. Pure code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from governance.constitution.rules import KINDS, PARAMETER_LABELS
from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import (
    CHANGE_OPS,
    EFFECTS,
    BylawChangeBody,
    DataUseRuleBody,
    DealBody,
    DealSuspensionBody,
    InvalidBody,
    PayoutPolicyBody,
    Rule,
)
from governance.policy.terms.fields import long_date, lower_first
from governance.policy.terms.parsing import body_from_json
from governance.policy.wording.describe import (
    NOTHING,
    agreement_text,
    assignee_text,
    bylaw_value_text,
    datasets_text,
    days_text,
    duty_text,
    join_words,
    money_text,
    percent_text,
    purposes_text,
    regions_text,
)


@dataclass(frozen=True)
class DisplayField:
    path: str
    label: str
    text: str


Fields = dict[tuple[str, ...], DisplayField]


def flatten_body(kind: str, data: Any, titles: Mapping[str, str],
                 agreements: Mapping[int, str] | None = None) -> Fields:
    try:
        body = body_from_json(kind, data)
    except InvalidBody:
        return _flatten_raw(data)
    fields: Fields = {}
    if isinstance(body, DataUseRuleBody):
        for index, change in enumerate(body.changes):
            _rule_change_fields(fields, index, change.op, change.target_id, change.rule, titles)
    elif isinstance(body, DealBody):
        _deal_fields(fields, body, titles)
    elif isinstance(body, PayoutPolicyBody):
        _payout_fields(fields, body)
    elif isinstance(body, DealSuspensionBody):
        text = agreement_text(body.agreement_id, agreements or {})
        fields[("suspension", "agreement")] = DisplayField("agreement_id", "Agreement to suspend",
                                                           text[:1].upper() + text[1:])
        fields[("suspension", "reason")] = DisplayField("reason", "Reason", body.reason)
    elif isinstance(body, BylawChangeBody):
        for kind_name, params in body.changes.items():
            for param, value in params.items():
                label = f"{KINDS.get(kind_name, kind_name)}: {PARAMETER_LABELS.get(param, param).lower()}"
                fields[("bylaw", kind_name, param)] = DisplayField(
                    f"changes.{kind_name}.{param}", label, bylaw_value_text(param, value))
    return fields


def _flatten_raw(data: Any, path: str = "") -> Fields:
    """A body that does not parse (an old or broken draft) still gets a diff: one field per leaf."""
    if isinstance(data, Mapping) and data:
        fields: Fields = {}
        for key, value in data.items():
            fields.update(_flatten_raw(value, f"{path}.{key}" if path else str(key)))
        return fields
    if isinstance(data, list) and data:
        fields = {}
        for index, value in enumerate(data):
            fields.update(_flatten_raw(value, f"{path}.{index}" if path else str(index)))
        return fields
    return {("raw", path): DisplayField(path, path or "Body", json.dumps(data, ensure_ascii=False, sort_keys=True))}


def _rule_change_fields(fields: Fields, index: int, op: str, rule_id: str, rule: Rule | None,
                        titles: Mapping[str, str]) -> None:
    prefix = f"changes.{index}"
    name = f"Rule {rule_id}"

    def put(key: str, path: str, label: str, text: str) -> None:
        fields[("rule", rule_id, key)] = DisplayField(path, f"{name}: {label}", text)

    put("op", f"{prefix}.op", "change proposed", CHANGE_OPS.get(op, op).lower())
    if rule is None:
        return
    p = f"{prefix}.rule"
    c = rule.constraints
    put("effect", f"{p}.effect", "permission or prohibition", EFFECTS.get(rule.effect, rule.effect).lower())
    put("datasets", f"{p}.datasets", "datasets", datasets_text(rule.datasets, titles))
    put("action", f"{p}.action", "action", vocab.ACTIONS[rule.action].label)
    put("assignee", f"{p}.assignee", "applies to", assignee_text(rule.assignee))
    put("purposes", f"{p}.purposes", "purposes", purposes_text(rule.purposes, "and"))
    put("cohort", f"{p}.constraints.min_cohort_size", "minimum cohort size",
        str(c.min_cohort_size) if c.min_cohort_size is not None else NOTHING)
    put("retention", f"{p}.constraints.retention_days", "retention period",
        days_text(c.retention_days) if c.retention_days is not None else "no limit")
    put("not_before", f"{p}.constraints.not_before", "first day", long_date(c.not_before) if c.not_before else NOTHING)
    put("not_after", f"{p}.constraints.not_after", "last day", long_date(c.not_after) if c.not_after else NOTHING)
    put("regions", f"{p}.constraints.regions", "regions", regions_text(c.regions) if c.regions else "anywhere")
    put("duties", f"{p}.duties", "duties", join_words(duty_text(d) for d in rule.duties) or "none")
    put("description", f"{p}.description", "description", rule.description or NOTHING)


def _deal_fields(fields: Fields, deal: DealBody, titles: Mapping[str, str]) -> None:
    def put(key: str, path: str, label: str, text: str) -> None:
        fields[("deal", key)] = DisplayField(path, label, text)

    cp = deal.counterparty
    put("name", "counterparty.name", "Counterparty", cp.name)
    put("identifier", "counterparty.identifier", "Counterparty's web address", cp.identifier)
    put("contact", "counterparty.contact", "Contact", cp.contact or NOTHING)
    put("category", "counterparty.category", "Kind of counterparty",
        vocab.PARTY_CATEGORIES.get(cp.category, cp.category))
    put("datasets", "datasets", "Datasets", datasets_text(deal.datasets, titles))
    for index, use in enumerate(deal.permitted):
        put(f"permitted:{use.action}", f"permitted.{index}.purposes",
            f"Permitted: {lower_first(vocab.ACTIONS[use.action].label)}", "for " + purposes_text(use.purposes))
    put("prohibited", "prohibited_actions", "Prohibited actions",
        join_words(lower_first(vocab.ACTIONS[a].label) for a in deal.prohibited_actions) or "none")
    put("price", "price", "Price", money_text(deal.price, deal.currency))
    put("schedule", "payment_schedule", "Payment schedule", vocab.PAYMENT_SCHEDULES[deal.payment_schedule])
    put("start", "start_date", "Start date", long_date(deal.start_date))
    put("end", "end_date", "End date", long_date(deal.end_date))
    put("retention", "retention_days", "Retention period",
        days_text(deal.retention_days) if deal.retention_days is not None else "no limit")
    put("cohort", "min_cohort_size", "Minimum cohort size",
        str(deal.min_cohort_size) if deal.min_cohort_size is not None else NOTHING)
    put("reporting", "reporting_every_days", "Reporting",
        f"every {days_text(deal.reporting_every_days)}" if deal.reporting_every_days is not None else "none")
    put("audit", "audit", "Audit", "yes" if deal.audit else "no")
    put("attribution", "attribution", "Attribution", "yes" if deal.attribution else "no")
    put("regions", "regions", "Regions", regions_text(deal.regions) if deal.regions else "as the rules say")
    put("notes", "notes", "Notes", deal.notes or NOTHING)


def _payout_fields(fields: Fields, body: PayoutPolicyBody) -> None:
    for index, formula in enumerate(body.alternatives):
        def put(key: str, label: str, text: str, i: int = index) -> None:
            fields[("payout", str(i), key)] = DisplayField(f"alternatives.{i}.{key}", f"Option {i + 1}: {label}", text)

        put("label", "name", formula.label)
        put("method", "split", vocab.PAYOUT_METHODS.get(formula.method, formula.method))
        put("equal_fraction", "equal share",
            percent_text(formula.equal_fraction) if formula.equal_fraction is not None else NOTHING)
        put("metric", "contribution metric",
            vocab.CONTRIBUTION_METRICS.get(formula.metric, formula.metric) if formula.metric else NOTHING)
        put("reserve_fraction", "reserve", percent_text(formula.reserve_fraction))
        put("operating_cost_fraction", "operating costs", percent_text(formula.operating_cost_fraction))
        put("minimum_per_member", "minimum per member", money_text(formula.minimum_per_member))
        put("rounding", "rounding", vocab.ROUNDING_RULES.get(formula.rounding, formula.rounding))
