"""Constitution versions on the real databases: seeding, amending, history, immutability, concurrency."""

from __future__ import annotations

import threading
from fractions import Fraction

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from governance.audit.models import AuditEntry
from governance.audit.services import verify_audit_log
from governance.constitution.models import ConstitutionRule, ConstitutionVersion, ImmutableVersionError
from governance.constitution.rules import DEFAULTS, KINDS, LATER_KINDS, InvalidChanges
from governance.constitution.services import (
    ConstitutionNotSeeded,
    amend_constitution,
    current_constitution,
    get_version,
    list_versions,
    rules_for,
    seed_defaults,
    snapshot_hash,
    verify_versions,
    version_changes,
)


def _count(db: Session, model: type) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_nothing_before_seeding(db_session: Session) -> None:
    with pytest.raises(ConstitutionNotSeeded, match="dataguild constitution seed"):
        current_constitution(db_session)
    with pytest.raises(ConstitutionNotSeeded):
        rules_for(db_session, "bylaw_change")


def test_seeding_is_idempotent_and_logged(db_session: Session) -> None:
    first = seed_defaults(db_session)
    db_session.commit()
    again = seed_defaults(db_session)
    db_session.commit()
    assert first.id == again.id
    assert first.number == 1
    assert _count(db_session, ConstitutionVersion) == 1
    assert _count(db_session, ConstitutionRule) == len(KINDS)
    assert current_constitution(db_session).snapshot() == DEFAULTS
    assert rules_for(db_session, "bylaw_change").threshold == Fraction(2, 3)
    assert rules_for(db_session, "bylaw_change").quorum_percent == 30
    (entry,) = db_session.execute(select(AuditEntry)).scalars()
    assert (entry.action, entry.actor_label, entry.details["version"]) == ("constitution.adopted", "system", 1)
    assert entry.details["snapshot_hash"] == first.snapshot_hash
    assert verify_versions(db_session) == []


def test_rules_for_an_unknown_kind(db_session: Session) -> None:
    seed_defaults(db_session)
    with pytest.raises(ValueError, match="unknown proposal kind 'treaty'"):
        rules_for(db_session, "treaty")


def test_amending_makes_a_new_full_version_and_keeps_the_old_one(db_session: Session) -> None:
    seed_defaults(db_session)
    db_session.commit()
    v2 = amend_constitution(db_session, None, {"deal_approval": {"quorum_percent": 35, "threshold": "3/5"}},
                            reason="  Bylaw proposal adopted  ", proposal_id=12)
    db_session.commit()
    v3 = amend_constitution(db_session, None, {"bylaw_change": {"voting_days": "14"}}, reason="Longer bylaw votes")
    db_session.commit()
    assert [v.number for v in list_versions(db_session)] == [3, 2, 1]
    assert (v2.reason, v2.proposal_id) == ("Bylaw proposal adopted", 12)
    assert rules_for(db_session, "deal_approval").quorum_percent == 35
    assert rules_for(db_session, "deal_approval").threshold == Fraction(3, 5)
    assert rules_for(db_session, "bylaw_change").voting_days == 14
    assert len(v3.rules) == len(KINDS)  # a full snapshot, not a delta
    assert list_versions(db_session)[2].snapshot() == DEFAULTS
    assert [c.summary for c in version_changes(db_session, v3)] == ["Bylaw changes: voting period 10 days → 14 days"]
    assert [(c.parameter, c.new) for c in version_changes(db_session, v2)] == [
        ("quorum_percent", 35), ("threshold", Fraction(3, 5))]
    entries = db_session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    assert [e.action for e in entries] == ["constitution.adopted", "constitution.amended", "constitution.amended"]
    assert entries[1].details["changes"] == [
        {"kind": "deal_approval", "parameter": "quorum_percent", "old": 25, "new": 35},
        {"kind": "deal_approval", "parameter": "threshold", "old": "1/2", "new": "3/5"}]
    assert entries[1].details["proposal_id"] == 12
    assert verify_versions(db_session) == []
    assert verify_audit_log(db_session) == []


@pytest.mark.parametrize(("changes", "reason", "proposal_id", "key", "message"), [
    ({"bylaw_change": {"quorum_percent": 101}}, "r", None, "bylaw_change.quorum_percent", "between 0 and 100"),
    ({"bylaw_change": {"threshold": 0.75}}, "r", None, "bylaw_change.threshold", "not a float"),
    ({"bylaw_change": {"threshold": "1/3"}}, "r", None, "bylaw_change.threshold", "between 1/2"),
    ({"bylaw_change": {"voting_days": 0}}, "r", None, "bylaw_change.voting_days", "between 1 and 60"),
    ({"treaty": {"voting_days": 3}}, "r", None, "treaty", "unknown proposal kind"),
    ({"bylaw_change": {"method": "ranked"}}, "r", None, "bylaw_change.method", "unknown voting method"),
    ({"bylaw_change": {"quorum_percent": 30}}, "r", None, "changes", "changes nothing"),
    ({"bylaw_change": {"quorum_percent": 40}}, "   ", None, "reason", "give a reason"),
    ({"bylaw_change": {"quorum_percent": 40}}, "x" * 2001, None, "reason", "at most 2000"),
    ({"bylaw_change": {"quorum_percent": 40}}, "r", 0, "proposal_id", "positive integer"),
])
def test_bad_amendments_are_refused_and_change_nothing(
        db_session: Session, changes: dict, reason: str, proposal_id: int | None, key: str, message: str) -> None:
    seed_defaults(db_session)
    db_session.commit()
    with pytest.raises(InvalidChanges) as info:
        amend_constitution(db_session, None, changes, reason=reason, proposal_id=proposal_id)
    assert message in info.value.errors[key]
    db_session.rollback()
    assert _count(db_session, ConstitutionVersion) == 1
    assert _count(db_session, AuditEntry) == 1
    assert current_constitution(db_session).snapshot() == DEFAULTS


def test_versions_are_immutable_through_the_orm(db_session: Session) -> None:
    version = seed_defaults(db_session)
    db_session.commit()
    version.reason = "rewritten history"
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()
    rule = current_constitution(db_session).rules[0]
    db_session.delete(rule)
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()


def test_tampering_with_stored_rules_is_reported(app: Flask, db_session: Session) -> None:
    seed_defaults(db_session)
    db_session.commit()
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text("UPDATE constitution_rules SET quorum_percent = 1 WHERE kind = 'bylaw_change'"))
    db_session.expire_all()
    assert verify_versions(db_session) == ["version 1 was changed after adoption (snapshot hash mismatch)"]
    db_session.rollback()  # end the read transaction (on SQLite it holds the write lock)
    html = app.test_client().get("/constitution").data.decode()
    assert "The stored constitution does not match what was adopted." in html
    assert "<li>Version 1 was changed after adoption (snapshot hash mismatch).</li>" in html
    # Rewriting the stored hash too is caught by the hash the audit log recorded at adoption.
    tampered = snapshot_hash(current_constitution(db_session).snapshot())
    db_session.rollback()
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text("UPDATE constitution_versions SET snapshot_hash = :h"), {"h": tampered})
    db_session.expire_all()
    assert verify_versions(db_session) == ["version 1 does not match the snapshot hash in the audit log"]


def test_concurrent_amendments_apply_one_after_the_other(app: Flask) -> None:
    database = app.extensions["dataguild_db"]
    with database.Session() as db:
        seed_defaults(db)
        db.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def amend(days: int) -> None:
        try:
            with database.Session() as db:
                start.wait()
                amend_constitution(db, None, {"data_use_rule": {"voting_days": days}}, reason=f"{days} days")
                db.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=amend, args=(d,)) for d in (9, 11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with database.Session() as db:
        assert [v.number for v in list_versions(db)] == [3, 2, 1]
        v3 = list_versions(db)[0]
        (change,) = version_changes(db, v3)
        assert change.old in (9, 11)
        assert change.new in (9, 11)
        assert change.old != change.new
        assert verify_audit_log(db) == []


#: The snapshot hash of the founding defaults as every database seeded before deal suspensions existed
#: stored it (four kinds). It must never change: the audit log holds it.
FOUNDING_HASH_BEFORE_DEAL_SUSPENSIONS = "ca1fd754f9dc113ec2fe007f3f32f895eb982fc15637b01aa637d94df19880d3"


def _seed_as_before_deal_suspensions(db: Session) -> ConstitutionVersion:
    """Version 1 exactly as seed_defaults stored it before the kind deal_suspension existed."""
    from datetime import UTC, datetime

    from governance.audit.services import record_event

    older = {kind: rules for kind, rules in DEFAULTS.items() if kind not in LATER_KINDS}
    version = ConstitutionVersion(number=1, created_at=datetime.now(UTC), actor_id=None, actor_label="system",
                                  reason="Default constitution adopted at founding", proposal_id=None,
                                  snapshot_hash=snapshot_hash(older),
                                  rules=[ConstitutionRule.from_rules(rules) for rules in older.values()])
    db.add(version)
    db.flush()
    record_event(db, actor=None, action="constitution.adopted", subject_type="constitution", subject_id=1,
                 details={"version": 1, "snapshot_hash": version.snapshot_hash})
    return version


def test_an_older_version_is_read_with_the_defaults_of_later_kinds_and_keeps_its_hash(db_session: Session) -> None:
    _seed_as_before_deal_suspensions(db_session)
    db_session.commit()
    db_session.expire_all()
    old = current_constitution(db_session)
    assert old.snapshot_hash == FOUNDING_HASH_BEFORE_DEAL_SUSPENSIONS
    assert set(old.stored_snapshot()) == set(KINDS) - LATER_KINDS
    assert old.snapshot() == DEFAULTS  # the missing kind filled with its defaults, in kind order
    assert list(old.snapshot()) == list(KINDS)
    assert rules_for(db_session, "deal_suspension") == DEFAULTS["deal_suspension"]
    assert verify_versions(db_session) == []
    # The bylaws tune the emergency procedure like any other kind; the new version holds every kind.
    v2 = amend_constitution(db_session, None, {"deal_suspension": {"voting_days": 3, "quorum_percent": 15}},
                            reason="Bylaw proposal #4 adopted", proposal_id=4)
    db_session.commit()
    assert len(v2.rules) == len(KINDS)
    assert (rules_for(db_session, "deal_suspension").voting_days, rules_for(db_session, "deal_suspension")
            .quorum_percent) == (3, 15)
    assert [c.summary for c in version_changes(db_session, v2)] == [
        "Deal suspensions: quorum 20% of the electorate → 15% of the electorate",
        "Deal suspensions: voting period 2 days → 3 days"]
    assert get_version(db_session, 1).snapshot_hash == FOUNDING_HASH_BEFORE_DEAL_SUSPENSIONS
    assert verify_versions(db_session) == []
    assert verify_audit_log(db_session) == []


def test_a_newer_version_missing_a_later_kind_was_tampered_with(app: Flask, db_session: Session) -> None:
    seed_defaults(db_session)
    db_session.commit()
    assert current_constitution(db_session).snapshot_hash != FOUNDING_HASH_BEFORE_DEAL_SUSPENSIONS
    db_session.rollback()  # end the read transaction (on SQLite it holds the write lock)
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text("DELETE FROM constitution_rules WHERE kind = 'deal_suspension'"))
    db_session.expire_all()
    assert verify_versions(db_session) == ["version 1 was changed after adoption (snapshot hash mismatch)"]


def test_no_discussion_is_stored_for_deal_suspensions(db_session: Session) -> None:
    version = seed_defaults(db_session)
    db_session.commit()
    db_session.expire_all()
    assert current_constitution(db_session).snapshot()["deal_suspension"].min_discussion_days == 0
    assert version.number == 1
