"""``/api/v1/payouts``: members read their own lines and statements; only stewards see every line."""

from __future__ import annotations

import pytest

from tests.conftest import make_member, make_token
from tests.payouts.helpers import add_agreement, adopt_formula
from tests.payouts.test_payouts_web import _full_statement


@pytest.fixture
def world(db_session, make_logged_in_client):
    steward_client, steward = make_logged_in_client("member", "steward", email="steward@example.org")
    ana = make_member(db_session, "ana@example.org", name="Ana")
    ben = make_member(db_session, "ben@example.org", name="Ben")
    agreement_id = add_agreement(db_session)
    adopt_formula(db_session, minimum_per_member="0.00")
    world = {"ana": ana, "ben": ben, "agreement": agreement_id, "client": steward_client, "steward": steward}
    world["statement"] = _full_statement(world)
    return world


def test_a_member_reads_own_lines_and_statements_but_not_others_lines(client, db_session, world):
    ana = make_token(db_session, world["ana"], "read")
    mine = client.get("/api/v1/payouts/mine", headers={"Authorization": ana})
    assert mine.status_code == 200
    [line] = mine.json["items"]
    assert line["statement_id"] == world["statement"]
    assert line["amount"]["cents"] > 0
    assert line["amount"]["text"].startswith(line["currency"])
    assert "member" not in line
    listing = client.get("/api/v1/payouts/statements", headers={"Authorization": ana}).json
    assert [s["id"] for s in listing["items"]] == [world["statement"]]
    statement = client.get(f"/api/v1/payouts/statements/{world['statement']}", headers={"Authorization": ana}).json
    assert statement["intact"] is True
    assert statement["own_line"]["amount"] == line["amount"]
    assert "lines" not in statement
    assert client.get("/api/v1/payouts/statements/999", headers={"Authorization": ana}).status_code == 404


def test_stewards_see_every_line_only_with_the_steward_scope(client, db_session, world):
    steward = world["steward"]
    url = f"/api/v1/payouts/statements/{world['statement']}"
    full = client.get(url, headers={"Authorization": make_token(db_session, steward, "read", "steward")}).json
    assert sorted(line["member"]["name"] for line in full["lines"]) == ["Ana", "Ben"]
    read_only = client.get(url, headers={"Authorization": make_token(db_session, steward, "read")}).json
    assert "lines" not in read_only
    assert "lines" in world["client"].get(url).json   # a steward's browser session


def test_observers_and_anonymous_callers_get_no_payouts(client, db_session, world):
    observer = make_member(db_session, "obs@example.org", roles=("observer",))
    refused = client.get("/api/v1/payouts/mine", headers={"Authorization": make_token(db_session, observer, "read")})
    assert refused.status_code == 403
    assert "for the members" in refused.json["detail"]
    assert client.get("/api/v1/payouts/statements").status_code == 401
