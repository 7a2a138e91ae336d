"""The decision engine on a table of requests, one or more cases for each rule of the semantics
(docs/policy.md ("Decision API")), plus the request parser. Pure: no database, no app."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.policy.decisions.engine import DENY, NOT_APPLICABLE, PERMIT, decide, region_within
from governance.policy.decisions.policies import agreement_policy, data_use_policy
from governance.policy.decisions.request import BadDecisionRequest, DecisionRequest, parse_decision_request
from governance.policy.terms import vocabulary as vocab
from governance.policy.terms.bodies import DealBody, Rule
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import DPV, PROFILE
from tests.policy import samples
from tests.policy.samples import deal_json

BASE = "https://coop.example"
CATALOGUE = frozenset({"ride-logs", "health-diary", "chat-transcripts", "shift-schedules"})
EXAMPLE_AI = "https://example.ai"
PARTNER = "https://partner.example"
UNI = "https://uni.example"


def _rule(rule_id: str, effect: str, datasets: list[str], action: str, *, assignee: dict | None = None,
          purposes: tuple[str, ...] = (), duties: tuple[dict, ...] = (), **constraints: Any) -> Rule:
    limits = {"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
              "regions": [], **constraints}
    return from_json(Rule, {"id": rule_id, "effect": effect, "datasets": datasets, "action": action,
                           "assignee": assignee, "purposes": [DPV + p for p in purposes],
                           "constraints": limits, "duties": list(duties), "description": ""})


ACADEMIC = {"type": "category", "value": "academic"}
COMMERCIAL = {"type": "category", "value": "commercial"}

RULES = (
    _rule("academic-research", "permission", ["ride-logs", "health-diary"], "aggregate", assignee=ACADEMIC,
          purposes=("ResearchAndDevelopment",), duties=({"kind": "delete_after", "days": 365}, {"kind": "attribute"}),
          min_cohort_size=50, not_before="2027-01-01", not_after="2027-12-31", regions=["EU"]),
    _rule("no-genai", "prohibition", ["*"], "train_generative_model"),
    _rule("open-schedules", "permission", ["shift-schedules"], "use", duties=({"kind": "attribute"},)),
    _rule("no-sale-to-companies", "prohibition", ["ride-logs"], "sell", assignee=COMMERCIAL),
    _rule("health-not-in-us", "prohibition", ["health-diary"], "use", regions=["US"]),
    _rule("partner-service", "permission", ["chat-transcripts"], "derive",
          assignee={"type": "party", "value": PARTNER, "name": "Partner"}, purposes=("ServiceOptimisation",),
          retention_days=30),
    _rule("no-marketing", "prohibition", ["*"], "use", purposes=("Marketing",)),
    # Covers the deal below: its region, cohort size and duties bind the agreement too (the deal's cohort
    # minimum of 100 is stricter and wins; its report every 90 days is more frequent and wins).
    _rule("commercial-training", "permission", ["ride-logs"], "train_ai_model", assignee=COMMERCIAL,
          purposes=("CommercialResearch",), duties=({"kind": "report_every", "days": 180}, {"kind": "attribute"}),
          min_cohort_size=50, regions=["EEA"]),
)
DEAL = from_json(DealBody, deal_json(
    datasets=["ride-logs", "shift-schedules"], prohibited_actions=["share"],
    permitted=[{"action": "train_ai_model", "purposes": [DPV + "CommercialResearch"]}]))
SET_URI = f"{BASE}/policy/data-use/v3"
DEAL_URI = f"{BASE}/deals/7/agreement"
SET = data_use_policy(BASE, 3, RULES)
POLICIES = (SET, agreement_policy(BASE, 7, DEAL, data_use=SET, rules=RULES))

#: The same Set with the covering rule limited to 2026: the deal's term (2027) is outside it.
WINDOWED_RULES = tuple(replace(rule, constraints=replace(rule.constraints, not_after=date(2026, 12, 31)))
                       if rule.id == "commercial-training" else rule for rule in RULES)
WINDOWED = data_use_policy(BASE, 3, WINDOWED_RULES)
#: What the party owes under the deal: its price, then the merged duties of the deal and the rules
#: that cover it (delete after the deal's 365 days, report every 90, attribute, audit).
DEAL_DUTIES = ("compensate", "delete_after", "report_every", "attribute", "submit_to_audit")

R = {rule.id: f"{SET_URI}#rule-{rule.id}" for rule in RULES}
R["deal-permission-1"] = f"{DEAL_URI}#permission-1"
R["deal-prohibition-1"] = f"{DEAL_URI}#prohibition-1"


def _request(**overrides: Any) -> DecisionRequest:
    """An academic asking to aggregate ride logs for academic research, inside every condition of rule
    academic-research (cohort 60 in Germany on 1 March 2027); each case changes what it tests."""
    fields: dict[str, Any] = {"party": UNI, "party_category": "academic", "action": "aggregate",
                              "dataset": "ride-logs", "purpose": DPV + "AcademicResearch",
                              "time": datetime(2027, 3, 1, 12, tzinfo=UTC), "cohort_size": 60, "region": "DE"}
    fields.update(overrides)
    if isinstance(fields["time"], str):
        fields["time"] = datetime.fromisoformat(fields["time"]).astimezone(UTC)
    if not fields["purpose"].startswith("http"):
        fields["purpose"] = DPV + fields["purpose"]
    return DecisionRequest(**fields)


def _ai(**overrides: Any) -> DecisionRequest:
    """Example AI (no category given: its agreement records it, see the service) training AI models for
    commercial research, cohort 150: what its agreement permits."""
    return _request(**{"party": EXAMPLE_AI, "party_category": "commercial", "action": "train_ai_model",
                       "purpose": "CommercialResearch", "cohort_size": 150, **overrides})


@dataclass(frozen=True)
class Case:
    name: str
    request: DecisionRequest
    decision: str
    rules: tuple[str, ...] = ()
    #: (constraint, status) of each reason of a deny by failed conditions
    unmet: tuple[tuple[str, str], ...] = ()
    duties: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    policies: tuple = field(default=POLICIES, compare=False)


CASES = [
    # --- a permission with all its conditions met; duties from the permitting rule
    Case("academic_aggregate_within_every_condition", _request(), PERMIT, ("academic-research",),
         duties=("delete_after", "attribute")),
    Case("cohort_exactly_the_minimum_is_enough", _request(cohort_size=50), PERMIT, ("academic-research",),
         duties=("delete_after", "attribute")),
    # --- purposes: isA through DPV, narrower request matches broader rule, never the reverse
    Case("narrower_purpose_matches_broader_rule", _request(purpose="ScientificResearch"), PERMIT,
         ("academic-research",), duties=("delete_after", "attribute")),
    Case("same_purpose_as_rule_matches", _request(purpose="ResearchAndDevelopment"), PERMIT, ("academic-research",),
         duties=("delete_after", "attribute")),
    Case("unrelated_purpose_fails_purpose_constraint", _request(purpose="ImproveHealthcare"), DENY,
         ("academic-research",), unmet=(("purpose", "failed"),)),
    Case("broader_purpose_does_not_match_narrower_rule",
         _request(party=PARTNER, party_category=None, action="derive", dataset="chat-transcripts",
                  purpose="ServiceProvision"), DENY, ("partner-service",), unmet=(("purpose", "failed"),)),
    Case("named_party_with_narrower_purpose_permitted",
         _request(party=PARTNER, party_category=None, action="derive", dataset="chat-transcripts",
                  purpose="ImproveExistingProductsAndServices"), PERMIT, ("partner-service",),
         duties=("delete_after",)),
    # --- dates: the rule's window, both ends included, the day taken in UTC
    Case("before_the_rule_window_fails_date_constraint", _request(time="2026-12-31T23:59:59+00:00"), DENY,
         ("academic-research",), unmet=(("dateTime", "failed"),)),
    Case("after_the_rule_window_fails_date_constraint", _request(time="2028-01-01T00:00:00+00:00"), DENY,
         ("academic-research",), unmet=(("dateTime", "failed"),)),
    Case("last_day_of_the_window_is_included", _request(time="2027-12-31T23:59:59+00:00"), PERMIT,
         ("academic-research",), duties=("delete_after", "attribute")),
    Case("offset_time_is_judged_on_its_utc_day", _request(time="2028-01-01T00:30:00+01:00"), PERMIT,
         ("academic-research",), duties=("delete_after", "attribute")),
    # --- cohort size: a missing attribute fails closed
    Case("cohort_below_minimum_fails", _request(cohort_size=49), DENY, ("academic-research",),
         unmet=(("cohortSize", "failed"),)),
    Case("missing_cohort_size_fails_closed_for_a_permission", _request(cohort_size=None), DENY,
         ("academic-research",), unmet=(("cohortSize", "missing"),)),
    # --- regions: a country is in the EU, the EU in the EEA, never the reverse; missing fails closed
    Case("region_outside_allowed_fails", _request(region="US"), DENY, ("academic-research",),
         unmet=(("spatial", "failed"),)),
    Case("region_eu_itself_is_within_eu", _request(region="EU"), PERMIT, ("academic-research",),
         duties=("delete_after", "attribute")),
    Case("region_eea_is_broader_than_eu", _request(region="EEA"), DENY, ("academic-research",),
         unmet=(("spatial", "failed"),)),
    Case("eea_country_outside_eu_fails", _request(region="NO"), DENY, ("academic-research",),
         unmet=(("spatial", "failed"),)),
    Case("missing_region_fails_closed_for_a_permission", _request(region=None), DENY, ("academic-research",),
         unmet=(("spatial", "missing"),)),
    Case("prohibition_decides_even_where_a_permission_fails_too",
         _request(cohort_size=None, region="US", purpose="Marketing", time="2026-06-01T00:00:00+00:00"), DENY,
         ("no-marketing",)),
    Case("all_failed_conditions_listed",
         _request(cohort_size=None, region="US", purpose="ImproveHealthcare", time="2026-06-01T00:00:00+00:00"),
         DENY, ("academic-research",),
         unmet=(("purpose", "failed"), ("dateTime", "failed"), ("cohortSize", "missing"), ("spatial", "failed"))),
    # --- assignees: category, named party, nobody named; agreements only for their counterparty
    Case("other_category_is_not_assigned", _request(party="https://shop.example", party_category="commercial"),
         NOT_APPLICABLE),
    Case("unknown_category_fails_closed_for_a_category_permission", _request(party_category=None), DENY,
         ("academic-research",), unmet=(("assignee", "missing"),)),
    Case("unknown_category_fails_closed_for_a_category_prohibition",
         _request(party="https://shop.example", party_category=None, action="sell"), DENY,
         ("no-sale-to-companies",)),
    Case("category_prohibition_does_not_bind_other_categories", _request(action="sell"), NOT_APPLICABLE),
    Case("named_party_rule_ignores_other_parties",
         _request(party="https://other.example", party_category=None, action="derive", dataset="chat-transcripts",
                  purpose="ImproveExistingProductsAndServices"), NOT_APPLICABLE),
    Case("agreement_permits_its_counterparty", _ai(), PERMIT, ("deal-permission-1",),
         duties=DEAL_DUTIES, excluded=("no-genai",)),
    Case("agreement_party_matched_ignoring_case_and_trailing_slash", _ai(party="HTTPS://Example.AI/"), PERMIT,
         ("deal-permission-1",), duties=DEAL_DUTIES, excluded=("no-genai",)),
    Case("agreement_does_not_apply_to_another_party", _ai(party="https://copycat.ai", party_category="academic"),
         NOT_APPLICABLE),
    Case("agreement_cohort_minimum_missing_fails_closed", _ai(cohort_size=None), DENY, ("deal-permission-1",),
         unmet=(("cohortSize", "missing"), ("cohortSize", "missing"))),
    Case("deal_stricter_than_the_rule_wins", _ai(cohort_size=99), DENY, ("deal-permission-1",),
         unmet=(("cohortSize", "failed"),)),
    Case("agreement_purpose_not_agreed", _ai(purpose="AcademicResearch"), DENY,
         ("commercial-training", "deal-permission-1"), unmet=(("purpose", "failed"), ("purpose", "failed"))),
    # --- the covering rule binds the deal: its region, cohort size and window, and its duties
    Case("rule_region_binds_the_deal", _ai(region="US"), DENY, ("deal-permission-1",),
         unmet=(("spatial", "failed"),)),
    Case("rule_region_missing_fails_closed_under_the_deal", _ai(region=None), DENY, ("deal-permission-1",),
         unmet=(("spatial", "missing"),)),
    Case("rule_cohort_binds_the_deal", _ai(cohort_size=20), DENY, ("deal-permission-1",),
         unmet=(("cohortSize", "failed"), ("cohortSize", "failed"))),
    Case("rule_window_binds_the_deal", _ai(), DENY, ("deal-permission-1",), unmet=(("dateTime", "failed"),),
         policies=(WINDOWED, agreement_policy(BASE, 7, DEAL, data_use=WINDOWED, rules=WINDOWED_RULES))),
    Case("uncovered_deal_permits_nothing", _ai(), DENY, ("deal-permission-1",), unmet=(("coverage", "failed"),),
         policies=(data_use_policy(BASE, 1, ()), agreement_policy(BASE, 7, DEAL, data_use=data_use_policy(BASE, 1, ()),
                                                                  rules=()))),
    Case("deal_without_a_version_in_force_permits_nothing", _ai(), DENY, ("deal-permission-1",),
         unmet=(("coverage", "failed"),), policies=(agreement_policy(BASE, 7, DEAL),)),
    Case("agreement_dataset_outside_its_target", _ai(dataset="chat-transcripts"), NOT_APPLICABLE),
    # --- actions: includedIn (a rule on a broader action covers narrower ones, not the reverse)
    Case("use_rule_covers_narrower_action", _request(party="https://anyone.example", party_category=None,
                                                     dataset="shift-schedules", purpose="PublicBenefit"),
         PERMIT, ("open-schedules",), duties=("attribute",)),
    Case("narrower_action_than_set_permission_is_covered",
         _request(party="https://anyone.example", party_category=None, action="anonymise",
                  dataset="shift-schedules", purpose="PublicBenefit"), PERMIT, ("open-schedules",),
         duties=("attribute",)),
    Case("broader_request_not_covered_by_narrower_permission", _request(action="use"), NOT_APPLICABLE),
    Case("narrower_action_matches_broader_prohibition", _ai(action="sell", dataset="shift-schedules"), DENY,
         ("deal-prohibition-1",)),
    Case("permit_for_broad_action_lists_narrower_prohibitions",
         _request(party="https://anyone.example", party_category=None, action="use", dataset="shift-schedules",
                  purpose="PublicBenefit"), PERMIT, ("open-schedules",), duties=("attribute",),
         excluded=("no-genai",)),
    # --- datasets: a rule covers the datasets it names, "*" all of them
    Case("dataset_not_named_by_any_rule", _request(dataset="chat-transcripts"), NOT_APPLICABLE),
    Case("every_dataset_prohibition_covers_each_dataset",
         _request(party="https://anyone.example", party_category=None, action="train_generative_model",
                  dataset="chat-transcripts"), DENY, ("no-genai",)),
    # --- conflict: prohibit, within a policy and across policies
    Case("prohibition_beats_permission_in_the_same_set",
         _request(party="https://anyone.example", party_category=None, action="train_generative_model",
                  dataset="shift-schedules"), DENY, ("no-genai",)),
    Case("voted_prohibition_overrides_deal_permission", _ai(action="train_generative_model"), DENY, ("no-genai",)),
    Case("deal_prohibition_overrides_set_permission_for_its_party",
         _ai(action="sell", dataset="shift-schedules", purpose="SellDataToThirdParties"), DENY,
         ("deal-prohibition-1",)),
    Case("every_prohibition_in_effect_is_a_reason", _ai(action="sell"), DENY,
         ("no-sale-to-companies", "deal-prohibition-1")),
    Case("the_deal_binds_where_a_set_rule_alone_would_grant", _ai(dataset="shift-schedules"), PERMIT,
         ("deal-permission-1",), duties=DEAL_DUTIES, excluded=("no-genai",)),
    Case("duties_of_every_granting_permission_are_owed", _request(
        party="https://anyone.example", party_category="academic", dataset="health-diary"), PERMIT,
         ("academic-research",), duties=("delete_after", "attribute")),
    # --- prohibitions with conditions: in effect unless a condition fails; missing attributes fail closed
    Case("prohibition_in_effect_when_its_condition_holds", _request(dataset="health-diary", region="US"), DENY,
         ("health-not-in-us",)),
    Case("prohibition_not_in_effect_when_its_condition_fails", _request(dataset="health-diary", region="DE"), PERMIT,
         ("academic-research",), duties=("delete_after", "attribute")),
    Case("prohibition_with_missing_attribute_fails_closed", _request(dataset="health-diary", region=None), DENY,
         ("health-not-in-us",)),
    Case("prohibition_purpose_narrower_request_matches",
         _request(party="https://anyone.example", party_category=None, dataset="shift-schedules",
                  purpose="DirectMarketing"), DENY, ("no-marketing",)),
    Case("prohibition_purpose_broader_request_does_not_match",
         _request(party="https://anyone.example", party_category=None, dataset="shift-schedules",
                  purpose="CommercialPurpose"), PERMIT, ("open-schedules",), duties=("attribute",)),
    # --- nothing in force
    Case("no_policy_in_force_is_not_applicable", _request(), NOT_APPLICABLE, policies=()),
    Case("empty_set_is_not_applicable", _request(), NOT_APPLICABLE, policies=(data_use_policy(BASE, 1, ()),)),
]


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_decision_table(case: Case):
    decision = decide(case.request, case.policies)
    answer = decision.to_json()
    assert answer["decision"] == case.decision, answer["explanation"]
    assert answer["permitted"] is (case.decision == PERMIT)
    assert answer["rules"] == [R[key] for key in case.rules]
    assert [p["uid"] for p in answer["policies"]] == [p.uid for p in case.policies]
    if case.decision == PERMIT:
        assert answer["reasons"] == []
        assert [d["kind"] for d in answer["duties"]] == list(case.duties)
        assert {d["rule"] for d in answer["duties"]} <= set(answer["rules"])
        assert [e["rule"] for e in answer["excluded_actions"]] == [R[key] for key in case.excluded]
    else:
        assert answer["duties"] == []
        assert answer["reasons"], "a refusal always says why"
    if case.decision == DENY and case.unmet:
        assert [(r["constraint"], r["status"]) for r in answer["reasons"]] == list(case.unmet)
        assert all(r["kind"] == "constraint" and r["rule"] in answer["rules"] for r in answer["reasons"])
    elif case.decision == DENY and case.rules and case.rules[0] not in ("academic-research", "deal-permission-1",
                                                                         "partner-service"):
        assert [r["id"] for r in answer["reasons"]] == [R[key] for key in case.rules]
        assert all(r["kind"] == "prohibition" for r in answer["reasons"])
    if case.decision == NOT_APPLICABLE:
        assert answer["rules"] == []
        assert "Treat this as a refusal" in answer["reasons"][0]["message"]


def test_constraint_reasons_name_the_odrl_left_operand():
    answer = decide(_request(cohort_size=None, region=None), POLICIES).to_json()
    assert {r["leftOperand"] for r in answer["reasons"]} == {PROFILE + "cohortSize",
                                                            "http://www.w3.org/ns/odrl/2/spatial"}
    assert "gives no cohort_size" in answer["reasons"][0]["message"]


def test_a_fail_closed_prohibition_says_what_could_not_be_ruled_out():
    answer = decide(_request(dataset="health-diary", region=None), POLICIES).to_json()
    assert "cannot be ruled out" in answer["reasons"][0]["message"]
    assert "no region" in answer["reasons"][0]["message"]


def test_deal_duties_carry_the_price_and_the_days():
    duties = {d["kind"]: d for d in decide(_ai(), POLICIES).to_json()["duties"]}
    assert (duties["compensate"]["amount"], duties["compensate"]["currency"], duties["compensate"]["schedule"]) \
        == ("12000.00", "EUR", "quarterly")
    assert duties["delete_after"]["days"] == 365
    assert duties["report_every"]["days"] == 90
    assert duties["compensate"]["text"] == "pay EUR 12,000.00 in total, in quarterly instalments"


def test_retention_becomes_a_delete_duty_unless_the_rule_has_one():
    rule = _rule("r", "permission", ["ride-logs"], "use", retention_days=30,
                 duties=({"kind": "delete_after", "days": 10},))
    assert [(d.kind, d.days) for d in data_use_policy(BASE, 1, (rule,)).rules[0].duties] == [("delete_after", 10)]
    only_retention = _rule("r", "permission", ["ride-logs"], "use", retention_days=30,
                           duties=({"kind": "attribute"},))
    assert [(d.kind, d.days) for d in data_use_policy(BASE, 1, (only_retention,)).rules[0].duties] == \
        [("delete_after", 30), ("attribute", None)]


@pytest.mark.parametrize(("region", "allowed", "within"), [
    ("DE", "EU", True), ("NO", "EU", False), ("NO", "EEA", True), ("EU", "EEA", True), ("EEA", "EU", False),
    ("US", "US", True), ("DE", "US", False), ("EU", "DE", False),
])
def test_regions_nest_only_downwards(region, allowed, within):
    assert region_within(region, allowed) is within


# --- the request parser -----------------------------------------------------------------------

GOOD = {"party": EXAMPLE_AI, "action": "train_ai_model", "dataset": "ride-logs", "purpose": "CommercialResearch",
        "time": "2027-03-01T12:00:00Z"}


def _parse(**changes: Any) -> DecisionRequest:
    data = {**GOOD, **changes}
    return parse_decision_request({k: v for k, v in data.items() if v is not ...}, datasets=CATALOGUE,
                                  base_url=BASE)


def test_parser_accepts_codes_and_iris_alike():
    by_code = _parse()
    by_iri = _parse(action=PROFILE + "trainAIModel", dataset=f"{BASE}/datasets/ride-logs",
                    purpose=DPV + "CommercialResearch")
    prefixed = _parse(purpose="dpv:CommercialResearch", time="2027-03-01T13:00:00+01:00")
    assert by_code == by_iri == prefixed
    assert by_code.time == datetime(2027, 3, 1, 12, tzinfo=UTC)
    assert _parse(time="2027-03-01").time == datetime(2027, 3, 1, tzinfo=UTC)
    assert _parse(region="de", cohort_size=5, party_category="academic").region == "DE"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"party": ...}, "party", "Give the party"),
    ({"party": "  "}, "party", "Give the party"),
    ({"party": 42}, "party", "must be a string"),
    ({"action": "fly"}, "action", "Unknown action 'fly'"),
    ({"action": "http://www.w3.org/ns/odrl/2/fly"}, "action", "Unknown action"),
    ({"dataset": "moon-rocks"}, "dataset", "Unknown dataset 'moon-rocks'"),
    ({"dataset": "https://elsewhere.example/datasets/ride-logs"}, "dataset", "Unknown dataset"),
    ({"purpose": "Fun"}, "purpose", "Unknown purpose 'Fun'"),
    ({"purpose": ...}, "purpose", "Give the purpose"),
    ({"time": "yesterday"}, "time", "not an ISO 8601 time"),
    ({"time": "2027-02-30"}, "time", "not an ISO 8601 time"),
    ({"time": "2027-03-01T12:00:00"}, "time", "has no time zone"),
    ({"time": "2027-03-01 12:00:00Z"}, "time", "not an ISO 8601 time"),
    ({"time": ...}, "time", "Give the time"),
    ({"time": 1798761600}, "time", "must be a string"),
    ({"cohort_size": 0}, "cohort_size", "positive whole number"),
    ({"cohort_size": "50"}, "cohort_size", "positive whole number"),
    ({"cohort_size": True}, "cohort_size", "positive whole number"),
    ({"cohort_size": 2.5}, "cohort_size", "positive whole number"),
    ({"region": "Atlantis"}, "region", "Unknown region"),
    ({"party_category": "pirate"}, "party_category", "Unknown party category"),
    ({"colour": "blue"}, "colour", "Unknown field 'colour'"),
])
def test_parser_refuses_bad_requests_naming_the_field(changes, field, words):
    with pytest.raises(BadDecisionRequest) as caught:
        _parse(**changes)
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.to_json() == {"error": {"message": caught.value.message, "field": field}}


@pytest.mark.parametrize("body", [[], "text", None, 5])
def test_parser_refuses_a_body_that_is_not_an_object(body):
    with pytest.raises(BadDecisionRequest, match="must be a JSON object") as caught:
        parse_decision_request(body, datasets=CATALOGUE, base_url=BASE)
    assert caught.value.to_json()["error"]["field"] is None


def test_sample_deal_dates_bound_the_agreement_rules():
    rule = POLICIES[1].rules[0]
    assert (rule.not_before, rule.not_after) == (date(2027, 1, 1), date(2027, 12, 31))
    assert rule.assignee is not None
    assert rule.assignee.value == EXAMPLE_AI


# --- properties over random policies ----------------------------------------------------------

random_requests = st.builds(
    DecisionRequest,
    party=st.sampled_from([UNI, EXAMPLE_AI, PARTNER, "https://stranger.example"]),
    action=samples.actions,
    dataset=st.sampled_from(sorted(samples.CATALOGUE)),
    purpose=st.sampled_from(sorted(vocab.PURPOSES)),
    time=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    cohort_size=st.none() | st.integers(1, 20_000),
    region=st.none() | st.sampled_from(sorted(vocab.REGIONS)),
    party_category=st.none() | st.sampled_from(sorted(vocab.PARTY_CATEGORIES)),
)


@st.composite
def random_policies(draw: st.DrawFn) -> tuple:
    rule_sets = draw(st.lists(st.lists(samples.rules(), max_size=6, unique_by=lambda r: r.id), min_size=1, max_size=2))
    policies = [data_use_policy(BASE, n, rules) for n, rules in enumerate(rule_sets, 1)]
    for n, deal in enumerate(draw(st.lists(samples.deals(), max_size=2)), 1):
        policies.append(agreement_policy(BASE, n, deal))
    return tuple(policies)


BAN_TEMPLATE = _rule("ban", "prohibition", ["ride-logs"], "use")


@settings(max_examples=100, deadline=None)
@given(random_policies(), random_requests, st.sampled_from(["cohort_size", "region", "party_category"]))
def test_properties_of_decisions_on_random_policies(policies, request, attribute):
    decision = decide(request, policies)
    # A permit rests on permissions whose every condition holds; a refusal carries no duties.
    if decision.permitted:
        assert decision.decided_by
        assert all(o.rule.effect == "permission" and not o.unmet for o in decision.decided_by)
    else:
        assert not decision.duties()
        # Fail closed: forgetting an attribute never turns a refusal into a permit.
        assert decide(replace(request, **{attribute: None}), policies).decision != PERMIT
    # The order in which policies are consulted does not matter.
    backwards = decide(request, tuple(reversed(policies)))
    assert backwards.decision == decision.decision
    assert sorted(o.rule.iri for o in backwards.decided_by) == sorted(o.rule.iri for o in decision.decided_by)
    # conflict: prohibit: a prohibition covering the request denies, whatever else is in force.
    ban = replace(BAN_TEMPLATE, datasets=(request.dataset,), action=request.action)
    banned = decide(request, (*policies, data_use_policy(BASE, 99, (ban,)))).to_json()
    assert banned["decision"] == DENY
    assert f"{BASE}/policy/data-use/v99#rule-ban" in banned["rules"]


def test_a_covering_rules_condition_is_named_as_the_rules_own():
    answer = decide(_ai(region="US"), POLICIES).to_json()
    (reason,) = answer["reasons"]
    assert reason["id"] == reason["bound_by"] == R["commercial-training"]
    assert reason["rule"] == R["deal-permission-1"]
    assert reason["leftOperand"].endswith("spatial")
    assert "Rule 'commercial-training' of data-use policy version 3 requires processing in the European " \
           "Economic Area, not in United States." in reason["message"]


def test_merged_duties_say_who_requires_them_and_the_stricter_period_wins():
    duties = {d["kind"]: d for d in decide(_ai(), POLICIES).to_json()["duties"]}
    assert duties["report_every"]["days"] == 90  # the deal's 90 beats the rule's 180
    assert duties["report_every"]["required_by"] == [R["deal-permission-1"], R["commercial-training"]]
    # The deal itself says nothing of attribution: both rules that cover it do.
    assert duties["attribute"]["required_by"] == [R["open-schedules"], R["commercial-training"]]
    assert duties["compensate"]["required_by"] == [R["deal-permission-1"]]
    shorter = tuple(replace(r, duties=(*r.duties, replace(r.duties[0], kind="delete_after", days=30)))
                    if r.id == "commercial-training" else r for r in RULES)
    tightened = data_use_policy(BASE, 4, shorter)
    duties = {d["kind"]: d for d in decide(_ai(), (tightened, agreement_policy(
        BASE, 7, DEAL, data_use=tightened, rules=shorter))).to_json()["duties"]}
    assert duties["delete_after"]["days"] == 30
    assert duties["delete_after"]["required_by"] == [R["deal-permission-1"],
                                                     f"{BASE}/policy/data-use/v4#rule-commercial-training"]
