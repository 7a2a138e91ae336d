"""``POST /api/v1/policy/decide`` through the test client on the real database (SQLite, and PostgreSQL
when configured): what is in force at the request's time, whose agreements apply, the party's
category, and the 400/415 answers to bad requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from governance.audit.models import AuditEntry
from governance.auth.passwords import password_hasher
from governance.operations.demo import seed_demo
from governance.policy.agreements import enact_deal, list_agreements, suspend_agreement
from governance.policy.decisions.services import in_force_at
from governance.policy.models import Agreement
from governance.policy.services import (
    add_dataset,
    current_policy_version,
    enact_rule_changes,
    get_dataset,
    retire_dataset,
    rules_of,
)
from governance.policy.terms.bodies import DataUseRuleBody, DealBody
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import DPV, PROFILE
from governance.sitecontext import SiteSettings
from tests.conftest import fetch_all, make_member
from tests.policy.samples import covering_rule_json, deal_json, prohibition_json, rule_json

BASE = "http://localhost"
URL = "/api/v1/policy/decide"
EXAMPLE_AI = "https://example.ai"
OLD_PARTNER = "https://old-partner.example"
PAUSED = "https://paused.example"


COMMERCIAL_TRAINING = covering_rule_json()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _deal(identifier: str, name: str, start: str, end: str, **overrides):
    counterparty = {"name": name, "identifier": identifier, "contact": "", "category": "commercial"}
    return from_json(DealBody, deal_json(counterparty=counterparty, start_date=start, end_date=end, **overrides))


@pytest.fixture
def catalogue(db_session):
    for slug, title in (("ride-logs", "Ride logs"), ("chat-transcripts", "Chat transcripts"),
                        ("old-surveys", "Old surveys")):
        add_dataset(db_session, actor=None, slug=slug, title=title, now=_at("2026-01-01T00:00:00"))
    db_session.commit()


@pytest.fixture
def policy(db_session, catalogue):
    """Data-use v1 (10 Jan 2027): academics may aggregate ride logs; v2 (1 June 2027) adds a ban on
    training generative models. Example AI's deal runs through 2027; an older deal ended in June 2026;
    a third is suspended on 1 April 2027."""
    steward = make_member(db_session, "steward@example.org", roles=("member", "steward"), commit=False)
    research = rule_json(constraints={"min_cohort_size": 50, "retention_days": 365, "not_before": None,
                                      "not_after": None, "regions": []},
                         purposes=[DPV + "ResearchAndDevelopment"], datasets=["ride-logs", "old-surveys"])
    enact_rule_changes(db_session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": research}, {"op": "add", "rule": COMMERCIAL_TRAINING}]}),
        proposal_id=11, now=_at("2027-01-10T09:00:00"))
    enact_rule_changes(db_session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "add", "rule": prohibition_json(datasets=["*"])}]}), proposal_id=12,
        now=_at("2027-06-01T09:00:00"))
    current = enact_deal(db_session, actor=None, deal=_deal(EXAMPLE_AI, "Example AI", "2027-01-01", "2027-12-31"),
                         proposal_id=21, now=_at("2026-12-15T10:00:00"))
    old = enact_deal(db_session, actor=None, proposal_id=22, now=_at("2026-01-02T10:00:00"), deal=_deal(
        OLD_PARTNER, "Old Partner", "2026-01-01", "2026-06-30",
        permitted=[{"action": "aggregate", "purposes": [DPV + "ServiceProvision"]}], min_cohort_size=None))
    paused = enact_deal(db_session, actor=None, deal=_deal(PAUSED, "Paused Ltd", "2027-01-01", "2027-12-31"),
                        proposal_id=23, now=_at("2026-12-20T10:00:00"))
    suspend_agreement(db_session, paused, actor=steward, reason="Breach of the reporting duty.",
                      now=_at("2027-04-01T00:00:00"))
    retire_dataset(db_session, get_dataset(db_session, "old-surveys"), actor=steward, now=_at("2027-02-01T00:00:00"))
    db_session.commit()
    return {"current": current.id, "old": old.id, "paused": paused.id}


def _ask(client, **fields):
    body = {"party": EXAMPLE_AI, "action": "train_ai_model", "dataset": "ride-logs",
            "purpose": "CommercialResearch", "time": "2027-03-01T12:00:00Z", "cohort_size": 150, **fields}
    response = client.post(URL, json={k: v for k, v in body.items() if v is not None})
    expected = "application/json" if response.status_code == 200 else "application/problem+json"
    assert response.headers["Content-Type"] == expected
    assert response.headers["Cache-Control"] == "no-store"
    return response


def _uids(answer):
    return [p["uid"] for p in answer["policies"]]


def test_agreement_permits_its_party_with_duties_and_the_versions_consulted(client, policy):
    response = _ask(client)
    assert response.status_code == 200, response.json
    answer = response.json
    deal = f"{BASE}/deals/{policy['current']}/agreement"
    assert answer["decision"] == "permit"
    assert answer["permitted"] is True
    assert answer["rules"] == [f"{deal}#permission-1"]
    assert [d["kind"] for d in answer["duties"]] == ["compensate", "delete_after", "report_every", "attribute",
                                                     "submit_to_audit"]
    attribute = answer["duties"][3]
    assert attribute["required_by"] == [f"{BASE}/policy/data-use/v1#rule-commercial-training"]
    assert _uids(answer) == [f"{BASE}/policy/data-use/v1", deal]
    set_v1 = answer["policies"][0]
    assert (set_v1["version"], set_v1["adopted_at"], set_v1["proposal"]) == (1, "2027-01-10T09:00:00Z",
                                                                             f"{BASE}/proposals/11")
    assert set_v1["document"] == f"{BASE}/policy/data-use/v1.jsonld"
    assert answer["policies"][1]["agreement"] == policy["current"]
    assert answer["request"]["party_category"] == "commercial"
    assert answer["request"]["party_category_source"] == "agreement"
    assert answer["time"] == "2027-03-01T12:00:00Z"


def test_the_data_use_version_in_force_at_the_time_decides(client, policy):
    before_ban = _ask(client, action="train_generative_model", time="2027-05-31T23:59:59Z").json
    assert before_ban["decision"] == "permit"
    assert _uids(before_ban)[0] == f"{BASE}/policy/data-use/v1"
    after_ban = _ask(client, action="train_generative_model", time="2027-06-01T09:00:00Z").json
    assert after_ban["decision"] == "deny"
    assert [r["id"] for r in after_ban["reasons"]] == [f"{BASE}/policy/data-use/v2#rule-no-genai-training"]
    assert _uids(after_ban)[0] == f"{BASE}/policy/data-use/v2"
    # Before the first version, no rule covers the deal: it permits nothing (a deal only narrows the rules).
    before_any_version = _ask(client, time="2027-01-05T00:00:00Z").json
    assert before_any_version["decision"] == "deny"
    assert _uids(before_any_version) == [f"{BASE}/deals/{policy['current']}/agreement"]
    assert [r["constraint"] for r in before_any_version["reasons"]] == ["coverage"]
    assert "No data-use rule in force permits" in before_any_version["reasons"][0]["message"]


def test_an_expired_agreement_no_longer_applies(client, policy):
    fields = {"party": OLD_PARTNER, "action": "aggregate", "purpose": "ServiceOptimisation", "cohort_size": None}
    during = _ask(client, time="2026-06-30T23:00:00Z", **fields).json
    # Consulted while in force (no rule covered it then, so it did not permit: see test_uncovered...).
    assert during["decision"] == "deny"
    assert during["rules"] == [f"{BASE}/deals/{policy['old']}/agreement#permission-1"]
    after = _ask(client, time="2026-07-01T00:00:00Z", **fields).json
    assert after["decision"] == "not_applicable"
    assert after["permitted"] is False
    assert _uids(after) == []
    assert "Treat this as a refusal" in after["explanation"][0]


def test_a_suspended_agreement_stops_at_its_suspension(client, policy):
    deal = f"{BASE}/deals/{policy['paused']}/agreement"
    assert _ask(client, party=PAUSED, time="2027-03-31T23:59:59Z").json["rules"] == [f"{deal}#permission-1"]
    at_suspension = _ask(client, party=PAUSED, time="2027-04-01T00:00:00Z").json
    assert at_suspension["decision"] == "not_applicable"
    assert deal not in _uids(at_suspension)


def test_agreements_apply_only_to_their_counterparty(client, policy):
    answer = _ask(client, party="https://someone-else.example").json
    assert answer["decision"] == "not_applicable"
    assert _uids(answer) == [f"{BASE}/policy/data-use/v1"]
    assert _ask(client, party="https://EXAMPLE.ai/").json["decision"] == "permit"


def test_a_category_rule_needs_the_category_and_missing_attributes_fail_closed(client, policy):
    research = {"party": "https://uni.example", "action": "aggregate", "purpose": "AcademicResearch",
                "cohort_size": 60}
    unknown = _ask(client, **research).json
    assert unknown["decision"] == "deny"
    assert [(r["constraint"], r["status"]) for r in unknown["reasons"]] == [("assignee", "missing")]
    stated = _ask(client, party_category="academic", **research).json
    assert stated["decision"] == "permit"
    assert stated["request"]["party_category_source"] == "request"
    assert stated["rules"] == [f"{BASE}/policy/data-use/v1#rule-research-only"]
    assert [(d["kind"], d.get("days")) for d in stated["duties"]] == [("delete_after", 365), ("attribute", None)]
    no_cohort = _ask(client, party_category="academic", **{**research, "cohort_size": None}).json
    assert no_cohort["decision"] == "deny"
    assert no_cohort["reasons"][0]["leftOperand"] == PROFILE + "cohortSize"


def test_a_stated_category_must_agree_with_the_party_agreement(client, policy):
    assert _ask(client, party_category="commercial").status_code == 200
    response = _ask(client, party_category="academic")
    assert response.status_code == 400
    assert response.json["field"] == "party_category"
    assert f"Agreement #{policy['current']} records" in response.json["detail"]


def test_iris_are_accepted_for_action_dataset_purpose_and_region(client, policy):
    answer = _ask(client, action=PROFILE + "trainAIModel", dataset=f"{BASE}/datasets/ride-logs",
                  purpose=DPV + "CommercialResearch", region=PROFILE + "region-DE").json
    assert answer["decision"] == "permit"
    assert answer["request"]["region"] == "DE"


def test_a_retired_dataset_can_still_be_asked_about(client, policy):
    answer = _ask(client, party="https://uni.example", party_category="academic", action="aggregate",
                  dataset="old-surveys", purpose="AcademicResearch", cohort_size=60).json
    assert answer["decision"] == "permit"


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"action": "fly"}, "action", "Unknown action 'fly'"),
    ({"dataset": "moon-rocks"}, "dataset", "Unknown dataset 'moon-rocks'"),
    ({"time": "next tuesday"}, "time", "is not an ISO 8601 time"),
    ({"time": "2027-03-01T12:00:00"}, "time", "has no time zone"),
    ({"party": ""}, "party", "Give the party"),
    ({"cohort_size": -3}, "cohort_size", "positive whole number"),
    ({"cohort_size": "many"}, "cohort_size", "positive whole number"),
    ({"purpose": "https://w3id.org/dpv#Astrology"}, "purpose", "Unknown purpose"),
    ({"region": "Mars"}, "region", "Unknown region"),
    ({"party_category": "pirates"}, "party_category", "Unknown party category"),
    ({"verbose": True}, "verbose", "Unknown field 'verbose'"),
])
def test_bad_requests_get_400_naming_the_field_and_write_nothing(client, catalogue, db_session, fields, field,
                                                                 words):
    before = fetch_all(db_session, select(func.count()).select_from(AuditEntry))
    response = _ask(client, **fields)
    assert response.status_code == 400
    assert response.json["field"] == field
    assert words in response.json["detail"]
    assert fetch_all(db_session, select(func.count()).select_from(AuditEntry)) == before


def test_missing_party_is_a_400(client, catalogue):
    response = client.post(URL, json={"action": "use", "dataset": "ride-logs", "purpose": "AcademicResearch",
                                      "time": "2027-03-01T00:00:00Z"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json == {"type": "http://localhost/api/v1/docs#problem-invalid", "status": 400,
                             "title": "The request was refused: an input is not valid",
                             "detail": response.json["detail"], "field": "party"}
    assert response.json["detail"].startswith("Give the party")


@pytest.mark.parametrize(("data", "status", "words"), [
    ("{not json", 400, "not valid JSON"),
    ("[1, 2]", 400, "must be a JSON object"),
    ("null", 400, "must be a JSON object"),
    ("", 400, "not valid JSON"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(client, data, status, words):
    response = client.post(URL, data=data, content_type="application/json")
    assert response.status_code == status
    assert words in response.json["detail"]
    assert "field" not in response.json


def test_a_body_not_declared_as_json_is_a_415(client):
    response = client.post(URL, data={"party": EXAMPLE_AI, "action": "use"})
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json["detail"]
    assert client.post(URL, data='{"party": "x"}', content_type="text/plain").status_code == 415


def test_the_api_needs_no_csrf_token_and_no_login_but_only_answers_post(app, client, policy):
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False  # CSRF is on: the API is exempt, not the site
    assert client.post("/login", data={"email": "x@example.org", "password": "y"}).status_code == 400
    assert _ask(client).status_code == 200
    refused = client.get(URL)
    assert refused.status_code == 405
    assert refused.json["status"] == 405  # problem details for every /api/ address
    assert set(refused.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}


def test_the_answer_is_the_same_on_every_backend_for_a_whole_table(client, policy):
    """A compact table through HTTP: each line is (fields, decision)."""
    table = [
        ({}, "permit"),
        ({"action": "sell"}, "deny"),  # the deal prohibits selling copies
        ({"dataset": "chat-transcripts"}, "not_applicable"),
        ({"purpose": "AcademicResearch"}, "deny"),
        ({"cohort_size": 99}, "deny"),
        ({"time": "2028-01-01T00:00:00Z"}, "deny"),  # the deal has ended, and the rule's window too
        ({"time": "2027-12-31T23:59:59Z", "action": "train_generative_model"}, "deny"),
    ]
    assert [_ask(client, **fields).json["decision"] for fields, _ in table] == [want for _, want in table]


def test_agreement_rows_are_left_untouched(client, policy, db_session):
    _ask(client)
    rows = fetch_all(db_session, select(Agreement).order_by(Agreement.id))
    assert [(a.id, a.start_date) for a in rows] == [(policy["current"], date(2027, 1, 1)),
                                                    (policy["old"], date(2026, 1, 1)),
                                                    (policy["paused"], date(2027, 1, 1))]


def test_a_counterparty_named_by_its_agreement_iri_is_that_agreement_party(client, db_session, catalogue):
    """The exports name a counterparty whose address is not a valid IRI ``{agreement}#counterparty``."""
    odd = "https://odd.example/{team}"
    agreement = enact_deal(db_session, actor=None, deal=_deal(odd, "Odd Ltd", "2027-01-01", "2027-12-31"),
                           proposal_id=31, now=_at("2026-12-15T10:00:00"))
    db_session.commit()
    uid = f"{BASE}/deals/{agreement.id}/agreement"
    answer = _ask(client, party=f"{uid}#counterparty").json
    assert answer["rules"] == [f"{uid}#permission-1"]  # consulted (and not permitting: no rule covers it)
    assert answer["request"]["party"] == odd
    assert _ask(client, party=f"{BASE}/deals/999/agreement#counterparty").json["decision"] == "not_applicable"


def test_the_demo_answers_for_its_agreements_and_its_prohibitions(app, client, db_session):
    """On the demo cooperative: each agreement is consulted (and permits its first use) inside its term,
    an expired one is no longer consulted today, and each prohibition of the policy in force denies."""
    site = SiteSettings.from_config(app.config)
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=site)
    db_session.commit()
    agreements = [(a.id, a.counterparty_identifier, a.start_date, a.terms) for a in list_agreements(db_session)]
    now = datetime.now(UTC)
    live = {a.id for a in list_agreements(db_session) if in_force_at(a, now)}
    version = current_policy_version(db_session, "data_use")
    prohibitions = [r for r in rules_of(version) if r.effect == "prohibition"]
    db_session.close()  # SQLite: no transaction may stay open across requests
    assert agreements
    assert prohibitions
    for agreement_id, party, start, terms in agreements:
        uid = f"{BASE}/deals/{agreement_id}/agreement"
        use = terms["permitted"][0]
        dataset = terms["datasets"][0] if terms["datasets"][0] != "*" else "ride-logs"
        fields = {"party": party, "action": use["action"], "dataset": dataset, "purpose": use["purposes"][0],
                  "cohort_size": 100_000, "region": "DE"}
        in_term = _ask(client, time=f"{start.isoformat()}T12:00:00Z", **fields).json
        assert in_term["decision"] == "permit", in_term["explanation"]
        assert f"{uid}#permission-1" in in_term["rules"]
        today = _ask(client, time=now.isoformat(), **fields).json
        assert (uid in _uids(today)) is (agreement_id in live)
    for rule in prohibitions:
        dataset = rule.datasets[0] if rule.datasets[0] != "*" else "ride-logs"
        party, category = "https://anyone.example", "commercial"
        if rule.assignee is not None and rule.assignee.type == "party":
            party, category = rule.assignee.value, None
        elif rule.assignee is not None:
            category = rule.assignee.value
        answer = _ask(client, party=party, party_category=category, action=rule.action,
                      dataset=dataset, purpose=rule.purposes[0] if rule.purposes else "ServiceProvision",
                      time=now.isoformat(), cohort_size=100_000, region="DE").json
        assert answer["decision"] == "deny"
        assert f"{BASE}/policy/data-use/v{version.number}#rule-{rule.id}" in [r["id"] for r in answer["reasons"]]


def test_the_demo_research_rule_binds_open_mobility_lab_to_europe(app, client, db_session):
    """The issue's request: Open Mobility Lab aggregating ride logs for academic research in the US."""
    site = SiteSettings.from_config(app.config)
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=site)
    db_session.commit()
    lab = next(a for a in list_agreements(db_session) if a.counterparty_identifier == "https://openmobility.example.edu")
    number = current_policy_version(db_session, "data_use").number
    db_session.close()
    fields = {"party": "https://openmobility.example.edu", "action": "aggregate", "dataset": "ride-logs",
              "purpose": "AcademicResearch", "cohort_size": 100,
              "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    rule = f"{BASE}/policy/data-use/v{number}#rule-research-aggregate"
    answer = _ask(client, region="US", **fields).json
    assert answer["decision"] == "deny"
    spatial = [r for r in answer["reasons"] if r["constraint"] == "spatial"]
    assert rule in [r["id"] for r in spatial]
    assert any("Rule 'research-aggregate'" in r["message"] and "European Economic Area" in r["message"]
               for r in spatial)
    permitted = _ask(client, region="NO", **fields).json
    assert permitted["decision"] == "permit", permitted["explanation"]
    assert permitted["rules"] == [f"{BASE}/deals/{lab.id}/agreement#permission-1"]
    duties = {d["kind"]: d for d in permitted["duties"]}
    assert rule in duties["attribute"]["required_by"]
    assert duties["report_every"]["days"] == 90  # the deal's quarterly report beats the rule's 180 days
    # The export carries the same: the region, the attribution, and the rule that bound it at approval
    # (in the version then in force).
    (exported,) = client.get(f"/deals/{lab.id}/agreement.jsonld").json["permission"]
    assert [iri.rsplit("#", 1)[1] for iri in exported["boundBy"]] == ["rule-research-aggregate"]
    assert {"@type": "Constraint", "leftOperand": "spatial", "operator": "isAnyOf",
            "rightOperand": [{"@id": PROFILE + "region-EEA"}]} in exported["constraint"]
    assert "attribute" in [duty["action"] for duty in exported["duty"]]


def test_a_rule_tightened_after_approval_binds_the_agreement_from_its_adoption_on(client, policy, db_session):
    tightened = {**COMMERCIAL_TRAINING, "constraints": {**COMMERCIAL_TRAINING["constraints"], "regions": ["EEA"]},
                 "duties": [*COMMERCIAL_TRAINING["duties"], {"kind": "delete_after", "days": 90}]}
    enact_rule_changes(db_session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "change", "rule": tightened}]}), proposal_id=13, now=_at("2027-09-01T09:00:00"))
    db_session.commit()
    db_session.close()
    before = _ask(client, time="2027-08-31T23:59:59Z", region="US").json
    assert before["decision"] == "permit"
    assert {d["kind"]: d.get("days") for d in before["duties"]}["delete_after"] == 365
    after = _ask(client, time="2027-09-01T09:00:00Z", region="US").json
    assert after["decision"] == "deny"
    assert [(r["constraint"], r["id"]) for r in after["reasons"]] == [
        ("spatial", f"{BASE}/policy/data-use/v3#rule-commercial-training")]
    assert _ask(client, time="2027-09-01T09:00:00Z").json["reasons"][0]["status"] == "missing"
    inside = _ask(client, time="2027-09-01T09:00:00Z", region="DE").json
    assert inside["decision"] == "permit"
    delete = {d["kind"]: d for d in inside["duties"]}["delete_after"]
    assert (delete["days"], delete["required_by"][-1]) == (90, f"{BASE}/policy/data-use/v3#rule-commercial-training")


def test_the_deal_pages_list_what_a_later_rule_added_to_an_agreement(client, policy, db_session):
    page = client.get(f"/deals/{policy['current']}").data.decode()
    assert "Narrower than its text" in page  # v2's ban on generative training already narrows it
    assert "What binds each use today" in page
    assert "attribute the cooperative (rule &#39;commercial-training&#39;)" in page
    tightened = {**COMMERCIAL_TRAINING, "constraints": {**COMMERCIAL_TRAINING["constraints"], "regions": ["EEA"]}}
    enact_rule_changes(db_session, actor=None, body=from_json(DataUseRuleBody,
        {"changes": [{"op": "change", "rule": tightened}]}), proposal_id=13)
    db_session.commit()
    db_session.close()
    message = ("Rule &#39;commercial-training&#39; allows processing ride-logs only in the European Economic Area, "
               "and this deal names no region.")
    page = client.get(f"/deals/{policy['current']}").data.decode()
    assert message in page
    assert "processing only in the European Economic Area (rule &#39;commercial-training&#39;)" in page
    listing = client.get("/deals").data.decode()
    assert "Narrowed by the rules in force" in listing
    assert message in listing
    assert f'/deals/{policy["current"]}#narrowed' in listing
