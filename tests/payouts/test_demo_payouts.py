"""The demo cooperative has revenue under an agreement it enacted, uploaded contributions and one
computed payout statement that balances, made with the payout policy in force; the pages show it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.auth.passwords import password_hasher
from governance.operations.demo import DEMO_PASSWORD, demo_email, seed_demo
from governance.payouts.models import ContributionUpload, PayoutLine, PayoutStatement, RevenueEntry
from governance.policy.canonical import sha256_hex
from governance.policy.models import Agreement, PolicyVersion
from governance.policy.services import PAYOUT
from governance.sitecontext import SiteSettings
from tests.conftest import fetch_all, login


def test_demo_has_a_balanced_statement_with_the_policy_in_force(app, db_session):
    assert seed_demo(db_session, hasher=password_hasher({"ENV_NAME": "test"}), site=SiteSettings.from_config(
        app.config))
    db_session.commit()
    [statement] = fetch_all(db_session, select(PayoutStatement))
    policy = fetch_all(db_session, select(PolicyVersion).where(PolicyVersion.line == PAYOUT)
                       .order_by(PolicyVersion.number.desc()))[0]
    assert statement.policy_version_number == policy.number
    assert statement.document["policy"]["formula"] == policy.document["formula"]
    assert statement.revenue_cents == 300_000
    assert statement.reserve_cents + statement.operating_cost_cents + statement.distributed_cents == 300_000
    assert statement.document_hash == sha256_hex(statement.document)
    [entry] = fetch_all(db_session, select(RevenueEntry))
    assert entry.statement_id == statement.id
    agreement_ids = {a.id for a in fetch_all(db_session, select(Agreement))}
    assert entry.agreement_id in agreement_ids
    [upload] = fetch_all(db_session, select(ContributionUpload))
    lines = fetch_all(db_session, select(PayoutLine).where(PayoutLine.statement_id == statement.id))
    assert len(lines) == upload.row_count > 20
    assert len({line.amount_cents for line in lines}) > 1  # the demo policy is not a plain equal split
    actions = fetch_all(db_session, select(AuditEntry.action).where(AuditEntry.action.like("payout.%"))
                        .order_by(AuditEntry.seq))
    assert actions == ["payout.revenue_recorded", "payout.contributions_uploaded", "payout.statement_computed"]

    steward = app.test_client()
    login(steward, demo_email("steward"), DEMO_PASSWORD)
    html = steward.get("/payouts").data.decode()
    assert f"/payouts/statements/{statement.id}" in html
    exported = steward.get(f"/payouts/statements/{statement.id}.csv").data.decode().splitlines()[1:]
    assert sum(Decimal(row.split(",")[6]) for row in exported if row.split(",")[6]) == Decimal("3000.00")

    member = app.test_client()
    login(member, demo_email("member"), DEMO_PASSWORD)
    mine = member.get("/payouts/mine").data.decode()
    assert f"#{statement.id}" in mine
