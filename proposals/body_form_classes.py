"""The WTForms classes behind the structured body forms (see :mod:`proposals.body_forms` for the API).

The form tree mirrors the body JSON (``changes-0-rule-constraints-min_cohort_size`` is
``changes.0.rule.constraints.min_cohort_size``), so that validation errors find their field by path.
Classes are built per request by :func:`form_class`, because their choices (the dataset catalogue, the
constitution's current values) are the cooperative's, not the code's.

Numbers, dates and amounts are text fields that keep what was typed: a word in a number field becomes
an error message next to it, never an exception or a silently emptied field. Hints are each field's
``description``; the template shows them under the label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import DateInput

from governance.constitution.rules import KINDS, METHODS, PARAMETER_LABELS, PARAMETERS, KindRules, display_value
from governance.members.forms import MultiCheckboxField, choice
from governance.policy.terms.vocabulary import (
    DUTIES_WITH_DAYS,
    PAYOUT_METHODS,
    ROUNDING_RULES,
)

Choice = tuple[str, str]

MAX_CHANGES = 20
MAX_ALTERNATIVES = 5
MAX_PERMITTED = 20
#: The button that fills a rule change with the adopted terms of the rule it names.
LOAD_RULE = "load_rule"
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass
class BodyChoices:
    """Every list a body form offers, as ``(value, label)`` pairs; purposes also carry their depth in
    the DPV hierarchy, so that the form can indent narrower purposes under broader ones."""

    datasets: list[Choice]
    actions: list[Choice]
    purposes: list[tuple[str, str, int]]
    categories: list[Choice]
    currencies: list[Choice]
    schedules: list[Choice]
    metrics: list[Choice]
    duty_kinds: list[Choice]
    regions: list[Choice]
    #: The constitution in force (kind → rules): bylaw forms show each parameter's current value.
    constitution: Mapping[str, KindRules] | None = None
    #: The adopted data-use rules (id → rule JSON): a change can start from a rule's adopted terms.
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The agreements a suspension may name (in force or upcoming), as (id, label).
    agreements: list[Choice] = field(default_factory=list)


# --- fields -----------------------------------------------------------------------------------

def _whole_number(form: Form, f: StringField) -> None:
    value = (f.data or "").strip()
    if value and not _WHOLE_NUMBER.match(value):
        raise ValidationError("Enter a whole number such as 30, or leave the box empty.")


def _iso_date(form: Form, f: StringField) -> None:
    value = (f.data or "").strip()
    if not value:
        return
    try:
        if not _DATE.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError("Enter a date as year-month-day, for example 2027-03-31.") from None


class ChecklistField(MultiCheckboxField):
    """Checkboxes for a set of values. ``depths`` indents an option under its broader one;
    ``columns`` lays a long list out in columns."""

    def __init__(self, label: str | None = None, validators: Any = None, *, depths: Mapping[str, int] | None = None,
                 columns: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.depths = dict(depths or {})
        self.columns = columns


class RepeatedField(FieldList):
    """A list of sub-forms with buttons to add and remove entries without JavaScript: the buttons are
    named ``add_<button>`` and ``remove_<button>-<position>``."""

    def __init__(self, unbound_field: Any, label: str | None = None, *, button: str, entry_label: str,
                 add_label: str, entry_buttons: Sequence[Choice] = (), **kwargs: Any) -> None:
        super().__init__(unbound_field, label, **kwargs)
        self.button = button
        self.entry_label = entry_label
        self.add_label = add_label
        #: Further buttons in each entry, as (name prefix, label): named ``<prefix>-<position>``.
        self.entry_buttons = tuple(entry_buttons)
        #: Errors about the list as a whole ("at most 5 alternatives", "labels must differ").
        self.group_errors: list[str] = []


def _text(label: str, hint: str = "", **kwargs: Any) -> StringField:
    return StringField(label, description=hint, filters=[_strip], **kwargs)


def _number(label: str, hint: str = "") -> StringField:
    return StringField(label, description=hint, filters=[_strip], validators=[_whole_number],
                       render_kw={"inputmode": "numeric", "class": "input-short"})


def _decimal(label: str, hint: str = "", *, shown_if: Mapping[str, str] | None = None) -> StringField:
    return StringField(label, description=hint, filters=[_strip],
                       render_kw={"inputmode": "decimal", "class": "input-short", **(shown_if or {})})


def _shown_if(sibling: str, *values: str) -> dict[str, str]:
    """For static/body_forms.js: show this control only while the sibling select has one of ``values``.
    Without JavaScript every control shows, and the hints say which choice uses it."""
    return {"data-shown-if": f"{sibling}:{','.join(values)}"}


def _date(label: str, hint: str = "") -> StringField:
    return StringField(label, description=hint, filters=[_strip], validators=[_iso_date], widget=DateInput())


def _select(label: str, options: Sequence[Choice], hint: str = "", **kwargs: Any) -> SelectField:
    return SelectField(label, choices=[choice(v, t) for v, t in options], description=hint,
                       validate_choice=True, **kwargs)


def _checklist(label: str, options: Sequence[Choice], hint: str = "", **kwargs: Any) -> ChecklistField:
    return ChecklistField(label, choices=[choice(v, t) for v, t in options], description=hint, **kwargs)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _purposes(c: BodyChoices, label: str, hint: str) -> ChecklistField:
    return _checklist(label, [(iri, text) for iri, text, _ in c.purposes], hint,
                      depths={iri: depth for iri, _, depth in c.purposes})


# --- data-use rules ---------------------------------------------------------------------------

#: Labels for the duties that take a number of days, worded for the box they label.
DAYS_DUTY_LABELS = {"delete_after": "Delete the data after (days)", "report_every": "Report on the use every (days)"}

def _rule_form(c: BodyChoices) -> type[Form]:
    adopted = f" Adopted rules: {', '.join(sorted(c.rules))}." if c.rules else ""
    class AssigneeForm(Form):
        type = _select("Applies to", [("", "Everyone"), ("category", "A category of organisations"),
                                      ("party", "One named organisation")],
                       "Leave “Everyone” unless the rule is only for some users of the data.")
        category = _select("Category of organisations", [("", "Choose a category"), *c.categories],
                           "Only when the rule applies to a category.", render_kw=_shown_if("type", "category"))
        value = _text("Organisation's web address", "Only for one named organisation, e.g. https://example.ai",
                      render_kw={"inputmode": "url", **_shown_if("type", "party")})
        name = _text("Organisation's name", "Only for one named organisation.", render_kw=_shown_if("type", "party"))

    class ConstraintsForm(Form):
        min_cohort_size = _number("Minimum cohort size", "Results may only describe groups of at least this "
                                  "many members. Leave empty for no minimum.")
        retention_days = _number("Keep the data at most (days)", "Leave empty for no limit.")
        not_before = _date("Not before", "First day the rule applies (optional).")
        not_after = _date("Not after", "Last day the rule applies (optional).")
        regions = _checklist("Where the data may be processed", c.regions,
                             "Tick none to allow anywhere.", columns=True)

    class DutiesForm(Form):
        pass

    for kind, label in c.duty_kinds:
        if kind in DUTIES_WITH_DAYS:
            unbound = _number(DAYS_DUTY_LABELS.get(kind, label), "A number of days; leave empty for no such duty.")
        else:
            unbound = BooleanField(label)
        setattr(DutiesForm, kind, unbound)

    class RuleForm(Form):
        id = _text("Rule name", "A short name of lowercase letters, digits and hyphens, e.g. no-genai-training. "
                   "To change or remove a rule, give the name it already has." + adopted)
        effect = _select("The rule", [("prohibition", "Forbids (prohibition)"), ("permission", "Allows (permission)")])
        datasets = _checklist("Datasets", c.datasets, "Tick at least one.")
        action = _select("What is allowed or forbidden", [("", "Choose an action"), *c.actions])
        assignee = FormField(AssigneeForm, "Who the rule applies to")
        purposes = _purposes(c, "Purposes", "Tick none for any purpose. A broader purpose includes "
                             "the narrower ones indented under it.")
        constraints = FormField(ConstraintsForm, "Conditions")
        duties = FormField(DutiesForm, "Duties of whoever uses the data",
                           description="Only for permissions.")
        description = TextAreaField("Description (optional)", filters=[_strip],
                                    description="In your own words, what the rule is for.")

        def error_alias(self, path: list[str]) -> list[str]:
            """Body paths whose form field has another name: duties are a list in the body but one
            field per kind here; an assignee's value is the category or the organisation's address."""
            if path[:1] == ["duties"] and len(path) > 1 and path[1].isdigit():
                present = duty_kinds_present(self.duties.form)
                index = int(path[1])
                return ["duties", present[index]] if index < len(present) else ["duties"]
            if path[:2] == ["assignee", "value"] and self.assignee.form.type.data == "category":
                return ["assignee", "category"]
            return path

    return RuleForm


def duty_kinds_present(duties: Form) -> list[str]:
    """The duty kinds filled in, in the order the body lists them."""
    return [kind for kind, f in duties._fields.items() if _filled(f.data)]


def _filled(value: Any) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _data_use_rule_form(c: BodyChoices) -> type[FlaskForm]:
    rule_form = _rule_form(c)

    class ChangeForm(Form):
        op = _select("Change", [("add", "Add a new rule"), ("change", "Change an existing rule"),
                                ("remove", "Remove an existing rule")],
                     "To remove a rule only its name is needed; to change one, give its name and its new terms.")
        rule = FormField(rule_form, "Rule")

        def error_alias(self, path: list[str]) -> list[str]:
            return ["rule", "id"] if path[:1] == ["rule_id"] else path

    class DataUseRuleForm(_BodyForm):
        changes = RepeatedField(FormField(ChangeForm), "Changes to the data-use rules", button="change",
                                entry_label="Change", add_label="Add another change",
                                entry_buttons=[(LOAD_RULE, "Fill in the adopted terms of the rule named in")]
                                if c.rules else (),
                                min_entries=1, max_entries=MAX_CHANGES)

    return DataUseRuleForm


# --- deals ------------------------------------------------------------------------------------

def _deal_form(c: BodyChoices) -> type[FlaskForm]:
    class CounterpartyForm(Form):
        name = _text("Name", "The organisation the deal is with.")
        identifier = _text("Web address", "Its website or another https:// identifier.",
                           render_kw={"inputmode": "url"})
        contact = _text("Contact (optional)", "A person or address to reach about the deal.")
        category = _select("Kind of organisation", [("", "Choose a kind"), *c.categories])

    class PermittedForm(Form):
        action = _select("What they may do", [("", "Choose an action"), *c.actions])
        purposes = _purposes(c, "For which purposes", "Tick at least one.")

    class DealForm(_BodyForm):
        counterparty = FormField(CounterpartyForm, "Counterparty")
        datasets = _checklist("Datasets", c.datasets, "Tick at least one.")
        permitted = RepeatedField(FormField(PermittedForm), "Permitted uses", button="permitted",
                                  entry_label="Permitted use", add_label="Add another permitted use",
                                  min_entries=1, max_entries=MAX_PERMITTED)
        prohibited_actions = _checklist("Explicitly forbidden", c.actions,
                                        "Actions the deal rules out, even if no rule forbids them.")
        price = _decimal("Price", "For example 12000.00. Use 0 for a free deal.")
        currency = _select("Currency", c.currencies)
        payment_schedule = _select("Paid", c.schedules)
        start_date = _date("Start date", "Year-month-day, for example 2027-01-01.")
        end_date = _date("End date", "After the start date.")
        retention_days = _number("Keep the data at most (days)", "Leave empty for no limit.")
        min_cohort_size = _number("Minimum cohort size", "Results may only describe groups of at least this "
                                  "many members. Leave empty for no minimum.")
        reporting_every_days = _number("Report to the cooperative every (days)", "Leave empty for no reports.")
        audit = BooleanField("The counterparty submits to audits by the cooperative")
        attribution = BooleanField("The counterparty attributes the cooperative wherever it uses the data")
        regions = _checklist("Where the data may be processed", c.regions,
                             "Tick none to leave it to the adopted rules (their regions bind the deal anyway).",
                             columns=True)
        notes = TextAreaField("Notes (optional)", filters=[_strip])

    return DealForm


# --- payout policy ----------------------------------------------------------------------------

def _payout_form(c: BodyChoices) -> type[FlaskForm]:
    fraction_hint = "A fraction between 0 and 1 (0.10 is 10 %), or a percentage such as 10%."

    class FormulaForm(Form):
        label = _text("Name of this alternative", "What members see on the ballot, e.g. “Equal split”.")
        method = _select("How revenue is shared", list(PAYOUT_METHODS.items()))
        equal_fraction = _decimal("Part shared equally (hybrid only)", fraction_hint +
                                  " The rest is shared pro rata.", shown_if=_shown_if("method", "hybrid"))
        metric = _select("Pro rata by (not for the equal split)", [("", "Not used"), *c.metrics],
                         render_kw=_shown_if("method", "pro_rata", "hybrid"))
        reserve_fraction = _decimal("Reserve", "Share of revenue kept in the reserve. " + fraction_hint)
        operating_cost_fraction = _decimal("Operating costs", "Share of revenue for running the cooperative. "
                                           "Reserve and operating costs together must stay below 1.")
        minimum_per_member = _decimal("Minimum per member", "An amount such as 5.00; 0 for no minimum.")
        rounding = _select("Rounding", list(ROUNDING_RULES.items()))

    class PayoutForm(_BodyForm):
        alternatives = RepeatedField(FormField(FormulaForm), "Alternatives", button="alternative",
                                     entry_label="Alternative", add_label="Add another alternative",
                                     min_entries=1, max_entries=MAX_ALTERNATIVES,
                                     description="Members choose between the alternatives when they vote.")

    return PayoutForm


# --- bylaw changes ----------------------------------------------------------------------------

PARAMETER_HINTS: dict[str, str] = {
    "method": "",
    "quadratic_budget": "Voice credits per member on a quadratic ballot, a whole number.",
    "quorum_percent": "Percent of the eligible members who must take part, 0 to 100.",
    "threshold": "Share of the yes/no votes needed, a fraction from 1/2 to 1 such as 2/3.",
    "min_sponsors": "Co-sponsors a proposal needs before it can go to vote.",
    "min_discussion_days": "Days of discussion before voting may open.",
    "voting_days": "Days the vote stays open.",
}


def _bylaw_form(c: BodyChoices) -> type[FlaskForm]:
    class ChangesForm(Form):
        pass

    for kind, kind_label in KINDS.items():
        current = (c.constitution or {}).get(kind)

        class KindForm(Form):
            pass

        for parameter in PARAMETERS:
            now = display_value(parameter, getattr(current, parameter)) if current else None
            keep = f"Now: {now}. Leave empty to keep it." if now else "Leave empty to keep the current value."
            label = f"{PARAMETER_LABELS[parameter]} — new value"
            if parameter == "method":
                unbound: Any = _select(label, [("", f"Keep ({now})" if now else "Keep the current method"),
                                               *METHODS.items()], keep)
            else:
                unbound = _text(label, f"{PARAMETER_HINTS[parameter]} {keep}".strip(),
                                render_kw={"class": "input-short"})
            setattr(KindForm, parameter, unbound)
        setattr(ChangesForm, kind, FormField(KindForm, kind_label))

    class BylawForm(_BodyForm):
        changes = FormField(ChangesForm, "New values")

    return BylawForm


# --- deal suspensions ------------------------------------------------------------------------

def _deal_suspension_form(c: BodyChoices) -> type[FlaskForm]:
    none = "" if c.agreements else " No agreement is in force or upcoming now, so there is nothing to suspend."

    class DealSuspensionForm(_BodyForm):
        # Any posted value reaches the body check, which says why an agreement cannot be chosen
        # (expired or suspended since the page was loaded) instead of "Not a valid choice".
        agreement_id = SelectField("Agreement to suspend", choices=[choice("", "Choose an agreement"),
                                                                    *(choice(v, t) for v, t in c.agreements)],
                                   description="Only agreements in force or not yet started can be suspended."
                                               + none, validate_choice=False)
        reason = TextAreaField("Why it must be suspended", filters=[_strip],
                               description="What the counterparty did or what happened (a breach of the terms, a "
                                           "court order, a data leak). Members vote on this reason.")

    return DealSuspensionForm


# --- the root form ----------------------------------------------------------------------------

class _BodyForm(FlaskForm):
    """A body form renders inside the proposal's own form, which carries the CSRF token (and
    CSRFProtect checks every POST), so it has none of its own: two tokens would share an id."""

    class Meta:
        csrf = False


_FACTORIES = {
    "data_use_rule": _data_use_rule_form,
    "deal_approval": _deal_form,
    "payout_policy": _payout_form,
    "bylaw_change": _bylaw_form,
    "deal_suspension": _deal_suspension_form,
}


def form_class(kind: str, choices: BodyChoices) -> type[FlaskForm]:
    if kind not in _FACTORIES:
        raise ValueError(f"unknown proposal kind {kind!r}")
    return _FACTORIES[kind](choices)
