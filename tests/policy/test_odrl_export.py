"""The ODRL / JSON-LD compilers (pure): what each export says, and golden files for each kind.

Golden files are the public format: a change to them is a decision. After an intended change,
regenerate them and review the diff::

    DATAGUILD_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/policy/test_odrl_export.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from governance.policy.odrl.agreement import AgreementRecord, agreement_document, counterparty_iri
from governance.policy.odrl.data_use import (
    CONTEXT,
    PROFILE_IRI,
    Provenance,
    action_term,
    data_use_set,
    document_etag,
    document_text,
)
from governance.policy.odrl.payout import payout_policy_document
from governance.policy.terms.bodies import DealBody, PayoutFormula, Rule
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import ACTIONS, PROFILE
from tests.policy.samples import DPV, deal_json, formula_json, prohibition_json, rule_json

GOLDEN = Path(__file__).with_name("golden")
BASE = "https://coop.example"
REGENERATE = os.environ.get("DATAGUILD_REGENERATE_GOLDEN") == "1"
HASH_A, HASH_B, HASH_C = "a" * 64, "b" * 64, "c" * 64
SIGNATURE, KEY = "9" * 192, "8" * 96


def every_feature_rules() -> list[Rule]:
    """Rules of every feature: both effects, every assignee kind, several purposes, every constraint,
    every duty, one, several and every dataset."""
    return [from_json(Rule, rule) for rule in (
        rule_json(purposes=[DPV + "AcademicResearch", DPV + "NonCommercialResearch"],
                  constraints={"min_cohort_size": 50, "retention_days": 365, "not_before": "2027-01-01",
                               "not_after": "2027-12-31", "regions": ["CH", "EU"]},
                  duties=[{"kind": "delete_after", "days": 365}, {"kind": "report_every", "days": 90},
                          {"kind": "attribute"}, {"kind": "submit_to_audit"}]),
        rule_json(id="partner-sells", datasets=["*"], action="sell", purposes=[],
                  assignee={"type": "party", "value": "https://partner.example/org", "name": "Partner Ltd"},
                  constraints={"min_cohort_size": None, "retention_days": None, "not_before": "2027-03-01",
                               "not_after": None, "regions": []},
                  duties=[], description=""),
        rule_json(id="aggregate-two", datasets=["health-diary", "ride-logs"], assignee=None, purposes=[],
                  constraints={"min_cohort_size": 10, "retention_days": None, "not_before": None, "not_after": None,
                               "regions": []}, duties=[]),
        prohibition_json(assignee={"type": "category", "value": "commercial"},
                         purposes=[DPV + "CommercialResearch"],
                         constraints={"min_cohort_size": None, "retention_days": None, "not_before": None,
                                      "not_after": "2030-12-31", "regions": ["US"]}),
        prohibition_json(id="no-sharing", datasets=["*"], action="share", description="Never share copies."),
    )]


def full_provenance(number: int = 3, document: dict[str, Any] | None = None) -> Provenance:
    return Provenance(number=number, issued=datetime(2027, 2, 3, 4, 5, 6, tzinfo=UTC), proposal_id=12,
                      election_id=5, election_record_hash=HASH_A, document_hash=HASH_B, previous_hash=HASH_C,
                      signature=SIGNATURE, signing_key=KEY, document=document)


def sample_set() -> dict[str, Any]:
    rules = every_feature_rules()
    return data_use_set(BASE, full_provenance(document={"rules": [rule.to_json() for rule in rules]}), rules)


#: Data-use rules (version 3) that cover the sample agreement's two permitted uses: training for Example AI's
#: category in the EEA with attribution, a report every 180 days and deletion after 30; aggregating for
#: research by anyone in Germany only, in cohorts of 200, until 30 June 2027.
BINDING_RULES = (
    from_json(Rule, rule_json(
        id="commercial-training", action="train_ai_model", assignee={"type": "category", "value": "commercial"},
        purposes=[DPV + "CommercialResearch"], datasets=["ride-logs"],
        constraints={"min_cohort_size": None, "retention_days": None, "not_before": None, "not_after": None,
                     "regions": ["EEA"]},
        duties=[{"kind": "attribute"}, {"kind": "report_every", "days": 180}, {"kind": "delete_after", "days": 30}])),
    from_json(Rule, rule_json(
        id="research-in-germany", assignee=None, purposes=[DPV + "ResearchAndDevelopment"], datasets=["*"],
        constraints={"min_cohort_size": 200, "retention_days": None, "not_before": None, "not_after": "2027-06-30",
                     "regions": ["DE"]}, duties=[])),
)


def sample_agreement(bound_by: tuple[int, Any] | None = None, **deal_overrides: Any) -> dict[str, Any]:
    overrides = {"datasets": ["health-diary", "ride-logs"],
                 "permitted": [{"action": "train_ai_model", "purposes": [DPV + "CommercialResearch"]},
                               {"action": "aggregate", "purposes": [DPV + "ResearchAndDevelopment",
                                                                   DPV + "ServiceOptimisation"]}],
                 "prohibited_actions": ["sell", "train_generative_model"], **deal_overrides}
    deal = from_json(DealBody, deal_json(**overrides))
    record = AgreementRecord(id=4, approved_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC), terms_hash=HASH_A,
                             proposal_id=21, election_id=9, election_record_hash=HASH_B, record_hash=HASH_C,
                             signature=SIGNATURE, signing_key=KEY, terms=deal.to_json())
    return agreement_document(BASE, record, deal, bound_by)


def sample_payout() -> dict[str, Any]:
    formula = from_json(PayoutFormula, formula_json())
    return payout_policy_document(BASE, full_provenance(2, {"formula": formula.to_json()}), formula)


#: Every golden file and the document it pins.
GOLDEN_DOCUMENTS = {
    "data-use-set.jsonld": sample_set,
    "agreement.jsonld": sample_agreement,
    "agreement-minimal.jsonld": lambda: sample_agreement(
        datasets=["ride-logs"], permitted=[{"action": "aggregate", "purposes": [DPV + "AcademicResearch"]}],
        prohibited_actions=[], retention_days=None, min_cohort_size=None, reporting_every_days=None, audit=False,
        notes="", payment_schedule="once"),
    "agreement-every-dataset.jsonld": lambda: sample_agreement(datasets=["*"]),
    "agreement-bound.jsonld": lambda: sample_agreement((3, BINDING_RULES)),
    "payout.jsonld": sample_payout,
}


@pytest.mark.parametrize("name", sorted(GOLDEN_DOCUMENTS))
def test_export_matches_its_golden_file(name: str) -> None:
    document = GOLDEN_DOCUMENTS[name]()
    path = GOLDEN / name
    if REGENERATE:
        path.write_text(document_text(document), encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with DATAGUILD_REGENERATE_GOLDEN=1 and review the result"
    assert json.loads(path.read_text(encoding="utf-8")) == document, (
        f"{name} changed; if intended, regenerate with DATAGUILD_REGENERATE_GOLDEN=1 and review the diff")


def test_set_carries_identity_profile_and_provenance() -> None:
    document = sample_set()
    assert document["@context"] == CONTEXT
    assert document["@type"] == "Set"
    assert document["@id"] == f"{BASE}/policy/data-use/v3"
    assert "uid" not in document  # uid and @id are the same key: both would collide in JSON-LD
    assert document["profile"] == PROFILE_IRI
    assert document["conflict"] == "prohibit"
    assert document["versionNumber"] == 3
    assert document["issued"] == "2027-02-03T04:05:06Z"
    assert document["replaces"] == f"{BASE}/policy/data-use/v2"
    assert document["wasDerivedFrom"] == f"{BASE}/proposals/12"
    assert (document["electionId"], document["electionRecordHash"]) == (5, HASH_A)
    assert (document["documentHash"], document["previousHash"]) == (HASH_B, HASH_C)
    assert (document["signature"], document["signingKey"]) == (SIGNATURE, KEY)
    assert document["hashedDocument"] == {"rules": [rule.to_json() for rule in every_feature_rules()]}


def test_missing_provenance_is_left_out_not_written_as_null() -> None:
    bare = Provenance(number=1, issued=datetime(2027, 1, 1, tzinfo=UTC), document_hash=HASH_A)
    document = data_use_set(BASE, bare, every_feature_rules())
    for key in ("replaces", "wasDerivedFrom", "electionId", "electionRecordHash", "previousHash", "signature",
                "signingKey", "hashedDocument"):
        assert key not in document
    assert None not in _all_values(document)


def test_rules_are_split_by_effect_in_order_with_their_iris() -> None:
    document = sample_set()
    assert [rule["@id"] for rule in document["permission"]] == [
        f"{BASE}/policy/data-use/v3#rule-{rule_id}" for rule_id in ("research-only", "partner-sells", "aggregate-two")]
    assert [rule["@id"] for rule in document["prohibition"]] == [
        f"{BASE}/policy/data-use/v3#rule-{rule_id}" for rule_id in ("no-genai-training", "no-sharing")]
    assert {rule["@type"] for rule in document["permission"]} == {"Permission"}
    assert {rule["@type"] for rule in document["prohibition"]} == {"Prohibition"}


def test_targets_one_several_and_every_dataset() -> None:
    research, sells, two = sample_set()["permission"]
    assert research["target"] == f"{BASE}/datasets/ride-logs"
    assert sells["target"] == {"@id": f"{BASE}/datasets", "@type": "AssetCollection"}
    assert two["target"] == [f"{BASE}/datasets/health-diary", f"{BASE}/datasets/ride-logs"]


def test_assignees_party_category_and_nobody_in_particular() -> None:
    research, sells, two = sample_set()["permission"]
    assert research["assignee"] == {"@id": "dg:academicParties", "@type": "PartyCollection"}
    assert sells["assignee"] == {"@id": "https://partner.example/org", "@type": "Party", "vcard:fn": "Partner Ltd"}
    assert "assignee" not in two
    assert all(rule["assigner"] == f"{BASE}/#cooperative" for rule in sample_set()["permission"])


def test_a_party_address_that_is_no_iri_becomes_an_iri_of_the_rule() -> None:
    rule = from_json(Rule, rule_json(assignee={"type": "party", "value": 'https://odd.example/"x"', "name": "Odd"}))
    (permission,) = data_use_set(BASE, full_provenance(), [rule])["permission"]
    assert permission["assignee"] == {"@id": f"{BASE}/policy/data-use/v3#rule-research-only-assignee",
                                      "@type": "Party", "vcard:fn": "Odd"}


def test_every_constraint_is_typed_and_iris_are_objects() -> None:
    research = sample_set()["permission"][0]
    by_operand = {(c["leftOperand"], c["operator"]): c["rightOperand"] for c in research["constraint"]}
    assert by_operand == {
        ("purpose", "isAnyOf"): [{"@id": DPV + "AcademicResearch"}, {"@id": DPV + "NonCommercialResearch"}],
        ("dg:cohortSize", "gteq"): {"@value": 50, "@type": "xsd:integer"},
        ("elapsedTime", "lteq"): {"@value": "P365D", "@type": "xsd:duration"},
        ("dateTime", "gteq"): {"@value": "2027-01-01", "@type": "xsd:date"},
        ("dateTime", "lteq"): {"@value": "2027-12-31", "@type": "xsd:date"},
        ("spatial", "isAnyOf"): [{"@id": "https://dataguild.org/ns/odrl#region-CH"},
                                 {"@id": "https://dataguild.org/ns/odrl#region-EU"}],
    }
    assert {c["@type"] for c in research["constraint"]} == {"Constraint"}


def test_duties_of_a_rule() -> None:
    duties = sample_set()["permission"][0]["duty"]
    coop = f"{BASE}/#cooperative"
    assert duties == [
        {"@type": "Duty", "action": "delete", "constraint": [
            {"@type": "Constraint", "leftOperand": "elapsedTime", "operator": "lteq",
             "rightOperand": {"@value": "P365D", "@type": "xsd:duration"}}]},
        {"@type": "Duty", "action": "inform", "informedParty": coop, "constraint": [
            {"@type": "Constraint", "leftOperand": "timeInterval", "operator": "eq",
             "rightOperand": {"@value": "P90D", "@type": "xsd:duration"}}]},
        {"@type": "Duty", "action": "attribute", "attributedParty": coop},
        {"@type": "Duty", "action": "dg:submitToAudit"},
    ]


@pytest.mark.parametrize("code", sorted(ACTIONS))
def test_action_terms_expand_to_the_vocabulary_iri(code: str) -> None:
    term = action_term(code)
    iri = ("https://dataguild.org/ns/odrl#" + term[3:]) if term.startswith("dg:") \
        else "http://www.w3.org/ns/odrl/2/" + term
    assert iri == ACTIONS[code].iri
    assert action_term("sell") == "dg:sell"  # never ODRL's sell (transfer of ownership)


def test_agreement_has_parties_and_target_at_policy_level_and_in_every_rule() -> None:
    document = sample_agreement()
    uid = f"{BASE}/deals/4/agreement"
    assert (document["@id"], document["@type"]) == (uid, "Agreement")
    assert document["assigner"] == f"{BASE}/#cooperative"
    assert document["assignee"] == "https://example.ai"
    assert document["target"] == f"{uid}#datasets"
    collection = {"@id": f"{uid}#datasets", "@type": "AssetCollection",
                  "@reverse": {"partOf": [{"@id": f"{BASE}/datasets/health-diary"},
                                          {"@id": f"{BASE}/datasets/ride-logs"}]}}
    rules = document["permission"] + document["prohibition"]
    assert [rule["@id"] for rule in rules] == [f"{uid}#permission-1", f"{uid}#permission-2",
                                               f"{uid}#prohibition-1", f"{uid}#prohibition-2"]
    for rule in rules:
        assert (rule["target"], rule["assigner"], rule["assignee"]) == (
            collection, f"{BASE}/#cooperative", "https://example.ai")
    assert [rule["action"] for rule in document["prohibition"]] == ["dg:sell", "dg:trainGenerativeModel"]


def test_agreement_permissions_have_purpose_and_term_and_share_the_deal_duties() -> None:
    document = sample_agreement()
    first, second = document["permission"]
    assert first["constraint"] == [
        {"@type": "Constraint", "leftOperand": "purpose", "operator": "isAnyOf",
         "rightOperand": [{"@id": DPV + "CommercialResearch"}]},
        {"@type": "Constraint", "leftOperand": "dateTime", "operator": "gteq",
         "rightOperand": {"@value": "2027-01-01", "@type": "xsd:date"}},
        {"@type": "Constraint", "leftOperand": "dateTime", "operator": "lteq",
         "rightOperand": {"@value": "2027-12-31", "@type": "xsd:date"}},
        {"@type": "Constraint", "leftOperand": "dg:cohortSize", "operator": "gteq",
         "rightOperand": {"@value": 100, "@type": "xsd:integer"}},
    ]
    assert first["duty"] == second["duty"]  # one set of duties for the deal, not one per permission
    pay, delete, inform, audit = first["duty"]
    uid = f"{BASE}/deals/4/agreement"
    assert pay == {"@id": f"{uid}#duty-compensate", "@type": "Duty", "action": "compensate",
                   "compensatedParty": f"{BASE}/#cooperative", "paymentSchedule": "dg:quarterly", "constraint": [
                       {"@type": "Constraint", "leftOperand": "payAmount", "operator": "eq",
                        "rightOperand": {"@value": "12000.00", "@type": "xsd:decimal"},
                        "unit": {"@id": "http://qudt.org/vocab/unit/CCY_EUR"}}]}
    assert (delete["action"], delete["constraint"][0]["rightOperand"]["@value"]) == ("delete", "P365D")
    assert (inform["action"], inform["constraint"][0]["rightOperand"]["@value"]) == ("inform", "P90D")
    assert audit == {"@id": f"{uid}#duty-audit", "@type": "Duty", "action": "dg:submitToAudit"}


def test_agreement_provenance_and_counterparty() -> None:
    document = sample_agreement()
    assert document["issued"] == "2026-12-01T09:30:00Z"
    assert document["wasDerivedFrom"] == f"{BASE}/proposals/21"
    assert (document["termsHash"], document["electionRecordHash"], document["recordHash"]) == (HASH_A, HASH_B, HASH_C)
    assert (document["electionId"], document["signature"], document["signingKey"]) == (9, SIGNATURE, KEY)
    assert (document["counterpartyName"], document["counterpartyIdentifier"]) == ("Example AI", "https://example.ai")
    assert document["counterpartyCategory"] == "dg:commercialParties"
    assert from_json(DealBody, document["terms"]).counterparty.name == "Example AI"
    assert "status" not in document  # the document is immutable; whether it is in force is on the deal page


def test_agreement_without_optional_terms_has_only_the_payment_duty_and_no_prohibitions() -> None:
    document = GOLDEN_DOCUMENTS["agreement-minimal.jsonld"]()
    assert "prohibition" not in document
    assert "description" not in document
    (permission,) = document["permission"]
    assert [duty["action"] for duty in permission["duty"]] == ["compensate"]
    assert permission["duty"][0]["paymentSchedule"] == "dg:once"
    assert document["target"] == permission["target"] == f"{BASE}/datasets/ride-logs"


def test_agreement_on_every_dataset_targets_the_catalogue() -> None:
    document = GOLDEN_DOCUMENTS["agreement-every-dataset.jsonld"]()
    assert document["target"] == f"{BASE}/datasets"
    assert document["permission"][0]["target"] == {"@id": f"{BASE}/datasets", "@type": "AssetCollection"}


@pytest.mark.parametrize(("identifier", "expected"), [
    ("https://example.ai", "https://example.ai"),
    ("http://example.org/path?q=1", "http://example.org/path?q=1"),
    ("https://example.org/a b", "https://example.org/x#counterparty"),
    ('https://example.org/"quoted"', "https://example.org/x#counterparty"),
    ("urn:lei:5299000J2N45DDNE4Y28", "https://example.org/x#counterparty"),
])
def test_counterparty_iri_falls_back_when_the_identifier_is_not_a_web_iri(identifier: str, expected: str) -> None:
    assert counterparty_iri("https://example.org/x", identifier) == expected


def test_payout_document_in_its_own_vocabulary() -> None:
    document = sample_payout()
    assert document["@context"] == "https://dataguild.org/ns/context.jsonld"
    assert (document["@id"], document["@type"]) == (f"{BASE}/policy/payout/v2", "PayoutPolicy")
    assert document["replaces"] == f"{BASE}/policy/payout/v1"
    assert document["formula"] == {
        "@type": "PayoutFormula", "label": "Hybrid", "method": "hybrid", "reserveFraction": "0.10",
        "operatingCostFraction": "0.05", "minimumPerMember": "5.00", "rounding": "cent_remainder_to_reserve",
        "equalFraction": "0.40", "metric": "records_contributed"}


def test_first_version_replaces_nothing() -> None:
    document = payout_policy_document(BASE, Provenance(number=1, issued=datetime(2027, 1, 1, tzinfo=UTC)),
                                      from_json(PayoutFormula, formula_json(method="equal", equal_fraction=None,
                                                                           metric=None)))
    assert "replaces" not in document
    assert set(document["formula"]) == {"@type", "label", "method", "reserveFraction", "operatingCostFraction",
                                        "minimumPerMember", "rounding"}


def test_text_and_etag_are_stable_and_follow_the_content() -> None:
    one, two = sample_set(), sample_set()
    assert document_text(one) == document_text(two)
    assert document_etag(one) == document_etag(two)
    two["permission"][0]["description"] = "changed"
    assert document_etag(one) != document_etag(two)
    assert document_text(one).endswith("}\n")


def _all_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [item for child in value.values() for item in _all_values(child)]
    if isinstance(value, list):
        return [item for child in value for item in _all_values(child)]
    return [value]


def test_the_covering_rules_bind_each_permission_of_the_agreement() -> None:
    document = sample_agreement((3, BINDING_RULES))
    uid, rules = f"{BASE}/deals/4/agreement", f"{BASE}/policy/data-use/v3"
    first, second = document["permission"]
    assert first["boundBy"] == [f"{rules}#rule-commercial-training"]
    assert second["boundBy"] == [f"{rules}#rule-research-in-germany"]
    spatial = {"@type": "Constraint", "leftOperand": "spatial", "operator": "isAnyOf"}
    assert [c for c in first["constraint"] if c["leftOperand"] == "spatial"] == [
        {**spatial, "rightOperand": [{"@id": PROFILE + "region-EEA"}]}]
    assert [c for c in second["constraint"] if c["leftOperand"] == "spatial"] == [
        {**spatial, "rightOperand": [{"@id": PROFILE + "region-DE"}]}]
    # The stricter value wins: the rule's cohort of 200 and end of June over the deal's 100 and December.
    assert {"@type": "Constraint", "leftOperand": "dg:cohortSize", "operator": "gteq",
            "rightOperand": {"@value": 200, "@type": "xsd:integer"}} in second["constraint"]
    assert {"@type": "Constraint", "leftOperand": "dateTime", "operator": "lteq",
            "rightOperand": {"@value": "2027-06-30", "@type": "xsd:date"}} in second["constraint"]
    duties = {duty["@id"]: duty for duty in first["duty"]}
    # The deal's own quarterly report is stricter than the rule's and stays the deal's node; the rule's
    # 30 days beat the deal's 365 and its attribution is new: both are the permission's own.
    assert list(duties) == [f"{uid}#duty-compensate", f"{uid}#permission-1-duty-delete", f"{uid}#duty-inform",
                            f"{uid}#permission-1-duty-attribute", f"{uid}#duty-audit"]
    assert duties[f"{uid}#permission-1-duty-delete"]["constraint"][0]["rightOperand"]["@value"] == "P30D"
    assert duties[f"{uid}#permission-1-duty-attribute"] == {
        "@id": f"{uid}#permission-1-duty-attribute", "@type": "Duty", "action": "attribute",
        "attributedParty": f"{BASE}/#cooperative"}
    assert [d["@id"] for d in second["duty"]] == [f"{uid}#duty-compensate", f"{uid}#duty-delete",
                                                  f"{uid}#duty-inform", f"{uid}#duty-audit"]


def test_a_deal_that_states_the_rules_terms_keeps_them_as_its_own_duties() -> None:
    document = sample_agreement((3, BINDING_RULES[:1]), attribution=True, regions=["DE"], retention_days=30,
                                permitted=[{"action": "train_ai_model", "purposes": [DPV + "CommercialResearch"]}])
    (permission,) = document["permission"]
    uid = f"{BASE}/deals/4/agreement"
    assert [d["@id"] for d in permission["duty"]] == [f"{uid}#duty-compensate", f"{uid}#duty-delete",
                                                      f"{uid}#duty-inform", f"{uid}#duty-attribute",
                                                      f"{uid}#duty-audit"]
    # Germany is in the EEA: the deal's region implies the rule's, which is not repeated.
    assert [c["rightOperand"] for c in permission["constraint"] if c["leftOperand"] == "spatial"] == [
        [{"@id": PROFILE + "region-DE"}]]
