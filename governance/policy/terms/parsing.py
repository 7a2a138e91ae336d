"""Reading and validating deal, payout and bylaw bodies: :class:`BodyReader`, used by
:func:`parse_body` and :func:`from_json` (both below).

Rules and the field readers shared by all kinds are in :mod:`governance.policy.terms.rule_parsing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from governance.constitution import rules as constitution
from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import (
    BODY_KINDS,
    MAX_SUSPENSION_REASON,
    Assignee,
    Body,
    BodyContext,
    BylawChangeBody,
    Constraints,
    Counterparty,
    DataUseRuleBody,
    DealBody,
    DealSuspensionBody,
    Duty,
    InvalidBody,
    PayoutFormula,
    PayoutPolicyBody,
    PermittedUse,
    Rule,
    RuleChange,
)
from governance.policy.terms.fields import (
    BAD,
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
from governance.policy.terms.rule_parsing import RuleReader

T = TypeVar("T")

MAX_ALTERNATIVES = 5


class BodyReader(RuleReader):
    """Reads every kind of body; ``errors`` collects what is wrong."""

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
                                    "reporting_every_days", "audit", "notes", "regions", "attribution"))
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
        regions = self._get(obj, "", "regions", lambda v, p: read_set(
            v, p, self.errors, "Regions", self.region, max_items=len(vocab.REGIONS)), ())
        attribution = self._get(obj, "", "attribution", lambda v, p: read_bool(v, p, self.errors, "Attribution"),
                                False)
        if ok(start, end) and end <= start:
            self.errors.add("end_date", "The end date must be after the start date.")
        if ok(permitted):
            self._check_permitted(permitted, prohibited)
        if self.errors:
            return BAD
        return DealBody(counterparty, datasets, tuple(permitted), price, currency, schedule, start, end, prohibited,
                        retention, cohort, reporting, audit, notes, regions, attribution)

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
                    normalised[kind][param] = _bylaw_json(constitution.parser_for(kind, param)(value))
                except KeyError:
                    self.errors.add(f"changes.{kind}.{param}", f"Unknown parameter '{param}'.")
                except ValueError as exc:
                    self.errors.add(f"changes.{kind}.{param}", _sentence(f"{kind}.{param}", str(exc)))
        return BAD if self.errors else BylawChangeBody(normalised)

    # --- deal suspensions ---------------------------------------------------------------------

    def agreement_to_suspend(self, value: Any, path: str) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.errors.add(path, "Choose the agreement to suspend.")
            return BAD
        agreement_id = read_int(value, path, self.errors, "The agreement", maximum=2**31 - 1)
        if agreement_id is BAD or self.context is None or self.context.agreements is None:
            return agreement_id
        known = self.context.agreements.get(agreement_id)
        if known is None:
            self.errors.add(path, f"There is no agreement #{agreement_id}; choose one of the approved deals.")
            return BAD
        if known.status == "expired":
            self.errors.add(path, f"{known.label[:1].upper()}{known.label[1:]} has expired: it is no longer in "
                                  "force, so there is nothing to suspend.")
            return BAD
        if known.status == "suspended":
            self.errors.add(path, f"{known.label[:1].upper()}{known.label[1:]} is already suspended.")
            return BAD
        return agreement_id

    def suspension_reason(self, value: Any, path: str) -> Any:
        if isinstance(value, str) and not value.strip():
            self.errors.add(path, "Say why the agreement should be suspended: members vote on your reason.")
            return BAD
        return read_text(value, path, self.errors, "The reason", min_length=1, max_length=MAX_SUSPENSION_REASON,
                         single_line=False)

    def deal_suspension_body(self, data: Any) -> Any:
        obj = read_object(data, "", self.errors, name="The body", required=("agreement_id", "reason"))
        if obj is None:
            return BAD
        agreement_id = self._get(obj, "", "agreement_id", self.agreement_to_suspend)
        reason = self._get(obj, "", "reason", self.suspension_reason)
        if not ok(agreement_id, reason):
            return BAD
        return DealSuspensionBody(agreement_id, reason)


def _bylaw_json(value: Any) -> Any:
    return f"{value.numerator}/{value.denominator}" if isinstance(value, Fraction) else value


def _sentence(key: str, message: str) -> str:
    """The constitution's messages are fragments ("must be between 1 and 90, not 0"): name the
    parameter and end with a full stop."""
    parameter = key.rsplit(".", 1)[-1]
    if message.startswith("must") and parameter in constitution.PARAMETER_LABELS:
        message = f"{constitution.PARAMETER_LABELS[parameter]} {message}"
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."


#: How each stored part is read, by its class (see :func:`from_json`).
_STORED_READERS: dict[type, Callable[[BodyReader, Any], Any]] = {
    Constraints: lambda r, data: r.constraints(data, ""),
    Duty: lambda r, data: r.duty(data, ""),
    Assignee: lambda r, data: r.assignee(data, ""),
    Rule: lambda r, data: r.rule(data, ""),
    RuleChange: lambda r, data: r.rule_change(data, ""),
    DataUseRuleBody: lambda r, data: r.data_use_rule_body(data),
    Counterparty: lambda r, data: r.counterparty(data, ""),
    PermittedUse: lambda r, data: r.permitted_use(data, ""),
    DealBody: lambda r, data: r.deal_body(data),
    PayoutFormula: lambda r, data: r.payout_formula(data, ""),
    PayoutPolicyBody: lambda r, data: r.payout_policy_body(data),
    BylawChangeBody: lambda r, data: r.bylaw_change_body(data),
    DealSuspensionBody: lambda r, data: r.deal_suspension_body(data),
}


def from_json(cls: type[T], data: Any) -> T:
    """Read a stored body, or a part of one (a rule, a payout formula ...), as ``cls``: shapes and types
    are checked, catalogue membership is not (old versions may name retired datasets). Raises
    :class:`InvalidBody` with every error."""
    reader = BodyReader(None)
    value = _STORED_READERS[cls](reader, data)
    if reader.errors:
        raise InvalidBody(reader.errors.errors)
    return value


def parse_body(kind: str, data: Any, context: BodyContext) -> Body:
    """Validate ``data`` as a body of ``kind`` and return it; raise :class:`InvalidBody` with every error."""
    reader = BodyReader(context)
    parsers = {
        "data_use_rule": reader.data_use_rule_body,
        "deal_approval": reader.deal_body,
        "payout_policy": reader.payout_policy_body,
        "bylaw_change": reader.bylaw_change_body,
        "deal_suspension": reader.deal_suspension_body,
    }
    if kind not in parsers:
        raise InvalidBody({"": f"Unknown proposal kind '{kind}'."})
    body = parsers[kind](data)
    if reader.errors:
        raise InvalidBody(reader.errors.errors)
    return body


def body_from_json(kind: str, data: Any) -> Body:
    """Read a stored body of ``kind`` (shapes and types checked, catalogue not)."""
    if kind not in BODY_KINDS:
        raise InvalidBody({"": f"Unknown proposal kind '{kind}'."})
    return from_json(BODY_KINDS[kind], data)
