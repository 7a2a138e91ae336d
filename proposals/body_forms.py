"""Structured forms for the bodies of the four proposal kinds: body JSON ⇄ form, errors next to fields.

A view uses them like this::

    choices = body_choices(dataset_titles(session), constitution=snapshot)
    form = form_from_body(kind, body, choices, formdata=request.form if posting else None)
    if structural_action(form):          # "add another change", "remove alternative 2": nothing saved
        return render(form)
    body = body_from_form(kind, form)    # exactly the JSON shapes of governance.policy.bodies
    try: save(body)
    except InvalidBody/ProposalError as exc: unplaced = attach_errors(form, exc.errors)

Adding and removing repeated parts (rule changes, permitted uses, payout alternatives) works without
JavaScript: they are submit buttons that re-render the form with one entry more or less.
Validation belongs to :func:`governance.policy.bodies.parse_body`; the form's own validators only give
friendlier words for what the browser sends (a word in a number box, a date typed wrongly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField
from wtforms.fields.core import Field

from governance.constitution.rules import KINDS, PARAMETERS, KindRules
from governance.policy.bodies import EVERY_DATASET, Rule, empty_body
from governance.policy.vocabulary import (
    ACTIONS,
    CONTRIBUTION_METRICS,
    CURRENCIES,
    DUTIES_WITH_DAYS,
    DUTY_KINDS,
    PARTY_CATEGORIES,
    PAYMENT_SCHEDULES,
    REGIONS,
    purpose_tree,
)
from proposals.body_form_classes import LOAD_RULE, BodyChoices, RepeatedField, duty_kinds_present, form_class

__all__ = ["BodyChoices", "attach_errors", "body_choices", "body_from_form", "form_from_body",
           "structural_action"]

_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


def body_choices(datasets: Iterable[tuple[str, str]] | Mapping[str, str], *,
                 constitution: Mapping[str, KindRules] | None = None,
                 rules: Iterable[Rule | Mapping[str, Any]] = ()) -> BodyChoices:
    """The choices of every body form. ``datasets`` are the catalogue's ``(slug, title)`` pairs (or a
    slug → title mapping); "All datasets" (``*``) comes first. ``constitution`` (kind → rules in force)
    lets the bylaw form show the current values; ``rules`` (the adopted data-use rules) let a rule
    change start from the adopted terms of the rule it names."""
    rule_json = [rule.to_json() if isinstance(rule, Rule) else dict(rule) for rule in rules]
    pairs = datasets.items() if isinstance(datasets, Mapping) else datasets
    return BodyChoices(
        datasets=[(EVERY_DATASET, "All datasets, including ones added later"), *pairs],
        actions=[(code, action.label) for code, action in ACTIONS.items()],
        purposes=[(purpose.iri, purpose.label, depth) for purpose, depth in purpose_tree()],
        categories=list(PARTY_CATEGORIES.items()),
        currencies=[(code, f"{code} — {name}") for code, name in CURRENCIES.items()],
        schedules=[(code, label[:1].upper() + label[1:]) for code, label in PAYMENT_SCHEDULES.items()],
        metrics=list(CONTRIBUTION_METRICS.items()),
        duty_kinds=list(DUTY_KINDS.items()),
        regions=list(REGIONS.items()),
        constitution=constitution,
        rules={rule["id"]: rule for rule in rule_json},
    )


def form_from_body(kind: str, body_json: Mapping[str, Any] | None, choices: BodyChoices,
                   formdata: Any = None) -> FlaskForm:
    """The form of a ``kind`` body. Without ``formdata`` it shows ``body_json`` (or the kind's empty
    body); with ``formdata`` (``request.form``) it holds what was posted and ``body_json`` is ignored."""
    cls = form_class(kind, choices)
    if formdata is not None:
        form = cls(formdata=formdata)
    else:
        form = cls(formdata=None, data=_FORM_DATA[kind](body_json or empty_body(kind)))
    form.body_kind = kind
    form.body_choices = choices
    form.posted_data = formdata
    form.structural = None
    return form


# --- body JSON → form data --------------------------------------------------------------------

def _shown(value: Any) -> Any:
    """A JSON value as a text box shows it (null → empty)."""
    return "" if value is None else str(value)


def _rule_data(rule: Mapping[str, Any]) -> dict[str, Any]:
    assignee = rule.get("assignee") or {}
    kind = assignee.get("type") or ""
    constraints = rule.get("constraints") or {}
    duties: dict[str, Any] = {}
    for duty in rule.get("duties") or ():
        if duty.get("kind") in DUTIES_WITH_DAYS:
            duties[duty["kind"]] = _shown(duty.get("days"))
        elif duty.get("kind") in DUTY_KINDS:
            duties[duty["kind"]] = True
    return {
        "id": rule.get("id") or "",
        "effect": rule.get("effect") or "prohibition",  # a removal names only the rule
        "datasets": list(rule.get("datasets") or ()),
        "action": rule.get("action") or "",
        "assignee": {
            "type": kind,
            "category": assignee.get("value", "") if kind == "category" else "",
            "value": assignee.get("value", "") if kind != "category" else "",
            "name": assignee.get("name") or "",
        },
        "purposes": list(rule.get("purposes") or ()),
        "constraints": {
            "min_cohort_size": _shown(constraints.get("min_cohort_size")),
            "retention_days": _shown(constraints.get("retention_days")),
            "not_before": _shown(constraints.get("not_before")),
            "not_after": _shown(constraints.get("not_after")),
            "regions": list(constraints.get("regions") or ()),
        },
        "duties": duties,
        "description": rule.get("description") or "",
    }


def _data_use_rule_data(body: Mapping[str, Any]) -> dict[str, Any]:
    changes = []
    for change in body.get("changes") or ():
        rule = change.get("rule") or {"id": change.get("rule_id", "")}
        changes.append({"op": change.get("op") or "add", "rule": _rule_data(rule)})
    return {"changes": changes}


def _deal_data(body: Mapping[str, Any]) -> dict[str, Any]:
    counterparty = body.get("counterparty") or {}
    return {
        "counterparty": {key: counterparty.get(key) or "" for key in ("name", "identifier", "contact", "category")},
        "datasets": list(body.get("datasets") or ()),
        "permitted": [{"action": use.get("action") or "", "purposes": list(use.get("purposes") or ())}
                      for use in body.get("permitted") or ()],
        "prohibited_actions": list(body.get("prohibited_actions") or ()),
        **{key: _shown(body.get(key)) for key in ("price", "start_date", "end_date", "retention_days",
                                                   "min_cohort_size", "reporting_every_days")},
        "currency": body.get("currency"),
        "payment_schedule": body.get("payment_schedule"),
        "audit": bool(body.get("audit")),
        "notes": body.get("notes") or "",
    }


def _payout_data(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"alternatives": [
        {"label": formula.get("label") or "", "method": formula.get("method"), "metric": formula.get("metric") or "",
         "rounding": formula.get("rounding"),
         **{key: _shown(formula.get(key)) for key in ("equal_fraction", "reserve_fraction",
                                                       "operating_cost_fraction", "minimum_per_member")}}
        for formula in body.get("alternatives") or ()]}


def _bylaw_data(body: Mapping[str, Any]) -> dict[str, Any]:
    changes = body.get("changes") or {}
    return {"changes": {kind: {parameter: _shown(value) for parameter, value in (params or {}).items()}
                        for kind, params in changes.items() if kind in KINDS}}


_FORM_DATA = {
    "data_use_rule": _data_use_rule_data,
    "deal_approval": _deal_data,
    "payout_policy": _payout_data,
    "bylaw_change": _bylaw_data,
}


# --- form → body JSON -------------------------------------------------------------------------

def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _optional(value: Any) -> str | None:
    """Empty → null; anything else as typed (dates are checked by parse_body)."""
    return _text(value) or None


def _whole_number(value: Any) -> int | str | None:
    """Empty → null, digits → int; anything else stays text so that parse_body names the mistake."""
    text = _text(value)
    if not text:
        return None
    return int(text) if _WHOLE_NUMBER.match(text) else text


def _money(value: Any) -> str | None:
    """``12000`` → ``"12000.00"``; other text stays as typed for parse_body to explain."""
    text = _text(value)
    if not text:
        return None
    return f"{Decimal(text):.2f}" if _MONEY.match(text) else text


def _fraction(value: Any) -> str | None:
    """A fraction as typed, or a percentage turned into one (``10%`` → ``"0.10"``)."""
    text = _text(value)
    if not text.endswith("%"):
        return text or None
    try:
        fraction = Decimal(text[:-1].strip()) / 100
    except InvalidOperation:
        return text
    if not fraction.is_finite():
        return text
    places = max(2, -fraction.normalize().as_tuple().exponent) if fraction else 2
    return f"{fraction:.{places}f}"


def _set(values: Any) -> list[str]:
    return sorted(set(values or ()))


def _rule_json(rule: Form) -> dict[str, Any]:
    assignee_form = rule.assignee.form
    assignee_type = assignee_form.type.data or ""
    assignee: dict[str, Any] | None
    if not assignee_type:
        assignee = None
    elif assignee_type == "category":
        assignee = {"type": "category", "value": assignee_form.category.data or ""}
    else:
        assignee = {"type": assignee_type, "value": _text(assignee_form.value.data),
                    "name": _text(assignee_form.name.data)}
    constraints = rule.constraints.form
    duties_form = rule.duties.form
    duties = [{"kind": kind, "days": _whole_number(duties_form[kind].data)} if kind in DUTIES_WITH_DAYS
              else {"kind": kind} for kind in duty_kinds_present(duties_form)]
    return {
        "id": _text(rule.id.data),
        "effect": rule.effect.data or "",
        "datasets": _set(rule.datasets.data),
        "action": rule.action.data or "",
        "assignee": assignee,
        "purposes": _set(rule.purposes.data),
        "constraints": {
            "min_cohort_size": _whole_number(constraints.min_cohort_size.data),
            "retention_days": _whole_number(constraints.retention_days.data),
            "not_before": _optional(constraints.not_before.data),
            "not_after": _optional(constraints.not_after.data),
            "regions": _set(constraints.regions.data),
        },
        "duties": duties,
        "description": _text(rule.description.data),
    }


def _data_use_rule_json(form: FlaskForm) -> dict[str, Any]:
    changes = []
    for entry in form.changes:
        change = entry.form
        op = change.op.data or ""
        if op == "remove":
            changes.append({"op": "remove", "rule_id": _text(change.rule.form.id.data)})
        else:
            changes.append({"op": op, "rule": _rule_json(change.rule.form)})
    return {"changes": changes}


def _deal_json(form: FlaskForm) -> dict[str, Any]:
    counterparty = form.counterparty.form
    return {
        "counterparty": {"name": _text(counterparty.name.data), "identifier": _text(counterparty.identifier.data),
                         "contact": _text(counterparty.contact.data), "category": counterparty.category.data or ""},
        "datasets": _set(form.datasets.data),
        "permitted": [{"action": entry.form.action.data or "", "purposes": _set(entry.form.purposes.data)}
                      for entry in form.permitted],
        "prohibited_actions": _set(form.prohibited_actions.data),
        "price": _money(form.price.data),
        "currency": form.currency.data or "",
        "payment_schedule": form.payment_schedule.data or "",
        "start_date": _optional(form.start_date.data),
        "end_date": _optional(form.end_date.data),
        "retention_days": _whole_number(form.retention_days.data),
        "min_cohort_size": _whole_number(form.min_cohort_size.data),
        "reporting_every_days": _whole_number(form.reporting_every_days.data),
        "audit": bool(form.audit.data),
        "notes": _text(form.notes.data),
    }


def _payout_json(form: FlaskForm) -> dict[str, Any]:
    alternatives = []
    for entry in form.alternatives:
        formula = entry.form
        method = formula.method.data or ""
        # Fields the chosen method does not use are dropped, as their hints say: switching a formula from
        # hybrid to equal must not fail on the equal fraction left in its box.
        alternatives.append({
            "label": _text(formula.label.data),
            "method": method,
            "equal_fraction": _fraction(formula.equal_fraction.data) if method == "hybrid" else None,
            "metric": (formula.metric.data or None) if method != "equal" else None,
            "reserve_fraction": _fraction(formula.reserve_fraction.data),
            "operating_cost_fraction": _fraction(formula.operating_cost_fraction.data),
            "minimum_per_member": _money(formula.minimum_per_member.data),
            "rounding": formula.rounding.data or "",
        })
    return {"alternatives": alternatives}


def _bylaw_json(form: FlaskForm) -> dict[str, Any]:
    changes: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        kind_form = form.changes.form[kind].form
        for parameter in PARAMETERS:
            value = _text(kind_form[parameter].data)
            if value:
                typed: Any = int(value) if _WHOLE_NUMBER.match(value) and parameter != "threshold" else value
                changes.setdefault(kind, {})[parameter] = typed
    return {"changes": changes}


_BODY_JSON = {
    "data_use_rule": _data_use_rule_json,
    "deal_approval": _deal_json,
    "payout_policy": _payout_json,
    "bylaw_change": _bylaw_json,
}


def body_from_form(kind: str, form: FlaskForm) -> dict[str, Any]:
    """The body JSON the form holds: strings trimmed, sets sorted, empty optional numbers null. Every
    entry of a repeated part stays (even an empty one), so error paths match the entries on screen."""
    return _BODY_JSON[kind](form)


# --- structural edits -------------------------------------------------------------------------

def _repeated_fields(form: Form) -> list[RepeatedField]:
    return [f for f in form if isinstance(f, RepeatedField)]


def structural_action(form: FlaskForm) -> bool:
    """Whether the POST pressed an "add …" or "remove …" button rather than saving; if so, the entry is
    added or removed here (once, however often this is called) and the view re-renders the form."""
    if form.structural is not None:
        return form.structural
    form.structural = False
    posted = form.posted_data
    if not posted:
        return False
    for repeated in _repeated_fields(form):
        if f"add_{repeated.button}" in posted:
            form.structural = True
            if repeated.max_entries and len(repeated) >= repeated.max_entries:
                repeated.group_errors.append(f"There can be at most {repeated.max_entries} of these.")
            else:
                repeated.append_entry()
            return True
        for key in posted:
            button, _, position = key.rpartition("-")
            remove = button == f"remove_{repeated.button}"
            if not remove and button not in dict(repeated.entry_buttons):
                continue
            form.structural = True  # even for a stale position: a button press never saves
            if position.isdigit() and int(position) < len(repeated):
                if not remove:
                    _ENTRY_ACTIONS[button](form, repeated[int(position)])
                elif len(repeated) > repeated.min_entries:
                    repeated.pop_entry(int(position))
            return True
    return False


def _load_rule(form: FlaskForm, entry: FormField) -> None:
    """Fill a rule change with the adopted terms of the rule it names, to edit from there."""
    rule_id = _text(entry.form.rule.form.id.data)
    adopted = form.body_choices.rules.get(rule_id)
    if adopted is None:
        known = ", ".join(sorted(form.body_choices.rules))
        entry.form.rule.form.id.errors = [f"No adopted rule is called '{rule_id}'. Adopted rules: {known}."
                                          if rule_id else f"Give the name of an adopted rule: {known}."]
        return
    op = entry.form.op.data if entry.form.op.data in ("change", "remove") else "change"
    entry.process(None, {"op": op, "rule": _rule_data(adopted)})


_ENTRY_ACTIONS = {LOAD_RULE: _load_rule}


# --- errors next to their fields --------------------------------------------------------------

def attach_errors(form: FlaskForm, errors: Mapping[str, str]) -> list[str]:
    """Put each body error (dotted path → message) next to its field; return the messages that have no
    field (the whole body, unknown paths), for the top of the page."""
    unplaced = []
    for path, message in errors.items():
        if not _place(form, path.split(".") if path else [], message, root=True):
            unplaced.append(message)
    _refresh_list_errors(form)
    return unplaced


def _refresh_list_errors(form: Form) -> None:
    """A FieldList's ``errors`` are computed only by ``validate()``: recompute them, so that
    ``form.errors`` (which pages use to say "nothing was saved") includes the errors placed here."""
    for f in form:
        if isinstance(f, FormField):
            _refresh_list_errors(f.form)
        elif isinstance(f, FieldList):
            for entry in f:
                if isinstance(entry, FormField):
                    _refresh_list_errors(entry.form)
            errors = [entry.errors for entry in f]
            group = list(getattr(f, "group_errors", ()))
            f.errors = [*errors, *group] if any(errors) or group else []


def _append(messages: Any, message: str) -> list[str]:
    messages = list(messages or ())
    if message not in messages:
        messages.append(message)
    return messages


def _place(form: Form, path: list[str], message: str, *, root: bool = False) -> bool:
    alias = getattr(form, "error_alias", None)
    if alias is not None:
        path = alias(path)
    target = form._fields.get(path[0]) if path else None
    if target is None:
        if root:
            return False
        form.form_errors = _append(form.form_errors, message)  # an entry as a whole, shown atop its fieldset
        return True
    return _place_in_field(target, path[1:], message)


def _place_in_field(target: Field, rest: list[str], message: str) -> bool:
    if isinstance(target, FormField):
        return _place(target.form, rest, message)
    if isinstance(target, FieldList):
        if rest and rest[0].isdigit() and int(rest[0]) < len(target.entries):
            return _place_in_field(target.entries[int(rest[0])], rest[1:], message)
        if isinstance(target, RepeatedField):
            target.group_errors = _append(target.group_errors, message)
            return True
    # A leaf: an error about one item of a set ("purposes.2") is shown with the whole set.
    target.errors = _append(target.errors, message)
    return True
