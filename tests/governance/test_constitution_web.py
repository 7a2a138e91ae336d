"""The public constitution page, its JSON, and ``dataguild constitution show|seed``, on both databases."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from governance.cli import main
from governance.constitution.services import amend_constitution, list_versions, seed_defaults
from tests.conftest import make_member


def _cli(app: Flask, *args: str):  # -> click.testing.Result
    with app.app_context():
        return app.test_cli_runner().invoke(main, list(args))


def _amend(db: Session, actor: object = None) -> None:
    amend_constitution(db, actor, {"deal_approval": {"quorum_percent": 35, "threshold": "3/5"}},
                       reason="Deals commit everyone's data", proposal_id=12)
    db.commit()


def test_before_seeding_the_page_says_so(client: FlaskClient) -> None:
    response = client.get("/constitution")
    assert response.status_code == 200
    assert "has not adopted its constitution yet" in response.data.decode()
    assert client.get("/constitution.json").status_code == 404


def test_current_rules_in_a_readable_table_for_everyone(client: FlaskClient, db_session: Session) -> None:
    seed_defaults(db_session)
    db_session.commit()
    html = client.get("/constitution").data.decode()
    assert "Version 1, in force since" in html
    assert "<caption>Parameters of constitution version 1, one column per kind of proposal</caption>" in html
    assert '<th scope="col">Bylaw changes</th>' in html
    assert '<th scope="col">Deal suspensions</th>' in html
    assert ('<tr><th scope="row">Quorum</th><td>20% of the electorate</td><td>25% of the electorate</td>'
            '<td>25% of the electorate</td><td>30% of the electorate</td><td>20% of the electorate</td></tr>') in html
    assert ('<tr><th scope="row">Pass threshold</th><td>1/2</td><td>1/2</td><td>1/2</td><td>2/3</td>'
            '<td>2/3</td></tr>') in html
    assert "no minimum discussion before voting opens; voting lasts 2 days" in html
    assert ("<dt>Bylaw changes</dt><dd>Needs 2 co-sponsor(s) and at least 14 days of discussion before voting "
            "opens; voting lasts 10 days by default, by one member, one vote (yes, no or abstain). The vote counts "
            "if at least 30% of the eligible members take part, and the proposal is adopted if yes votes are at "
            "least two thirds of the yes/no votes.") in html
    assert "adopted if yes votes are more than half of the yes/no votes" in html
    assert "by quadratic voting: each member spends 100 voice credits" in html
    assert "abstaining counts as taking part" in html
    assert "Initial version: the founding defaults." in html


def test_history_shows_what_changed(client: FlaskClient, db_session: Session) -> None:
    seed_defaults(db_session)
    steward = make_member(db_session, "grace@example.org", name="Grace Steward", roles=("member", "steward"))
    _amend(db_session, steward)
    html = client.get("/constitution").data.decode()
    assert "Version 2, in force since" in html
    assert "<caption>Changes in version 2 compared with version 1</caption>" in html
    assert ('<tr><td>Deal approvals</td><th scope="row">Quorum</th>\n            '
            '<td><del>25% of the electorate</del></td><td><ins>35% of the electorate</ins></td></tr>') in html
    assert "<td><del>1/2</del></td><td><ins>3/5</ins></td>" in html
    assert "Deals commit everyone&#39;s data — adopted by proposal #12. Recorded by Grace Steward." in html

    old = client.get("/constitution/versions/1").data.decode()
    assert "<h1>Constitution: version 1</h1>" in old
    assert "It has been replaced:" in old
    assert "see the constitution in force</a>" in old
    assert "<td>25% of the electorate</td><td>25% of the electorate</td>" in old
    newest = client.get("/constitution/versions/2").data.decode()
    assert "It is the version in force." in newest
    assert "Deal approvals: quorum 25% of the electorate → 35% of the electorate" in newest
    assert "The first version: the founding defaults." in old
    missing = client.get("/constitution/versions/9")
    assert missing.status_code == 404
    assert "The constitution has no version 9." in missing.data.decode()


def test_json_for_machines(client: FlaskClient, db_session: Session) -> None:
    seed_defaults(db_session)
    _amend(db_session)
    data = client.get("/constitution.json").get_json()
    assert data["current"]["number"] == 2
    deal = next(r for r in data["current"]["rules"] if r["kind"] == "deal_approval")
    assert (deal["threshold_numerator"], deal["threshold_denominator"], deal["quorum_percent"]) == (3, 5, 35)
    assert [v["number"] for v in data["history"]] == [2, 1]
    assert data["history"][0]["changes"][0] == {"kind": "deal_approval", "parameter": "quorum_percent",
                                                 "old": 25, "new": 35}
    assert data["history"][0]["proposal_id"] == 12


def test_nobody_edits_it_through_the_web(steward_client: FlaskClient, admin_client: FlaskClient,
                                         db_session: Session) -> None:
    seed_defaults(db_session)
    db_session.commit()
    for client in (steward_client, admin_client):
        assert client.post("/constitution", data={"quorum_percent": 1}).status_code in (400, 405)
    assert len(list_versions(db_session)) == 1


def test_cli_seed_and_show(app: Flask, db_session: Session) -> None:
    before = _cli(app, "constitution", "show")
    assert before.exit_code == 1
    assert "the constitution has not been adopted yet" in before.output
    seeded = _cli(app, "constitution", "seed")
    assert (seeded.exit_code, seeded.output) == (0, "Adopted the default constitution as version 1.\n")
    again = _cli(app, "constitution", "seed")
    assert again.output == "The constitution already exists (version 1); nothing changed.\n"
    _amend(db_session)
    shown = _cli(app, "constitution", "show")
    assert shown.exit_code == 0
    assert "Constitution version 2, adopted" in shown.output
    assert "Pass threshold           3/5" in shown.output
    assert "Deal approvals: quorum 25% of the electorate → 35% of the electorate" in shown.output
    assert "(proposal #12)" in shown.output
    as_json = json.loads(_cli(app, "constitution", "show", "--version", "1", "--json").output)
    assert as_json["number"] == 1
    assert as_json["rules"][3]["kind"] == "bylaw_change"
    missing = _cli(app, "constitution", "show", "--version", "7")
    assert missing.exit_code == 1
    assert "there is no version 7" in missing.output
