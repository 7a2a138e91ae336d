"""Reading and validating data-use rule bodies; the base of :class:`parsing.BodyReader`.

:class:`RuleReader` walks a body, records every problem with its dotted path and keeps going, so a
form can show all errors at once. With a :class:`~governance.policy.terms.bodies.BodyContext` it also
checks the body against the cooperative (catalogue, curated purposes, adopted rules); without one
(``from_json`` on stored bodies) it checks shapes and types only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import (
    CHANGE_OPS,
    EFFECTS,
    EVERY_DATASET,
    Assignee,
    BodyContext,
    Constraints,
    DataUseRuleBody,
    Duty,
    Rule,
    RuleChange,
)
from governance.policy.terms.fields import (
    BAD,
    SLUG_RE,
    ErrorCollector,
    join,
    ok,
    read_choice,
    read_date,
    read_int,
    read_list,
    read_object,
    read_set,
    read_text,
    read_url,
)
from governance.policy.terms.ruleset import rule_change_errors

MAX_DAYS = 36_500  # a hundred years: anything longer is a typo
MAX_COHORT = 100_000_000
MAX_DATASETS = 200
MAX_CHANGES = 20
_MISSING = object()


class RuleReader:
    """Common field readers and data-use rules."""

    def __init__(self, context: BodyContext | None) -> None:
        self.context = context
        self.errors = ErrorCollector()

    # --- small pieces -------------------------------------------------------------------------

    def _get(self, obj: Mapping[str, Any], path: str, key: str, read: Any, default: Any = _MISSING) -> Any:
        """``read(value, path)`` for ``obj[key]``; a missing key gives ``default`` (or BAD when the key
        is required: read_object has recorded that already)."""
        if key not in obj:
            return BAD if default is _MISSING else default
        return read(obj[key], join(path, key))

    def dataset(self, value: Any, path: str) -> Any:
        if value == EVERY_DATASET:
            return EVERY_DATASET
        slug = read_text(value, path, self.errors, "A dataset", min_length=1, max_length=64)
        if slug is BAD:
            return BAD
        if self.context is not None and slug not in self.context.datasets:
            self.errors.add(path, f"'{slug}' is not a dataset in the cooperative's catalogue.")
            return BAD
        return slug

    def datasets(self, value: Any, path: str) -> Any:
        slugs = read_set(value, path, self.errors, "Datasets", self.dataset, min_items=1, max_items=MAX_DATASETS,
                         empty_message="Choose at least one dataset (or every dataset).")
        if slugs is not BAD and EVERY_DATASET in slugs and len(slugs) > 1:
            self.errors.add(path, "Choose either every dataset or particular datasets, not both.")
            return BAD
        return slugs

    def purpose(self, value: Any, path: str) -> Any:
        iri = read_text(value, path, self.errors, "A purpose", min_length=1, max_length=300)
        if iri is BAD:
            return BAD
        if self.context is not None and iri not in vocab.PURPOSES:
            self.errors.add(path, f"'{iri}' is not one of the cooperative's purposes.")
            return BAD
        return iri

    def purposes(self, value: Any, path: str, *, min_items: int = 0) -> Any:
        return read_set(value, path, self.errors, "Purposes", self.purpose, min_items=min_items,
                        max_items=len(vocab.PURPOSES) + 10, empty_message="Choose at least one purpose.")

    def action(self, value: Any, path: str) -> Any:
        return read_choice(value, path, self.errors, "The action", vocab.ACTIONS,
                           unknown="{value} is not one of the actions the policy knows.")

    def days(self, name: str, *, nullable: bool = True) -> Any:
        return lambda value, path: read_int(value, path, self.errors, name, maximum=MAX_DAYS, nullable=nullable)

    def cohort(self, value: Any, path: str) -> Any:
        return read_int(value, path, self.errors, "Cohort size", maximum=MAX_COHORT, nullable=True)

    def region(self, value: Any, path: str) -> Any:
        return read_choice(value, path, self.errors, "A region", vocab.REGIONS,
                           unknown="{value} is not a known region: use a country code such as DE, or EU or EEA.")

    def rule_id(self, value: Any, path: str) -> Any:
        text = read_text(value, path, self.errors, "The rule id", min_length=1, max_length=64)
        if text is not BAD and not SLUG_RE.match(text):
            self.errors.add(path, "A rule id uses lowercase letters, digits and hyphens, starting with a letter "
                                  "or digit, e.g. 'no-genai-training'.")
            return BAD
        return text

    # --- rules --------------------------------------------------------------------------------

    def assignee(self, data: Any, path: str) -> Any:
        if data is None:
            return None
        obj = read_object(data, path, self.errors, name="The assignee", required=("type", "value"),
                          optional=("name",))
        if obj is None:
            return BAD
        kind = self._get(obj, path, "type", lambda v, p: read_choice(
            v, p, self.errors, "The assignee type", {"category": 1, "party": 1},
            unknown="{value} is not an assignee type; choose 'category' or 'party'."))
        if kind == "category":
            value = self._get(obj, path, "value", lambda v, p: read_choice(
                v, p, self.errors, "The party category", vocab.PARTY_CATEGORIES,
                unknown="{value} is not a known category of party."))
            if obj.get("name") not in (None, ""):
                self.errors.add(join(path, "name"), "A category of parties has no name; leave it empty.")
                return BAD
            return Assignee("category", value) if ok(value) else BAD
        if kind == "party":
            value = self._get(obj, path, "value", lambda v, p: read_url(v, p, self.errors, "The party's web address"))
            name = self._get(obj, path, "name", lambda v, p: read_text(
                v, p, self.errors, "The party's name", min_length=1, max_length=200))
            if "name" not in obj:
                self.errors.add(join(path, "name"), "Give the party's name.")
            return Assignee("party", value, name) if ok(value, name) else BAD
        return BAD

    def constraints(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="The constraints",
                          optional=("min_cohort_size", "retention_days", "not_before", "not_after", "regions"))
        if obj is None:
            return BAD
        cohort = self._get(obj, path, "min_cohort_size", self.cohort, None)
        retention = self._get(obj, path, "retention_days", self.days("The retention period"), None)
        not_before = self._get(obj, path, "not_before", lambda v, p: read_date(
            v, p, self.errors, "The first day the rule applies", nullable=True), None)
        not_after = self._get(obj, path, "not_after", lambda v, p: read_date(
            v, p, self.errors, "The last day the rule applies", nullable=True), None)
        regions = self._get(obj, path, "regions", lambda v, p: read_set(
            v, p, self.errors, "Regions", self.region, max_items=len(vocab.REGIONS)), ())
        if ok(not_before, not_after) and not_before and not_after and not_after < not_before:
            self.errors.add(join(path, "not_after"), "The rule's last day must not be before its first day.")
            return BAD
        if not ok(cohort, retention, not_before, not_after, regions):
            return BAD
        return Constraints(cohort, retention, not_before, not_after, regions)

    def duty(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="A duty", required=("kind",), optional=("days",))
        if obj is None:
            return BAD
        kind = self._get(obj, path, "kind", lambda v, p: read_choice(
            v, p, self.errors, "The duty", vocab.DUTY_KINDS, unknown="{value} is not a known duty."))
        if kind is BAD:
            return BAD
        if kind in vocab.DUTIES_WITH_DAYS:
            if obj.get("days") is None:
                self.errors.add(join(path, "days"), "Give the number of days for this duty.")
                return BAD
            days = self.days("The number of days", nullable=False)(obj["days"], join(path, "days"))
            return Duty(kind, days) if ok(days) else BAD
        if obj.get("days") is not None:
            self.errors.add(join(path, "days"), f"The duty '{vocab.DUTY_KINDS[kind]}' takes no number of days.")
            return BAD
        return Duty(kind)

    def duties(self, value: Any, path: str) -> Any:
        duties = read_list(value, path, self.errors, "Duties", self.duty, max_items=len(vocab.DUTY_KINDS) * 2)
        if duties is BAD:
            return BAD
        seen: set[str] = set()
        for index, duty in enumerate(value):
            kind = duty.get("kind") if isinstance(duty, Mapping) else None
            if isinstance(kind, str) and kind.strip() in seen:
                self.errors.add(join(join(path, index), "kind"),
                                f"The duty '{vocab.DUTY_KINDS.get(kind.strip(), kind)}' is listed twice.")
                return BAD
            if isinstance(kind, str):
                seen.add(kind.strip())
        return tuple(duties)

    def rule(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="A rule", required=("id", "effect", "datasets", "action"),
                          optional=("assignee", "purposes", "constraints", "duties", "description"))
        if obj is None:
            return BAD
        rule_id = self._get(obj, path, "id", self.rule_id)
        effect = self._get(obj, path, "effect", lambda v, p: read_choice(
            v, p, self.errors, "The effect", EFFECTS, unknown="{value} is not an effect; choose permission or "
                                                             "prohibition."))
        datasets = self._get(obj, path, "datasets", self.datasets)
        action = self._get(obj, path, "action", self.action)
        assignee = self._get(obj, path, "assignee", self.assignee, None)
        purposes = self._get(obj, path, "purposes", self.purposes, ())
        constraints = self._get(obj, path, "constraints", self.constraints, Constraints())
        duties = self._get(obj, path, "duties", self.duties, ())
        description = self._get(obj, path, "description", lambda v, p: read_text(
            v, p, self.errors, "The description", max_length=2000, single_line=False), "")
        if effect == "prohibition" and duties not in ((), BAD):
            self.errors.add(join(path, "duties"), "Only permissions carry duties: remove the duties or make this "
                                                  "rule a permission.")
            return BAD
        if ok(duties, constraints) and constraints.retention_days is not None:
            for index, duty in enumerate(duties):
                if duty.kind == "delete_after" and duty.days > constraints.retention_days:
                    self.errors.add(join(join(join(path, "duties"), index), "days"),
                                    f"Deleting after {duty.days} days breaks the rule's own retention limit of "
                                    f"{constraints.retention_days} days.")
                    return BAD
        if not ok(rule_id, effect, datasets, action, assignee, purposes, constraints, duties, description):
            return BAD
        return Rule(rule_id, effect, datasets, action, assignee, purposes, constraints, duties, description)

    def rule_change(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="A change", required=("op",), optional=("rule", "rule_id"))
        if obj is None:
            return BAD
        op = self._get(obj, path, "op", lambda v, p: read_choice(
            v, p, self.errors, "The change", CHANGE_OPS, unknown="{value} is not a change; choose add, change or "
                                                                 "remove."))
        if op is BAD:
            return BAD
        if op == "remove":
            if "rule" in obj:
                self.errors.add(join(path, "rule"), "Removing a rule needs only its id, not the rule.")
                return BAD
            if "rule_id" not in obj:
                self.errors.add(join(path, "rule_id"), "Give the id of the rule to remove.")
                return BAD
            rule_id = self.rule_id(obj["rule_id"], join(path, "rule_id"))
            return RuleChange("remove", rule_id=rule_id) if ok(rule_id) else BAD
        if "rule_id" in obj:
            self.errors.add(join(path, "rule_id"), f"To {op} a rule, give the whole rule (its id is inside it).")
            return BAD
        if "rule" not in obj:
            self.errors.add(join(path, "rule"), f"Give the rule to {op}.")
            return BAD
        rule = self.rule(obj["rule"], join(path, "rule"))
        return RuleChange(op, rule=rule) if ok(rule) else BAD

    def data_use_rule_body(self, data: Any) -> Any:
        obj = read_object(data, "", self.errors, name="The body", required=("changes",))
        if obj is None or "changes" not in obj:
            return BAD
        changes = read_list(obj["changes"], "changes", self.errors, "Changes", self.rule_change, min_items=1,
                            max_items=MAX_CHANGES, empty_message="Propose at least one change to the rules.")
        if changes is BAD:
            return BAD
        self._check_one_change_per_rule(obj["changes"])
        if self.errors:
            return BAD
        body = DataUseRuleBody(tuple(changes))
        if self.context is not None and self.context.rules is not None:
            for where, message in rule_change_errors(self.context.rules, body).items():
                self.errors.add(where, message)
        return body

    def _check_one_change_per_rule(self, raw_changes: list[Any]) -> None:
        """Read from the raw JSON, so that the check runs even when other parts of a change are invalid."""
        seen: set[str] = set()
        for index, change in enumerate(raw_changes):
            if not isinstance(change, Mapping):
                continue
            rule = change.get("rule")
            rule_id, where = ((rule.get("id"), f"changes.{index}.rule.id") if isinstance(rule, Mapping)
                              else (change.get("rule_id"), f"changes.{index}.rule_id"))
            if not isinstance(rule_id, str) or not rule_id.strip():
                continue
            if rule_id.strip() in seen:
                self.errors.add(where, f"Another change in this proposal already touches rule '{rule_id.strip()}'; "
                                       "combine them into one.")
            seen.add(rule_id.strip())
