"""The policy pages for people: /policy, /policy/versions, /policy/compare, /policy/payout, /deals and
/deals/<id> (public), content negotiation to the JSON-LD documents, and a steward suspending a deal
through the real form."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.policy.agreements import enact_deal
from governance.policy.models import Agreement
from governance.policy.services import add_dataset, enact_payout_formula, enact_rule_changes
from governance.policy.terms.bodies import PayoutFormula, Rule
from governance.policy.terms.parsing import from_json, parse_body
from governance.policy.wording.diff import diff_formulas, diff_rules, rule_origins
from tests.conftest import count_rows, csrf_token, fetch_all, make_member, reload
from tests.policy.samples import (
    CONTEXT,
    TITLES,
    data_use_json,
    deal_json,
    formula_json,
    payout_json,
    prohibition_json,
    rule_json,
)

ELECTION_HASH = "5e" * 32
TODAY = datetime.now(UTC).date()
ADOPTED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def _text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", response.data.decode())).split())


def _rules(*changes):
    return parse_body("data_use_rule", data_use_json(*changes), CONTEXT)


def _deal(name: str, start: date, end: date):
    return parse_body("deal_approval", deal_json(counterparty={"name": name, "identifier": f"https://{name[:4].lower()}.example",
                                                               "contact": "", "category": "commercial"},
                                                 start_date=start.isoformat(), end_date=end.isoformat()), CONTEXT)


@pytest.fixture
def policy(app, db_session):
    """Three data-use versions (add two rules; change one; remove one), two payout versions, three deals."""
    steward = make_member(db_session, "keeper@example.org", roles=("member", "steward"), commit=False)
    for slug, title in TITLES.items():
        add_dataset(db_session, actor=steward, slug=slug, title=title, now=ADOPTED - timedelta(days=1))
    research = rule_json()
    enact_rule_changes(db_session, actor=None, body=_rules({"op": "add", "rule": research},
                                                           {"op": "add", "rule": prohibition_json()}),
                       proposal_id=11, election_id=4, election_record_hash=ELECTION_HASH, now=ADOPTED)
    enact_rule_changes(db_session, actor=None, body=_rules({"op": "change", "rule": rule_json(
        constraints={**research["constraints"], "min_cohort_size": 100})}), proposal_id=12,
        now=ADOPTED + timedelta(days=5))
    enact_rule_changes(db_session, actor=None, body=_rules({"op": "remove", "rule_id": "no-genai-training"}),
                       proposal_id=13, now=ADOPTED + timedelta(days=9))
    for n, label in ((21, "Equal split"), (22, "Hybrid")):
        formula = parse_body("payout_policy", payout_json(formula_json(label=label, minimum_per_member=f"{n}.00")),
                             CONTEXT).alternatives[0]
        enact_payout_formula(db_session, actor=None, formula=formula, proposal_id=n, now=ADOPTED + timedelta(days=n))
    deals = {
        "active": enact_deal(db_session, actor=None, deal=_deal("Active Analytics", TODAY - timedelta(days=10),
                                                                TODAY + timedelta(days=100)),
                             proposal_id=31, election_id=9, election_record_hash=ELECTION_HASH, now=ADOPTED),
        "expired": enact_deal(db_session, actor=None, deal=_deal("Bygone Bureau", TODAY - timedelta(days=60),
                                                                 TODAY - timedelta(days=1)),
                              proposal_id=32, now=ADOPTED),
        "upcoming": enact_deal(db_session, actor=None, deal=_deal("Coming Collective", TODAY + timedelta(days=5),
                                                                  TODAY + timedelta(days=50)), proposal_id=33,
                               now=ADOPTED),
    }
    db_session.commit()
    return {name: agreement.id for name, agreement in deals.items()}


# ---------------------------------------------------------------- pages, for anyone


def test_policy_page_explains_each_rule_in_force_and_where_it_came_from(client, policy):
    response = client.get("/policy")
    assert response.status_code == 200
    assert "Accept" in response.headers["Vary"]
    page = _text(response)
    assert ("Permit aggregating or analysing Ride logs, by universities and research institutes, for academic "
            "research.") in page
    assert "Only for cohorts of at least 100 members." in page
    assert "no-genai-training" not in page.split("History")[0]  # removed by version 3
    # The research rule has its present terms since version 2 (proposal 12), not version 3.
    assert "In these terms since version 2" in page
    assert 'href="/proposals/12"' in response.data.decode()
    assert "Version 3 of the data-use policy" in page
    assert 'href="/policy/data-use.jsonld"' in response.data.decode()
    assert 'href="/policy/data-use/v3.jsonld"' in response.data.decode()
    assert "signed by the cooperative's key" in page
    assert 'href="/policy/check"' in response.data.decode()


def test_the_adopting_election_is_shown_when_recorded(client, policy):
    page = _text(client.get("/policy/versions"))
    assert ELECTION_HASH[:16] in page
    deal = _text(client.get(f"/deals/{policy['active']}"))
    assert f"election #9, whose public record has the hash {ELECTION_HASH}" in deal
    assert "without an election record" in _text(client.get(f"/deals/{policy['expired']}"))


def test_empty_policy_pages_say_how_rules_are_adopted(client, app):
    for path in ("/policy", "/policy/payout", "/deals", "/policy/versions"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "No data-use rules have been adopted yet" in _text(client.get("/policy"))
    assert "No deal has been approved yet" in _text(client.get("/deals"))


def test_versions_page_lists_both_lines_with_hashes_and_links(client, policy, db_session):
    response = client.get("/policy/versions")
    html = response.data.decode()
    for number in (1, 2, 3):
        assert f'id="data_use-v{number}"' in html
        assert f'href="/policy/data-use/v{number}.jsonld"' in html
    assert 'href="/policy/payout/v2.jsonld"' in html
    assert html.count("signed</span> by the cooperative") == 5


def test_payout_page_says_the_formula_in_force_and_its_history(client, policy):
    page = _text(client.get("/policy/payout"))
    assert "“Hybrid”: set aside 10% for the reserve and 5% for operating costs, then split 40% of the rest " \
           "equally among members" in page
    assert "Each member receives at least 22.00 per payout" in page
    assert "Option 1" not in page
    assert "Version 1, “Equal split”" in page


def test_deals_list_derives_each_status_from_today(client, policy):
    response = client.get("/deals")
    html = response.data.decode()
    for name, status in (("active", "Active"), ("expired", "Expired"), ("upcoming", "Upcoming")):
        row = html.split(f'id="deal-{policy[name]}"')[1].split("</tr>")[0]
        assert f">{status}</span>" in row
    assert 'href="/proposals/31"' in html


def test_deal_page_shows_terms_provenance_and_the_json_ld_link(client, policy, db_session):
    response = client.get(f"/deals/{policy['active']}")
    page = _text(response)
    agreement = reload(db_session, Agreement, policy["active"])
    assert "Deal with Active Analytics (https://acti.example), a commercial company." in page
    assert "Price: EUR 12,000.00 in total, paid in quarterly instalments." in page
    assert agreement.terms_hash in page
    assert agreement.record_hash in page
    assert f'href="/deals/{agreement.id}/agreement.jsonld"' in response.data.decode()
    assert "Suspend the agreement" not in page  # anonymous readers get no form
    assert client.get("/deals/9999").status_code == 404


@pytest.mark.parametrize(("path", "document"), [
    ("/policy", "/policy/data-use.jsonld"),
    ("/policy/payout", "/policy/payout.jsonld"),
    ("/deals/1", "/deals/1/agreement.jsonld"),
])
def test_json_ld_clients_are_sent_to_the_document(client, policy, path, document):
    for accept in ("application/ld+json", "application/ld+json, text/html;q=0.8"):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 303, accept
        assert response.headers["Location"].endswith(document)
        assert "Accept" in response.headers["Vary"]
    for accept in ("text/html", "*/*", "text/html, application/ld+json;q=0.5",
                   "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"):
        assert client.get(path, headers={"Accept": accept}).status_code == 200, accept


# ---------------------------------------------------------------- compare


def test_compare_lists_added_changed_and_removed_rules_in_plain_words(client, policy):
    page = _text(client.get("/policy/compare?line=data_use&from=1&to=3"))
    assert "0 rules added, 1 changed, 1 removed." in page
    assert "Changed: rule research-only" in page
    assert "Minimum cohort size 50 100" in page
    assert "Removed: rule no-genai-training" in page
    assert "Prohibit training generative AI models on Ride logs, for any purpose." in page
    backwards = _text(client.get("/policy/compare?line=data-use&from=3&to=1"))
    assert "1 rule added, 1 changed, 0 removed." in backwards
    payout = _text(client.get("/policy/compare?line=payout&from=1&to=2"))
    assert "Name Equal split Hybrid" in payout
    assert "Minimum per member 21.00 22.00" in payout


@pytest.mark.parametrize(("query", "status", "message"), [
    ("", 400, "Say which policy to compare"),
    ("?line=bylaws&from=1&to=2", 400, "Say which policy to compare"),
    ("?line=data_use&to=2", 400, "Say which version to compare from"),
    ("?line=data_use&from=one&to=2", 400, "“from” must be a version number (a whole number from 1), not “one”."),
    ("?line=data_use&from=1&to=-2", 400, "“to” must be a version number"),
    ("?line=data_use&from=0&to=2", 400, "“from” must be a version number"),
    ("?line=data_use&from=%C2%B2&to=2", 400, "“from” must be a version number"),
    ("?line=data_use&from=2&to=2", 400, "Choose two different versions"),
    ("?line=data_use&from=1&to=7", 404, "The data-use policy has no version 7: it has versions 1 to 3."),
    ("?line=payout&from=1&to=99999999999999999999", 404, "The payout policy has no version 99999999999999999999"),
])
def test_compare_with_bad_parameters_says_what_is_wrong(client, policy, query, status, message):
    response = client.get(f"/policy/compare{query}")
    assert response.status_code == status
    assert message in _text(response)


# ---------------------------------------------------------------- suspending a deal


def test_a_steward_suspends_a_deal_through_the_form(make_logged_in_client, policy, db_session):
    steward_client, steward = make_logged_in_client("member", "steward")
    page = steward_client.get(f"/deals/{policy['active']}")
    assert "Suspend the agreement" in page.data.decode()
    response = steward_client.post(f"/deals/{policy['active']}/suspend",
                                   data={"reason": "Data found on a public server",
                                         "csrf_token": csrf_token(page.data)})
    assert response.status_code == 303
    agreement = reload(db_session, Agreement, policy["active"])
    assert agreement.suspended_at is not None
    assert agreement.suspension_reason == "Data found on a public server"
    [entry] = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "policy.agreement_suspended"))
    assert (entry.actor_id, entry.details["reason"]) == (steward.id, "Data found on a public server")
    after = _text(steward_client.get(f"/deals/{policy['active']}"))
    assert "Suspended" in after
    assert "Reason: Data found on a public server" in after
    assert "Suspend the agreement" not in after
    # Submitting the (stale) form again: already suspended, a conflict, nothing written.
    again = steward_client.post(f"/deals/{policy['active']}/suspend",
                                data={"reason": "again", "csrf_token": csrf_token(page.data)})
    assert again.status_code == 409
    assert "is already suspended" in _text(again)
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "policy.agreement_suspended") == 1


def test_suspending_needs_a_reason_and_refuses_expired_deals(make_logged_in_client, policy, db_session):
    steward_client, _ = make_logged_in_client("member", "steward")
    page = steward_client.get(f"/deals/{policy['upcoming']}")
    blank = steward_client.post(f"/deals/{policy['upcoming']}/suspend",
                                data={"reason": "  ", "csrf_token": csrf_token(page.data)})
    assert blank.status_code == 400
    assert 'class="field-error" id="reason-error">Give a reason for the suspension.' in blank.data.decode()
    expired_page = steward_client.get(f"/deals/{policy['expired']}")
    assert "Suspend the agreement" not in expired_page.data.decode()
    expired = steward_client.post(f"/deals/{policy['expired']}/suspend",
                                  data={"reason": "too late", "csrf_token": csrf_token(page.data)})
    assert expired.status_code == 409
    assert "The agreement with Bygone Bureau is already expired." in _text(expired)
    assert reload(db_session, Agreement, policy["upcoming"]).suspended_at is None
    assert count_rows(db_session, AuditEntry, AuditEntry.action == "policy.agreement_suspended") == 0


def test_suspending_without_a_csrf_token_is_refused(make_logged_in_client, policy, db_session):
    steward_client, _ = make_logged_in_client("member", "steward")
    response = steward_client.post(f"/deals/{policy['active']}/suspend", data={"reason": "No token"})
    assert response.status_code == 400
    assert reload(db_session, Agreement, policy["active"]).suspended_at is None


def test_members_and_visitors_may_not_suspend(make_logged_in_client, client, policy, db_session):
    member_client, _ = make_logged_in_client("member")
    page = member_client.get(f"/deals/{policy['active']}")
    assert "Suspend the agreement" not in page.data.decode()
    token = csrf_token(member_client.get("/").data)  # the sign-out form's token: a valid one for this session
    refused = member_client.post(f"/deals/{policy['active']}/suspend", data={"reason": "I object", "csrf_token": token})
    assert refused.status_code == 403
    anonymous = client.post(f"/deals/{policy['active']}/suspend", data={"reason": "I object"})
    assert anonymous.status_code in (302, 400)  # sent to sign in (or refused for the missing token)
    assert reload(db_session, Agreement, policy["active"]).suspended_at is None


def test_the_navigation_links_to_policy_and_deals(client, app):
    html = client.get("/").data.decode()
    assert '<a href="/policy">Policy</a>' in html
    assert '<a href="/deals">Deals</a>' in html


# ---------------------------------------------------------------- the pure diff


def _rule(**overrides) -> Rule:
    return from_json(Rule, rule_json(**overrides))


def test_diff_rules_matches_rules_by_id_and_names_the_changed_fields():
    old = [_rule(), from_json(Rule, prohibition_json())]
    new = [_rule(purposes=[]), from_json(Rule, prohibition_json(id="no-sale", action="sell"))]
    differences = diff_rules(old, new, TITLES)
    assert [(d.rule_id, d.kind) for d in differences] == [("research-only", "changed"), ("no-sale", "added"),
                                                         ("no-genai-training", "removed")]
    [field] = differences[0].fields
    assert (field.label, field.old, field.new) == ("purposes", "academic research", "any purpose")
    assert diff_rules(old, old, TITLES) == ()


def test_diff_formulas_and_rule_origins():
    old = from_json(PayoutFormula, formula_json())
    new = from_json(PayoutFormula, formula_json(reserve_fraction="0.20"))
    [change] = diff_formulas(old, new)
    assert (change.label, change.old, change.new) == ("reserve", "10%", "20%")
    first = {"rules": [rule_json(), prohibition_json()]}
    second = {"rules": [rule_json(description="Clarified."), prohibition_json()]}
    third = {"rules": [rule_json(description="Clarified.")]}
    assert rule_origins([(1, first), (2, second), (3, third)]) == {"research-only": 2}
    assert rule_origins([(1, first), (2, second)]) == {"research-only": 2, "no-genai-training": 1}
