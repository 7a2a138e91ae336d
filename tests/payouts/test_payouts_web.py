"""Payouts through the site: stewards' forms with CSRF (revenue, file upload, statement), errors next
to their fields with nothing written, who may see what, exports that balance, audit without amounts."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from governance.audit.models import AuditEntry
from governance.payouts.models import Contribution, ContributionUpload, PayoutLine, PayoutStatement, RevenueEntry
from governance.policy.canonical import sha256_hex
from tests.conftest import count_rows, fetch_all, login, make_member
from tests.payouts.helpers import add_agreement, adopt_formula, compute, post_form, record, upload

CSV = "email,records_contributed\nana@example.org,30\nben@example.org,10\n"


@pytest.fixture
def steward(make_logged_in_client):
    return make_logged_in_client("member", "steward", email="steward@example.org")


@pytest.fixture
def world(db_session, steward):
    """Two contributing members, a steward, an agreement and a hybrid payout policy in force."""
    ana = make_member(db_session, "ana@example.org", name="Ana")
    ben = make_member(db_session, "ben@example.org", name="Ben")
    agreement_id = add_agreement(db_session)
    adopt_formula(db_session, minimum_per_member="0.00")
    return {"ana": ana, "ben": ben, "agreement": agreement_id, "client": steward[0], "steward": steward[1]}


def _actions(db_session) -> list[tuple[str, dict]]:
    return fetch_all(db_session, select(AuditEntry.action, AuditEntry.details).where(
        AuditEntry.action.like("payout.%")).order_by(AuditEntry.seq))


def _statement(db_session) -> PayoutStatement:
    return fetch_all(db_session, select(PayoutStatement))[0]


def _full_statement(world) -> int:
    client = world["client"]
    assert record(client, world["agreement"], "1000.00", "2025-01-15").status_code == 302
    assert record(client, world["agreement"], "234.57", "2025-02-15").status_code == 302
    assert upload(client, CSV).status_code == 302
    response = compute(client)
    assert response.status_code == 302, response.data.decode()[:3000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


# ---------------------------------------------------------------- access


def test_visitors_are_sent_to_sign_in(client):
    for url in ("/payouts", "/payouts/mine", "/payouts/statements/1"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_steward_page_has_the_three_forms(world):
    html = world["client"].get("/payouts").data.decode()
    assert 'action="/payouts/revenue"' in html
    assert 'action="/payouts/statements"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "#1 Example AI (EUR" in html
    assert "payout policy version 1" in html
    assert '<a href="/payouts">Payouts</a>' in html


def test_observers_may_not_see_payouts(make_logged_in_client, world):
    client, _ = make_logged_in_client("observer")
    assert client.get("/payouts").status_code == 403
    assert client.get("/payouts/mine").status_code == 403
    assert '<a href="/payouts">Payouts</a>' not in client.get("/").data.decode()


def test_members_may_not_act(make_logged_in_client, world, db_session):
    client, _ = make_logged_in_client("member")
    html = client.get("/payouts").data.decode()
    assert "Your payouts" in html
    assert 'action="/payouts/revenue"' not in html
    for url, data in (("/payouts/revenue", {"agreement_id": str(world["agreement"]), "amount": "5",
                                            "received_on": "2025-01-02"}),
                      ("/payouts/statements", {"period_start": "2025-01-01", "period_end": "2025-03-31"})):
        assert post_form(client, url, data).status_code == 403
    assert count_rows(db_session, RevenueEntry) == 0


# ---------------------------------------------------------------- revenue


def test_steward_records_revenue(world, db_session):
    response = record(world["client"], world["agreement"], "1200.50", "2025-01-15", note="Invoice 7")
    assert response.status_code == 302
    entry = fetch_all(db_session, select(RevenueEntry))[0]
    assert (entry.amount_cents, entry.currency, entry.received_on, entry.note) == (120050, "EUR", date(2025, 1, 15),
                                                                                  "Invoice 7")
    assert entry.recorded_by_id == world["steward"].id
    [(action, details)] = _actions(db_session)
    assert action == "payout.revenue_recorded"
    assert details["amount_cents"] == 120050
    html = world["client"].get("/payouts").data.decode()
    assert "The revenue is recorded." in html
    assert "EUR 1200.50" in html


@pytest.mark.parametrize(("agreement", "amount", "received_on", "field_id", "message"), [
    ("", "10", "2025-01-15", "agreement_id", "Choose the agreement"),
    ("999", "10", "2025-01-15", "agreement_id", "Choose the agreement"),
    (None, "", "2025-01-15", "amount", "Give the amount received."),
    (None, "ten", "2025-01-15", "amount", "is not an amount"),
    (None, "1,000", "2025-01-15", "amount", "is not an amount"),
    (None, "-5", "2025-01-15", "amount", "more than zero"),
    (None, "0", "2025-01-15", "amount", "more than zero"),
    (None, "1.005", "2025-01-15", "amount", "at most 2 decimal places"),
    (None, "1e3", "2025-01-15", "amount", "is not an amount"),
    (None, "10", "", "received_on", "YYYY-MM-DD"),
    (None, "10", "2025-02-30", "received_on", "YYYY-MM-DD"),
    (None, "10", "2999-01-01", "received_on", "cannot be in the future"),
])
def test_bad_revenue_is_refused_next_to_its_field(world, db_session, agreement, amount, received_on, field_id,
                                                  message):
    response = record(world["client"], world["agreement"] if agreement is None else agreement, amount, received_on)
    assert response.status_code == 400
    html = response.data.decode()
    assert f'id="{field_id}-error"' in html
    assert message in html.split(f'id="{field_id}-error"')[1].split("</p>")[0]
    assert "Nothing was saved." in html
    assert count_rows(db_session, RevenueEntry) == 0
    assert _actions(db_session) == []


# ---------------------------------------------------------------- contributions


def test_steward_uploads_contributions(world, db_session):
    response = upload(world["client"], CSV)
    assert response.status_code == 302
    [stored] = fetch_all(db_session, select(ContributionUpload))
    assert (stored.row_count, stored.metric, stored.filename) == (2, "records_contributed", "contributions.csv")
    rows = {(c.member_id, c.amount) for c in fetch_all(db_session, select(Contribution))}
    assert rows == {(world["ana"].id, "30"), (world["ben"].id, "10")}
    [(action, details)] = _actions(db_session)
    assert action == "payout.contributions_uploaded"
    assert details["rows"] == 2
    assert "30" not in json.dumps(details).replace(details["content_sha256"], "")  # no member amounts logged


def test_bad_file_writes_nothing_and_says_which_lines(world, db_session):
    text = "email,records_contributed\nana@example.org,30\nnobody@example.org,1\nana@example.org,-2\n"
    response = upload(world["client"], text)
    assert response.status_code == 400
    html = response.data.decode()
    error = html.split('id="file-error"')[1].split("</p>")[0]
    assert "Line 3: &#39;nobody@example.org&#39; is not a member" in error
    assert "Line 4: &#39;ana@example.org&#39; is the same member as on line 2" in error
    assert "Line 4: the amount -2 is negative" in error
    assert count_rows(db_session, ContributionUpload) == 0
    assert count_rows(db_session, Contribution) == 0


def test_upload_without_a_file_or_with_a_bad_period(world, db_session):
    response = post_form(world["client"], "/payouts/contributions",
                         {"period_start": "2025-03-01", "period_end": "2025-01-01", "metric": "records_contributed"},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.data.decode()
    assert "must end on or after its first day" in html
    assert count_rows(db_session, ContributionUpload) == 0
    response = upload(world["client"], b"")
    assert response.status_code == 400
    assert "The file is empty." in response.data.decode()


def test_invited_and_observer_accounts_cannot_be_paid(world, db_session):
    make_member(db_session, "watcher@example.org", roles=("observer",))
    response = upload(world["client"], "email,amount\nwatcher@example.org,1\n")
    assert response.status_code == 400
    assert "has no member role" in response.data.decode()


# ---------------------------------------------------------------- statements


def test_statement_balances_and_is_recorded(world, db_session):
    statement_id = _full_statement(world)
    statement = _statement(db_session)
    assert statement.id == statement_id
    assert statement.revenue_cents == 123457
    assert statement.reserve_cents + statement.operating_cost_cents + statement.distributed_cents == 123457
    assert statement.policy_version_number == 1
    assert statement.document_hash == sha256_hex(statement.document)
    lines = {line.member_id: line for line in fetch_all(db_session, select(PayoutLine))}
    assert set(lines) == {world["ana"].id, world["ben"].id}
    assert lines[world["ana"].id].amount_cents > lines[world["ben"].id].amount_cents
    assert all(e.statement_id == statement_id for e in fetch_all(db_session, select(RevenueEntry)))
    action, details = _actions(db_session)[-1]
    assert action == "payout.statement_computed"
    assert details["members"] == 2
    assert not any(str(line.amount_cents) in json.dumps(details) for line in lines.values())


def test_steward_sees_every_line_and_exports(world, db_session):
    statement_id = _full_statement(world)
    client = world["client"]
    html = client.get(f"/payouts/statements/{statement_id}").data.decode()
    assert "Ana" in html
    assert "Ben" in html
    assert "matches the stored document" in html
    exported = client.get(f"/payouts/statements/{statement_id}.csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode())))
    assert [row["kind"] for row in rows] == ["member", "member", "reserve", "operating_costs"]
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("1234.57")
    assert {row["email"] for row in rows if row["kind"] == "member"} == {"ana@example.org", "ben@example.org"}
    as_json = client.get(f"/payouts/statements/{statement_id}.json")
    body = json.loads(as_json.data)
    assert body["document_hash"] == sha256_hex(body["document"]) == _statement(db_session).document_hash
    totals = body["document"]["totals"]
    assert totals["reserve_cents"] + totals["operating_cost_cents"] + totals["distributed_cents"] == 123457


def test_member_sees_totals_and_only_their_own_line(world, db_session, app):
    statement_id = _full_statement(world)
    member_client = app.test_client()
    login(member_client, "ana@example.org")
    html = member_client.get(f"/payouts/statements/{statement_id}").data.decode()
    lines = {line.member_id: line for line in fetch_all(db_session, select(PayoutLine))}
    own, other = lines[world["ana"].id], lines[world["ben"].id]
    assert "1234.57" in html
    assert f"{own.amount_cents // 100}.{own.amount_cents % 100:02d}" in html
    assert f"{other.amount_cents // 100}.{other.amount_cents % 100:02d}" not in html
    assert "Ben" not in html
    assert member_client.get(f"/payouts/statements/{statement_id}.csv").status_code == 403
    assert member_client.get(f"/payouts/statements/{statement_id}.json").status_code == 403
    mine = member_client.get("/payouts/mine").data.decode()
    assert f"#{statement_id}" in mine
    assert own.explanation.split(";")[0] in mine
    assert member_client.get("/payouts").data.decode().count(f"#{statement_id}") == 1
    assert member_client.get("/payouts/statements/999").status_code == 404


def test_no_payout_policy_is_refused_clearly(db_session, steward):
    client = steward[0]
    agreement_id = add_agreement(db_session)
    assert record(client, agreement_id, "100", "2025-01-15").status_code == 302
    response = compute(client)
    assert response.status_code == 422
    assert "No payout policy has been adopted yet" in response.data.decode()
    assert count_rows(db_session, PayoutStatement) == 0


def test_statements_refused_without_revenue_overlapping_or_without_contributions(world, db_session):
    client = world["client"]
    response = compute(client)
    assert response.status_code == 422
    assert "No revenue was recorded" in response.data.decode()
    assert record(client, world["agreement"], "100", "2025-01-15").status_code == 302
    response = compute(client)
    assert response.status_code == 422
    assert "upload the contributions for 2025-01-01 to 2025-03-31 first" in response.data.decode()
    _ = upload(client, CSV)
    assert compute(client).status_code == 302
    overlapping = compute(client, "2025-03-01", "2025-04-30")
    assert overlapping.status_code == 400
    assert "overlaps a statement" in overlapping.data.decode()
    late = record(client, world["agreement"], "50", "2025-02-01")
    assert late.status_code == 400
    assert "has already been computed" in late.data.decode()
    assert count_rows(db_session, PayoutStatement) == 1
    assert count_rows(db_session, RevenueEntry) == 1


def test_equal_split_without_an_upload_pays_every_active_member(db_session, steward):
    make_member(db_session, "ana@example.org")
    make_member(db_session, "watcher@example.org", roles=("observer",))
    agreement_id = add_agreement(db_session)
    adopt_formula(db_session, method="equal", equal_fraction=None, metric=None, minimum_per_member="0.00",
                  reserve_fraction="0.10", operating_cost_fraction="0.00")
    client = steward[0]
    assert record(client, agreement_id, "100.01", "2025-01-15").status_code == 302
    assert compute(client).status_code == 302
    statement = _statement(db_session)
    amounts = sorted(line.amount_cents for line in fetch_all(db_session, select(PayoutLine)))
    assert amounts == [4500, 4500]  # ana and the steward; the observer is no member
    assert statement.reserve_cents == 1001
    assert statement.document["contributions"]["participants_from"] == "active_members"


def test_statements_are_immutable(world, db_session):
    _full_statement(world)
    from governance.payouts.models import ImmutableStatement

    statement = db_session.get(PayoutStatement, _statement(db_session).id)
    statement.reserve_cents += 1
    with pytest.raises(ImmutableStatement):
        db_session.flush()
    db_session.rollback()


def test_pages_have_unique_element_ids(world):
    statement_id = _full_statement(world)
    for url in ("/payouts", f"/payouts/statements/{statement_id}", "/payouts/mine"):
        ids = Counter(re.findall(r'\sid="([^"]+)"', world["client"].get(url).data.decode()))
        assert [i for i, n in ids.items() if n > 1] == [], url


def test_csv_export_cannot_smuggle_spreadsheet_formulas(db_session, world):
    make_member(db_session, "eve@example.org", name="=HYPERLINK(\"http://evil\")")
    client = world["client"]
    assert record(client, world["agreement"], "10", "2025-01-15").status_code == 302
    assert upload(client, CSV + "eve@example.org,1\n").status_code == 302
    response = compute(client)
    statement_id = int(response.headers["Location"].rsplit("/", 1)[1])
    rows = list(csv.DictReader(io.StringIO(client.get(f"/payouts/statements/{statement_id}.csv").data.decode())))
    [eve] = [row for row in rows if row["email"] == "eve@example.org"]
    assert eve["name"] == "'=HYPERLINK(\"http://evil\")"


def test_members_own_page_shows_no_one_elses_amount(world, db_session, app):
    _full_statement(world)
    lines = {line.member_id: line for line in fetch_all(db_session, select(PayoutLine))}
    other = lines[world["ben"].id]
    member_client = app.test_client()
    login(member_client, "ana@example.org")
    mine = member_client.get("/payouts/mine").data.decode()
    assert f"{other.amount_cents // 100}.{other.amount_cents % 100:02d}" not in mine
    assert "Ben" not in mine


def test_revenue_in_two_currencies_is_not_mixed_in_one_statement(world, db_session):
    client = world["client"]
    dollars = add_agreement(db_session, currency="USD", counterparty={
        "name": "Dollar Lab", "identifier": "https://dollar.example", "contact": "", "category": "academic"})
    assert record(client, world["agreement"], "100", "2025-01-15").status_code == 302
    assert record(client, dollars, "100", "2025-01-16").status_code == 302
    assert {e.currency for e in fetch_all(db_session, select(RevenueEntry))} == {"EUR", "USD"}
    assert upload(client, CSV).status_code == 302
    response = compute(client)
    assert response.status_code == 422
    assert "several currencies (EUR, USD)" in response.data.decode()
    assert count_rows(db_session, PayoutStatement) == 0
    # The way out the message suggests: a period per currency.
    assert upload(client, CSV, end="2025-01-15").status_code == 302
    assert compute(client, "2025-01-01", "2025-01-15").status_code == 302
    assert [s.currency for s in fetch_all(db_session, select(PayoutStatement))] == ["EUR"]
