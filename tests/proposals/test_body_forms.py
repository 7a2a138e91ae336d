"""The structured body forms: body JSON ⇄ form, errors of parse_body next to their fields, adding and
removing entries without JavaScript, and accessible markup. Bodies are checked with the real
parse_body; forms are posted as a browser would post them."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, FormField, SelectMultipleField

from governance.constitution.rules import DEFAULTS
from governance.policy.terms.bodies import AgreementRef, BodyContext, InvalidBody, empty_body
from governance.policy.terms.parsing import parse_body
from proposals.body_forms import (
    BodyChoices,
    attach_errors,
    body_choices,
    body_from_form,
    form_from_body,
    structural_action,
)
from proposals.models import ProposalVersion
from tests.conftest import count_rows, fetch_all
from tests.proposals.factories import seed_governance
from tests.proposals.webform import form_fields

KINDS = ("data_use_rule", "deal_approval", "payout_policy", "bylaw_change", "deal_suspension")
DATASETS = {"ride-logs": "Ride logs", "health-survey": "Health survey answers"}
CONTEXT = BodyContext(datasets=frozenset(DATASETS), constitution=DEFAULTS)
DPV = "https://w3id.org/dpv#"

RULE_BODY = {"changes": [
    {"op": "add", "rule": {
        "id": "research-only", "effect": "permission", "datasets": ["health-survey", "ride-logs"],
        "action": "aggregate", "assignee": {"type": "category", "value": "academic"},
        "purposes": [DPV + "AcademicResearch", DPV + "ImproveHealthcare"],
        "constraints": {"min_cohort_size": 50, "retention_days": 365, "not_before": "2027-01-01",
                        "not_after": "2027-12-31", "regions": ["EU", "NO"]},
        "duties": [{"kind": "delete_after", "days": 365}, {"kind": "report_every", "days": 90},
                   {"kind": "attribute"}, {"kind": "submit_to_audit"}],
        "description": "Universities may compute statistics for research."}},
    {"op": "change", "rule": {
        "id": "no-genai-training", "effect": "prohibition", "datasets": ["*"], "action": "train_generative_model",
        "assignee": {"type": "party", "value": "https://example.ai", "name": "Example AI"}, "purposes": [],
        "constraints": {"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
                        "regions": []},
        "duties": [], "description": ""}},
    {"op": "remove", "rule_id": "old-rule"},
]}
DEAL_BODY = {
    "counterparty": {"name": "Example AI", "identifier": "https://example.ai", "contact": "deals@example.ai",
                     "category": "commercial"},
    "datasets": ["ride-logs"],
    "permitted": [{"action": "aggregate", "purposes": [DPV + "CommercialResearch"]},
                  {"action": "derive", "purposes": [DPV + "ImproveTransportMobility", DPV + "ServiceOptimisation"]}],
    "prohibited_actions": ["sell", "train_generative_model"],
    "price": "12000.00", "currency": "EUR", "payment_schedule": "quarterly",
    "start_date": "2027-01-01", "end_date": "2027-12-31",
    "retention_days": 180, "min_cohort_size": 100, "reporting_every_days": 90, "audit": True,
    "notes": "Renewable once.",
}
PAYOUT_BODY = {"alternatives": [
    {"label": "Equal split", "method": "equal", "equal_fraction": None, "metric": None, "reserve_fraction": "0.10",
     "operating_cost_fraction": "0.05", "minimum_per_member": "0.00", "rounding": "cent_remainder_to_reserve"},
    {"label": "By contribution", "method": "pro_rata", "equal_fraction": None, "metric": "records_contributed",
     "reserve_fraction": "0.10", "operating_cost_fraction": "0.05", "minimum_per_member": "2.50",
     "rounding": "cent_remainder_to_reserve"},
    {"label": "Half and half", "method": "hybrid", "equal_fraction": "0.50", "metric": "active_days",
     "reserve_fraction": "0.15", "operating_cost_fraction": "0.10", "minimum_per_member": "1.00",
     "rounding": "cent_remainder_to_reserve"},
]}
BYLAW_BODY = {"changes": {"bylaw_change": {"threshold": "3/4", "voting_days": 14},
                          "deal_approval": {"quorum_percent": 30, "method": "quadratic"}}}
SUSPENSION_BODY = {"agreement_id": 3, "reason": "Example AI passed ride logs to a data broker.\n\nSee the audit."}
FULL_BODIES = {"data_use_rule": RULE_BODY, "deal_approval": DEAL_BODY, "payout_policy": PAYOUT_BODY,
               "bylaw_change": BYLAW_BODY, "deal_suspension": SUSPENSION_BODY}


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def choices() -> BodyChoices:
    return body_choices(list(DATASETS.items()), constitution=DEFAULTS, agreements=[
        AgreementRef(3, "Example AI", "active"), AgreementRef(4, "Future Labs", "upcoming"),
        AgreementRef(5, "Old Partner", "expired")])


def test_the_suspension_form_offers_only_agreements_in_force_or_upcoming() -> None:
    assert choices().agreements == [("3", "Example AI (#3), in force"), ("4", "Future Labs (#4), not yet in force")]


def browser_post(form: Any, **buttons: str) -> MultiDict:
    """What a browser sends for ``form`` as shown: every control's current value (checked boxes only)."""
    pairs: list[tuple[str, str]] = []

    def walk(field: Any) -> None:
        if isinstance(field, FormField):
            for sub in field.form:
                walk(sub)
        elif isinstance(field, FieldList):
            for entry in field:
                walk(entry)
        elif isinstance(field, BooleanField):
            if field.data:
                pairs.append((field.name, "y"))
        elif isinstance(field, SelectMultipleField):
            pairs.extend((field.name, value) for value in field.data or ())
        elif field.type == "SelectField":
            pairs.append((field.name, field.data or ""))
        else:
            pairs.append((field.name, field._value()))

    for field in form:
        walk(field)
    pairs.extend(buttons.items())
    return MultiDict(pairs)


def edited(data: MultiDict, **changes: str | list[str]) -> MultiDict:
    """``data`` with some fields replaced (names with dashes are given with double underscores)."""
    result = MultiDict(data)
    for key, value in changes.items():
        result.setlist(key.replace("__", "-"), value if isinstance(value, list) else [value])
    return result


def posted(kind: str, data: MultiDict) -> Any:
    return form_from_body(kind, None, choices(), formdata=data)


def errors_after_save(kind: str, form: Any) -> list[str]:
    """Parse the posted body as the services do and place its errors; return the unplaced ones."""
    with pytest.raises(InvalidBody) as caught:
        parse_body(kind, body_from_form(kind, form), CONTEXT)
    return attach_errors(form, caught.value.errors)


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_full_example_bodies_are_valid(kind: str) -> None:
    assert parse_body(kind, FULL_BODIES[kind], CONTEXT).to_json() == FULL_BODIES[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_a_full_body_survives_showing_and_posting_the_form(ctx: None, kind: str) -> None:
    body = copy.deepcopy(FULL_BODIES[kind])
    shown = form_from_body(kind, body, choices())
    assert body_from_form(kind, shown) == FULL_BODIES[kind]
    again = posted(kind, browser_post(shown))
    assert not structural_action(again)
    assert body_from_form(kind, again) == FULL_BODIES[kind]
    assert again.validate(), again.errors


@pytest.mark.parametrize("kind", KINDS)
def test_the_empty_body_survives_the_form(ctx: None, kind: str) -> None:
    form = form_from_body(kind, empty_body(kind), choices())
    assert body_from_form(kind, form) == empty_body(kind)
    assert body_from_form(kind, posted(kind, browser_post(form))) == empty_body(kind)
    assert body_from_form(kind, form_from_body(kind, None, choices())) == empty_body(kind)


def test_posted_values_are_trimmed_typed_and_normalised(ctx: None) -> None:
    data = edited(browser_post(form_from_body("deal_approval", DEAL_BODY, choices())),
                  counterparty__name="  Example AI ", price="12000", retention_days=" 30 ",
                  min_cohort_size="", datasets=["ride-logs", "ride-logs"])
    body = body_from_form("deal_approval", posted("deal_approval", data))
    assert body["counterparty"]["name"] == "Example AI"
    assert body["price"] == "12000.00"
    assert body["retention_days"] == 30
    assert body["min_cohort_size"] is None
    assert body["datasets"] == ["ride-logs"]


def test_percentages_become_fractions_and_unused_fields_are_dropped(ctx: None) -> None:
    data = edited(browser_post(form_from_body("payout_policy", PAYOUT_BODY, choices())),
                  alternatives__0__reserve_fraction="12.5%", alternatives__0__equal_fraction="0.3",
                  alternatives__0__metric="active_days", alternatives__2__equal_fraction="50 %")
    body = body_from_form("payout_policy", posted("payout_policy", data))
    first = body["alternatives"][0]
    assert first["reserve_fraction"] == "0.125"
    assert first["equal_fraction"] is None
    assert first["metric"] is None
    assert body["alternatives"][2]["equal_fraction"] == "0.50"


def test_bylaw_values_are_typed_and_unchanged_parameters_left_out(ctx: None) -> None:
    data = edited(browser_post(form_from_body("bylaw_change", {"changes": {}}, choices())),
                  changes__payout_policy__min_sponsors="3", changes__data_use_rule__threshold="2/3")
    body = body_from_form("bylaw_change", posted("bylaw_change", data))
    assert body == {"changes": {"payout_policy": {"min_sponsors": 3}, "data_use_rule": {"threshold": "2/3"}}}


# --- invalid posts: errors next to their fields -----------------------------------------------

def test_negative_price_end_before_start_and_text_in_a_number_field(ctx: None) -> None:
    data = edited(browser_post(form_from_body("deal_approval", DEAL_BODY, choices())),
                  price="-5", start_date="2027-06-01", end_date="2027-05-01", reporting_every_days="monthly")
    form = posted("deal_approval", data)
    assert body_from_form("deal_approval", form)["reporting_every_days"] == "monthly"  # kept, not dropped
    assert errors_after_save("deal_approval", form) == []
    assert "negative" in " ".join(form.price.errors)
    assert "after the start date" in " ".join(form.end_date.errors)
    assert "whole number" in " ".join(form.reporting_every_days.errors)
    assert not form.start_date.errors
    assert not form.retention_days.errors


def test_text_in_a_number_field_is_a_form_error_too(ctx: None) -> None:
    data = edited(browser_post(form_from_body("data_use_rule", RULE_BODY, choices())),
                  changes__0__rule__constraints__retention_days="a year",
                  changes__0__rule__constraints__not_before="31/12/2027")
    form = posted("data_use_rule", data)
    assert not form.validate()
    constraints = form.changes[0].form.rule.form.constraints.form
    assert constraints.retention_days.errors == ["Enter a whole number such as 30, or leave the box empty."]
    assert "year-month-day" in constraints.not_before.errors[0]


def test_cohort_size_zero_is_reported_at_the_rule_of_its_change(ctx: None) -> None:
    data = edited(browser_post(form_from_body("data_use_rule", RULE_BODY, choices())),
                  changes__1__rule__constraints__min_cohort_size="0")
    form = posted("data_use_rule", data)
    assert errors_after_save("data_use_rule", form) == []
    first, second = (entry.form.rule.form.constraints.form for entry in form.changes[:2])
    assert second.min_cohort_size.errors
    assert "at least 1" in second.min_cohort_size.errors[0]
    assert not first.min_cohort_size.errors


def test_fractions_summing_over_one_are_reported_in_their_alternative(ctx: None) -> None:
    data = edited(browser_post(form_from_body("payout_policy", PAYOUT_BODY, choices())),
                  alternatives__1__reserve_fraction="0.6", alternatives__1__operating_cost_fraction="0.5")
    form = posted("payout_policy", data)
    assert errors_after_save("payout_policy", form) == []
    alternative = form.alternatives[1].form
    messages = [*alternative.reserve_fraction.errors, *alternative.operating_cost_fraction.errors,
                *alternative.form_errors]
    assert any("less than 1" in m for m in messages)
    assert not form.alternatives[0].form.reserve_fraction.errors


def test_a_purpose_not_in_the_list_is_reported_at_its_permitted_use(ctx: None) -> None:
    data = edited(browser_post(form_from_body("deal_approval", DEAL_BODY, choices())),
                  permitted__1__purposes=[DPV + "MakeMoneyFast"])
    form = posted("deal_approval", data)
    assert not form.validate()  # not one of the choices on offer
    assert form.permitted[1].form.purposes.errors
    fresh = posted("deal_approval", data)
    assert errors_after_save("deal_approval", fresh) == []
    assert "not one of the cooperative's purposes" in fresh.permitted[1].form.purposes.errors[0]
    assert not fresh.permitted[0].form.purposes.errors


def test_paths_that_differ_from_the_form_find_their_field(ctx: None) -> None:
    form = form_from_body("data_use_rule", RULE_BODY, choices())
    unplaced = attach_errors(form, {
        "changes.0.rule.duties.1.days": "Days must be at least 1.",          # report_every: 2nd duty present
        "changes.0.rule.assignee.value": "Unknown category.",                 # a category, not an address
        "changes.1.rule.assignee.value": "Not a web address.",
        "changes.2.rule_id": "No rule is called old-rule.",
        "changes.1": "This change touches the same rule as change 1.",
        "changes": "At most 20 changes.",
        "": "The body is not an object.",
        "nonsense.path": "Unknown.",
    })
    assert unplaced == ["The body is not an object.", "Unknown."]
    first, second, third = (entry.form for entry in form.changes)
    assert first.rule.form.duties.form.report_every.errors == ["Days must be at least 1."]
    assert first.rule.form.assignee.form.category.errors == ["Unknown category."]
    assert second.rule.form.assignee.form.value.errors == ["Not a web address."]
    assert third.rule.form.id.errors == ["No rule is called old-rule."]
    assert second.form_errors == ["This change touches the same rule as change 1."]
    assert form.changes.group_errors == ["At most 20 changes."]
    # form.errors (which pages use to say "nothing was saved") includes what was placed, lists too
    assert form.errors["changes"][2] == {"rule": {"id": ["No rule is called old-rule."]}}
    assert form.errors["changes"][-1] == "At most 20 changes."


def test_errors_placed_after_validation_still_show_in_form_errors(ctx: None) -> None:
    form = posted("payout_policy", browser_post(form_from_body("payout_policy", PAYOUT_BODY, choices())))
    assert form.validate()
    assert attach_errors(form, {"alternatives.2.label": "Labels must differ."}) == []
    assert form.errors == {"alternatives": [{}, {}, {"label": ["Labels must differ."]}]}


def test_bylaw_errors_sit_at_their_parameter(ctx: None) -> None:
    data = edited(browser_post(form_from_body("bylaw_change", BYLAW_BODY, choices())),
                  changes__deal_approval__quorum_percent="300")
    form = posted("bylaw_change", data)
    assert errors_after_save("bylaw_change", form) == []
    assert "between 0 and 100" in form.changes.form.deal_approval.form.quorum_percent.errors[0]


# --- adding and removing entries without JavaScript -------------------------------------------

@pytest.mark.parametrize(("kind", "button", "list_name"), [
    ("data_use_rule", "change", "changes"), ("deal_approval", "permitted", "permitted"),
    ("payout_policy", "alternative", "alternatives")])
def test_add_and_remove_buttons_change_the_entries_and_keep_the_rest(ctx: None, kind: str, button: str,
                                                                     list_name: str) -> None:
    shown = form_from_body(kind, FULL_BODIES[kind], choices())
    count = len(shown[list_name])
    added = posted(kind, browser_post(shown, **{f"add_{button}": "1"}))
    assert structural_action(added)
    assert structural_action(added)
    assert len(added[list_name]) == count + 1
    assert body_from_form(kind, added)[list_name][:count] == FULL_BODIES[kind][list_name]

    removed = posted(kind, browser_post(shown, **{f"remove_{button}-0": "1"}))
    assert structural_action(removed)
    assert body_from_form(kind, removed)[list_name] == FULL_BODIES[kind][list_name][1:]
    assert [entry.id for entry in removed[list_name]] == [f"{list_name}-{i}" for i in range(count - 1)]

    saved = posted(kind, browser_post(shown))
    assert not structural_action(saved)
    assert len(saved[list_name]) == count


def test_the_last_entry_cannot_be_removed_and_the_maximum_not_exceeded(ctx: None) -> None:
    one = form_from_body("payout_policy", {"alternatives": PAYOUT_BODY["alternatives"][:1]}, choices())
    form = posted("payout_policy", browser_post(one, **{"remove_alternative-0": "1"}))
    assert structural_action(form)
    assert len(form.alternatives) == 1

    five = form_from_body("payout_policy", {"alternatives": [
        dict(PAYOUT_BODY["alternatives"][0], label=f"Option {i}") for i in range(5)]}, choices())
    form = posted("payout_policy", browser_post(five, add_alternative="1"))
    assert structural_action(form)
    assert len(form.alternatives) == 5
    assert form.alternatives.group_errors == ["There can be at most 5 of these."]


# --- markup -----------------------------------------------------------------------------------

class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.wrapped: set[str] = set()
        self.described: list[str] = []
        self.fieldsets = 0
        self.legends = 0
        self._in_label = 0
        self.buttons: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if "aria-describedby" in a:
            self.described.extend(a["aria-describedby"].split())
        if tag == "label":
            self._in_label += 1
            if "for" in a:
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            self.controls.append(a)
            if self._in_label:
                self.wrapped.add(a.get("id", ""))
        elif tag == "button":
            self.buttons.append(a)
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1


def render(app: Flask, form: Any, kind: str) -> str:
    template = app.jinja_env.from_string(
        '{% from "proposals/_body_form.html" import body_fields %}{{ body_fields(form, kind) }}')
    return template.render(form=form, kind=kind)


@pytest.mark.parametrize("kind", KINDS)
def test_every_control_is_labelled_and_every_group_has_a_legend(app: Flask, ctx: None, kind: str) -> None:
    form = form_from_body(kind, FULL_BODIES[kind], choices())
    html = render(app, form, kind)
    page = _Markup()
    page.feed(html)
    assert len(page.ids) == len(set(page.ids)), "element ids must be unique"
    for control in page.controls:
        assert control["id"] in page.label_for | page.wrapped, f"no label for {control['name']}"
    assert page.fieldsets == page.legends
    assert page.fieldsets > 0 or kind == "deal_suspension"  # its two fields form no group
    assert set(page.described) <= set(page.ids)
    # What the markup submits is what the form reads: every control's name is one of the form's fields.
    names = {control["name"] for control in page.controls}
    assert names == set(browser_post(form).keys()) | {
        c["name"] for c in page.controls if c.get("type") == "checkbox"}


def test_errors_are_shown_and_linked_to_their_controls(app: Flask, ctx: None) -> None:
    data = edited(browser_post(form_from_body("data_use_rule", RULE_BODY, choices())),
                  changes__0__rule__constraints__min_cohort_size="0", changes__0__rule__purposes=[DPV + "Nope"])
    form = posted("data_use_rule", data)
    errors_after_save("data_use_rule", form)
    html = render(app, form, "data_use_rule")
    cohort = "changes-0-rule-constraints-min_cohort_size"
    assert re.search(rf'<input[^>]*aria-describedby="{cohort}-hint {cohort}-error"[^>]*aria-invalid="true"', html)
    assert f'<p class="field-error" id="{cohort}-error">Cohort size must be at least 1.</p>' in html
    purposes = "changes-0-rule-purposes"
    assert re.search(rf'<fieldset[^>]*id="{purposes}"[^>]*aria-describedby="{purposes}-hint {purposes}-error"',
                     html.replace("\n", " "))


def test_buttons_legends_hints_and_indented_purposes(app: Flask, ctx: None) -> None:
    html = render(app, form_from_body("data_use_rule", RULE_BODY, choices()), "data_use_rule")
    assert '<legend class="label">Change 2</legend>' in html
    assert 'name="remove_change-1"' in html
    assert ">Remove change 2</button>" in html
    assert 'name="add_change"' in html
    # the re-rendered page opens at the new entry (or at the list after a removal)
    assert re.search(r'name="add_change" value="1" formnovalidate\s+formaction="#changes-3"', html)
    assert re.search(r'name="remove_change-1" value="1" formnovalidate\s+formaction="#changes"', html)
    assert 'formaction="/elsewhere#changes-3"' in app.jinja_env.from_string(
        '{% from "proposals/_body_form.html" import body_fields %}{{ body_fields(form, "x", action="/elsewhere") }}'
    ).render(form=form_from_body("data_use_rule", RULE_BODY, choices()))
    assert "Minimum cohort size" in html
    assert "groups of at least this many members" in html
    # Enter in a text box presses the first submit button: a hidden plain save comes before any other.
    assert html.index('class="visually-hidden"') < html.index('name="remove_change-0"')
    academic = re.search(r'<li class="depth-([0-9])">\s*<label class="check"><input[^>]*'
                         r'value="https://w3id.org/dpv#AcademicResearch"', html)
    assert academic
    assert int(academic.group(1)) > 0
    single = render(app, form_from_body("payout_policy", {"alternatives": PAYOUT_BODY["alternatives"][:1]},
                                        choices()), "payout_policy")
    assert "remove_alternative-0" not in single  # the only alternative cannot be removed


def test_fields_a_choice_does_not_use_are_marked_for_the_script(app: Flask, ctx: None) -> None:
    html = render(app, form_from_body("data_use_rule", RULE_BODY, choices()), "data_use_rule")
    assert re.search(r'<select[^>]* data-shown-if="type:category" id="changes-0-rule-assignee-category"', html)
    assert re.search(r'<input[^>]* data-shown-if="type:party" id="changes-0-rule-assignee-name"', html)
    script = re.search(r'<script src="([^"]+)" integrity="sha384-[^"]+" defer></script>', html)
    assert script
    response = app.test_client().get(script.group(1))
    assert response.status_code == 200
    assert b"data-shown-if" in response.data
    response.close()
    payout = render(app, form_from_body("payout_policy", PAYOUT_BODY, choices()), "payout_policy")
    assert 'data-shown-if="method:hybrid"' in payout
    assert 'data-shown-if="method:pro_rata,hybrid"' in payout


def test_the_bylaw_form_shows_the_current_values(app: Flask, ctx: None) -> None:
    html = render(app, form_from_body("bylaw_change", BYLAW_BODY, choices()), "bylaw_change")
    assert "Now: 2/3. Leave empty to keep it." in html
    assert '<legend class="label">Deal approvals</legend>' in html
    assert 'name="changes-bylaw_change-threshold" type="text" value="3/4"' in html


def test_a_rule_change_can_start_from_the_adopted_terms(app: Flask, ctx: None) -> None:
    adopted = parse_body("data_use_rule", RULE_BODY, CONTEXT).changes[1].rule  # no-genai-training
    with_rules = body_choices(DATASETS, constitution=DEFAULTS, rules=[adopted])
    blank = form_from_body("data_use_rule", None, with_rules)
    html = render(app, blank, "data_use_rule")
    assert "Adopted rules: no-genai-training." in html
    assert ">Fill in the adopted terms of the rule named in change 1</button>" in html
    assert 'name="load_rule-0"' in html

    data = edited(browser_post(blank, **{"load_rule-0": "1"}), changes__0__op="change",
                  changes__0__rule__id=" no-genai-training ")
    form = form_from_body("data_use_rule", None, with_rules, formdata=data)
    assert structural_action(form)
    assert body_from_form("data_use_rule", form) == {"changes": [{"op": "change", "rule": adopted.to_json()}]}
    # the filled-in terms are what the next POST sends
    again = form_from_body("data_use_rule", None, with_rules, formdata=browser_post(form))
    assert not structural_action(again)
    assert body_from_form("data_use_rule", again) == {"changes": [{"op": "change", "rule": adopted.to_json()}]}

    unknown = form_from_body("data_use_rule", None, with_rules,
                             formdata=edited(data, changes__0__rule__id="no-such-rule"))
    assert structural_action(unknown)
    assert unknown.changes[0].form.rule.form.id.errors == [
        "No adopted rule is called 'no-such-rule'. Adopted rules: no-genai-training."]
    assert 'name="load_rule-0"' not in render(app, form_from_body("data_use_rule", None, choices()), "data_use_rule")


def test_a_stale_remove_button_saves_nothing(ctx: None) -> None:
    shown = form_from_body("data_use_rule", RULE_BODY, choices())
    form = posted("data_use_rule", browser_post(shown, **{"remove_change-7": "1"}))
    assert structural_action(form)
    assert body_from_form("data_use_rule", form) == RULE_BODY


# --- through the site -------------------------------------------------------------------------

#: Bodies valid against the seeded cooperative (no adopted rule to change or remove yet). A suspension
#: needs an approved deal: tests/proposals/test_deal_suspension.py drafts one through the site.
SITE_BODIES = {**FULL_BODIES, "data_use_rule": {"changes": RULE_BODY["changes"][:1]}}
SITE_KINDS = tuple(kind for kind in KINDS if kind != "deal_suspension")


@pytest.mark.parametrize("kind", SITE_KINDS)
def test_drafting_each_kind_through_the_site(app: Flask, db_session: Any, make_logged_in_client: Any,
                                             kind: str) -> None:
    seed_governance(db_session)
    db_session.commit()
    client, _ = make_logged_in_client("member")
    with app.test_request_context():  # what a member who filled in the form sends (no context kept pushed)
        typed = browser_post(form_from_body(kind, SITE_BODIES[kind], choices()))
    token = [(n, v) for n, v in form_fields(client.get(f"/proposals/new/{kind}").data) if n == "csrf_token"]
    data = MultiDict([*token, ("title", f"A {kind} drafted through its form"), *typed.items(multi=True)])

    response = client.post(f"/proposals/new/{kind}", data=data)
    assert response.status_code == 302, response.data.decode()[-3000:]
    versions = fetch_all(db_session, select(ProposalVersion))
    assert [v.body for v in versions] == [SITE_BODIES[kind]]


def test_site_add_button_and_errors_next_to_fields(app: Flask, db_session: Any, make_logged_in_client: Any) -> None:
    seed_governance(db_session)
    db_session.commit()
    client, _ = make_logged_in_client("member")
    with app.test_request_context():
        typed = browser_post(form_from_body("payout_policy", PAYOUT_BODY, choices()))
    token = [(n, v) for n, v in form_fields(client.get("/proposals/new/payout_policy").data) if n == "csrf_token"]
    data = MultiDict([*token, ("title", "Payout"), *typed.items(multi=True)])

    more = client.post("/proposals/new/payout_policy",
                       data=MultiDict([*data.items(multi=True), ("add_alternative", "1")]))
    assert more.status_code == 200
    assert '<legend class="label">Alternative 4</legend>' in more.data.decode()
    assert count_rows(db_session, ProposalVersion) == 0

    data.setlist("alternatives-2-operating_cost_fraction", ["0.9"])
    refused = client.post("/proposals/new/payout_policy", data=data)
    html = refused.data.decode()
    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="alternatives-2-reserve_fraction-error">[^<]*less than 1', html)
    assert count_rows(db_session, ProposalVersion) == 0


def test_a_bylaw_change_that_changes_nothing_is_explained_atop_the_new_values(app: Flask, ctx: None) -> None:
    form = form_from_body("bylaw_change", {"changes": {}}, choices())
    data = edited(browser_post(form), changes__deal_approval__quorum_percent="25")  # the current value
    form = posted("bylaw_change", data)
    assert errors_after_save("bylaw_change", form) == []
    assert form.changes.form.form_errors == ["The amendment changes nothing: every value equals the current one."]
    html = render(app, form, "bylaw_change")
    assert re.search(r'<fieldset class="field body-group group-invalid"\s+id="changes" '
                     r'aria-describedby="changes-error">', html)
    assert '<p class="field-error" id="changes-error">The amendment changes nothing' in html
