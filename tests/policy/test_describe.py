"""Plain-language descriptions of bodies and readable diffs between versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings

from governance.policy.terms.fields import long_date
from governance.policy.wording.describe import describe_body, money_text, percent_text
from governance.policy.wording.diff import FieldChange, diff_bodies
from tests.policy import samples
from tests.policy.samples import (
    DPV,
    TITLES,
    data_use_json,
    deal_json,
    formula_json,
    payout_json,
    prohibition_json,
    rule_json,
)


def test_formatters():
    assert long_date(date(2027, 1, 1)) == "1 January 2027"
    assert long_date(date(2027, 12, 31)) == "31 December 2027"
    assert money_text(Decimal("12000"), "EUR") == "EUR 12,000.00"
    assert money_text("1234567.5", "USD") == "USD 1,234,567.50"
    assert money_text(Decimal("0.05")) == "0.05"
    assert percent_text("0.10") == "10%"
    assert percent_text("0.125") == "12.5%"
    assert percent_text("1.00") == "100%"
    assert percent_text("0") == "0%"


def test_prohibition_reads_as_a_sentence():
    body = data_use_json({"op": "add", "rule": prohibition_json()})
    assert describe_body("data_use_rule", body, TITLES) == [
        "Add rule 'no-genai-training': Prohibit training generative AI models on Ride logs, for any purpose."]


def test_permission_with_conditions_and_duties():
    body = data_use_json({"op": "change", "rule": rule_json(datasets=["ride-logs", "health-diary"])},
                         {"op": "remove", "rule_id": "old-rule"})
    assert describe_body("data_use_rule", body, TITLES) == [
        "Change rule 'research-only': Permit aggregating or analysing Health diary and Ride logs, by universities "
        "and research institutes, for academic research.",
        "Only for cohorts of at least 50 members.",
        "The data may be kept for at most 365 days.",
        "Applies from 1 January 2027 to 31 December 2027.",
        "The data may be processed only in the European Union.",
        "Whoever uses the data must delete the data after 365 days and attribute the cooperative.",
        "Note: Research use only, in large cohorts.",
        "Remove rule 'old-rule'.",
    ]


def test_every_dataset_party_assignee_and_unknown_titles():
    rule = prohibition_json(datasets=["*"], action="sell",
                            assignee={"type": "party", "value": "https://example.ai", "name": "Example AI"},
                            purposes=[DPV + "Marketing", DPV + "Advertising"])
    assert describe_body("data_use_rule", data_use_json({"op": "add", "rule": rule}), {})[0] == (
        "Add rule 'no-genai-training': Prohibit selling copies of every dataset of the cooperative, by Example AI "
        "(https://example.ai), for advertising or marketing.")
    rule = prohibition_json(datasets=["retired-set"])
    assert "on retired-set," in describe_body("data_use_rule", data_use_json({"op": "add", "rule": rule}), {})[0]


def test_deal_description():
    sentences = describe_body("deal_approval", deal_json(), TITLES)
    assert sentences == [
        "Deal with Example AI (https://example.ai), a commercial company.",
        "Contact: deals@example.ai.",
        "Covers Ride logs.",
        "Permits training AI models on the data for commercial research.",
        "Explicitly prohibits selling copies of the data.",
        "Price: EUR 12,000.00 in total, paid in quarterly instalments.",
        "Runs from 1 January 2027 to 31 December 2027.",
        "The counterparty must delete the data within 365 days.",
        "Only for cohorts of at least 100 members.",
        "The counterparty reports on its use every 90 days.",
        "The counterparty submits to audit by the cooperative.",
        "Notes: Negotiated in October.",
    ]
    bare = describe_body("deal_approval", deal_json(retention_days=None, min_cohort_size=None, audit=False,
                                                    reporting_every_days=None, notes="", payment_schedule="once",
                                                    prohibited_actions=[]), TITLES)
    assert "The deal sets no limit on how long the counterparty may keep the data." in bare
    assert "No audit is agreed." in bare
    assert "Price: EUR 12,000.00 in total, paid once." in bare
    assert not any(s.startswith(("Notes", "Explicitly", "Only for")) for s in bare)


def test_payout_description():
    body = payout_json(formula_json(), formula_json(label="Equal", method="equal", equal_fraction=None, metric=None,
                                                    minimum_per_member="0.00"))
    assert describe_body("payout_policy", body, {}) == [
        "Option 1, \u201cHybrid\u201d: set aside 10% for the reserve and 5% for operating costs, then split 40% of the "
        "rest equally among members and 60% in proportion to each member's records contributed.",
        "Each member receives at least 5.00 per payout (in the currency of the revenue).",
        "Round each payout down to the cent; the remainder goes to the reserve.",
        "Option 2, \u201cEqual\u201d: set aside 10% for the reserve and 5% for operating costs, then split the rest "
        "equally among members.",
        "Round each payout down to the cent; the remainder goes to the reserve.",
    ]


def test_bylaw_description():
    body = {"changes": {"deal_approval": {"quorum_percent": 30, "threshold": "2/3", "voting_days": 1}}}
    assert describe_body("bylaw_change", body, {}) == [
        "Deal approvals: set the quorum to 30% of the electorate.",
        "Deal approvals: set the pass threshold to 2/3 (at least two thirds of the yes/no votes).",
        "Deal approvals: set the voting period to 1 day.",
    ]


def test_unreadable_body_is_described_not_crashed_on():
    sentences = describe_body("deal_approval", {"price": 1.5}, TITLES)
    assert len(sentences) == 1
    assert sentences[0].startswith("This body cannot be read:")


@settings(max_examples=50, deadline=None)
@given(samples.deals())
def test_property_every_deal_is_described_in_full_sentences(deal):
    sentences = describe_body("deal_approval", deal.to_json(), TITLES)
    assert len(sentences) >= 6
    assert all(s and s[0].isupper() for s in sentences)


# --- diffs ------------------------------------------------------------------------------------

def test_identical_versions_have_no_differences():
    for kind, body in samples.valid_bodies().items():
        assert diff_bodies(kind, body, body) == []


def test_rule_constraint_change_is_labelled_with_the_rule():
    old = data_use_json({"op": "add", "rule": rule_json()})
    new_rule = rule_json()
    new_rule["constraints"] = new_rule["constraints"] | {"min_cohort_size": 100}
    assert diff_bodies("data_use_rule", old, data_use_json({"op": "add", "rule": new_rule})) == [
        FieldChange("changes.0.rule.constraints.min_cohort_size", "Rule research-only: minimum cohort size", "50",
                    "100")]


def test_rules_are_matched_by_id_not_position():
    first = {"op": "add", "rule": prohibition_json()}
    second = {"op": "add", "rule": rule_json()}
    changed = {"op": "add", "rule": rule_json(action="derive")}
    changes = diff_bodies("data_use_rule", data_use_json(first, second), data_use_json(changed, first))
    assert changes == [FieldChange("changes.0.rule.action", "Rule research-only: action", "Aggregate or analyse",
                                   "Derive new data")]


def test_added_and_removed_rule_changes():
    first = {"op": "add", "rule": prohibition_json()}
    removal = {"op": "remove", "rule_id": "old-rule"}
    changes = diff_bodies("data_use_rule", data_use_json(first, removal), data_use_json(first))
    assert changes == [FieldChange("changes.1.op", "Rule old-rule: change proposed", "remove a rule", "—")]
    added = diff_bodies("data_use_rule", data_use_json(first), data_use_json(first, removal))
    assert added == [FieldChange("changes.1.op", "Rule old-rule: change proposed", "—", "remove a rule")]


def test_deal_diff_is_readable():
    old = deal_json()
    new = deal_json(price="15000.00", end_date="2028-06-30", audit=False,
                    permitted=[{"action": "train_ai_model", "purposes": [DPV + "AcademicResearch"]},
                               {"action": "aggregate", "purposes": [DPV + "ImproveHealthcare"]}])
    changes = {c.label: (c.old, c.new) for c in diff_bodies("deal_approval", old, new, dataset_titles=TITLES)}
    assert changes == {
        "Permitted: train AI models": ("for commercial research", "for academic research"),
        "Permitted: aggregate or analyse": ("—", "for improve healthcare"),
        "Price": ("EUR 12,000.00", "EUR 15,000.00"),
        "End date": ("31 December 2027", "30 June 2028"),
        "Audit": ("yes", "no"),
    }


def test_payout_and_bylaw_diffs():
    changes = diff_bodies("payout_policy", payout_json(formula_json()),
                          payout_json(formula_json(reserve_fraction="0.15", label="Hybrid plus")))
    assert [(c.label, c.old, c.new) for c in changes] == [("Option 1: name", "Hybrid", "Hybrid plus"),
                                                          ("Option 1: reserve", "10%", "15%")]
    changes = diff_bodies("bylaw_change", {"changes": {"deal_approval": {"quorum_percent": 30}}},
                          {"changes": {"deal_approval": {"quorum_percent": 35, "voting_days": 10}}})
    assert [(c.path, c.label, c.old, c.new) for c in changes] == [
        ("changes.deal_approval.quorum_percent", "Deal approvals: quorum", "30% of the electorate",
         "35% of the electorate"),
        ("changes.deal_approval.voting_days", "Deal approvals: voting period", "—", "10 days"),
    ]


@pytest.mark.parametrize("broken", [{"changes": "nonsense"}, {"price": 1.5}, None])
def test_diff_of_unreadable_versions_falls_back_to_raw_fields(broken):
    changes = diff_bodies("deal_approval", broken, deal_json())
    assert changes
    assert all(isinstance(c.old, str) and isinstance(c.new, str) for c in changes)
