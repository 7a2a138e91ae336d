"""What binds a deal: its own terms narrowed by every adopted rule that covers it. Pure code.

One semantics (docs/policy.md, "Rules and deals"), used by the conflict gate (``terms.conflicts``),
the agreement's ODRL export (``odrl.agreement``) and the decision engine (``decisions.policies``):

* A data-use permission *covers* a permitted use of a deal when it applies to the deal's counterparty
  (everyone, its category, or the counterparty itself), its action is the use's action or broader,
  it targets at least one of the deal's datasets, and its purposes overlap the use's (DPV hierarchy).
* A deal only ever narrows what the rules permit: every covering rule's conditions (regions, cohort
  size, date window) and duties (delete, report, attribute, audit; a retention limit is a duty to
  delete) bind the use as well as the deal's own. Several covering rules bind together (all of them,
  never the most lenient); of two values for the same thing the stricter wins, whoever sets it.
* A use no rule covers permits nothing (the decision engine also requires, per request, a covering
  rule that admits the requested dataset and purpose).

Rules in force change: a version adopted later binds existing agreements from its adoption on,
so the same deal can be bound by different rules at different times. :func:`bind` takes the rules
in force at the time asked about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from governance.policy.terms.bodies import EVERY_DATASET, Assignee, Counterparty, DealBody, PermittedUse, Rule
from governance.policy.terms.vocabulary import EEA_MEMBERS, EU_MEMBERS, action_is_a, purpose_is_a

#: The source of a bound condition or duty that is the deal's own (any other source is a rule id).
DEAL = ""


def same_party(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def assignee_matches(assignee: Assignee | None, counterparty: Counterparty) -> bool:
    if assignee is None:
        return True
    if assignee.type == "category":
        return assignee.value == counterparty.category
    return same_party(assignee.value, counterparty.identifier)


def shared_datasets(rule_datasets: Sequence[str], deal_datasets: Sequence[str]) -> list[str]:
    """The datasets both name (``"*"`` standing for every dataset)."""
    if EVERY_DATASET in rule_datasets:
        return list(deal_datasets)
    if EVERY_DATASET in deal_datasets:
        return list(rule_datasets)
    return [d for d in deal_datasets if d in rule_datasets]


def purposes_overlap(rule_purposes: Sequence[str], deal_purposes: Sequence[str]) -> bool:
    if not rule_purposes or not deal_purposes:
        return True
    return any(purpose_is_a(p, q) or purpose_is_a(q, p) for p in deal_purposes for q in rule_purposes)


def region_within(region: str, allowed: str) -> bool:
    """Whether processing in ``region`` stays in ``allowed`` (a country is in the EU and the EEA; the EU is
    in the EEA; never the reverse)."""
    if region == allowed:
        return True
    if allowed == "EU":
        return region in EU_MEMBERS
    if allowed == "EEA":
        return region == "EU" or region in EEA_MEMBERS
    return False


def regions_within(regions: Iterable[str], allowed: Sequence[str]) -> bool:
    """Whether every region of ``regions`` stays in one of ``allowed``."""
    return all(any(region_within(region, a) for a in allowed) for region in regions)


@dataclass(frozen=True)
class RegionLimit:
    """Processing only in one of ``regions``, set by ``source`` (:data:`DEAL` or a rule id)."""

    regions: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class BoundDuty:
    """A duty of the bound use: ``delete_after``/``report_every`` (the smallest ``days`` of its sources),
    ``attribute``, ``submit_to_audit``; ``sources`` are :data:`DEAL` and/or rule ids, the deal first."""

    kind: str
    days: int | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Binding:
    """One permitted use of a deal with what binds it. ``regions``: every limit that applies (processing
    must satisfy each one), stripped of limits another one implies; ``min_cohort_size``, ``not_before``,
    ``not_after``: the strictest value and who sets it (the deal's term is the deal's own window)."""

    index: int
    use: PermittedUse
    rules: tuple[Rule, ...]
    regions: tuple[RegionLimit, ...]
    min_cohort_size: tuple[int, str] | None
    not_before: tuple[date, str] | None
    not_after: tuple[date, str] | None
    duties: tuple[BoundDuty, ...]

    @property
    def covered(self) -> bool:
        return bool(self.rules)

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)


def covers(rule: Rule, deal: DealBody, use: PermittedUse) -> bool:
    return (rule.effect == "permission" and assignee_matches(rule.assignee, deal.counterparty)
            and action_is_a(use.action, rule.action) and bool(shared_datasets(rule.datasets, deal.datasets))
            and purposes_overlap(rule.purposes, use.purposes))


def covering_rules(deal: DealBody, use: PermittedUse, rules: Sequence[Rule]) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules if covers(rule, deal, use))


def _strictest(candidates: Iterable[tuple[int | date | None, str]], *, low: bool) -> tuple[int | date, str] | None:
    """The smallest (``low``) or largest value with the first source that sets it (the deal comes first)."""
    present = [(value, source) for value, source in candidates if value is not None]
    if not present:
        return None
    best = min(value for value, _ in present) if low else max(value for value, _ in present)  # type: ignore[type-var]
    return next((value, source) for value, source in present if value == best)  # type: ignore[return-value]


def _region_limits(deal: DealBody, rules: Sequence[Rule]) -> tuple[RegionLimit, ...]:
    limits = [RegionLimit(deal.regions, DEAL)] if deal.regions else []
    limits += [RegionLimit(rule.constraints.regions, rule.id) for rule in rules if rule.constraints.regions]
    kept: list[RegionLimit] = []
    for i, limit in enumerate(limits):
        # Drop a limit that another one implies (DE implies the EEA); of two equal ones keep the first.
        implied = any(regions_within(other.regions, limit.regions)
                      and (not regions_within(limit.regions, other.regions) or j < i)
                      for j, other in enumerate(limits) if j != i)
        if not implied:
            kept.append(limit)
    return tuple(kept)


def _days_duty(kind: str, deal_days: int | None, rule_days: Iterable[tuple[int, str]]) -> BoundDuty | None:
    found = ([(deal_days, DEAL)] if deal_days is not None else []) + list(rule_days)
    if not found:
        return None
    days = min(d for d, _ in found)
    return BoundDuty(kind, days, tuple(dict.fromkeys(source for _, source in found)))


def _rule_delete_days(rule: Rule) -> list[int]:
    days = [d.days for d in rule.duties if d.kind == "delete_after" and d.days is not None]
    if rule.constraints.retention_days is not None:
        days.append(rule.constraints.retention_days)
    return days


def bound_duties(deal: DealBody, rules: Sequence[Rule]) -> tuple[BoundDuty, ...]:
    """The duties of a use bound by ``rules`` (the compensation is the deal's alone and not listed)."""
    duties: list[BoundDuty] = []
    delete = _days_duty("delete_after", deal.retention_days,
                        [(min(days), rule.id) for rule in rules if (days := _rule_delete_days(rule))])
    report = _days_duty("report_every", deal.reporting_every_days,
                        [(d.days, rule.id) for rule in rules for d in rule.duties
                         if d.kind == "report_every" and d.days is not None])
    duties += [duty for duty in (delete, report) if duty is not None]
    for kind, own in (("attribute", deal.attribution), ("submit_to_audit", deal.audit)):
        sources = ([DEAL] if own else []) + [rule.id for rule in rules if any(d.kind == kind for d in rule.duties)]
        if sources:
            duties.append(BoundDuty(kind, None, tuple(dict.fromkeys(sources))))
    return tuple(duties)


def bind(deal: DealBody, rules: Sequence[Rule]) -> tuple[Binding, ...]:
    """Every permitted use of ``deal`` (in order, ``index`` from 1) bound by the covering rules among
    ``rules`` (the data-use rules in force at the time in question)."""
    bindings = []
    for index, use in enumerate(deal.permitted, 1):
        covering = covering_rules(deal, use, rules)
        c = [rule.constraints for rule in covering]
        bindings.append(Binding(
            index=index, use=use, rules=covering, regions=_region_limits(deal, covering),
            min_cohort_size=_strictest([(deal.min_cohort_size, DEAL)] + [
                (x.min_cohort_size, r.id) for x, r in zip(c, covering, strict=True)], low=False),  # type: ignore[arg-type]
            not_before=_strictest([(deal.start_date, DEAL)] + [
                (x.not_before, r.id) for x, r in zip(c, covering, strict=True)], low=False),  # type: ignore[arg-type]
            not_after=_strictest([(deal.end_date, DEAL)] + [
                (x.not_after, r.id) for x, r in zip(c, covering, strict=True)], low=True),  # type: ignore[arg-type]
            duties=bound_duties(deal, covering)))
    return tuple(bindings)
