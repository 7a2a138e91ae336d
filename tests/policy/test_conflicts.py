"""Checking a deal against the adopted data-use rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings

from governance.policy.terms.bodies import Assignee, Constraints, DealBody, Duty, Rule
from governance.policy.terms.conflicts import CONFLICT_CODES, Conflict, deal_conflicts
from governance.policy.terms.parsing import from_json
from tests.policy import samples
from tests.policy.samples import DPV, deal_json

# The cooperative's baseline: any use of any dataset for research, with no conditions.
OPEN_RESEARCH = Rule("research", "permission", ("*",), "use", purposes=(DPV + "ResearchAndDevelopment",))
NO_GENAI = Rule("no-genai-training", "prohibition", ("ride-logs",), "train_generative_model")


def deal(**overrides: Any) -> DealBody:
    """A deal that meets every condition the tests' permissions set, unless overridden."""
    base = {"prohibited_actions": [], "retention_days": 30, "min_cohort_size": 1000, "reporting_every_days": 7,
            "audit": True}
    return from_json(DealBody, deal_json(**(base | overrides)))


def permitting(action: str, *purposes: str) -> list[dict[str, Any]]:
    return [{"action": action, "purposes": [DPV + p for p in purposes] or [DPV + "CommercialResearch"]}]


def codes(conflicts: list[Conflict]) -> list[tuple[str, str | None]]:
    return [(c.code, c.rule_id) for c in conflicts]


# --- prohibitions -----------------------------------------------------------------------------

def test_deal_allowing_generative_training_is_flagged_when_a_rule_prohibits_it():
    conflicts = deal_conflicts(deal(permitted=permitting("train_generative_model")), [OPEN_RESEARCH, NO_GENAI])
    assert codes(conflicts) == [("prohibited", "no-genai-training")]
    assert conflicts[0].message == (
        "Rule 'no-genai-training' prohibits training generative AI models on ride-logs for any purpose, and this "
        "deal permits training generative AI models on ride-logs for commercial research.")


def test_rule_prohibiting_all_ai_training_covers_generative_training():
    no_training = Rule("no-ai", "prohibition", ("ride-logs",), "train_ai_model")
    conflicts = deal_conflicts(deal(permitted=permitting("train_generative_model")), [OPEN_RESEARCH, no_training])
    assert codes(conflicts) == [("prohibited", "no-ai")]


def test_deal_allowing_all_ai_training_is_flagged_unless_it_excludes_generative_models():
    broad = deal(permitted=permitting("train_ai_model"))
    conflicts = deal_conflicts(broad, [OPEN_RESEARCH, NO_GENAI])
    assert codes(conflicts) == [("prohibited", "no-genai-training")]
    assert "add 'Train generative AI models' to the deal's prohibited actions" in conflicts[0].message
    excluded = deal(permitted=permitting("train_ai_model"), prohibited_actions=["train_generative_model"])
    assert deal_conflicts(excluded, [OPEN_RESEARCH, NO_GENAI]) == []


def test_prohibition_on_other_datasets_or_unrelated_actions_does_not_conflict():
    other_dataset = Rule("no-genai-chats", "prohibition", ("chat-transcripts",), "train_generative_model")
    assert deal_conflicts(deal(permitted=permitting("train_generative_model")), [OPEN_RESEARCH, other_dataset]) == []
    assert deal_conflicts(deal(permitted=permitting("aggregate")), [OPEN_RESEARCH, NO_GENAI]) == []


@pytest.mark.parametrize(("rule_datasets", "deal_datasets"), [
    (("*",), ["ride-logs"]), (("ride-logs",), ["*"]), (("*",), ["*"]), (("health-diary", "ride-logs"),
                                                                         ["ride-logs", "shift-schedules"]),
])
def test_every_dataset_overlaps_everything(rule_datasets, deal_datasets):
    prohibition = Rule("no-genai", "prohibition", rule_datasets, "train_generative_model")
    conflicts = deal_conflicts(deal(datasets=deal_datasets, permitted=permitting("train_generative_model")),
                               [OPEN_RESEARCH, prohibition])
    assert codes(conflicts) == [("prohibited", "no-genai")]


def test_purpose_hierarchy_decides_whether_a_prohibition_applies():
    no_commercial_research = Rule("no-commercial-research", "prohibition", ("*",), "use",
                                  purposes=(DPV + "CommercialResearch",))
    no_commercial_purposes = Rule("no-commercial", "prohibition", ("*",), "use", purposes=(DPV + "CommercialPurpose",))
    academic = deal(permitted=permitting("aggregate", "AcademicResearch"))
    assert deal_conflicts(academic, [OPEN_RESEARCH, no_commercial_research, no_commercial_purposes]) == []
    # Commercial research is a commercial purpose (DPV's second parent of CommercialResearch).
    commercial = deal(permitted=permitting("aggregate", "CommercialResearch"))
    assert codes(deal_conflicts(commercial, [OPEN_RESEARCH, no_commercial_purposes])) == [
        ("prohibited", "no-commercial")]
    # A deal for research in general includes commercial research, which the rule prohibits.
    general = deal(permitted=permitting("aggregate", "ResearchAndDevelopment"))
    assert codes(deal_conflicts(general, [OPEN_RESEARCH, no_commercial_research])) == [
        ("prohibited", "no-commercial-research")]


def test_prohibition_assignee_category_or_party_must_match_the_counterparty():
    for_commercial = Rule("no-sale-commercial", "prohibition", ("*",), "sell",
                          assignee=Assignee("category", "commercial"))
    for_academics = Rule("no-sale-academic", "prohibition", ("*",), "sell", assignee=Assignee("category", "academic"))
    for_example = Rule("no-sale-example", "prohibition", ("*",), "sell",
                       assignee=Assignee("party", "https://example.ai/", "Example AI"))
    for_other = Rule("no-sale-other", "prohibition", ("*",), "sell",
                     assignee=Assignee("party", "https://other.ai", "Other AI"))
    selling = deal(permitted=permitting("sell"))
    rules = [OPEN_RESEARCH, for_commercial, for_academics, for_example, for_other]
    assert codes(deal_conflicts(selling, rules)) == [("prohibited", "no-sale-commercial"),
                                                      ("prohibited", "no-sale-example")]


def test_prohibition_with_a_date_window_applies_only_when_the_deal_overlaps_it():
    earlier = Rule("no-genai-2026", "prohibition", ("*",), "train_generative_model",
                   constraints=Constraints(not_before=date(2026, 1, 1), not_after=date(2026, 12, 31)))
    overlapping = Rule("no-genai-from-june", "prohibition", ("*",), "train_generative_model",
                       constraints=Constraints(not_before=date(2027, 6, 1)))
    conflicts = deal_conflicts(deal(permitted=permitting("train_generative_model")),
                               [OPEN_RESEARCH, earlier, overlapping])
    assert codes(conflicts) == [("prohibited", "no-genai-from-june")]


# --- permissions ------------------------------------------------------------------------------

def test_no_conflict_when_the_rules_permit_the_deal():
    assert deal_conflicts(deal(), [OPEN_RESEARCH]) == []
    exact = Rule("ride-ai", "permission", ("ride-logs",), "train_ai_model", Assignee("category", "commercial"),
                 (DPV + "CommercialResearch",))
    assert deal_conflicts(deal(), [exact]) == []


def test_nothing_permitted_without_a_covering_permission():
    conflicts = deal_conflicts(deal(), [])
    assert codes(conflicts) == [("not_permitted", None)]
    assert conflicts[0].message == "No data-use rule permits training AI models on ride-logs for Example AI."
    aggregation_only = Rule("stats", "permission", ("*",), "aggregate")
    assert codes(deal_conflicts(deal(), [aggregation_only])) == [("not_permitted", None)]


def test_permission_for_another_assignee_does_not_cover_the_deal():
    academics = Rule("academics", "permission", ("*",), "use", assignee=Assignee("category", "academic"))
    conflicts = deal_conflicts(deal(), [academics])
    assert codes(conflicts) == [("not_permitted", None)]
    assert "rules 'academics' (universities and research institutes) permit it for others only" in conflicts[0].message


def test_deal_on_every_dataset_needs_a_permission_on_every_dataset():
    one_dataset = Rule("ride-research", "permission", ("ride-logs",), "use")
    assert codes(deal_conflicts(deal(datasets=["*"]), [one_dataset])) == [("not_permitted", None)]
    assert deal_conflicts(deal(datasets=["*"]), [OPEN_RESEARCH]) == []


def test_datasets_without_permission_are_named_together():
    one_dataset = Rule("ride-research", "permission", ("ride-logs",), "use")
    conflicts = deal_conflicts(deal(datasets=["chat-transcripts", "health-diary", "ride-logs"]), [one_dataset])
    assert codes(conflicts) == [("not_permitted", None)]
    assert "on chat-transcripts and health-diary for Example AI" in conflicts[0].message


def test_purpose_outside_what_the_permissions_allow():
    academic_only = Rule("academic-research", "permission", ("*",), "use", purposes=(DPV + "AcademicResearch",))
    conflicts = deal_conflicts(deal(permitted=permitting("aggregate", "AcademicResearch", "Marketing")),
                               [academic_only])
    assert codes(conflicts) == [("purpose_not_allowed", "academic-research")]
    assert conflicts[0].message == ("The rules permit aggregating or analysing ride-logs only for academic research "
                                    "(rule 'academic-research'), not for marketing.")


def test_narrower_purpose_is_admitted_by_a_broader_permission():
    assert deal_conflicts(deal(permitted=permitting("aggregate", "AcademicResearch", "NonCommercialResearch")),
                          [OPEN_RESEARCH]) == []
    assert codes(deal_conflicts(deal(permitted=permitting("aggregate", "ResearchAndDevelopment")),
                                [Rule("academic", "permission", ("*",), "use", purposes=(DPV + "AcademicResearch",))]
                                )) == [("purpose_not_allowed", "academic")]


def limited(**constraints: Any) -> Rule:
    return Rule("limited", "permission", ("*",), "use", constraints=Constraints(**constraints))


def test_retention_beyond_the_limit():
    rule = limited(retention_days=365)
    assert deal_conflicts(deal(retention_days=365), [rule]) == []
    too_long = deal_conflicts(deal(retention_days=366), [rule])
    assert codes(too_long) == [("retention_exceeds", "limited")]
    assert too_long[0].message == ("Rule 'limited' allows keeping ride-logs for at most 365 days, and this deal "
                                   "allows 366 days.")
    unlimited = deal_conflicts(deal(retention_days=None), [rule])
    assert codes(unlimited) == [("retention_exceeds", "limited")]
    assert unlimited[0].message.endswith("and this deal sets no time limit.")


def test_a_delete_after_duty_limits_retention_too():
    rule = Rule("delete", "permission", ("*",), "use", duties=(Duty("delete_after", 90),))
    assert codes(deal_conflicts(deal(retention_days=120), [rule])) == [("retention_exceeds", "delete")]
    assert deal_conflicts(deal(retention_days=90), [rule]) == []


def test_cohort_too_small():
    rule = limited(min_cohort_size=50)
    assert deal_conflicts(deal(min_cohort_size=50), [rule]) == []
    assert codes(deal_conflicts(deal(min_cohort_size=49), [rule])) == [("cohort_too_small", "limited")]
    assert codes(deal_conflicts(deal(min_cohort_size=None), [rule])) == [("cohort_too_small", "limited")]


def test_deal_term_outside_the_permission_window():
    rule = limited(not_before=date(2027, 1, 1), not_after=date(2027, 12, 31))
    assert deal_conflicts(deal(), [rule]) == []
    late = deal_conflicts(deal(end_date="2028-06-30"), [rule])
    assert codes(late) == [("outside_window", "limited")]
    assert late[0].message == ("Rule 'limited' applies to ride-logs only from 1 January 2027 until 31 December 2027, "
                               "and this deal runs from 1 January 2027 to 30 June 2028.")
    assert codes(deal_conflicts(deal(start_date="2026-12-01"), [rule])) == [("outside_window", "limited")]


def test_duties_of_the_permission_the_deal_does_not_provide():
    rule = Rule("reported", "permission", ("*",), "use", duties=(Duty("report_every", 30), Duty("submit_to_audit")))
    assert deal_conflicts(deal(reporting_every_days=30, audit=True), [rule]) == []
    assert codes(deal_conflicts(deal(reporting_every_days=60, audit=False), [rule])) == [
        ("duty_missing", "reported"), ("duty_missing", "reported")]


def test_every_covering_rule_binds_even_beside_a_lenient_one():
    # A deal only narrows what the rules permit: a lenient rule does not excuse the strict one.
    strict = limited(retention_days=30, min_cohort_size=10_000)
    lenient = Rule("lenient", "permission", ("ride-logs",), "train_ai_model")
    assert codes(deal_conflicts(deal(retention_days=None), [strict, lenient])) == [
        ("retention_exceeds", "limited"), ("cohort_too_small", "limited")]
    assert deal_conflicts(deal(retention_days=None), [lenient]) == []


EEA_ONLY = Rule("eea-only", "permission", ("ride-logs",), "use", constraints=Constraints(regions=("EEA",)),
                duties=(Duty("attribute"),))


def test_a_deal_without_the_rules_region_or_attribution_is_flagged():
    conflicts = deal_conflicts(deal(), [EEA_ONLY])
    assert codes(conflicts) == [("region_missing", "eea-only"), ("duty_missing", "eea-only")]
    assert conflicts[0].message == ("Rule 'eea-only' allows processing ride-logs only in the European Economic "
                                    "Area, and this deal names no region.")
    assert conflicts[1].message == ("Rule 'eea-only' requires users of ride-logs to attribute the cooperative, "
                                    "and this deal does not.")
    assert deal_conflicts(deal(regions=["EEA"], attribution=True), [EEA_ONLY]) == []


@pytest.mark.parametrize(("regions", "flagged"), [
    (["DE"], False), (["DE", "NO"], False), (["EU"], False), (["DE", "US"], True), (["US"], True),
])
def test_a_deal_region_must_stay_within_the_rules(regions, flagged):
    conflicts = deal_conflicts(deal(regions=regions, attribution=True), [EEA_ONLY])
    assert codes(conflicts) == ([("region_outside", "eea-only")] if flagged else [])


def test_a_deal_for_an_uncovered_purpose_is_not_bound_by_that_rule():
    research = Rule("research", "permission", ("ride-logs",), "use", purposes=(DPV + "AcademicResearch",),
                    constraints=Constraints(regions=("EEA",)))
    commercial = Rule("commercial", "permission", ("ride-logs",), "use", purposes=(DPV + "CommercialResearch",))
    assert deal_conflicts(deal(), [research, commercial]) == []


def test_every_conflict_code_is_known_and_messages_are_sentences():
    rules = [NO_GENAI, Rule("academic", "permission", ("*",), "use", purposes=(DPV + "AcademicResearch",),
                            constraints=Constraints(min_cohort_size=5000, retention_days=10))]
    conflicts = deal_conflicts(deal(permitted=permitting("train_generative_model", "AcademicResearch",
                                                         "Marketing"), retention_days=None), rules)
    assert {c.code for c in conflicts} == {"prohibited", "purpose_not_allowed", "retention_exceeds",
                                           "cohort_too_small"}
    flagged = deal_conflicts(deal(regions=["US"]), [EEA_ONLY]) + deal_conflicts(deal(), [EEA_ONLY])
    assert {c.code for c in flagged} == {"region_outside", "region_missing", "duty_missing"}
    conflicts += flagged
    for conflict in conflicts:
        assert conflict.code in CONFLICT_CODES
        assert conflict.message.endswith(".")


@settings(max_examples=100, deadline=None)
@given(samples.deals())
def test_property_an_unconditional_permission_of_everything_allows_every_deal(deal_body):
    assert deal_conflicts(deal_body, [Rule("anything", "permission", ("*",), "use")]) == []


@settings(max_examples=100, deadline=None)
@given(samples.deals())
def test_property_a_total_prohibition_flags_every_deal(deal_body):
    conflicts = deal_conflicts(deal_body, [Rule("anything", "permission", ("*",), "use"),
                                           Rule("nothing", "prohibition", ("*",), "use")])
    assert {c.code for c in conflicts} == {"prohibited"}
    assert len(conflicts) == len(deal_body.permitted)
