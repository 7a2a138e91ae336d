"""The policy store through its services: the dataset catalogue, the hash chain of policy versions,
agreements, and the integrity check that finds tampering."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import rfc8785
from sqlalchemy import func, select, text

from governance.audit.models import AuditEntry
from governance.audit.services import verify_audit_log
from governance.policy.agreements import agreement_status, enact_deal, suspend_agreement
from governance.policy.integrity import verify_policy_chain
from governance.policy.models import Agreement, Dataset, PolicyVersion
from governance.policy.services import (
    DATA_USE,
    PAYOUT,
    NotPermitted,
    PolicyError,
    add_dataset,
    current_payout_formula,
    current_policy_version,
    current_rules,
    dataset_slugs,
    dataset_titles,
    enact_payout_formula,
    enact_rule_changes,
    list_datasets,
    retire_dataset,
    update_dataset,
)
from governance.policy.terms.bodies import BodyContext, InvalidBody
from governance.policy.terms.parsing import parse_body
from tests.conftest import make_member

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
ACADEMIC = "https://w3id.org/dpv#AcademicResearch"
SLUGS = frozenset({"ride-logs", "written-works", "earnings"})


@pytest.fixture
def steward(db_session):
    return make_member(db_session, "steward@example.org", roles=("member", "steward"), commit=False)


@pytest.fixture
def catalogue(db_session, steward):
    for slug, title in (("ride-logs", "Ride logs"), ("written-works", "Written works"), ("earnings", "Earnings")):
        add_dataset(db_session, actor=steward, slug=slug, title=title, now=NOW)
    return SLUGS


def _context():
    return BodyContext(datasets=SLUGS, constitution=None)


def _rule(rule_id, *, effect="prohibition", datasets=("written-works",), action="train_generative_model",
          cohort=None, retention=None, duties=()):
    return {"id": rule_id, "effect": effect, "datasets": sorted(datasets), "action": action, "assignee": None,
            "purposes": [ACADEMIC] if effect == "permission" else [],
            "constraints": {"min_cohort_size": cohort, "retention_days": retention, "not_before": None,
                            "not_after": None, "regions": []},
            "duties": list(duties), "description": ""}


def _rules_body(*changes):
    return parse_body("data_use_rule", {"changes": list(changes)}, _context())


def _deal(**overrides):
    body = {"counterparty": {"name": "Open Mobility Lab", "identifier": "https://mobility-lab.example.edu",
                             "contact": "", "category": "academic"},
            "datasets": ["ride-logs"], "permitted": [{"action": "aggregate", "purposes": [ACADEMIC]}],
            "prohibited_actions": ["sell"], "price": "12000.00", "currency": "EUR", "payment_schedule": "once",
            "start_date": "2026-04-01", "end_date": "2027-03-31", "retention_days": 365, "min_cohort_size": 50,
            "reporting_every_days": None, "audit": True, "notes": ""}
    body.update(overrides)
    return parse_body("deal_approval", body, _context())


def _formula(label="Equal split"):
    return parse_body("payout_policy", {"alternatives": [{
        "label": label, "method": "equal", "equal_fraction": None, "metric": None, "reserve_fraction": "0.10",
        "operating_cost_fraction": "0.05", "minimum_per_member": "0.00",
        "rounding": "cent_remainder_to_reserve"}]}, _context()).alternatives[0]


# Service tests read through the test's own session: on SQLite a second session would wait for its
# write lock. "Nothing written" is checked after a rollback, so unflushed leftovers cannot hide.


def fetch_all(db_session, statement):
    return list(db_session.execute(statement).scalars())


def count_rows(db_session, model, *where):
    return db_session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _actions(db_session):
    return fetch_all(db_session, select(AuditEntry.action).order_by(AuditEntry.seq))


# ---------------------------------------------------------------- catalogue


def test_steward_adds_a_dataset_and_it_is_logged(db_session, steward):
    dataset = add_dataset(db_session, actor=steward, slug=" ride-logs ", title=" Ride logs ",
                          description="GPS traces of rides", category="Mobility", now=NOW)
    db_session.commit()
    assert (dataset.slug, dataset.title, dataset.category, dataset.created_by_id) == \
        ("ride-logs", "Ride logs", "Mobility", steward.id)
    assert dataset_slugs(db_session) == frozenset({"ride-logs"})
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "dataset.added"))[0]
    assert (entry.actor_id, entry.subject_id) == (steward.id, "ride-logs")
    assert entry.details == {"slug": "ride-logs", "title": "Ride logs", "category": "Mobility"}


@pytest.mark.parametrize(("slug", "title", "bad_fields"), [
    ("Ride-Logs", "Ride logs", {"slug"}),
    ("ride logs", "Ride logs", {"slug"}),
    ("", "Ride logs", {"slug"}),
    ("-rides", "Ride logs", {"slug"}),
    ("*", "Ride logs", {"slug"}),
    ("a" * 65, "Ride logs", {"slug"}),
    ("ride-logs", "   ", {"title"}),
    ("Bad Slug", "", {"slug", "title"}),
    ("ride-logs", "x" * 201, {"title"}),
])
def test_bad_dataset_input_is_refused_with_every_error_and_nothing_written(db_session, steward, slug, title,
                                                                           bad_fields):
    db_session.commit()
    before = count_rows(db_session, AuditEntry)
    with pytest.raises(PolicyError) as caught:
        add_dataset(db_session, actor=steward, slug=slug, title=title, now=NOW)
    assert set(caught.value.errors) == bad_fields
    db_session.rollback()
    assert count_rows(db_session, Dataset) == 0
    assert count_rows(db_session, AuditEntry) == before


def test_slugs_are_never_reused_even_after_retirement(db_session, steward):
    dataset = add_dataset(db_session, actor=steward, slug="ride-logs", title="Ride logs", now=NOW)
    with pytest.raises(PolicyError) as caught:
        add_dataset(db_session, actor=steward, slug="ride-logs", title="Other", now=NOW)
    assert "already a dataset" in caught.value.errors["slug"]
    retire_dataset(db_session, dataset, actor=steward, now=NOW)
    with pytest.raises(PolicyError) as caught:
        add_dataset(db_session, actor=steward, slug="ride-logs", title="Other", now=NOW)
    assert "retired" in caught.value.errors["slug"]
    db_session.commit()
    assert count_rows(db_session, Dataset) == 1


def test_plain_members_may_not_change_the_catalogue(db_session, steward):
    member = make_member(db_session, "m@example.org", commit=False)
    with pytest.raises(NotPermitted):
        add_dataset(db_session, actor=member, slug="ride-logs", title="Ride logs", now=NOW)
    dataset = add_dataset(db_session, actor=steward, slug="ride-logs", title="Ride logs", now=NOW)
    with pytest.raises(NotPermitted):
        update_dataset(db_session, dataset, actor=member, title="Mine", description="", category="", now=NOW)
    with pytest.raises(NotPermitted):
        retire_dataset(db_session, dataset, actor=member, now=NOW)
    assert dataset.title == "Ride logs"
    assert dataset.retired_at is None


def test_update_changes_the_description_but_never_the_slug(db_session, steward):
    dataset = add_dataset(db_session, actor=steward, slug="ride-logs", title="Ride logs", now=NOW)
    update_dataset(db_session, dataset, actor=steward, title="Ride logs (drivers)", description="Traces",
                   category="", now=NOW)
    db_session.commit()
    assert (dataset.slug, dataset.title, dataset.description) == ("ride-logs", "Ride logs (drivers)", "Traces")
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "dataset.updated"))[0]
    assert entry.details["changed"] == ["description", "title"]
    with pytest.raises(PolicyError, match="Nothing was changed"):
        update_dataset(db_session, dataset, actor=steward, title="Ride logs (drivers)", description="Traces",
                       category="", now=NOW)
    with pytest.raises(PolicyError) as caught:
        update_dataset(db_session, dataset, actor=steward, title="", description="", category="", now=NOW)
    assert set(caught.value.errors) == {"title"}
    assert dataset.title == "Ride logs (drivers)"


def test_retired_datasets_leave_the_choices_but_keep_their_title(db_session, steward, catalogue):
    dataset = list_datasets(db_session)[0]
    assert dataset.slug == "earnings"  # ordered by title
    enact_rule_changes(db_session, actor=steward, body=_rules_body(
        {"op": "add", "rule": _rule("no-sale", datasets=("earnings", "ride-logs"), action="sell")}),
        proposal_id=None, now=NOW)
    retire_dataset(db_session, dataset, actor=steward, reason="Platform stopped sharing statements", now=NOW)
    db_session.commit()
    assert dataset_slugs(db_session) == frozenset({"ride-logs", "written-works"})
    assert dataset_titles(db_session)["earnings"] == "Earnings"
    assert [d.slug for d in list_datasets(db_session)] == ["ride-logs", "written-works"]
    assert len(list_datasets(db_session, include_retired=True)) == 3
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "dataset.retired"))[0]
    assert entry.details == {"slug": "earnings", "reason": "Platform stopped sharing statements",
                             "rules_naming_it": ["no-sale"]}
    with pytest.raises(PolicyError, match="already retired"):
        retire_dataset(db_session, dataset, actor=steward, now=NOW)
    with pytest.raises(PolicyError, match="retired"):
        update_dataset(db_session, dataset, actor=steward, title="New", description="", category="", now=NOW)


# ---------------------------------------------------------------- policy versions


def _independent_hash(version: PolicyVersion) -> str:
    """The documented recipe, computed here without the service's helper."""
    return hashlib.sha256(rfc8785.dumps({
        "line": version.line, "number": version.number, "document": version.document,
        "previous_hash": version.previous_hash, "proposal_id": version.proposal_id,
        "election_id": version.election_id, "election_record_hash": version.election_record_hash,
        "adopted_at": version.adopted_at.strftime("%Y-%m-%dT%H:%M:%SZ")})).hexdigest()


def test_rule_changes_build_a_hash_chain_of_versions(db_session, steward, catalogue):
    assert current_rules(db_session) == ()
    assert current_policy_version(db_session, DATA_USE) is None
    first = enact_rule_changes(db_session, actor=steward, body=_rules_body(
        {"op": "add", "rule": _rule("no-genai-training")},
        {"op": "add", "rule": _rule("research", effect="permission", datasets=("ride-logs",), action="aggregate",
                                    cohort=50, retention=365)}), proposal_id=7, now=NOW)
    second = enact_rule_changes(db_session, actor=None, body=_rules_body(
        {"op": "change", "rule": _rule("research", effect="permission", datasets=("ride-logs",), action="aggregate",
                                       cohort=100, retention=365)},
        {"op": "remove", "rule_id": "no-genai-training"}), proposal_id=9, now=NOW + timedelta(days=3))
    db_session.commit()

    assert (first.number, second.number) == (1, 2)
    assert first.previous_hash is None
    assert second.previous_hash == first.document_hash
    assert first.adopted_at.microsecond == 0  # the hash covers whole seconds
    for version in (first, second):
        assert version.document_hash == _independent_hash(version)
    assert sorted(r["id"] for r in first.document["rules"]) == ["no-genai-training", "research"]
    rules = current_rules(db_session)
    assert [(r.id, r.constraints.min_cohort_size) for r in rules] == [("research", 100)]
    assert current_policy_version(db_session, DATA_USE).id == second.id
    logged = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "policy.version_enacted")
                       .order_by(AuditEntry.seq))
    assert [(e.subject_id, e.details["proposal_id"], e.details["document_hash"]) for e in logged] == \
        [("data_use/1", 7, first.document_hash), ("data_use/2", 9, second.document_hash)]
    assert logged[1].details["changes"] == [{"op": "change", "rule_id": "research"},
                                            {"op": "remove", "rule_id": "no-genai-training"}]
    assert logged[0].actor_id == steward.id
    assert logged[1].actor_id is None
    assert verify_policy_chain(db_session) == []
    assert verify_audit_log(db_session) == []


def test_changes_that_do_not_fit_the_rules_in_force_write_nothing(db_session, steward, catalogue):
    enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "add", "rule": _rule("no-genai-training")}),
                       proposal_id=None, now=NOW)
    db_session.commit()
    before = count_rows(db_session, AuditEntry)
    for change in ({"op": "remove", "rule_id": "unknown-rule"},
                   {"op": "add", "rule": _rule("no-genai-training", datasets=("ride-logs",))}):
        with pytest.raises(InvalidBody):
            enact_rule_changes(db_session, actor=steward, body=_rules_body(change), proposal_id=None, now=NOW)
        db_session.rollback()
    assert count_rows(db_session, PolicyVersion) == 1
    assert count_rows(db_session, AuditEntry) == before


def test_a_proposal_is_enacted_once(db_session, steward, catalogue):
    enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "add", "rule": _rule("a")}),
                       proposal_id=3, now=NOW)
    with pytest.raises(PolicyError, match="already been enacted"):
        enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "add", "rule": _rule("b")}),
                           proposal_id=3, now=NOW)
    enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=4, now=NOW)
    with pytest.raises(PolicyError, match="already been enacted"):
        enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=4, now=NOW)
    with pytest.raises(PolicyError, match="positive integer"):
        enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=0, now=NOW)
    db_session.commit()
    assert count_rows(db_session, PolicyVersion) == 1
    assert count_rows(db_session, Agreement) == 1


def test_payout_formula_has_its_own_line(db_session, steward, catalogue):
    assert current_payout_formula(db_session) is None
    first = enact_payout_formula(db_session, actor=steward, formula=_formula(), proposal_id=11, now=NOW)
    second = enact_payout_formula(db_session, actor=steward, formula=_formula("Equal, bigger reserve"),
                                  proposal_id=12, now=NOW)
    db_session.commit()
    assert (first.line, first.number, second.number) == (PAYOUT, 1, 2)
    assert second.previous_hash == first.document_hash
    assert current_payout_formula(db_session).label == "Equal, bigger reserve"
    assert current_payout_formula(db_session).to_json() == second.document["formula"]
    assert current_policy_version(db_session, DATA_USE) is None
    assert verify_policy_chain(db_session) == []


# ---------------------------------------------------------------- agreements


def test_an_approved_deal_becomes_an_agreement_with_hashed_terms(db_session, steward, catalogue):
    deal = _deal()
    agreement = enact_deal(db_session, actor=steward, deal=deal, proposal_id=5, now=NOW)
    db_session.commit()
    assert (agreement.counterparty_name, agreement.counterparty_identifier) == \
        ("Open Mobility Lab", "https://mobility-lab.example.edu")
    assert (agreement.start_date, agreement.end_date) == (date(2026, 4, 1), date(2027, 3, 31))
    assert agreement.terms == deal.to_json()
    assert agreement.terms_hash == hashlib.sha256(rfc8785.dumps(deal.to_json())).hexdigest()
    entry = fetch_all(db_session, select(AuditEntry).where(AuditEntry.action == "policy.agreement_approved"))[0]
    assert entry.details["terms_hash"] == agreement.terms_hash
    assert entry.details["proposal_id"] == 5


def test_agreement_status_follows_the_dates_and_the_suspension(db_session, steward, catalogue):
    agreement = enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=5, now=NOW)
    assert agreement_status(agreement, date(2026, 3, 31)) == "upcoming"
    assert agreement_status(agreement, date(2026, 4, 1)) == "active"
    assert agreement_status(agreement, date(2027, 3, 31)) == "active"
    assert agreement_status(agreement, date(2027, 4, 1)) == "expired"
    member = make_member(db_session, "m@example.org", commit=False)
    with pytest.raises(NotPermitted):
        suspend_agreement(db_session, agreement, actor=member, reason="I dislike it", now=NOW)
    with pytest.raises(PolicyError) as caught:
        suspend_agreement(db_session, agreement, actor=steward, reason="  ", now=NOW)
    assert set(caught.value.errors) == {"reason"}
    with pytest.raises(PolicyError, match="already expired"):
        suspend_agreement(db_session, agreement, actor=steward, reason="late", now=datetime(2027, 5, 1, tzinfo=UTC))
    assert agreement.suspended_at is None
    suspend_agreement(db_session, agreement, actor=steward, reason="Data found on a public server",
                      now=datetime(2026, 6, 1, tzinfo=UTC))
    db_session.commit()
    assert agreement_status(agreement, date(2026, 6, 2)) == "suspended"
    assert agreement.suspension_reason == "Data found on a public server"
    with pytest.raises(PolicyError, match="already suspended"):
        suspend_agreement(db_session, agreement, actor=steward, reason="again", now=datetime(2026, 6, 3, tzinfo=UTC))
    assert _actions(db_session)[-1] == "policy.agreement_suspended"


# ---------------------------------------------------------------- integrity


@pytest.fixture
def enacted(db_session, steward, catalogue):
    enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "add", "rule": _rule("no-genai-training")}),
                       proposal_id=1, now=NOW)
    enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "add", "rule": _rule("no-sale",
                       datasets=("earnings",), action="sell")}), proposal_id=2, now=NOW + timedelta(hours=1))
    enact_rule_changes(db_session, actor=steward, body=_rules_body({"op": "remove", "rule_id": "no-sale"}),
                       proposal_id=3, now=NOW + timedelta(hours=2))
    agreement = enact_deal(db_session, actor=steward, deal=_deal(), proposal_id=4, now=NOW)
    db_session.commit()
    assert verify_policy_chain(db_session) == []
    return agreement


def _tamper(db_session, sql, **params):
    """Raw SQL, as an intruder with database access would (the ORM refuses to change a version)."""
    if db_session.get_bind().dialect.name == "postgresql":
        sql = sql.replace(":doc", "CAST(:doc AS JSON)").replace(":terms", "CAST(:terms AS JSON)")
    db_session.execute(text(sql), params)
    db_session.commit()


def test_a_changed_document_is_found(db_session, enacted):
    _tamper(db_session, "UPDATE policy_versions SET document = :doc WHERE number = 2 AND line = 'data_use'",
            doc=json.dumps({"rules": []}))
    problems = verify_policy_chain(db_session)
    assert problems == ["data-use policy version 2 was changed after it was enacted (its hash no longer matches "
                        "its content)"]


def test_a_rehashed_version_breaks_the_link_and_disagrees_with_the_audit_log(db_session, enacted):
    _tamper(db_session, "UPDATE policy_versions SET document_hash = :h WHERE number = 2 AND line = 'data_use'",
            h="0" * 64)
    problems = verify_policy_chain(db_session)
    assert any("version 2 was changed" in p for p in problems)
    assert any("version 2 does not match the hash the audit log recorded" in p for p in problems)
    assert any("version 3 does not link to the version before it" in p for p in problems)


def test_a_deleted_version_is_missing(db_session, enacted):
    _tamper(db_session, "DELETE FROM policy_versions WHERE number = 2 AND line = 'data_use'")
    problems = verify_policy_chain(db_session)
    assert "data-use policy version 2 is missing" in problems
    assert any("version 3 does not link" in p for p in problems)


def test_changed_agreement_terms_are_found(db_session, enacted):
    terms = dict(enacted.terms, price="1.00")
    _tamper(db_session, "UPDATE agreements SET terms = :terms WHERE id = :id", terms=json.dumps(terms), id=enacted.id)
    problems = verify_policy_chain(db_session)
    assert problems == [f"the agreement with Open Mobility Lab (#{enacted.id}) was changed after approval "
                        "(its terms no longer match their hash)"]
