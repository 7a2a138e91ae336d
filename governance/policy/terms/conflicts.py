"""Checking a deal against the adopted data-use rules. Pure code.

A deal's permitted use (an action with purposes, on the deal's datasets, for its counterparty)
conflicts with the rules when:

* ``prohibited``: a prohibition matches it: the datasets overlap (``"*"`` overlaps everything), the
  purposes overlap through the DPV hierarchy (no purposes = every purpose), the rule's assignee is
  everyone, the counterparty's category or the counterparty itself, the rule's date window overlaps
  the deal's term, and either the deal's action is the prohibited one or narrower, or the deal's
  action is broader and the deal does not itself prohibit the narrower one (permitting "train AI
  models" permits training generative models unless the deal rules that out);
* ``not_permitted``: no permission covers the dataset and action for this counterparty at all;
* ``purpose_not_allowed``: permissions cover the dataset and action, but none admits the purpose;
* ``retention_exceeds``, ``cohort_too_small``, ``outside_window``, ``duty_missing``,
  ``region_missing``, ``region_outside``: a permission that covers the use (``terms.binding``) sets a
  condition or duty the deal does not state, or states more loosely. Every covering rule binds the
  use (a deal only narrows what the rules permit), so each one's findings are reported.

The agreement, its export and its decisions are bound by the covering rules whatever the deal says
(``terms.binding``); the gate makes the deal's own text say it before the vote, so that members vote
on terms that are the ones that will bind. A deal on every dataset (``"*"``) is covered only by
permissions on every dataset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from governance.policy.terms.binding import assignee_matches, purposes_overlap, regions_within, shared_datasets
from governance.policy.terms.bodies import EVERY_DATASET, Assignee, DealBody, PermittedUse, Rule
from governance.policy.terms.fields import long_date
from governance.policy.terms.vocabulary import (
    ACTIONS,
    PARTY_CATEGORY_PLURALS,
    REGIONS,
    action_is_a,
    purpose_is_a,
    purpose_label,
)

CONFLICT_CODES: dict[str, str] = {
    "prohibited": "A rule prohibits it",
    "not_permitted": "No rule permits it",
    "purpose_not_allowed": "Purpose not allowed",
    "retention_exceeds": "Kept too long",
    "cohort_too_small": "Cohorts too small",
    "outside_window": "Outside the rule's dates",
    "duty_missing": "A duty of the rule is missing",
    "region_missing": "The rule's region is missing",
    "region_outside": "Outside the rule's region",
}


@dataclass(frozen=True)
class Conflict:
    code: str
    rule_id: str | None
    message: str


def deal_conflicts(deal: DealBody, rules: Sequence[Rule]) -> list[Conflict]:
    """Every way ``deal`` goes beyond ``rules``, prohibitions first; ``[]`` when the rules allow it."""
    found: list[Conflict] = []
    for use in deal.permitted:
        found.extend(_prohibitions(deal, use, rules))
    for use in deal.permitted:
        found.extend(_missing_permissions(deal, use, rules))
    unique: dict[tuple[str, str | None, str], Conflict] = {}
    for conflict in found:
        unique.setdefault((conflict.code, conflict.rule_id, conflict.message), conflict)
    return list(unique.values())


# --- matching ---------------------------------------------------------------------------------

def _window_overlaps(rule: Rule, deal: DealBody) -> bool:
    c = rule.constraints
    return (c.not_before is None or deal.end_date >= c.not_before) and (
        c.not_after is None or deal.start_date <= c.not_after)


def _deal_prohibits(deal: DealBody, action: str) -> bool:
    return any(action_is_a(action, code) for code in deal.prohibited_actions)


# --- wording ----------------------------------------------------------------------------------

def _datasets_text(datasets: Iterable[str]) -> str:
    names = ["every dataset" if d == EVERY_DATASET else d for d in datasets]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _doing(action: str, datasets: Iterable[str]) -> str:
    return ACTIONS[action].phrase.replace("{data}", _datasets_text(datasets))


def _purposes_text(purposes: Sequence[str]) -> str:
    if not purposes:
        return "any purpose"
    labels = [purpose_label(p).lower() for p in purposes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _regions_text(regions: Sequence[str]) -> str:
    names = [("the " if code in ("EU", "EEA") else "") + REGIONS.get(code, code) for code in regions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _assignee_text(assignee: Assignee | None) -> str:
    if assignee is None:
        return "anyone"
    if assignee.type == "category":
        return PARTY_CATEGORY_PLURALS.get(assignee.value, assignee.value)
    return assignee.name or assignee.value


# --- the checks -------------------------------------------------------------------------------

def _prohibitions(deal: DealBody, use: PermittedUse, rules: Sequence[Rule]) -> list[Conflict]:
    conflicts = []
    for rule in rules:
        if rule.effect != "prohibition" or not assignee_matches(rule.assignee, deal.counterparty):
            continue
        datasets = shared_datasets(rule.datasets, deal.datasets)
        if not datasets or not _window_overlaps(rule, deal) or not purposes_overlap(rule.purposes, use.purposes):
            continue
        prohibited = f"Rule '{rule.id}' prohibits {_doing(rule.action, datasets)} for {_purposes_text(rule.purposes)}"
        if action_is_a(use.action, rule.action):
            conflicts.append(Conflict("prohibited", rule.id, f"{prohibited}, and this deal permits "
                                      f"{_doing(use.action, datasets)} for {_purposes_text(use.purposes)}."))
        elif action_is_a(rule.action, use.action) and not _deal_prohibits(deal, rule.action):
            conflicts.append(Conflict(
                "prohibited", rule.id,
                f"{prohibited}. This deal permits {_doing(use.action, datasets)}, which includes it: add "
                f"'{ACTIONS[rule.action].label}' to the deal's prohibited actions, or change the rule."))
    return conflicts


def _missing_permissions(deal: DealBody, use: PermittedUse, rules: Sequence[Rule]) -> list[Conflict]:
    """Per dataset, then merged: one conflict per finding, naming every dataset it concerns."""
    findings: dict[tuple[str, str | None, str], list[str]] = {}
    for dataset in deal.datasets:
        for code, rule_id, template in _dataset_findings(deal, use, dataset, rules):
            findings.setdefault((code, rule_id, template), []).append(dataset)
    return [Conflict(code, rule_id, template.replace("{data}", _datasets_text(datasets)))
            for (code, rule_id, template), datasets in findings.items()]


def _dataset_findings(deal: DealBody, use: PermittedUse, dataset: str,
                      rules: Sequence[Rule]) -> list[tuple[str, str | None, str]]:
    doing = ACTIONS[use.action].phrase  # "{data}" stays a placeholder until datasets are merged
    on_data = [r for r in rules if r.effect == "permission" and action_is_a(use.action, r.action)
               and (EVERY_DATASET in r.datasets or dataset in r.datasets)]
    candidates = [r for r in on_data if assignee_matches(r.assignee, deal.counterparty)]
    if not candidates:
        others = ", ".join(f"'{r.id}' ({_assignee_text(r.assignee)})" for r in on_data)
        tail = f"; rules {others} permit it for others only" if others else ""
        return [("not_permitted", None,
                 f"No data-use rule permits {doing} for {deal.counterparty.name}{tail}.")]
    findings: list[tuple[str, str | None, str]] = []
    for purpose in use.purposes:
        admitting = [r for r in candidates
                     if not r.purposes or any(purpose_is_a(purpose, allowed) for allowed in r.purposes)]
        if not admitting:
            allowed = "; ".join(f"for {_purposes_text(r.purposes)} (rule '{r.id}')" for r in candidates)
            findings.append(("purpose_not_allowed", candidates[0].id,
                             f"The rules permit {doing} only {allowed}, not for {purpose_label(purpose).lower()}."))
            continue
        # Every rule that covers the use binds it, not only the ones that admit this purpose exactly.
        for rule in candidates:
            if purposes_overlap(rule.purposes, use.purposes):
                findings.extend(_violations(rule, deal))
    return findings


def _violations(rule: Rule, deal: DealBody) -> list[tuple[str, str | None, str]]:
    """The conditions of permission ``rule`` that ``deal`` does not meet, for {data}."""
    problems: list[tuple[str, str | None, str]] = []
    c = rule.constraints
    name = f"Rule '{rule.id}'"
    limits = [d for d in (c.retention_days, *(d.days for d in rule.duties if d.kind == "delete_after")) if d]
    if limits:
        limit = min(limits)
        if deal.retention_days is None:
            problems.append(("retention_exceeds", rule.id, f"{name} allows keeping {{data}} for at most {limit} days, "
                                                           "and this deal sets no time limit."))
        elif deal.retention_days > limit:
            problems.append(("retention_exceeds", rule.id, f"{name} allows keeping {{data}} for at most {limit} days, "
                                                           f"and this deal allows {deal.retention_days} days."))
    if c.min_cohort_size is not None and (deal.min_cohort_size or 0) < c.min_cohort_size:
        now = (f"this deal allows cohorts of {deal.min_cohort_size}" if deal.min_cohort_size
               else "this deal sets no minimum")
        problems.append(("cohort_too_small", rule.id, f"{name} requires cohorts of at least {c.min_cohort_size} "
                                                      f"members in {{data}}, and {now}."))
    if (c.not_before and deal.start_date < c.not_before) or (c.not_after and deal.end_date > c.not_after):
        window = " ".join(part for part in (
            f"from {long_date(c.not_before)}" if c.not_before else "",
            f"until {long_date(c.not_after)}" if c.not_after else "") if part)
        term = f"from {long_date(deal.start_date)} to {long_date(deal.end_date)}"
        problems.append(("outside_window", rule.id,
                         f"{name} applies to {{data}} only {window}, and this deal runs {term}."))
    if c.regions and not deal.regions:
        problems.append(("region_missing", rule.id, f"{name} allows processing {{data}} only in "
                                                    f"{_regions_text(c.regions)}, and this deal names no region."))
    elif c.regions and not regions_within(deal.regions, c.regions):
        problems.append(("region_outside", rule.id, f"{name} allows processing {{data}} only in "
                                                    f"{_regions_text(c.regions)}, and this deal allows "
                                                    f"{_regions_text(deal.regions)}."))
    for duty in rule.duties:
        if duty.kind == "attribute" and not deal.attribution:
            problems.append(("duty_missing", rule.id, f"{name} requires users of {{data}} to attribute the "
                                                      "cooperative, and this deal does not."))
        if duty.kind == "report_every" and (deal.reporting_every_days is None
                                            or deal.reporting_every_days > duty.days):
            problems.append(("duty_missing", rule.id, f"{name} requires a report on the use of {{data}} at least "
                                                      f"every {duty.days} days, and this deal does not provide it."))
        if duty.kind == "submit_to_audit" and not deal.audit:
            problems.append(("duty_missing", rule.id, f"{name} requires users of {{data}} to submit to audit, and "
                                                      "this deal has no audit."))
    return problems
