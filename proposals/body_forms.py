"""Structured forms for the bodies of the proposal kinds: body JSON ⇄ form, errors next to fields.

A view uses them like this::

    choices = body_choices(dataset_titles(session), constitution=snapshot)
    form = form_from_body(kind, body, choices, formdata=request.form if posting else None)
    if structural_action(form):          # "add another change", "remove alternative 2": nothing saved
        return render(form)
    body = body_from_form(kind, form)    # exactly the JSON shapes of governance.policy.terms.bodies
    try: save(body)
    except InvalidBody/ProposalError as exc: unplaced = attach_errors(form, exc.errors)

Adding and removing repeated parts (rule changes, permitted uses, payout alternatives) works without
JavaScript: they are submit buttons that re-render the form with one entry more or less.
Validation belongs to :func:`governance.policy.terms.bodies.parse_body`; the form's own validators only give
friendlier words for what the browser sends (a word in a number box, a date typed wrongly).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField
from wtforms.fields.core import Field

from governance.constitution.rules import KindRules
from governance.policy.terms.bodies import EVERY_DATASET, AgreementRef, Rule, empty_body
from governance.policy.terms.vocabulary import (
    ACTIONS,
    CONTRIBUTION_METRICS,
    CURRENCIES,
    DUTY_KINDS,
    PARTY_CATEGORIES,
    PAYMENT_SCHEDULES,
    REGIONS,
    purpose_tree,
)
from proposals.body_form_classes import LOAD_RULE, BodyChoices, RepeatedField, form_class
from proposals.body_form_json import body_from_form, form_data, rule_data

__all__ = ["BodyChoices", "attach_errors", "body_choices", "body_from_form", "form_from_body",
           "structural_action"]


def body_choices(datasets: Iterable[tuple[str, str]] | Mapping[str, str], *,
                 constitution: Mapping[str, KindRules] | None = None,
                 rules: Iterable[Rule | Mapping[str, Any]] = (),
                 agreements: Iterable[AgreementRef] = ()) -> BodyChoices:
    """The choices of every body form. ``datasets`` are the catalogue's ``(slug, title)`` pairs (or a
    slug → title mapping); "All datasets" (``*``) comes first. ``constitution`` (kind → rules in force)
    lets the bylaw form show the current values; ``rules`` (the adopted data-use rules) let a rule
    change start from the adopted terms of the rule it names; ``agreements`` (with their status) give the
    suspension form the agreements in force or upcoming."""
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
        agreements=[(str(a.id), f"{a.counterparty} (#{a.id}), {AGREEMENT_STATES[a.status]}")
                    for a in agreements if a.suspendable],
    )


AGREEMENT_STATES = {"upcoming": "not yet in force", "active": "in force", "expired": "expired",
                    "suspended": "suspended"}


def form_from_body(kind: str, body_json: Mapping[str, Any] | None, choices: BodyChoices,
                   formdata: Any = None) -> FlaskForm:
    """The form of a ``kind`` body. Without ``formdata`` it shows ``body_json`` (or the kind's empty
    body); with ``formdata`` (``request.form``) it holds what was posted and ``body_json`` is ignored."""
    cls = form_class(kind, choices)
    if formdata is not None:
        form = cls(formdata=formdata)
    else:
        form = cls(formdata=None, data=form_data(kind, body_json or empty_body(kind)))
    form.body_kind = kind
    form.body_choices = choices
    form.posted_data = formdata
    form.structural = None
    return form


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
    rule_id = (entry.form.rule.form.id.data or "").strip()
    adopted = form.body_choices.rules.get(rule_id)
    if adopted is None:
        known = ", ".join(sorted(form.body_choices.rules))
        entry.form.rule.form.id.errors = [f"No adopted rule is called '{rule_id}'. Adopted rules: {known}."
                                          if rule_id else f"Give the name of an adopted rule: {known}."]
        return
    op = entry.form.op.data if entry.form.op.data in ("change", "remove") else "change"
    entry.process(None, {"op": op, "rule": rule_data(adopted)})


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
