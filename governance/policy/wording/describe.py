"""Proposal bodies in plain language, and readable differences between two versions. Pure code.

:func:`describe_body` turns a body into sentences a member understands ("Prohibit training
generative AI models on Ride logs, for any purpose."); :func:`diff_bodies` lists the fields that
differ between two versions of a body, each with a label and old/new values as text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from governance.constitution.rules import KINDS, PARAMETER_LABELS, display_value, parse_threshold, threshold_words
from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import (
    EVERY_DATASET,
    Assignee,
    BylawChangeBody,
    DataUseRuleBody,
    DealBody,
    DealSuspensionBody,
    Duty,
    InvalidBody,
    PayoutFormula,
    PayoutPolicyBody,
    Rule,
)
from governance.policy.terms.fields import long_date
from governance.policy.terms.parsing import body_from_json

NOTHING = "—"


# --- small formatters -------------------------------------------------------------------------

def money_text(amount: Decimal | str, currency: str | None = None) -> str:
    """``Decimal("12000")``, ``"EUR"`` → ``"EUR 12,000.00"``."""
    text = f"{Decimal(amount):,.2f}"
    return f"{currency} {text}" if currency else text


def percent_text(fraction: Decimal | str) -> str:
    """``"0.10"`` → ``"10%"``, ``"0.125"`` → ``"12.5%"``."""
    percent = (Decimal(fraction) * 100).normalize()
    return f"{percent:f}%"


def join_words(items: Iterable[str], last: str = "and") -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def days_text(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def datasets_text(datasets: Sequence[str], titles: Mapping[str, str]) -> str:
    if EVERY_DATASET in datasets:
        return "every dataset of the cooperative"
    return join_words(titles.get(slug, slug) for slug in datasets)


def purposes_text(purposes: Sequence[str], last: str = "or") -> str:
    if not purposes:
        return "any purpose"
    return join_words((vocab.purpose_label(p).lower() for p in purposes), last)


def action_text(action: str, data: str) -> str:
    known = vocab.ACTIONS.get(action)
    return known.phrase.replace("{data}", data) if known else f"{action} on {data}"


def assignee_text(assignee: Assignee | None) -> str:
    if assignee is None:
        return "anyone"
    if assignee.type == "category":
        return vocab.PARTY_CATEGORY_PLURALS.get(assignee.value, assignee.value)
    return f"{assignee.name} ({assignee.value})"


def duty_text(duty: Duty) -> str:
    if duty.kind == "delete_after":
        return f"delete the data after {days_text(duty.days or 0)}"
    if duty.kind == "report_every":
        return f"report on its use every {days_text(duty.days or 0)}"
    if duty.kind == "attribute":
        return "attribute the cooperative"
    if duty.kind == "submit_to_audit":
        return "submit to audit by the cooperative"
    return duty.kind


def regions_text(regions: Sequence[str]) -> str:
    return join_words(("the " if code in ("EU", "EEA") else "") + vocab.REGIONS.get(code, code) for code in regions)


# --- describing -------------------------------------------------------------------------------

def describe_body(kind: str, body_json: Any, dataset_titles: Mapping[str, str], *,
                  agreements: Mapping[int, str] | None = None) -> list[str]:
    """Plain-language sentences for a body of ``kind``. A body that cannot be read is described as such.
    ``agreements`` (id → counterparty) names the agreement a suspension is about."""
    try:
        body = body_from_json(kind, body_json)
    except InvalidBody as exc:
        return [f"This body cannot be read: {exc}"]
    if isinstance(body, DealSuspensionBody):
        return describe_suspension(body, agreements or {})
    if isinstance(body, DataUseRuleBody):
        return _describe_rule_changes(body, dataset_titles)
    if isinstance(body, DealBody):
        return describe_deal(body, dataset_titles)
    if isinstance(body, PayoutPolicyBody):
        return [sentence for i, f in enumerate(body.alternatives, 1) for sentence in describe_formula(f, i)]
    assert isinstance(body, BylawChangeBody)
    return describe_bylaw_changes(body)


def rule_sentence(rule: Rule, titles: Mapping[str, str]) -> str:
    """The main sentence of a rule: "Prohibit training generative AI models on Ride logs, for any purpose."."""
    verb = "Permit" if rule.effect == "permission" else "Prohibit"
    by = f", by {assignee_text(rule.assignee)}" if rule.assignee else ""
    return f"{verb} {action_text(rule.action, datasets_text(rule.datasets, titles))}{by}, " \
           f"for {purposes_text(rule.purposes)}."


def describe_rule(rule: Rule, titles: Mapping[str, str]) -> list[str]:
    """The main sentence and one sentence per condition and for the duties."""
    sentences = [rule_sentence(rule, titles)]
    c = rule.constraints
    if c.min_cohort_size is not None:
        sentences.append(f"Only for cohorts of at least {c.min_cohort_size} members.")
    if c.retention_days is not None:
        sentences.append(f"The data may be kept for at most {days_text(c.retention_days)}.")
    if c.not_before and c.not_after:
        sentences.append(f"Applies from {long_date(c.not_before)} to {long_date(c.not_after)}.")
    elif c.not_before:
        sentences.append(f"Applies from {long_date(c.not_before)}.")
    elif c.not_after:
        sentences.append(f"Applies until {long_date(c.not_after)}.")
    if c.regions:
        sentences.append(f"The data may be processed only in {regions_text(c.regions)}.")
    if rule.duties:
        sentences.append(f"Whoever uses the data must {join_words(duty_text(d) for d in rule.duties)}.")
    if rule.description:
        sentences.append(f"Note: {rule.description}")
    return sentences


def _describe_rule_changes(body: DataUseRuleBody, titles: Mapping[str, str]) -> list[str]:
    sentences: list[str] = []
    for change in body.changes:
        if change.op == "remove":
            sentences.append(f"Remove rule '{change.rule_id}'.")
            continue
        assert change.rule is not None
        main, *details = describe_rule(change.rule, titles)
        lead = "Add rule" if change.op == "add" else "Change rule"
        sentences.append(f"{lead} '{change.rule.id}': {main}")
        sentences.extend(details)
    return sentences


def describe_deal(deal: DealBody, titles: Mapping[str, str]) -> list[str]:
    cp = deal.counterparty
    category = vocab.PARTY_CATEGORIES.get(cp.category, cp.category).lower()
    sentences = [f"Deal with {cp.name} ({cp.identifier}), a {category}."]
    if cp.contact:
        sentences.append(f"Contact: {cp.contact}.")
    sentences.append(f"Covers {datasets_text(deal.datasets, titles)}.")
    for use in deal.permitted:
        sentences.append(f"Permits {action_text(use.action, 'the data')} for {purposes_text(use.purposes)}.")
    if deal.prohibited_actions:
        sentences.append("Explicitly prohibits " + join_words(
            action_text(a, "the data") for a in deal.prohibited_actions) + ".")
    schedule = "once" if deal.payment_schedule == "once" else f"in {deal.payment_schedule} instalments"
    sentences.append(f"Price: {money_text(deal.price, deal.currency)} in total, paid {schedule}.")
    sentences.append(f"Runs from {long_date(deal.start_date)} to {long_date(deal.end_date)}.")
    if deal.retention_days is None:
        sentences.append("The deal sets no limit on how long the counterparty may keep the data.")
    else:
        sentences.append(f"The counterparty must delete the data within {days_text(deal.retention_days)}.")
    if deal.min_cohort_size is not None:
        sentences.append(f"Only for cohorts of at least {deal.min_cohort_size} members.")
    if deal.reporting_every_days is not None:
        sentences.append(f"The counterparty reports on its use every {days_text(deal.reporting_every_days)}.")
    sentences.append("The counterparty submits to audit by the cooperative." if deal.audit
                     else "No audit is agreed.")
    if deal.attribution:
        sentences.append("The counterparty attributes the cooperative.")
    if deal.regions:
        sentences.append(f"The data may be processed only in {regions_text(deal.regions)}.")
    if deal.notes:
        sentences.append(f"Notes: {deal.notes}")
    return sentences


def split_text(formula: PayoutFormula) -> str:
    metric = vocab.CONTRIBUTION_METRICS.get(formula.metric or "", formula.metric or "").lower()
    if formula.method == "equal":
        return "split the rest equally among members"
    if formula.method == "pro_rata":
        return f"split the rest in proportion to each member's {metric}"
    equal = formula.equal_fraction or Decimal(0)
    return (f"split {percent_text(equal)} of the rest equally among members and {percent_text(1 - equal)} "
            f"in proportion to each member's {metric}")


def describe_formula(formula: PayoutFormula, number: int = 1) -> list[str]:
    sentences = [f"Option {number}, \u201c{formula.label}\u201d: set aside {percent_text(formula.reserve_fraction)} "
                 f"for the reserve and {percent_text(formula.operating_cost_fraction)} for operating costs, then "
                 f"{split_text(formula)}."]
    if formula.minimum_per_member > 0:
        sentences.append(f"Each member receives at least {money_text(formula.minimum_per_member)} per payout "
                         "(in the currency of the revenue).")
    sentences.append(vocab.ROUNDING_RULES.get(formula.rounding, formula.rounding) + ".")
    return sentences


def bylaw_value_text(parameter: str, value: Any) -> str:
    if parameter == "threshold":
        threshold = parse_threshold(value)
        return f"{display_value(parameter, threshold)} ({threshold_words(threshold)})"
    return display_value(parameter, value)


def describe_bylaw_changes(body: BylawChangeBody) -> list[str]:
    return [f"{KINDS.get(kind, kind)}: set the {PARAMETER_LABELS.get(param, param).lower()} to "
            f"{bylaw_value_text(param, value)}."
            for kind, params in body.changes.items() for param, value in params.items()]


def agreement_text(agreement_id: int, agreements: Mapping[int, str]) -> str:
    """``3`` → "the agreement with Example University (#3)" (or "agreement #3" when the name is unknown)."""
    name = agreements.get(agreement_id)
    return f"the agreement with {name} (#{agreement_id})" if name else f"agreement #{agreement_id}"


def describe_suspension(body: DealSuspensionBody, agreements: Mapping[int, str]) -> list[str]:
    return [f"Suspend {agreement_text(body.agreement_id, agreements)} because: {body.reason}",
            "Once adopted, the agreement is suspended at once: it no longer permits any use of the data, and "
            "only a new deal approved by vote can replace it."]
