"""Proposal bodies: the stored JSON shapes, strict validation that reports every error, round trips."""

from __future__ import annotations

import copy
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.constitution.rules import DEFAULTS, KINDS
from governance.policy.terms.bodies import (
    BODY_KINDS,
    BodyContext,
    BylawChangeBody,
    DataUseRuleBody,
    DealBody,
    InvalidBody,
    PayoutPolicyBody,
    Rule,
    empty_body,
)
from governance.policy.terms.parsing import body_from_json, from_json, parse_body
from tests.policy import samples
from tests.policy.samples import (
    CONTEXT,
    DPV,
    bylaw_json,
    data_use_json,
    deal_json,
    formula_json,
    payout_json,
    prohibition_json,
    rule_json,
)


def errors_of(kind: str, data: Any, context: BodyContext = CONTEXT) -> dict[str, str]:
    with pytest.raises(InvalidBody) as caught:
        parse_body(kind, data, context)
    assert caught.value.errors, "InvalidBody without errors"
    return caught.value.errors


def errors_or_none(kind: str, data: Any) -> dict[str, str] | None:
    """None when ``data`` is valid; anything but InvalidBody propagates and fails the test."""
    try:
        parse_body(kind, data, CONTEXT)
    except InvalidBody as exc:
        return exc.errors
    return None


def deal_errors(**overrides: Any) -> dict[str, str]:
    return errors_of("deal_approval", deal_json(**overrides))


def rule_errors(**overrides: Any) -> dict[str, str]:
    errors = errors_of("data_use_rule", data_use_json({"op": "add", "rule": rule_json(**overrides)}))
    return {path.removeprefix("changes.0.rule."): message for path, message in errors.items()}


def payout_errors(**overrides: Any) -> dict[str, str]:
    errors = errors_of("payout_policy", payout_json(formula_json(**overrides)))
    return {path.removeprefix("alternatives.0."): message for path, message in errors.items()}


def walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *[leaf for v in value.values() for leaf in walk(v)]]
    if isinstance(value, list):
        return [value, *[leaf for v in value for leaf in walk(v)]]
    return [value]


# --- valid bodies and round trips -------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(BODY_KINDS))
def test_valid_body_parses_and_round_trips(kind):
    data = samples.valid_bodies()[kind]
    body = parse_body(kind, data, CONTEXT)
    assert isinstance(body, BODY_KINDS[kind])
    assert body.to_json() == data
    assert from_json(BODY_KINDS[kind], data).to_json() == data
    assert body_from_json(kind, data) == body


@pytest.mark.parametrize("kind", sorted(BODY_KINDS))
def test_stored_json_holds_no_floats(kind):
    body = parse_body(kind, samples.valid_bodies()[kind], CONTEXT)
    leaves = walk(body.to_json())
    assert not any(isinstance(leaf, float) for leaf in leaves)
    assert all(leaf is None or isinstance(leaf, str | int | bool | list | dict) for leaf in leaves)


def test_body_kinds_are_the_constitution_kinds():
    assert set(BODY_KINDS) == set(KINDS)


def test_values_are_normalised_strings_trimmed_sets_sorted_money_and_fractions_written_out():
    deal = deal_json(datasets=["ride-logs", "health-diary", "ride-logs"], price="12000", prohibited_actions=[
        "sell", "derive", "sell"], notes="  spaces  ")
    deal["counterparty"]["name"] = "  Example AI "
    deal["permitted"][0]["purposes"] = [DPV + "CommercialResearch", DPV + "AcademicResearch"]
    stored = parse_body("deal_approval", deal, CONTEXT).to_json()
    assert stored["datasets"] == ["health-diary", "ride-logs"]
    assert stored["prohibited_actions"] == ["derive", "sell"]
    assert stored["price"] == "12000.00"
    assert stored["counterparty"]["name"] == "Example AI"
    assert stored["notes"] == "spaces"
    assert stored["permitted"][0]["purposes"] == [DPV + "AcademicResearch", DPV + "CommercialResearch"]
    formula = parse_body("payout_policy", payout_json(formula_json(reserve_fraction="0.1", equal_fraction="0.125",
                                                                   minimum_per_member="5")), CONTEXT)
    stored_formula = formula.to_json()["alternatives"][0]
    assert stored_formula["reserve_fraction"] == "0.10"
    assert stored_formula["equal_fraction"] == "0.125"
    assert stored_formula["minimum_per_member"] == "5.00"


def test_optional_fields_may_be_left_out_and_are_stored_explicitly():
    rule = {"id": "no-sale", "effect": "prohibition", "datasets": ["*"], "action": "sell"}
    stored = parse_body("data_use_rule", data_use_json({"op": "add", "rule": rule}), CONTEXT).to_json()
    assert stored["changes"][0]["rule"] == prohibition_json(id="no-sale", datasets=["*"], action="sell")


# --- the validations the issue names ----------------------------------------------------------

def test_negative_price_is_refused():
    assert deal_errors(price="-1.00") == {"price": "The price must not be negative."}


@pytest.mark.parametrize("end", ["2026-12-31", "2027-01-01"])
def test_end_date_before_or_on_start_date_is_refused(end):
    assert deal_errors(end_date=end) == {"end_date": "The end date must be after the start date."}


def test_cohort_size_zero_is_refused_in_deals_and_rules():
    assert deal_errors(min_cohort_size=0) == {"min_cohort_size": "Cohort size must be at least 1."}
    constraints = rule_json()["constraints"] | {"min_cohort_size": 0}
    assert rule_errors(constraints=constraints) == {"constraints.min_cohort_size": "Cohort size must be at least 1."}


def test_purpose_not_in_the_curated_list_is_refused():
    deal = deal_json(permitted=[{"action": "aggregate", "purposes": [DPV + "Foo"]}])
    assert errors_of("deal_approval", deal) == {
        "permitted.0.purposes.0": "'https://w3id.org/dpv#Foo' is not one of the cooperative's purposes."}
    assert rule_errors(purposes=[DPV + "AcademicResearch", "https://example.org/Mine"]) == {
        "purposes.1": "'https://example.org/Mine' is not one of the cooperative's purposes."}


@pytest.mark.parametrize(("reserve", "operating", "total"), [("0.60", "0.50", "1.10"), ("0.5", "0.5", "1.00"),
                                                             ("1", "0", "1.00")])
def test_reserve_and_operating_fractions_must_sum_to_less_than_one(reserve, operating, total):
    assert payout_errors(reserve_fraction=reserve, operating_cost_fraction=operating) == {
        "reserve_fraction": f"Reserve and operating-cost fractions together must be less than 1 (now {total})."}


def test_every_error_is_reported_at_once():
    deal = deal_json(price="-5", end_date="2026-01-01", min_cohort_size=0, datasets=["nope"], audit="yes", extra=1)
    deal["counterparty"]["name"] = ""
    deal["permitted"][0]["purposes"] = [DPV + "Foo"]
    errors = errors_of("deal_approval", deal)
    assert set(errors) == {"extra", "counterparty.name", "datasets.0", "permitted.0.purposes.0", "price",
                           "min_cohort_size", "audit", "end_date"}
    assert "'extra'" in errors["extra"]


# --- types, limits and unknown keys -----------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("min_cohort_size", True, "Cohort size must be a whole number."),
    ("min_cohort_size", 50.0, "Cohort size must be a whole number."),
    ("min_cohort_size", "50", "Cohort size must be a whole number."),
    ("retention_days", 36_501, "The retention period must be at most 36,500."),
    ("price", 12000.0, 'The price must be written as decimal text such as "12000.00".'),
    ("price", 12000, 'The price must be written as decimal text such as "12000.00".'),
    ("price", "1e3", 'The price must be a number such as "12000.00" (digits and one decimal point).'),
    ("price", "10.005", "The price can have at most 2 decimal places (cents)."),
    ("price", "1000000000000.00", "The price must be at most 999,999,999,999.99."),
    ("audit", 1, "Audit must be yes or no (true or false)."),
    ("start_date", "01/01/2027", "The start date must be a date written as YYYY-MM-DD."),
    ("end_date", "2027-02-30", "The end date '2027-02-30' is not a date in the calendar."),
    ("start_date", None, "Give the start date."),
    ("currency", "XYZ", "'XYZ' is not a currency the cooperative accepts."),
    ("payment_schedule", "weekly", "'weekly' is not a valid choice for the payment schedule."),
    ("datasets", [], "Choose at least one dataset (or every dataset)."),
    ("datasets", "ride-logs", "Datasets must be a list."),
    ("datasets", ["*", "ride-logs"], "Choose either every dataset or particular datasets, not both."),
    ("notes", "x" * 10_001, "The notes must be at most 10000 characters long (now 10001)."),
    ("permitted", [], "Permit at least one use: a deal that permits nothing has nothing to approve."),
])
def test_deal_field_types_and_limits(field, value, message):
    assert deal_errors(**{field: value}) == {field: message}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "x" * 201, "The counterparty's name must be at most 200 characters long (now 201)."),
    ("name", "Two\nlines", "The counterparty's name must fit on one line."),
    ("identifier", "example.ai", "The counterparty's web address must be a web address starting with https:// or "
                                 "http://."),
    ("identifier", "ftp://example.ai", "The counterparty's web address must be a web address starting with "
                                       "https:// or http://."),
    ("category", "pirate", "'pirate' is not a known category of party."),
    ("phone", "123", "Unknown field 'phone' in the counterparty."),
])
def test_counterparty_fields(field, value, message):
    deal = deal_json()
    deal["counterparty"][field] = value
    assert errors_of("deal_approval", deal) == {f"counterparty.{field}": message}


def test_missing_required_fields_are_named():
    deal = deal_json()
    del deal["price"], deal["counterparty"]["name"]
    assert errors_of("deal_approval", deal) == {
        "price": "The field 'price' is missing from the deal.",
        "counterparty.name": "The field 'name' is missing from the counterparty."}


@pytest.mark.parametrize("kind", sorted(BODY_KINDS))
def test_unknown_top_level_key_is_refused_and_named(kind):
    data = samples.valid_bodies()[kind] | {"surprise": True}
    assert errors_of(kind, data) == {"surprise": f"Unknown field 'surprise' in {'the deal' if kind == 'deal_approval' else 'the body'}."}  # noqa: E501


@pytest.mark.parametrize("kind", sorted(BODY_KINDS))
@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_a_body_that_is_not_an_object_is_refused(kind, data):
    assert list(errors_of(kind, data)) == [""]


def test_unknown_kind_is_refused():
    assert errors_of("petition", {}) == {"": "Unknown proposal kind 'petition'."}


def test_datasets_must_be_in_the_catalogue_but_stored_bodies_may_name_retired_ones():
    data = deal_json(datasets=["old-dataset"])
    assert deal_errors(datasets=["old-dataset"]) == {
        "datasets.0": "'old-dataset' is not a dataset in the cooperative's catalogue."}
    assert from_json(DealBody, data).datasets == ("old-dataset",)
    assert parse_body("deal_approval", deal_json(datasets=["*"]), CONTEXT).datasets == ("*",)


def test_from_json_still_checks_shapes_and_types():
    with pytest.raises(InvalidBody) as caught:
        from_json(DealBody, deal_json(price=12000.0))
    assert set(caught.value.errors) == {"price"}
    with pytest.raises(InvalidBody):
        from_json(Rule, rule_json(effect="maybe"))


# --- rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "path", "message"), [
    ({"id": "No Spaces"}, "id", "A rule id uses lowercase letters, digits and hyphens, starting with a letter or "
                                "digit, e.g. 'no-genai-training'."),
    ({"id": "-leading"}, "id", None),
    ({"effect": "maybe"}, "effect", "'maybe' is not an effect; choose permission or prohibition."),
    ({"action": "teleport"}, "action", "'teleport' is not one of the actions the policy knows."),
    ({"assignee": {"type": "category", "value": "pirates"}}, "assignee.value",
     "'pirates' is not a known category of party."),
    ({"assignee": {"type": "category", "value": "academic", "name": "MIT"}}, "assignee.name",
     "A category of parties has no name; leave it empty."),
    ({"assignee": {"type": "party", "value": "https://example.ai"}}, "assignee.name", "Give the party's name."),
    ({"assignee": {"type": "party", "value": "example", "name": "Ex"}}, "assignee.value",
     "The party's web address must be a web address starting with https:// or http://."),
    ({"assignee": {"type": "person", "value": "x"}}, "assignee.type",
     "'person' is not an assignee type; choose 'category' or 'party'."),
    ({"duties": [{"kind": "attribute"}, {"kind": "attribute"}]}, "duties.1.kind",
     "The duty 'Attribute the cooperative' is listed twice."),
    ({"duties": [{"kind": "delete_after"}]}, "duties.0.days", "Give the number of days for this duty."),
    ({"duties": [{"kind": "report_every", "days": 0}]}, "duties.0.days", "The number of days must be at least 1."),
    ({"duties": [{"kind": "attribute", "days": 3}]}, "duties.0.days",
     "The duty 'Attribute the cooperative' takes no number of days."),
    ({"duties": [{"kind": "delete_after", "days": 400}]}, "duties.0.days",
     "Deleting after 400 days breaks the rule's own retention limit of 365 days."),
    ({"duties": [{"kind": "pay_tribute"}]}, "duties.0.kind", "'pay_tribute' is not a known duty."),
    ({"datasets": ["ride-logs", 7]}, "datasets.1", "A dataset must be text."),
    ({"description": 5}, "description", "The description must be text."),
])
def test_rule_validation(overrides, path, message):
    errors = rule_errors(**overrides)
    assert list(errors) == [path]
    if message:
        assert errors[path] == message


def test_prohibitions_carry_no_duties():
    errors = rule_errors(effect="prohibition")
    assert errors == {"duties": "Only permissions carry duties: remove the duties or make this rule a permission."}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("not_after", "2026-06-30", "The rule's last day must not be before its first day."),
    ("regions", ["EU", "XX"], "'XX' is not a known region: use a country code such as DE, or EU or EEA."),
    ("retention_days", 0, "The retention period must be at least 1."),
    ("cohort", 5, "Unknown field 'cohort' in the constraints."),
])
def test_rule_constraints_validation(field, value, message):
    constraints = rule_json()["constraints"] | {field: value}
    errors = rule_errors(constraints=constraints, duties=[])
    path = f"constraints.{field}" if field != "regions" else "constraints.regions.1"
    assert errors == {path: message}


def test_data_use_changes_validation():
    add = {"op": "add", "rule": rule_json()}
    assert errors_of("data_use_rule", {"changes": []}) == {"changes": "Propose at least one change to the rules."}
    assert errors_of("data_use_rule", {"changes": [add] * 21}) == {
        "changes": "Changes can have at most 20 items (now 21)."}
    assert errors_of("data_use_rule", data_use_json(add, {"op": "remove", "rule_id": "research-only"})) == {
        "changes.1.rule_id": "Another change in this proposal already touches rule 'research-only'; combine them "
                             "into one."}
    broken_and_repeated = data_use_json({"op": "add", "rule": rule_json(action="teleport")},
                                        {"op": "remove", "rule_id": "research-only"})
    assert errors_of("data_use_rule", broken_and_repeated) == {
        "changes.0.rule.action": "'teleport' is not one of the actions the policy knows.",
        "changes.1.rule_id": "Another change in this proposal already touches rule 'research-only'; combine them "
                             "into one."}
    assert errors_of("data_use_rule", data_use_json({"op": "remove", "rule": rule_json()})) == {
        "changes.0.rule": "Removing a rule needs only its id, not the rule."}
    assert errors_of("data_use_rule", data_use_json({"op": "remove"})) == {
        "changes.0.rule_id": "Give the id of the rule to remove."}
    assert errors_of("data_use_rule", data_use_json({"op": "change", "rule_id": "x"})) == {
        "changes.0.rule_id": "To change a rule, give the whole rule (its id is inside it)."}
    assert errors_of("data_use_rule", data_use_json({"op": "add"})) == {"changes.0.rule": "Give the rule to add."}
    assert errors_of("data_use_rule", data_use_json({"op": "merge", "rule": rule_json()})) == {
        "changes.0.op": "'merge' is not a change; choose add, change or remove."}


def test_data_use_changes_are_checked_against_adopted_rules_when_given():
    adopted = (from_json(Rule, prohibition_json()),)
    context = BodyContext(samples.CATALOGUE, None, adopted)
    body = data_use_json({"op": "add", "rule": prohibition_json()},
                         {"op": "change", "rule": rule_json(id="missing")},
                         {"op": "remove", "rule_id": "gone"})
    assert errors_of("data_use_rule", body, context) == {
        "changes.0.rule.id": "There is already a rule 'no-genai-training': choose another id, or change that rule "
                             "instead.",
        "changes.1.rule.id": "There is no adopted rule 'missing' to change.",
        "changes.2.rule_id": "There is no adopted rule 'gone' to remove."}
    unchanged = data_use_json({"op": "change", "rule": prohibition_json()})
    assert errors_of("data_use_rule", unchanged, context) == {
        "changes.0.rule": "This change leaves rule 'no-genai-training' exactly as it is."}
    fine = data_use_json({"op": "change", "rule": prohibition_json(datasets=["*"])})
    assert isinstance(parse_body("data_use_rule", fine, context), DataUseRuleBody)


# --- deals ------------------------------------------------------------------------------------

def test_deal_permitted_and_prohibited_actions_must_not_contradict():
    assert deal_errors(prohibited_actions=["train_ai_model"]) == {
        "prohibited_actions": "'Train AI models' is both permitted and prohibited."}
    assert deal_errors(prohibited_actions=["use"]) == {
        "prohibited_actions": "'Train AI models' is both permitted and prohibited ('Use' includes it)."}
    # Prohibiting something narrower than a permitted action is the point of explicit prohibitions.
    deal = parse_body("deal_approval", deal_json(prohibited_actions=["train_generative_model"]), CONTEXT)
    assert deal.prohibited_actions == ("train_generative_model",)


def test_deal_permitted_uses():
    twice = [{"action": "aggregate", "purposes": [DPV + "AcademicResearch"]},
             {"action": "aggregate", "purposes": [DPV + "Marketing"]}]
    assert deal_errors(permitted=twice) == {
        "permitted.1.action": "'Aggregate or analyse' is listed twice; give all of its purposes in one entry."}
    assert deal_errors(permitted=[{"action": "aggregate", "purposes": []}]) == {
        "permitted.0.purposes": "Choose at least one purpose."}
    assert deal_errors(permitted=[{"action": "aggregate"}]) == {
        "permitted.0.purposes": "The field 'purposes' is missing from a permitted use."}


# --- payout policy ----------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "errors"), [
    ({"equal_fraction": None}, {"equal_fraction": "A hybrid formula needs an equal share more than 0 and less "
                                                  "than 1."}),
    ({"equal_fraction": "1"}, {"equal_fraction": "A hybrid formula needs an equal share more than 0 and less "
                                                 "than 1."}),
    ({"method": "equal"}, {"equal_fraction": "Only a hybrid formula has an equal share; leave it empty.",
                           "metric": "An equal split uses no contribution metric; leave it empty."}),
    ({"method": "pro_rata", "equal_fraction": None, "metric": None},
     {"metric": "Choose the contribution metric the split is proportional to."}),
    ({"metric": "shoe_size"}, {"metric": "'shoe_size' is not a known contribution metric."}),
    ({"reserve_fraction": "1.5"}, {"reserve_fraction": "The reserve fraction must be between 0 and 1 (now 1.5)."}),
    ({"reserve_fraction": "-0.1"}, {"reserve_fraction": "The reserve fraction must be between 0 and 1 (now -0.1)."}),
    ({"operating_cost_fraction": "0.00001"}, {"operating_cost_fraction": "The operating-cost fraction can have at "
                                                                         "most 4 decimal places."}),
    ({"reserve_fraction": 0.1}, {"reserve_fraction": 'The reserve fraction must be written as decimal text such '
                                                     'as "0.10".'}),
    ({"minimum_per_member": "-1"}, {"minimum_per_member": "The minimum per member must not be negative."}),
    ({"rounding": "bankers"}, {"rounding": "'bankers' is not a valid choice for the rounding rule."}),
    ({"label": " "}, {"label": "The label must not be empty."}),
    ({"method": "lottery"}, {"method": "'lottery' is not a payout method; choose equal, pro_rata or hybrid."}),
])
def test_payout_formula_validation(overrides, errors):
    assert payout_errors(**overrides) == errors


def test_payout_alternatives():
    assert errors_of("payout_policy", {"alternatives": []}) == {"alternatives": "Give at least one payout formula."}
    six = [formula_json(label=f"Option {n}") for n in range(6)]
    assert errors_of("payout_policy", {"alternatives": six}) == {
        "alternatives": "Alternatives can have at most 5 items (now 6)."}
    same = payout_json(formula_json(label="Fair share"), formula_json(label=" fair SHARE"))
    assert errors_of("payout_policy", same) == {
        "alternatives.1.label": "Another alternative is already called 'fair SHARE'; labels must differ."}
    body = parse_body("payout_policy", payout_json(formula_json(), formula_json(
        label="Equal", method="equal", equal_fraction=None, metric=None)), CONTEXT)
    assert isinstance(body, PayoutPolicyBody)
    assert [f.method for f in body.alternatives] == ["hybrid", "equal"]


# --- bylaw changes ----------------------------------------------------------------------------

def test_bylaw_change_is_validated_with_the_constitution_and_stored_as_json():
    body = parse_body("bylaw_change", {"changes": {"bylaw_change": {"threshold": "3/4", "voting_days": "14"}}},
                      CONTEXT)
    assert isinstance(body, BylawChangeBody)
    assert body.to_json() == {"changes": {"bylaw_change": {"threshold": "3/4", "voting_days": 14}}}


def test_bylaw_change_errors_are_mapped_under_changes():
    errors = errors_of("bylaw_change", {"changes": {"deal_approval": {"quorum_percent": 300, "voting_days": 0,
                                                                      "colour": "red"}, "petition": {"x": 1}}})
    assert errors == {
        "changes.deal_approval.quorum_percent": "Quorum must be between 0 and 100, not 300.",
        "changes.deal_approval.voting_days": "Voting period must be between 1 and 60, not 0.",
        "changes.deal_approval.colour": "Unknown parameter 'colour'; known parameters: method, quadratic_budget, "
                                        "quorum_percent, threshold, min_sponsors, min_discussion_days, voting_days.",
        "changes.petition": "Unknown proposal kind 'petition'; known kinds: data_use_rule, deal_approval, "
                            "payout_policy, bylaw_change, deal_suspension.",
    }
    assert errors_of("bylaw_change", {"changes": {"bylaw_change": {"threshold": 0.75}}}) == {
        "changes.bylaw_change.threshold": 'Give the threshold as an exact fraction such as "2/3" or "1/2", not a '
                                          'float.'}
    assert errors_of("bylaw_change", {"changes": {}}) == {
        "changes": "Give at least one new value for a parameter of the constitution."}


def test_only_deal_suspensions_may_go_without_a_discussion_period():
    assert errors_of("bylaw_change", {"changes": {"data_use_rule": {"min_discussion_days": 0}}}) == {
        "changes.data_use_rule.min_discussion_days": "Minimum discussion must be between 1 and 90, not 0."}
    longer = {"changes": {"deal_suspension": {"min_discussion_days": 1, "voting_days": 3}}}
    assert parse_body("bylaw_change", longer, CONTEXT).to_json() == longer
    amended = dict(DEFAULTS) | {"deal_suspension": replace(DEFAULTS["deal_suspension"], min_discussion_days=2)}
    back = {"changes": {"deal_suspension": {"min_discussion_days": "0"}}}
    assert parse_body("bylaw_change", back, BodyContext(samples.CATALOGUE, amended)).to_json() == {
        "changes": {"deal_suspension": {"min_discussion_days": 0}}}


def test_bylaw_change_must_change_something_compared_with_the_current_constitution():
    same_as_default = {"changes": {"bylaw_change": {"threshold": "2/3"}}}
    assert errors_of("bylaw_change", same_as_default) == {
        "changes": "The amendment changes nothing: every value equals the current one."}
    amended = dict(DEFAULTS) | {"bylaw_change": replace(DEFAULTS["bylaw_change"], threshold=Fraction(3, 4))}
    body = parse_body("bylaw_change", same_as_default, BodyContext(samples.CATALOGUE, amended))
    assert body.to_json() == same_as_default


def test_bylaw_example_from_the_samples_is_valid():
    assert parse_body("bylaw_change", bylaw_json(), CONTEXT).to_json() == bylaw_json()


# --- empty bodies -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(BODY_KINDS))
def test_empty_body_is_a_fresh_json_starting_point_that_needs_filling_in(kind):
    first = empty_body(kind)
    first_copy = copy.deepcopy(first)
    assert not any(isinstance(leaf, float) for leaf in walk(first))
    if kind == "payout_policy":  # the default payout formula (an equal split) is already complete
        assert parse_body(kind, first, CONTEXT).to_json() == first
    else:
        errors_of(kind, first)
    assert empty_body(kind) == first_copy


def test_empty_body_of_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown proposal kind"):
        empty_body("petition")


# --- properties -------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(samples.data_use_bodies())
def test_property_data_use_round_trip(body):
    data = body.to_json()
    assert parse_body("data_use_rule", data, CONTEXT).to_json() == data
    assert from_json(DataUseRuleBody, data) == body


@PROPERTY_SETTINGS
@given(samples.deals())
def test_property_deal_round_trip(deal):
    data = deal.to_json()
    assert parse_body("deal_approval", data, CONTEXT).to_json() == data
    assert from_json(DealBody, data).to_json() == data


@PROPERTY_SETTINGS
@given(samples.payout_bodies())
def test_property_payout_round_trip(body):
    data = body.to_json()
    assert parse_body("payout_policy", data, CONTEXT).to_json() == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@PROPERTY_SETTINGS
@given(st.sampled_from(sorted(BODY_KINDS)), json_values)
def test_property_arbitrary_json_is_refused_with_invalid_body_only(kind, data):
    errors = errors_or_none(kind, data)
    assert errors is None or (errors and all(isinstance(k, str) and isinstance(v, str) and v
                                             for k, v in errors.items()))


@PROPERTY_SETTINGS
@given(st.sampled_from(sorted(BODY_KINDS)), st.data())
def test_property_mutated_valid_bodies_never_crash(kind, data):
    """Replace one leaf of a valid body by a random JSON value: either still valid or InvalidBody."""
    body = samples.valid_bodies()[kind]
    containers = [node for node in walk(body) if isinstance(node, dict | list) and node]
    node = data.draw(st.sampled_from(containers))
    key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
    node[key] = data.draw(json_values)
    errors = errors_or_none(kind, body)
    assert errors is None or errors
