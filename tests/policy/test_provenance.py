"""Provenance of the adopted policy: version hashes cover the election that adopted them, versions and
agreements are signed with the key the site publishes, and verify_policy_chain reports every kind of
tampering (document, election hash, signature, signing key, agreement record)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from governance.audit.models import AuditEntry
from governance.policy.agreements import enact_deal
from governance.policy.integrity import verify_policy_chain
from governance.policy.models import Agreement, PolicyVersion
from governance.policy.services import (
    DATA_USE,
    PAYOUT,
    PolicyError,
    add_dataset,
    agreement_message,
    enact_payout_formula,
    enact_rule_changes,
    policy_version_message,
)
from governance.policy.terms.parsing import parse_body
from governance.signing import generate_site_keys, site_keys, verify_bls
from proposals.lifecycle import VoteResult
from proposals.models import ProposalState
from tests.conftest import make_member
from tests.policy.samples import CONTEXT, TITLES, data_use_json, deal_json, payout_json, prohibition_json
from tests.proposals.factories import example_body, make_proposal, make_world
from voting.crypto.errors import CryptoError

NOW = datetime(2026, 3, 2, 9, 30, 15, 654321, tzinfo=UTC)
ELECTION_HASH = "5e" * 32
OTHER_HASH = "a1" * 32


@pytest.fixture
def steward(db_session):
    steward = make_member(db_session, "steward@example.org", roles=("member", "steward"), commit=False)
    for slug, title in TITLES.items():
        add_dataset(db_session, actor=steward, slug=slug, title=title, now=NOW - timedelta(days=1))
    return steward


def _rules(*changes):
    return parse_body("data_use_rule", data_use_json(*changes), CONTEXT)


def _deal(**overrides):
    return parse_body("deal_approval", deal_json(**overrides), CONTEXT)


def _formula():
    return parse_body("payout_policy", payout_json(), CONTEXT).alternatives[0]


def _served_key(client) -> str:
    """The cooperative's public BLS key, as anyone fetches it."""
    response = client.get("/.well-known/dataguild-keys.json")
    assert response.status_code == 200
    return response.get_json()["bls_public_key"]


def _independent_version_hash(version: PolicyVersion) -> str:
    return hashlib.sha256(rfc8785.dumps({
        "line": version.line, "number": version.number, "document": version.document,
        "previous_hash": version.previous_hash, "proposal_id": version.proposal_id,
        "election_id": version.election_id, "election_record_hash": version.election_record_hash,
        "adopted_at": version.adopted_at.strftime("%Y-%m-%dT%H:%M:%SZ")})).hexdigest()


def _independent_record_hash(agreement: Agreement) -> str:
    return hashlib.sha256(rfc8785.dumps({
        "agreement_id": agreement.id, "terms_hash": agreement.terms_hash, "proposal_id": agreement.proposal_id,
        "election_id": agreement.election_id, "election_record_hash": agreement.election_record_hash,
        "approved_at": agreement.approved_at.strftime("%Y-%m-%dT%H:%M:%SZ")})).hexdigest()


# ---------------------------------------------------------------- hashes and signatures


def test_version_hash_covers_the_election_and_the_signature_verifies_with_the_served_key(db_session, client,
                                                                                        steward):
    first = enact_rule_changes(db_session, actor=steward, body=_rules(), proposal_id=3, election_id=41,
                               election_record_hash=ELECTION_HASH, now=NOW)
    second = enact_payout_formula(db_session, actor=steward, formula=_formula(), proposal_id=4, now=NOW)
    db_session.commit()

    assert (first.election_id, first.election_record_hash) == (41, ELECTION_HASH)
    assert first.document_hash == _independent_version_hash(first)
    # The same version adopted by another election would have another hash.
    assert first.document_hash != hashlib.sha256(rfc8785.dumps({
        "line": "data_use", "number": 1, "document": first.document, "previous_hash": None, "proposal_id": 3,
        "election_id": 41, "election_record_hash": OTHER_HASH,
        "adopted_at": first.adopted_at.strftime("%Y-%m-%dT%H:%M:%SZ")})).hexdigest()
    assert (second.election_id, second.election_record_hash) == (None, None)
    assert second.document_hash == _independent_version_hash(second)

    key = _served_key(client)
    for version in (first, second):
        assert version.signing_key == key
        message = f"dataguild-policy-version-v1:{version.line}:{version.number}:{version.document_hash}".encode()
        assert policy_version_message(version.line, version.number, version.document_hash) == message
        verify_bls(key, message, version.signature)
        with pytest.raises(CryptoError):  # bound to its own number: not valid for another version
            verify_bls(key, policy_version_message(version.line, version.number + 1, version.document_hash),
                       version.signature)
    entry = db_session.execute(select(AuditEntry).where(AuditEntry.subject_id == "data_use/1")).scalar_one()
    assert (entry.details["election_id"], entry.details["election_record_hash"], entry.details["signing_key"]) == \
        (41, ELECTION_HASH, key)
    assert verify_policy_chain(db_session) == []


def test_agreement_record_hash_and_signature(db_session, client, steward):
    agreement = enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=8, election_id=12,
                           election_record_hash=ELECTION_HASH, now=NOW)
    db_session.commit()
    assert agreement.approved_at == NOW.replace(microsecond=0)
    assert agreement.record_hash == _independent_record_hash(agreement)
    key = _served_key(client)
    assert agreement.signing_key == key
    message = f"dataguild-agreement-v1:{agreement.id}:{agreement.record_hash}".encode()
    assert agreement_message(agreement.id, agreement.record_hash) == message
    verify_bls(key, message, agreement.signature)
    entry = db_session.execute(select(AuditEntry).where(AuditEntry.action == "policy.agreement_approved")).scalar_one()
    assert entry.details["record_hash"] == agreement.record_hash
    assert entry.details["election_record_hash"] == ELECTION_HASH
    assert verify_policy_chain(db_session) == []


@pytest.mark.parametrize(("election_id", "record_hash", "message"), [
    (0, None, "positive integer"),
    (True, None, "positive integer"),
    (5, "ABC", "64 lower-case hexadecimal"),
    (5, "5E" * 32, "64 lower-case hexadecimal"),
    (None, ELECTION_HASH, "needs the election"),
])
def test_bad_election_references_are_refused_and_nothing_is_written(db_session, steward, election_id, record_hash,
                                                                    message):
    db_session.commit()
    with pytest.raises(PolicyError, match=message):
        enact_rule_changes(db_session, actor=steward, body=_rules(), proposal_id=1, election_id=election_id,
                           election_record_hash=record_hash, now=NOW)
    with pytest.raises(PolicyError, match=message):
        enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=2, election_id=election_id,
                   election_record_hash=record_hash, now=NOW)
    db_session.rollback()
    assert db_session.execute(select(PolicyVersion)).first() is None
    assert db_session.execute(select(Agreement)).first() is None


def test_enactment_passes_the_election_of_the_outcome(app, db_session):
    world = make_world(db_session)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    adopted = VoteResult(electorate_size=10, turnout=10, yes=10, election_id=77, record_hash=ELECTION_HASH)
    rules = make_proposal(db_session, world.author, "data_use_rule", ProposalState.ADOPTED, now=when,
                          steward=world.steward, body=example_body("data_use_rule", rule_id="no-genai"),
                          result=adopted)
    deal = make_proposal(db_session, world.author, "deal_approval", ProposalState.ADOPTED, now=when,
                         steward=world.steward, result=VoteResult(10, 10, yes=10, election_id=78))
    db_session.commit()
    version = db_session.execute(select(PolicyVersion).where(PolicyVersion.proposal_id == rules.id)).scalar_one()
    assert (version.election_id, version.election_record_hash) == (77, ELECTION_HASH)
    agreement = db_session.execute(select(Agreement).where(Agreement.proposal_id == deal.id)).scalar_one()
    assert (agreement.election_id, agreement.election_record_hash) == (78, None)
    assert verify_policy_chain(db_session) == []


# ---------------------------------------------------------------- tampering


@pytest.fixture
def enacted(db_session, steward):
    enact_rule_changes(db_session, actor=steward, body=_rules(), proposal_id=1, election_id=1,
                       election_record_hash=ELECTION_HASH, now=NOW)
    enact_rule_changes(db_session, actor=steward, body=_rules({"op": "add", "rule": prohibition_json()}),
                       proposal_id=2, now=NOW + timedelta(hours=1))
    agreement = enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=3, election_id=3,
                           election_record_hash=ELECTION_HASH, now=NOW)
    db_session.commit()
    assert verify_policy_chain(db_session) == []
    return agreement


def _tamper(db_session, sql, **params):
    """Raw SQL, as an intruder with database access would (the ORM refuses to change a version)."""
    db_session.execute(text(sql), params)
    db_session.commit()


def test_a_changed_election_hash_is_found(db_session, enacted):
    _tamper(db_session, "UPDATE policy_versions SET election_record_hash = :h WHERE number = 1", h=OTHER_HASH)
    assert verify_policy_chain(db_session) == [
        "data-use policy version 1 was changed after it was enacted (its hash no longer matches its content)"]


def test_a_replaced_signature_is_found(db_session, enacted):
    version = db_session.execute(select(PolicyVersion).where(PolicyVersion.number == 2)).scalar_one()
    # A genuine signature of the cooperative, but over version 1: valid encoding, wrong message.
    first = db_session.execute(select(PolicyVersion).where(PolicyVersion.number == 1)).scalar_one()
    _tamper(db_session, "UPDATE policy_versions SET signature = :s WHERE id = :id", s=first.signature, id=version.id)
    assert verify_policy_chain(db_session) == [
        "data-use policy version 2 has a signature that does not verify (the signed record or the signature changed)"]
    assert verify_policy_chain(db_session, check_signatures=False) == []


def test_a_garbled_or_missing_signature_is_found(db_session, enacted):
    _tamper(db_session, "UPDATE policy_versions SET signature = :s WHERE number = 1", s="00" * 96)
    _tamper(db_session, "UPDATE policy_versions SET signature = NULL WHERE number = 2")
    assert verify_policy_chain(db_session) == [
        "data-use policy version 1 has a signature that does not verify (the signed record or the signature changed)",
        "data-use policy version 2 is not signed"]


def test_a_version_re_signed_with_another_key_is_found(db_session, enacted):
    """An intruder re-signs a forged version with their own key: the key is not the cooperative's."""
    intruder = generate_site_keys()
    version = db_session.execute(select(PolicyVersion).where(PolicyVersion.number == 2)).scalar_one()
    forged = intruder.sign_bls(policy_version_message(DATA_USE, 2, version.document_hash))
    _tamper(db_session, "UPDATE policy_versions SET signature = :s, signing_key = :k WHERE id = :id", s=forged,
            k=intruder.bls_public_hex, id=version.id)
    problems = verify_policy_chain(db_session)
    assert problems[0].startswith("data-use policy version 2 was signed by the key "
                                  f"{intruder.bls_public_hex[:16]}…, not by the cooperative's key")
    assert problems[1:] == ["the policy is signed with 2 different keys; the cooperative has one"]
    # Checked against the published key given explicitly, it fails the same way.
    assert verify_policy_chain(db_session, public_key=site_keys(db_session).bls_public_hex)[0] == problems[0]


def test_an_offline_copy_checks_each_signature_against_the_key_stored_with_it(db_session, enacted):
    """A bare session (no key file: an auditor's copy of the database) still verifies every signature."""
    db_session.rollback()  # on SQLite every transaction holds the write lock; end the fixture's reading one
    offline = Session(bind=db_session.get_bind())
    try:
        assert verify_policy_chain(offline) == []
        offline.rollback()
        intruder = generate_site_keys()
        version = db_session.execute(select(PolicyVersion).where(PolicyVersion.number == 2)).scalar_one()
        forged = intruder.sign_bls(policy_version_message(DATA_USE, 2, version.document_hash))
        _tamper(db_session, "UPDATE policy_versions SET signature = :s, signing_key = :k WHERE id = :id", s=forged,
                k=intruder.bls_public_hex, id=version.id)
        db_session.rollback()
        # The forged signature verifies for its own key, but the policy now has two signing keys.
        assert verify_policy_chain(offline) == ["the policy is signed with 2 different keys; the cooperative has one"]
        offline.rollback()
        _tamper(db_session, "UPDATE policy_versions SET signature = :s WHERE id = :id", s=version.signature,
                id=version.id)
        db_session.rollback()
        assert verify_policy_chain(offline) == [
            "data-use policy version 2 has a signature that does not verify (the signed record or the signature "
            "changed)", "the policy is signed with 2 different keys; the cooperative has one"]
    finally:
        offline.close()


def test_tampered_agreement_provenance_is_found(db_session, enacted):
    name = f"the agreement with Example AI (#{enacted.id})"
    _tamper(db_session, "UPDATE agreements SET election_record_hash = :h WHERE id = :id", h=OTHER_HASH,
            id=enacted.id)
    assert verify_policy_chain(db_session) == [
        f"{name} has a record hash that no longer matches its terms hash and provenance (proposal, election, "
        "approval time)"]


def test_a_rehashed_agreement_disagrees_with_the_log_and_its_signature(db_session, enacted):
    name = f"the agreement with Example AI (#{enacted.id})"
    _tamper(db_session, "UPDATE agreements SET election_record_hash = :h, record_hash = :r WHERE id = :id",
            h=OTHER_HASH, r="0" * 64, id=enacted.id)
    problems = verify_policy_chain(db_session)
    assert f"{name} does not match the record hash the audit log recorded when it was approved" in problems
    assert f"{name} has a signature that does not verify (the signed record or the signature changed)" in problems


def test_an_agreement_signature_for_another_agreement_is_found(db_session, steward, enacted):
    other = enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=9, now=NOW)
    db_session.commit()
    _tamper(db_session, "UPDATE agreements SET signature = :s WHERE id = :id", s=other.signature, id=enacted.id)
    assert verify_policy_chain(db_session) == [
        f"the agreement with Example AI (#{enacted.id}) has a signature that does not verify (the signed record "
        "or the signature changed)"]


def test_payout_line_is_signed_and_checked_too(db_session, steward):
    enact_payout_formula(db_session, actor=steward, formula=_formula(), proposal_id=5, election_id=5,
                         election_record_hash=ELECTION_HASH, now=NOW)
    db_session.commit()
    _tamper(db_session, "UPDATE policy_versions SET election_id = 6 WHERE line = :line", line=PAYOUT)
    assert verify_policy_chain(db_session) == [
        "payout policy version 1 was changed after it was enacted (its hash no longer matches its content)"]

