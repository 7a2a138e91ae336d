"""The decision engine: may this party do this action on this dataset for this purpose at this time?

Pure code (no Flask, no SQLAlchemy): :func:`decide` takes a checked :class:`DecisionRequest` and the
policies in force at the request's time (see ``decisions.policies``; ``decisions.services`` loads them) and
returns a :class:`Decision`. The semantics, documented for clients in docs/policy.md ("Decision API"):

1. A rule is *about* the request when its assignee is the party (no assignee: everyone; a category:
   the party's category), its target names the dataset (``*``: every dataset) and the requested
   action is its action or narrower (ODRL ``includedIn``: a rule on ``use`` covers every action).
   Rules that are not about the request play no part.
2. A rule's conditions are checked against the request: purpose (the requested purpose is the
   rule's or narrower in DPV, never broader), date window, minimum cohort size, regions. A condition
   needing an attribute the request lacks (cohort size, region, the party's category) is *missing*.
3. A prohibition about the request is in effect unless one of its conditions fails: a missing
   attribute cannot show it does not apply, so it counts against the party (fail closed).
4. A permission grants the request only when every condition is satisfied (missing fails closed).
5. An agreement's permission is also bound by the data-use rules in force that cover it (see
   ``terms.binding``): it grants only when one of them targets the dataset and admits the purpose
   (``coverage``; none does: *failed*) and every condition of each of them but its purpose (region,
   cohort size, date window) is satisfied as well; those conditions are reported under the rule's IRI.
6. ``conflict: prohibit`` within each policy and across them: any prohibition in effect, from the
   voted data-use Set or from one of the party's own agreements, denies, whatever permits it.
   Otherwise, when a permission of one of the party's agreements is about the request and admits its
   purpose, the deal binds: only such permissions may grant (a deal only narrows; the data-use rules
   do not grant the party more beside it). Else any permission may grant. One granting permission is
   enough: permit, with the duties of every granting permission (the party owes them all).
7. No prohibition in effect and no granting permission: ``deny`` when some permission was about the
   request (its failed or missing conditions are the reasons), else ``not_applicable``, which
   clients must treat as a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from governance.policy.decisions.policies import AGREEMENT, DecisionDuty, InForcePolicy, PolicyRule
from governance.policy.decisions.request import DecisionRequest, iso_time
from governance.policy.terms.binding import assignee_matches, region_within
from governance.policy.terms.bodies import EVERY_DATASET, Counterparty
from governance.policy.terms.fields import long_date
from governance.policy.terms.vocabulary import (
    ODRL,
    PROFILE,
    action_is_a,
    purpose_is_a,
    purpose_label,
)
from governance.policy.wording.describe import action_text, assignee_text, purposes_text, regions_text

PERMIT = "permit"
DENY = "deny"
NOT_APPLICABLE = "not_applicable"

SATISFIED = "satisfied"
FAILED = "failed"
MISSING = "missing"

#: The ODRL left operand of each condition the engine checks (``assignee`` is ODRL's party function,
#: for a rule assigned to a category of party when the party's category is not known). ``coverage``
#: (an agreement's use that no data-use rule in force admits) has none.
LEFT_OPERANDS: dict[str, str] = {
    "purpose": ODRL + "purpose",
    "dateTime": ODRL + "dateTime",
    "cohortSize": PROFILE + "cohortSize",
    "spatial": ODRL + "spatial",
    "assignee": ODRL + "assignee",
}


@dataclass(frozen=True)
class Condition:
    """``rule``: the IRI of the data-use rule that sets it when it binds an agreement's permission."""

    operand: str
    status: str
    message: str
    rule: str | None = None


@dataclass(frozen=True)
class RuleOutcome:
    """A rule that is about the request, with how each of its conditions fared."""

    policy: InForcePolicy
    rule: PolicyRule
    conditions: tuple[Condition, ...]

    @property
    def unmet(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if c.status != SATISFIED)

    @property
    def grants(self) -> bool:
        return self.rule.effect == "permission" and not self.unmet

    @property
    def forbids(self) -> bool:
        return self.rule.effect == "prohibition" and all(c.status != FAILED for c in self.conditions)


@dataclass(frozen=True)
class Decision:
    """The answer. ``decided_by``: the granting permissions (permit), the prohibitions in effect or the
    permissions whose conditions were not met (deny), nothing (not_applicable). ``excluded``: for a
    permit, prohibitions in effect on actions narrower than the one asked about."""

    decision: str
    request: DecisionRequest
    party_category_source: str
    policies: tuple[InForcePolicy, ...]
    decided_by: tuple[RuleOutcome, ...]
    excluded: tuple[RuleOutcome, ...] = ()

    @property
    def permitted(self) -> bool:
        return self.decision == PERMIT

    def duties(self) -> list[tuple[DecisionDuty, RuleOutcome]]:
        if not self.permitted:
            return []
        return [(duty, outcome) for outcome in self.decided_by for duty in outcome.rule.duties]

    def reasons(self) -> list[dict[str, Any]]:
        """Why not: the prohibitions in effect, or every unmet condition of the permissions about it, or
        (not_applicable) that no rule is about the request."""
        if self.decision == NOT_APPLICABLE:
            return [{"kind": "no_rule", "id": None, "message": self.explanation()[0]}]
        reasons: list[dict[str, Any]] = []
        for outcome in () if self.permitted else self.decided_by:
            where = {"rule": outcome.rule.iri, "policy": outcome.policy.uid}
            if outcome.rule.effect == "prohibition":
                missing = [c.message for c in outcome.unmet]
                message = f"Prohibited by {outcome.rule.name}: {rule_sentence(outcome.rule)}"
                if missing:
                    message += " It applies because it cannot be ruled out: " + " ".join(missing)
                reasons.append({"kind": "prohibition", "id": outcome.rule.iri, **where, "message": message})
                continue
            for condition in outcome.unmet:
                reason = {"kind": "constraint", "id": condition.rule or outcome.rule.iri, **where,
                          "constraint": condition.operand, "status": condition.status,
                          "message": condition.message}
                if condition.operand in LEFT_OPERANDS:
                    reason["leftOperand"] = LEFT_OPERANDS[condition.operand]
                if condition.rule:
                    reason["bound_by"] = condition.rule
                reasons.append(reason)
        return reasons

    def explanation(self) -> list[str]:
        """The answer in plain words, for people (the /policy/check page) and logs."""
        doing = f"{action_text(self.request.action, self.request.dataset)} for " \
                f"{purpose_label(self.request.purpose).lower()}"
        when = iso_time(self.request.time)
        if self.decision == NOT_APPLICABLE:
            consulted = ", ".join(p.title for p in self.policies) or "no policy (none was in force)"
            return [f"No rule in force at {when} permits or prohibits {doing} for {self.request.party}: "
                    f"consulted {consulted}. Treat this as a refusal."]
        if self.permitted:
            lines = [f"Permitted: {doing} at {when}, by {outcome.rule.name}." for outcome in self.decided_by]
            for outcome in self.excluded:
                lines.append(f"Except {action_text(outcome.rule.action, 'the data')}: prohibited by "
                             f"{outcome.rule.name}.")
            return lines
        return [reason["message"] for reason in self.reasons()]

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "permitted": self.permitted,
            "time": iso_time(self.request.time),
            "request": {**self.request.to_json(), "party_category_source": self.party_category_source},
            "rules": [outcome.rule.iri for outcome in self.decided_by],
            "duties": [{**duty.to_json(), "rule": outcome.rule.iri, "policy": outcome.policy.uid,
                        "text": duty.text()} for duty, outcome in self.duties()],
            "reasons": self.reasons(),
            "excluded_actions": [{"action": outcome.rule.action, "rule": outcome.rule.iri,
                                  "policy": outcome.policy.uid} for outcome in self.excluded],
            "policies": [policy.to_json() for policy in self.policies],
            "explanation": self.explanation(),
        }


def rule_sentence(rule: PolicyRule) -> str:
    verb = "Permit" if rule.effect == "permission" else "Prohibit"
    data = "every dataset" if EVERY_DATASET in rule.datasets else ", ".join(rule.datasets)
    by = f", by {assignee_text(rule.assignee)}" if rule.assignee else ""
    return f"{verb} {action_text(rule.action, data)}{by}, for {purposes_text(rule.purposes)}."


# --- what a rule is about ---------------------------------------------------------------------

def _targets(rule: PolicyRule, dataset: str) -> bool:
    # The catalogue is flat: a rule's target covers the datasets it names, or all of them ("*").
    return EVERY_DATASET in rule.datasets or dataset in rule.datasets


def _assignee_condition(rule: PolicyRule, request: DecisionRequest) -> Condition | bool:
    """True: the rule is for this party; False: for others; a Condition: it depends on an unknown category."""
    assignee = rule.assignee
    if assignee is None:
        return True
    if assignee.type == "category" and request.party_category is None:
        return Condition("assignee", MISSING,
                         f"{rule.name.capitalize()} applies to {assignee_text(assignee)} only, and the party's "
                         "category is not known (no agreement records it; give party_category).")
    party = Counterparty(name="", identifier=request.party, category=request.party_category or "")
    return assignee_matches(assignee, party)


# --- conditions -------------------------------------------------------------------------------

def _admits(rule: PolicyRule, purpose: str) -> bool:
    """The purpose is one of the rule's or narrower (a rule without purposes admits every purpose)."""
    return not rule.purposes or any(purpose_is_a(purpose, allowed) for allowed in rule.purposes)


def _conditions(rule: PolicyRule, request: DecisionRequest) -> list[Condition]:
    name = rule.name[0].upper() + rule.name[1:]
    conditions: list[Condition] = []
    if rule.purposes:
        ok = _admits(rule, request.purpose)
        conditions.append(Condition("purpose", SATISFIED if ok else FAILED,
                                    f"{name} is for {purposes_text(rule.purposes)}; "
                                    f"{purpose_label(request.purpose).lower()} is not one of them."))
    day = request.time.date()
    if rule.not_before is not None or rule.not_after is not None:
        ok = (rule.not_before is None or day >= rule.not_before) and (rule.not_after is None or day <= rule.not_after)
        window = " ".join(part for part in (
            f"from {long_date(rule.not_before)}" if rule.not_before else "",
            f"until {long_date(rule.not_after)}" if rule.not_after else "") if part)
        conditions.append(Condition("dateTime", SATISFIED if ok else FAILED,
                                    f"{name} applies only {window}, not on {long_date(day)}."))
    if rule.min_cohort_size is not None:
        if request.cohort_size is None:
            conditions.append(Condition("cohortSize", MISSING,
                                        f"{name} depends on cohorts of at least {rule.min_cohort_size} members, "
                                        "and the request gives no cohort_size."))
        else:
            ok = request.cohort_size >= rule.min_cohort_size
            conditions.append(Condition("cohortSize", SATISFIED if ok else FAILED,
                                        f"{name} requires cohorts of at least {rule.min_cohort_size} members; "
                                        f"the request's cohort has {request.cohort_size}."))
    if rule.regions:
        if request.region is None:
            conditions.append(Condition("spatial", MISSING,
                                        f"{name} depends on processing in {regions_text(rule.regions)}, and the "
                                        "request gives no region."))
        else:
            ok = any(region_within(request.region, allowed) for allowed in rule.regions)
            conditions.append(Condition("spatial", SATISFIED if ok else FAILED,
                                        f"{name} requires processing in {regions_text(rule.regions)}, not in "
                                        f"{regions_text((request.region,))}."))
    return conditions


def _bound_conditions(rule: PolicyRule, request: DecisionRequest) -> list[Condition]:
    """What the data-use rules that cover an agreement's permission add to its own conditions."""
    admits = any(_targets(bound, request.dataset) and _admits(bound, request.purpose) for bound in rule.bound_by)
    doing = f"{action_text(request.action, request.dataset)} for {purpose_label(request.purpose).lower()}"
    coverage = [] if admits else [Condition(
        "coverage", FAILED,
        f"No data-use rule in force permits {doing}, so {rule.name} does not either: a deal only narrows what "
        "the rules permit.")]
    return coverage + [replace(condition, rule=bound.iri) for bound in rule.bound_by
                       for condition in _conditions(bound, request) if condition.operand != "purpose"]


def evaluate_rule(policy: InForcePolicy, rule: PolicyRule, request: DecisionRequest) -> RuleOutcome | None:
    """The rule's outcome for the request, or None when the rule is not about it."""
    if not _targets(rule, request.dataset) or not action_is_a(request.action, rule.action):
        return None
    party = _assignee_condition(rule, request)
    if party is False:
        return None
    conditions = _conditions(rule, request)
    if policy.type == AGREEMENT and rule.effect == "permission":
        bound = _bound_conditions(rule, request)
        if any(c.operand == "purpose" and c.status == FAILED for c in conditions):
            bound = [c for c in bound if c.operand != "coverage"]  # the deal's own purpose already says no
        conditions += bound
    if isinstance(party, Condition):
        conditions.insert(0, party)
    return RuleOutcome(policy, rule, tuple(conditions))


def _narrower_prohibitions(policies: Sequence[InForcePolicy], request: DecisionRequest) -> list[RuleOutcome]:
    """Prohibitions of actions narrower than the one asked for: a permit for ``use`` does not cover them."""
    found = []
    for policy in policies:
        for rule in policy.rules:
            if rule.effect != "prohibition" or rule.action == request.action \
                    or not action_is_a(rule.action, request.action):
                continue
            outcome = evaluate_rule(policy, rule, replace(request, action=rule.action))
            if outcome is not None and outcome.forbids:
                found.append(outcome)
    return found


def _admits_purpose(outcome: RuleOutcome) -> bool:
    return all(c.status == SATISFIED for c in outcome.conditions if c.operand == "purpose")


def decide(request: DecisionRequest, policies: Sequence[InForcePolicy], *,
           party_category_source: str | None = None) -> Decision:
    """Apply the semantics above. ``policies`` are those in force at ``request.time`` that may apply
    to the party (the data-use Set and the party's agreements); ``request.party_category`` is the
    category the caller established (see ``decisions.services.decide_request``); ``party_category_source`` says
    where it came from ("agreement", "request"; "unknown" when there is none)."""
    if party_category_source is None:
        party_category_source = "request" if request.party_category else "unknown"
    outcomes = [outcome for policy in policies for rule in policy.rules
                if (outcome := evaluate_rule(policy, rule, request)) is not None]
    consulted = tuple(policies)
    forbidding = tuple(o for o in outcomes if o.forbids)
    if forbidding:
        return Decision(DENY, request, party_category_source, consulted, forbidding)
    permissions = tuple(o for o in outcomes if o.rule.effect == "permission")
    own = tuple(o for o in permissions if o.policy.type == AGREEMENT and _admits_purpose(o))
    if own:
        # The party's own deal is about this use: it binds, the data-use rules do not grant beside it.
        permissions = own
    granting = tuple(o for o in permissions if o.grants)
    if granting:
        return Decision(PERMIT, request, party_category_source, consulted, granting,
                        tuple(_narrower_prohibitions(policies, request)))
    if permissions:
        return Decision(DENY, request, party_category_source, consulted, permissions)
    return Decision(NOT_APPLICABLE, request, party_category_source, consulted, ())
