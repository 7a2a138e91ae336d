"""Body JSON ⇄ the data of the body forms (:mod:`proposals.body_form_classes`).

One direction fills a form from a stored body (null → empty box); the other turns what was posted into
the body JSON of :mod:`governance.policy.terms.bodies`: strings trimmed, sets sorted and without duplicates,
empty optional numbers null, whole numbers as int. What cannot be read (a word in a number box) stays
as typed, so that ``parse_body`` names the mistake next to its field instead of it vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Form

from governance.constitution.rules import KINDS, PARAMETERS
from governance.policy.terms.vocabulary import DUTIES_WITH_DAYS, DUTY_KINDS
from proposals.body_form_classes import duty_kinds_present

_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


# --- body JSON → form data --------------------------------------------------------------------

def _shown(value: Any) -> Any:
    """A JSON value as a text box shows it (null → empty)."""
    return "" if value is None else str(value)


def rule_data(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The data of one rule's sub-form (also used to fill a change with a rule's adopted terms)."""
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
        changes.append({"op": change.get("op") or "add", "rule": rule_data(rule)})
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
        "attribution": bool(body.get("attribution")),
        "regions": list(body.get("regions") or ()),
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


def _suspension_data(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"agreement_id": _shown(body.get("agreement_id")), "reason": body.get("reason") or ""}


_FORM_DATA = {
    "data_use_rule": _data_use_rule_data,
    "deal_approval": _deal_data,
    "payout_policy": _payout_data,
    "bylaw_change": _bylaw_data,
    "deal_suspension": _suspension_data,
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
        # Written only when set, as DealBody.to_json does (older terms and their hashes stay as they were).
        **({"attribution": True} if form.attribution.data else {}),
        **({"regions": regions} if (regions := _set(form.regions.data)) else {}),
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


def _suspension_json(form: FlaskForm) -> dict[str, Any]:
    return {"agreement_id": _whole_number(form.agreement_id.data), "reason": _text(form.reason.data)}


_BODY_JSON = {
    "data_use_rule": _data_use_rule_json,
    "deal_approval": _deal_json,
    "payout_policy": _payout_json,
    "bylaw_change": _bylaw_json,
    "deal_suspension": _suspension_json,
}


def form_data(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The data that shows ``body`` in the form of ``kind``."""
    return _FORM_DATA[kind](body)


def body_from_form(kind: str, form: FlaskForm) -> dict[str, Any]:
    """The body JSON the form holds: strings trimmed, sets sorted, empty optional numbers null. Every
    entry of a repeated part stays (even an empty one), so error paths match the entries on screen."""
    return _BODY_JSON[kind](form)
