"""``/policy/check``: the decision engine as a form for people, through the real form with its CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from governance.policy.agreements import enact_deal
from governance.policy.services import add_dataset, enact_rule_changes, get_dataset, retire_dataset
from governance.policy.terms.bodies import DataUseRuleBody, DealBody
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import DPV
from tests.conftest import csrf_token
from tests.policy.samples import covering_rule_json, deal_json, prohibition_json, rule_json

URL = "/policy/check"
EXAMPLE_AI = "https://example.ai"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def policy(db_session):
    for slug, title in (("ride-logs", "Ride logs"), ("old-surveys", "Old surveys")):
        add_dataset(db_session, actor=None, slug=slug, title=title, now=_at("2026-01-01T00:00:00"))
    retire_dataset(db_session, get_dataset(db_session, "old-surveys"), actor=None, now=_at("2026-02-01T00:00:00"))
    enact_rule_changes(db_session, actor=None, body=from_json(DataUseRuleBody, {"changes": [
        {"op": "add", "rule": rule_json(constraints={"min_cohort_size": 50, "retention_days": 365, "not_before": None,
                                                     "not_after": None, "regions": []})},
        {"op": "add", "rule": covering_rule_json()},
        {"op": "add", "rule": prohibition_json()}]}), proposal_id=5, now=_at("2027-01-10T09:00:00"))
    deal = enact_deal(db_session, actor=None, deal=from_json(DealBody, deal_json()), proposal_id=6,
                      now=_at("2026-12-15T10:00:00"))
    db_session.commit()
    return {"agreement": deal.id}


def _form(client, **fields):
    page = client.get(URL)
    data = {"party": EXAMPLE_AI, "party_category": "", "action": "train_ai_model", "dataset": "ride-logs",
            "purpose": DPV + "CommercialResearch", "time": "2027-03-01T12:00", "cohort_size": "150", "region": "",
            "csrf_token": csrf_token(page.data), **fields}
    return client.post(URL, data=data)


def _error_of(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', html)
    assert match, f"no error next to {field_id}"
    return match.group(1)


def test_the_form_is_public_with_every_field_and_the_catalogue(client, policy):
    page = client.get(URL)
    assert page.status_code == 200
    html = page.data.decode()
    assert csrf_token(html)
    for name in ("party", "party_category", "action", "dataset", "purpose", "time", "cohort_size", "region"):
        assert f'name="{name}"' in html, name
    assert '<option value="old-surveys">Old surveys (retired)</option>' in html
    assert '<option value="train_generative_model">Train generative AI models</option>' in html
    assert f'<option value="{DPV}AcademicResearch">' in html
    assert re.search(r'name="time"[^>]*value="\d{4}-\d\d-\d\dT\d\d:\d\d"', html), "the time defaults to now"
    assert 'id="answer"' not in html


def test_a_permitted_use_is_answered_in_plain_words(client, policy):
    response = _form(client)
    assert response.status_code == 200
    html = response.data.decode()
    deal = f"agreement #{policy['agreement']} with Example AI"
    assert "Permitted" in html
    assert f"Permission 1 of the {deal}" in html
    assert "pay EUR 12,000.00 in total, in quarterly instalments" in html
    assert "delete the data within 365 days" in html
    assert "submit to audit by the cooperative" in html
    assert f'<a href="/deals/{policy["agreement"]}">{deal[0].upper() + deal[1:]}</a>' in html
    assert "Data-use policy version 1" in html
    assert "http://localhost/policy/data-use/v1.jsonld" in html
    assert "&#34;decision&#34;: &#34;permit&#34;" in html or '"decision": "permit"' in html


def test_a_refusal_says_which_rule_and_why(client, policy):
    prohibited = _form(client, action="train_generative_model").data.decode()
    assert "Refused" in prohibited
    assert "Rules that prohibit it" in prohibited
    assert "Prohibited by rule &#39;no-genai-training&#39; of data-use policy version 1" in prohibited
    too_small = _form(client, cohort_size="20").data.decode()
    assert "Rules that could have permitted it" in too_small
    assert "requires cohorts of at least 100 members; the request&#39;s cohort has 20." in too_small


def test_no_applicable_rule_is_shown_as_not_permitted(client, policy):
    html = _form(client, party="https://stranger.example", action="derive").data.decode()
    assert "No rule applies" in html
    assert "<strong>not permitted</strong>" in html


def test_the_category_for_a_party_without_agreement_comes_from_the_form(client, policy):
    fields = {"party": "https://uni.example", "action": "aggregate", "purpose": DPV + "AcademicResearch",
              "cohort_size": "60", "region": "DE", "time": "2027-03-01T12:00"}
    assert "Refused" in _form(client, **fields).data.decode()
    html = _form(client, party_category="academic", **fields).data.decode()
    assert "Permitted" in html
    assert "Rule &#39;research-only&#39; of data-use policy version 1" in html


@pytest.mark.parametrize(("fields", "field_id", "words"), [
    ({"party": ""}, "party", "Give the party"),
    ({"dataset": ""}, "dataset", "Give the dataset"),
    ({"time": ""}, "time", "Give the time"),
    ({"time": "soon"}, "time", "Not a valid datetime value"),
    ({"cohort_size": "0"}, "cohort_size", "positive whole number"),
    ({"cohort_size": "lots"}, "cohort_size", "Not a valid integer value"),
    ({"action": "fly"}, "action", "Unknown action"),
    ({"region": "XX"}, "region", "Unknown region"),
    ({"party_category": "academic"}, "party_category", "records https://example.ai as a &#39;commercial&#39; party"),
])
def test_bad_values_get_a_message_next_to_the_field(client, policy, fields, field_id, words):
    response = _form(client, **fields)
    assert response.status_code == 400
    html = response.data.decode()
    assert words in _error_of(html, field_id)
    assert 'aria-invalid="true"' in html
    assert 'id="answer"' not in html


def test_a_post_without_the_csrf_token_is_refused(client, policy):
    response = client.post(URL, data={"party": EXAMPLE_AI, "action": "use", "dataset": "ride-logs",
                                      "purpose": DPV + "AcademicResearch", "time": "2027-03-01T12:00"})
    assert response.status_code == 400
    assert b'id="answer"' not in response.data
