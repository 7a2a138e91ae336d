"""The JSON-LD routes on a seeded site: public, the right media types and cache headers, 404 with a
JSON message for what does not exist, conditional requests, signatures that verify with the
published key, and versions that never change once enacted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from governance.auth.passwords import password_hasher
from governance.operations.demo import seed_demo
from governance.policy.agreements import agreement_record_hash, enact_deal, list_agreements
from governance.policy.canonical import sha256_hex
from governance.policy.odrl.data_use import CONTEXT_URL
from governance.policy.odrl.jsonld import DATA_DIR, local_document
from governance.policy.services import (
    DATA_USE,
    PAYOUT,
    enact_payout_formula,
    enact_rule_changes,
    list_policy_versions,
    policy_version_message,
    version_hash,
)
from governance.policy.services import agreement_message as agreement_signed_message
from governance.policy.terms.bodies import DataUseRuleBody, DealBody, PayoutFormula
from governance.policy.terms.parsing import from_json
from governance.signing import verify_bls
from governance.sitecontext import SiteSettings
from tests.policy.samples import DPV, deal_json, formula_json, prohibition_json, rule_json
from tests.policy.test_jsonld_validation import (
    dropped_keys,
    dsp_validator,
    expected_poe_deviations,
    our_violations,
    payout_validator,
    poe_deviations_found,
    schema_errors,
)
from tests.proposals.factories import seed_governance
from voting.crypto.errors import CryptoError

BASE = "http://localhost"  # the test app's BASE_URL
ELECTION_HASH = "e" * 64


def enact_rules(session: Session, *changes: dict[str, Any], proposal_id: int, when: datetime) -> int:
    version = enact_rule_changes(session, actor=None, body=from_json(DataUseRuleBody, {"changes": list(changes)}),
                                 proposal_id=proposal_id, election_id=proposal_id + 100,
                                 election_record_hash=ELECTION_HASH, now=when)
    session.commit()
    return version.number


def seed_site(session: Session) -> int:
    """Two data-use versions, one payout version, one agreement; returns the agreement id."""
    seed_governance(session)
    enact_rules(session, {"op": "add", "rule": rule_json()}, proposal_id=1, when=datetime(2026, 11, 1, tzinfo=UTC))
    enact_rules(session, {"op": "add", "rule": prohibition_json()}, proposal_id=2,
                when=datetime(2026, 11, 2, tzinfo=UTC))
    enact_payout_formula(session, actor=None, formula=from_json(PayoutFormula, formula_json()), proposal_id=3,
                         now=datetime(2026, 11, 3, tzinfo=UTC))
    agreement = enact_deal(session, actor=None, deal=from_json(DealBody, deal_json()), proposal_id=4, election_id=7,
                           election_record_hash=ELECTION_HASH, now=datetime(2026, 11, 4, tzinfo=UTC))
    session.commit()
    return agreement.id


@pytest.fixture
def agreement_id(db_session: Session) -> int:
    return seed_site(db_session)


def get_json(client: Any, url: str, **headers: str) -> tuple[Any, dict[str, Any]]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/ld+json"
    return response, json.loads(response.data)


def test_current_data_use_policy_is_public_and_names_its_version(client, agreement_id) -> None:
    response, document = get_json(client, "/policy/data-use.jsonld")
    assert document["@id"] == f"{BASE}/policy/data-use/v2"
    assert document["@type"] == "Set"
    assert response.headers["Content-Location"] == "/policy/data-use/v2.jsonld"
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert [rule["@id"] for rule in document["permission"]] == [f"{BASE}/policy/data-use/v2#rule-research-only"]
    assert [rule["@id"] for rule in document["prohibition"]] == [
        f"{BASE}/policy/data-use/v2#rule-no-genai-training"]


def test_versions_carry_provenance_and_a_signature_that_verifies(client, agreement_id) -> None:
    response, first = get_json(client, "/policy/data-use/v1.jsonld")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "replaces" not in first
    _, second = get_json(client, "/policy/data-use/v2.jsonld")
    assert second["replaces"] == first["@id"]
    assert second["previousHash"] == first["documentHash"]
    assert (second["wasDerivedFrom"], second["electionId"], second["electionRecordHash"]) == (
        f"{BASE}/proposals/2", 102, ELECTION_HASH)
    keys = client.get("/.well-known/dataguild-keys.json").get_json()
    for document in (first, second):
        assert document["signingKey"] == keys["bls_public_key"]  # signed by the key the site publishes
        verify_bls(document["signingKey"], policy_version_message(DATA_USE, document["versionNumber"],
                                                                  document["documentHash"]), document["signature"])
    with pytest.raises(CryptoError):  # the signature is bound to its version
        verify_bls(second["signingKey"], policy_version_message(DATA_USE, 1, second["documentHash"]),
                   second["signature"])


def recomputed_version_hash(line: str, document: dict[str, Any]) -> str:
    """The version hash from nothing but the export (the recipe docs/policy.md gives)."""
    proposal = document.get("wasDerivedFrom")
    return version_hash(line=line, number=document["versionNumber"], document=document["hashedDocument"],
                        previous_hash=document.get("previousHash"),
                        proposal_id=int(proposal.rsplit("/", 1)[1]) if proposal else None,
                        election_id=document.get("electionId"),
                        election_record_hash=document.get("electionRecordHash"),
                        adopted_at=datetime.strptime(document["issued"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC))


def test_the_hash_chain_can_be_recomputed_from_the_exports_alone(client, agreement_id) -> None:
    documents = [get_json(client, f"/policy/data-use/v{number}.jsonld")[1] for number in (1, 2)]
    for document in documents:
        assert recomputed_version_hash(DATA_USE, document) == document["documentHash"]
    assert documents[1]["previousHash"] == documents[0]["documentHash"]
    payout = get_json(client, "/policy/payout/v1.jsonld")[1]
    assert recomputed_version_hash(PAYOUT, payout) == payout["documentHash"]
    tampered = {**documents[1], "hashedDocument": {"rules": []}}
    assert recomputed_version_hash(DATA_USE, tampered) != documents[1]["documentHash"]
    agreement = get_json(client, f"/deals/{agreement_id}/agreement.jsonld")[1]
    assert sha256_hex(agreement["terms"]) == agreement["termsHash"]
    assert agreement_record_hash(
        agreement_id=agreement_id, terms_hash=agreement["termsHash"],
        proposal_id=int(agreement["wasDerivedFrom"].rsplit("/", 1)[1]), election_id=agreement["electionId"],
        election_record_hash=agreement["electionRecordHash"],
        approved_at=datetime.strptime(agreement["issued"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
    ) == agreement["recordHash"]


def test_payout_policy_current_and_versioned(client, agreement_id) -> None:
    response, document = get_json(client, "/policy/payout.jsonld")
    assert response.headers["Content-Location"] == "/policy/payout/v1.jsonld"
    assert (document["@id"], document["@type"]) == (f"{BASE}/policy/payout/v1", "PayoutPolicy")
    _, versioned = get_json(client, "/policy/payout/v1.jsonld")
    assert versioned == document
    verify_bls(document["signingKey"], policy_version_message(PAYOUT, 1, document["documentHash"]),
               document["signature"])
    assert dropped_keys(document) == set()
    assert our_violations(document) == []


def test_agreement_document_validates_and_its_signature_verifies(client, agreement_id) -> None:
    response, document = get_json(client, f"/deals/{agreement_id}/agreement.jsonld")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert document["@id"] == f"{BASE}/deals/{agreement_id}/agreement"
    assert (document["assignee"], document["assigner"]) == ("https://example.ai", f"{BASE}/#cooperative")
    assert document["permission"][0]["constraint"][0]["rightOperand"] == [{"@id": DPV + "CommercialResearch"}]
    assert document["signingKey"] == client.get("/.well-known/dataguild-keys.json").get_json()["bls_public_key"]
    verify_bls(document["signingKey"], agreement_signed_message(agreement_id, document["recordHash"]),
               document["signature"])
    assert schema_errors(dsp_validator(), document) == []
    assert dropped_keys(document) == set()
    assert our_violations(document) == []


def test_served_set_validates(client, agreement_id) -> None:
    _, document = get_json(client, "/policy/data-use.jsonld")
    assert dropped_keys(document) == set()
    assert our_violations(document) == []


@pytest.mark.parametrize(("url", "message"), [
    ("/policy/data-use/v3.jsonld", "The data-use policy has no version 3."),
    ("/policy/data-use/v0.jsonld", "The data-use policy has no version 0."),
    ("/policy/data-use/v99999999999.jsonld", "The data-use policy has no version 99999999999."),
    ("/policy/payout/v2.jsonld", "The payout policy has no version 2."),
    ("/deals/999/agreement.jsonld", "There is no agreement 999."),
    ("/deals/99999999999/agreement.jsonld", "There is no agreement 99999999999."),
])
def test_what_does_not_exist_is_a_404_with_a_json_message(client, agreement_id, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": message}}


def test_before_any_adoption_the_current_aliases_say_so(client, db_session) -> None:
    seed_governance(db_session)
    db_session.commit()
    for url, line in (("/policy/data-use.jsonld", "data-use"), ("/policy/payout.jsonld", "payout")):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_json()["error"]["message"] == f"No {line} policy has been adopted yet."


def test_conditional_requests_get_304(client, agreement_id) -> None:
    response = client.get("/policy/data-use/v1.jsonld")
    etag = response.headers["ETag"]
    assert client.get("/policy/data-use/v1.jsonld", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/policy/data-use.jsonld", headers={"If-None-Match": etag}).status_code == 200
    context = client.get("/ns/context.jsonld")
    assert client.get("/ns/context.jsonld", headers={"If-None-Match": context.headers["ETag"]}).status_code == 304


def test_a_version_never_changes_after_later_versions_are_enacted(client, db_session, agreement_id) -> None:
    before = {url: client.get(url) for url in ("/policy/data-use/v1.jsonld", "/policy/data-use/v2.jsonld",
                                               f"/deals/{agreement_id}/agreement.jsonld")}
    enact_rules(db_session, {"op": "remove", "rule_id": "research-only"}, proposal_id=10,
                when=datetime(2026, 12, 1, tzinfo=UTC))
    enact_rules(db_session, {"op": "change", "rule": prohibition_json(description="Changed.")}, proposal_id=11,
                when=datetime(2026, 12, 2, tzinfo=UTC))
    for url, response in before.items():
        again = client.get(url)
        assert again.data == response.data, url
        assert again.headers["ETag"] == response.headers["ETag"]
    _, current = get_json(client, "/policy/data-use.jsonld")
    assert current["versionNumber"] == 4
    assert current["prohibition"][0]["description"] == "Changed."
    assert "permission" not in current


def test_profile_in_turtle_by_default_and_json_ld_on_request(client) -> None:
    turtle = client.get("/ns/odrl-profile")
    assert turtle.status_code == 200
    assert turtle.mimetype == "text/turtle"
    assert turtle.data == (DATA_DIR / "dataguild-profile.ttl").read_bytes()
    assert "Accept" in turtle.headers["Vary"]
    as_json_ld = client.get("/ns/odrl-profile", headers={"Accept": "application/ld+json"})
    assert as_json_ld.mimetype == "application/ld+json"
    assert as_json_ld.data == (DATA_DIR / "dataguild-profile.jsonld").read_bytes()
    browser = client.get("/ns/odrl-profile", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.mimetype == "text/turtle"


def test_context_schema_and_shapes_are_served_as_shipped(client) -> None:
    context = client.get("/ns/context.jsonld")
    assert context.mimetype == "application/ld+json"
    assert json.loads(context.data) == local_document(CONTEXT_URL)
    schema = client.get("/ns/payout-policy.schema.json")
    assert schema.mimetype == "application/schema+json"
    assert schema.get_json()["$id"] == "https://dataguild.org/ns/payout-policy.schema.json"
    shapes = client.get("/ns/shapes.ttl")
    assert shapes.mimetype == "text/turtle"
    assert b"sh:closed true" in shapes.data


def test_head_requests_work_without_a_body(client, agreement_id) -> None:
    response = client.head("/policy/data-use.jsonld")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"]


def test_every_export_of_the_demo_cooperative_passes_every_check(app, client, db_session) -> None:
    """The demo's data-use and payout versions and its agreements (one expired), as served."""
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=SiteSettings.from_config(
        app.config))
    db_session.commit()
    urls = [f"/policy/data-use/v{version.number}.jsonld" for version in list_policy_versions(db_session, DATA_USE)]
    urls += [f"/policy/payout/v{version.number}.jsonld" for version in list_policy_versions(db_session, PAYOUT)]
    agreement_urls = [f"/deals/{row.id}/agreement.jsonld" for row in list_agreements(db_session)]
    db_session.close()  # SQLite: no transaction may stay open across requests
    assert len(urls) >= 3
    assert len(agreement_urls) >= 2
    for url in [*urls, *agreement_urls, "/policy/data-use.jsonld", "/policy/payout.jsonld"]:
        _, document = get_json(client, url)
        assert dropped_keys(document) == set(), url
        assert our_violations(document) == [], url
        if document["@type"] == "PayoutPolicy":
            assert schema_errors(payout_validator(), document) == [], url
        else:
            assert poe_deviations_found(document) == expected_poe_deviations(document), url
        if document["@type"] == "Agreement":
            assert schema_errors(dsp_validator(), document) == [], url
