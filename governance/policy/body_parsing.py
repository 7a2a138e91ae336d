"""Reading and validating body JSON into the dataclasses of :mod:`governance.policy.bodies`.

:class:`BodyReader` walks a body, records every problem with its dotted path and keeps going, so a
form can show all errors at once. With a :class:`~governance.policy.bodies.BodyContext` it also
checks the body against the cooperative (catalogue, curated purposes, constitution, adopted rules);
without one (``from_json`` on stored bodies) it checks shapes and types only.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from governance.constitution import rules as constitution
from governance.policy import vocabulary as vocab
from governance.policy.bodies import (
    CHANGE_OPS,
    EFFECTS,
    EVERY_DATASET,
    Assignee,
    BodyContext,
    BylawChangeBody,
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
from governance.policy.body_fields import (
    BAD,
    SLUG_RE,
    ErrorCollector,
    fraction_json,
    join,
    ok,
    read_bool,
    read_choice,
    read_date,
    read_fraction,
    read_int,
    read_list,
    read_money,
    read_object,
    read_set,
    read_text,
    read_url,
)

MAX_DAYS = 36_500  # a hundred years: anything longer is a typo
MAX_COHORT = 100_000_000
MAX_DATASETS = 200
MAX_CHANGES = 20
MAX_ALTERNATIVES = 5
_MISSING = object()


class BodyReader:
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
            from governance.policy.ruleset import rule_change_errors  # ruleset imports bodies, which imports us

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

    # --- deals --------------------------------------------------------------------------------

    def counterparty(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="The counterparty", required=("name", "identifier", "category"),
                          optional=("contact",))
        if obj is None:
            return BAD
        name = self._get(obj, path, "name", lambda v, p: read_text(
            v, p, self.errors, "The counterparty's name", min_length=1, max_length=200))
        identifier = self._get(obj, path, "identifier", lambda v, p: read_url(
            v, p, self.errors, "The counterparty's web address"))
        contact = self._get(obj, path, "contact", lambda v, p: read_text(
            v, p, self.errors, "The contact", max_length=200), "")
        category = self._get(obj, path, "category", lambda v, p: read_choice(
            v, p, self.errors, "The category", vocab.PARTY_CATEGORIES, unknown="{value} is not a known category "
                                                                               "of party."))
        return Counterparty(name, identifier, category, contact) if ok(name, identifier, contact, category) else BAD

    def permitted_use(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="A permitted use", required=("action", "purposes"))
        if obj is None:
            return BAD
        action = self._get(obj, path, "action", self.action)
        purposes = self._get(obj, path, "purposes", lambda v, p: self.purposes(v, p, min_items=1))
        return PermittedUse(action, purposes) if ok(action, purposes) else BAD

    def deal_body(self, data: Any) -> Any:
        obj = read_object(data, "", self.errors, name="The deal",
                          required=("counterparty", "datasets", "permitted", "price", "currency", "payment_schedule",
                                    "start_date", "end_date"),
                          optional=("prohibited_actions", "retention_days", "min_cohort_size",
                                    "reporting_every_days", "audit", "notes"))
        if obj is None:
            return BAD
        counterparty = self._get(obj, "", "counterparty", self.counterparty)
        datasets = self._get(obj, "", "datasets", self.datasets)
        permitted = self._get(obj, "", "permitted", lambda v, p: read_list(
            v, p, self.errors, "Permitted uses", self.permitted_use, min_items=1, max_items=len(vocab.ACTIONS),
            empty_message="Permit at least one use: a deal that permits nothing has nothing to approve."))
        prohibited = self._get(obj, "", "prohibited_actions", lambda v, p: read_set(
            v, p, self.errors, "Prohibited actions", self.action, max_items=len(vocab.ACTIONS)), ())
        price = self._get(obj, "", "price", lambda v, p: read_money(v, p, self.errors, "The price"))
        currency = self._get(obj, "", "currency", lambda v, p: read_choice(
            v, p, self.errors, "The currency", vocab.CURRENCIES, unknown="{value} is not a currency the cooperative "
                                                                         "accepts."))
        schedule = self._get(obj, "", "payment_schedule", lambda v, p: read_choice(
            v, p, self.errors, "The payment schedule", vocab.PAYMENT_SCHEDULES))
        start = self._get(obj, "", "start_date", lambda v, p: read_date(v, p, self.errors, "The start date"))
        end = self._get(obj, "", "end_date", lambda v, p: read_date(v, p, self.errors, "The end date"))
        retention = self._get(obj, "", "retention_days", self.days("The retention period"), None)
        cohort = self._get(obj, "", "min_cohort_size", self.cohort, None)
        reporting = self._get(obj, "", "reporting_every_days", self.days("The reporting interval"), None)
        audit = self._get(obj, "", "audit", lambda v, p: read_bool(v, p, self.errors, "Audit"), False)
        notes = self._get(obj, "", "notes", lambda v, p: read_text(
            v, p, self.errors, "The notes", max_length=10_000, single_line=False), "")
        if ok(start, end) and end <= start:
            self.errors.add("end_date", "The end date must be after the start date.")
        if ok(permitted):
            self._check_permitted(permitted, prohibited)
        if self.errors:
            return BAD
        return DealBody(counterparty, datasets, tuple(permitted), price, currency, schedule, start, end, prohibited,
                        retention, cohort, reporting, audit, notes)

    def _check_permitted(self, permitted: list[PermittedUse], prohibited: Any) -> None:
        seen: set[str] = set()
        for index, use in enumerate(permitted):
            label = vocab.ACTIONS[use.action].label
            if use.action in seen:
                self.errors.add(f"permitted.{index}.action",
                                f"'{label}' is listed twice; give all of its purposes in one entry.")
            seen.add(use.action)
            for code in prohibited if ok(prohibited) else ():
                if vocab.action_is_a(use.action, code):
                    also = "" if code == use.action else f" ('{vocab.ACTIONS[code].label}' includes it)"
                    self.errors.add("prohibited_actions", f"'{label}' is both permitted and prohibited{also}.")

    # --- payout policy ------------------------------------------------------------------------

    def payout_formula(self, data: Any, path: str) -> Any:
        obj = read_object(data, path, self.errors, name="A payout formula",
                          required=("label", "method", "reserve_fraction", "operating_cost_fraction",
                                    "minimum_per_member"),
                          optional=("equal_fraction", "metric", "rounding"))
        if obj is None:
            return BAD
        label = self._get(obj, path, "label", lambda v, p: read_text(
            v, p, self.errors, "The label", min_length=1, max_length=100))
        method = self._get(obj, path, "method", lambda v, p: read_choice(
            v, p, self.errors, "The method", vocab.PAYOUT_METHODS,
            unknown="{value} is not a payout method; choose equal, pro_rata or hybrid."))
        reserve = self._get(obj, path, "reserve_fraction", lambda v, p: read_fraction(
            v, p, self.errors, "The reserve fraction"))
        operating = self._get(obj, path, "operating_cost_fraction", lambda v, p: read_fraction(
            v, p, self.errors, "The operating-cost fraction"))
        minimum = self._get(obj, path, "minimum_per_member", lambda v, p: read_money(
            v, p, self.errors, "The minimum per member"))
        rounding = self._get(obj, path, "rounding", lambda v, p: read_choice(
            v, p, self.errors, "The rounding rule", vocab.ROUNDING_RULES), "cent_remainder_to_reserve")
        equal = self._get(obj, path, "equal_fraction", lambda v, p: None if v is None else read_fraction(
            v, p, self.errors, "The equal share"), None)
        metric = self._get(obj, path, "metric", lambda v, p: None if v is None else read_choice(
            v, p, self.errors, "The contribution metric", vocab.CONTRIBUTION_METRICS,
            unknown="{value} is not a known contribution metric."), None)
        if ok(method, equal):
            if method == "hybrid" and (equal is None or not Decimal(0) < equal < Decimal(1)):
                self.errors.add(join(path, "equal_fraction"),
                                "A hybrid formula needs an equal share more than 0 and less than 1.")
            elif method != "hybrid" and equal is not None:
                self.errors.add(join(path, "equal_fraction"), "Only a hybrid formula has an equal share; leave it "
                                                              "empty.")
        if ok(method, metric):
            if method in ("pro_rata", "hybrid") and metric is None:
                self.errors.add(join(path, "metric"), "Choose the contribution metric the split is proportional to.")
            elif method == "equal" and metric is not None:
                self.errors.add(join(path, "metric"), "An equal split uses no contribution metric; leave it empty.")
        if ok(reserve, operating) and reserve + operating >= 1:
            self.errors.add(join(path, "reserve_fraction"),
                            "Reserve and operating-cost fractions together must be less than 1 "
                            f"(now {fraction_json(reserve + operating)}).")
        if not ok(label, method, reserve, operating, minimum, rounding, equal, metric) or any(
                key.startswith(path + ".") for key in self.errors.errors):
            return BAD
        return PayoutFormula(label, method, reserve, operating, minimum, equal, metric, rounding)

    def payout_policy_body(self, data: Any) -> Any:
        obj = read_object(data, "", self.errors, name="The body", required=("alternatives",))
        if obj is None or "alternatives" not in obj:
            return BAD
        formulas = read_list(obj["alternatives"], "alternatives", self.errors, "Alternatives", self.payout_formula,
                             min_items=1, max_items=MAX_ALTERNATIVES,
                             empty_message="Give at least one payout formula.")
        if formulas is BAD:
            return BAD
        labels: set[str] = set()
        for index, item in enumerate(obj["alternatives"]):
            label = item.get("label") if isinstance(item, Mapping) else None
            if isinstance(label, str) and label.strip():
                key = label.strip().casefold()
                if key in labels:
                    self.errors.add(f"alternatives.{index}.label",
                                    f"Another alternative is already called '{label.strip()}'; labels must differ.")
                labels.add(key)
        return BAD if self.errors else PayoutPolicyBody(tuple(formulas))

    # --- bylaw changes ------------------------------------------------------------------------

    def bylaw_change_body(self, data: Any) -> Any:
        obj = read_object(data, "", self.errors, name="The body", required=("changes",))
        if obj is None or "changes" not in obj:
            return BAD
        changes = obj["changes"]
        if not isinstance(changes, Mapping) or not changes:
            self.errors.add("changes", "Give at least one new value for a parameter of the constitution.")
            return BAD
        if self.context is not None:
            current = self.context.constitution or constitution.DEFAULTS
            try:
                constitution.validate_changes(current, changes)
            except constitution.InvalidChanges as exc:
                for key, message in exc.errors.items():
                    self.errors.add("changes" if key in ("changes", "reason") else f"changes.{key}",
                                    _sentence(key, message))
        normalised: dict[str, dict[str, Any]] = {}
        for kind, params in changes.items():
            if kind not in constitution.KINDS or not isinstance(params, Mapping) or not params:
                self.errors.add(f"changes.{kind}", _sentence(str(kind), f"unknown proposal kind {kind!r}"
                                if kind not in constitution.KINDS else "give the parameters to change"))
                continue
            normalised[kind] = {}
            for param, value in params.items():
                try:
                    normalised[kind][param] = _bylaw_json(constitution.PARSERS[param](value))
                except KeyError:
                    self.errors.add(f"changes.{kind}.{param}", f"Unknown parameter '{param}'.")
                except ValueError as exc:
                    self.errors.add(f"changes.{kind}.{param}", _sentence(f"{kind}.{param}", str(exc)))
        return BAD if self.errors else BylawChangeBody(normalised)


def _bylaw_json(value: Any) -> Any:
    from fractions import Fraction

    return f"{value.numerator}/{value.denominator}" if isinstance(value, Fraction) else value


def _sentence(key: str, message: str) -> str:
    """The constitution's messages are fragments ("must be between 1 and 90, not 0"): name the
    parameter and end with a full stop."""
    parameter = key.rsplit(".", 1)[-1]
    if message.startswith("must") and parameter in constitution.PARAMETER_LABELS:
        message = f"{constitution.PARAMETER_LABELS[parameter]} {message}"
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."
