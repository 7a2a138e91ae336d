"""The public audit page, its JSON variant and ``dataguild audit verify``, on both databases."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from governance.audit.services import record_event
from governance.cli import main
from tests.conftest import make_member


def _log(db: Session, n: int) -> None:
    for i in range(1, n + 1):
        record_event(db, actor=None, action="test.event_happened", subject_type="thing", subject_id=i,
                     details={"n": i})
    db.commit()


def _sql(app: Flask, statement: str) -> None:
    with app.extensions["dataguild_db"].engine.begin() as conn:
        conn.execute(text(statement))


def _cli(app: Flask, *args: str):  # -> click.testing.Result
    """Run ``dataguild ARGS`` in an app context of its own, as the console script does."""
    with app.app_context():
        return app.test_cli_runner().invoke(main, list(args))


def _verify(app: Flask) -> tuple[int, str]:
    result = _cli(app, "audit", "verify")
    return result.exit_code, result.output


def _row_seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr id="entry-(\d+)"', html)]


def test_observers_read_the_log_without_signing_in(client: FlaskClient, db_session: Session) -> None:
    steward = make_member(db_session, "ada@example.org", name="Ada Steward", roles=("member", "steward"))
    record_event(db_session, actor=steward, action="member.suspended", subject_type="member", subject_id=7,
                 details={"from": "active", "to": "suspended", "reason": "left the country"})
    db_session.commit()
    response = client.get("/audit")
    assert response.status_code == 200
    html = response.data.decode()
    assert "<h1>Audit log</h1>" in html
    assert re.search(r"Chain intact:</strong> 2 entries,\s+head hash <code", html)
    assert _row_seqs(html) == [2, 1]  # newest first
    assert "<td>Member suspended <br><code class=\"hint\">member.suspended</code></td>" in html
    assert f'Ada Steward <span class="hint">(member #{steward.id})</span>' in html
    assert "<td>member #7</td>" in html
    assert "<dt>reason</dt><dd>left the country</dd>" in html
    assert "Time (UTC)" in html
    assert '<th scope="col">Hash</th>' in html
    assert "ada@example.org" not in html  # personal data stays out of the public log


def test_pagination_newest_first(client: FlaskClient, db_session: Session) -> None:
    _log(db_session, 60)
    first = client.get("/audit").data.decode()
    assert _row_seqs(first) == list(range(60, 10, -1))
    assert 'rel="next"' in first
    assert "Page 1 of 2" in first
    second = client.get("/audit?page=2").data.decode()
    assert _row_seqs(second) == list(range(10, 0, -1))
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert _row_seqs(client.get("/audit?per_page=5&order=asc&page=3").data.decode()) == [11, 12, 13, 14, 15]


@pytest.mark.parametrize(("query", "status", "message"), [
    ("page=abc", 400, "The &#39;page&#39; parameter must be a whole number"),
    ("page=0", 400, "The &#39;page&#39; parameter must be 1 or more"),
    ("per_page=1000", 400, "The &#39;per_page&#39; parameter must be between 1 and 500"),
    ("order=sideways", 400, "The &#39;order&#39; parameter must be &#39;asc&#39; or &#39;desc&#39;"),
    ("page=9", 404, "There is no page 9: the log has 1 page(s) of 50 entries"),
])
def test_bad_queries_get_a_clear_message(client: FlaskClient, db_session: Session, query: str, status: int,
                                         message: str) -> None:
    _log(db_session, 3)
    response = client.get(f"/audit?{query}")
    assert response.status_code == status
    assert message in response.data.decode()
    as_json = client.get(f"/audit.json?{query}")
    assert as_json.status_code == status
    assert as_json.get_json()["error"].startswith(message.replace("&#39;", "'")[:20])


def _recompute(entries: list[dict]) -> str:
    """An independent verifier written from docs/operations-audit.md (no project code)."""
    prev = "0" * 64
    for e in entries:
        assert e["prev_hash"] == prev
        payload = {k: e[k] for k in ("seq", "created_at", "actor_id", "actor_label", "action", "subject_type",
                                     "subject_id", "details")}
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        prev = hashlib.sha256(prev.encode("ascii") + body).hexdigest()
        assert prev == e["entry_hash"]
    return prev


def test_json_has_what_an_observer_needs_to_recompute_the_chain(client: FlaskClient, db_session: Session) -> None:
    make_member(db_session, "zoë@example.org", name="Zoë Ünal")
    _log(db_session, 7)
    entries: list[dict] = []
    url: str | None = "/audit.json?order=asc&per_page=3"
    while url:
        data = client.get(url).get_json()
        entries += data["entries"]
        url = data["next"]
    assert [e["seq"] for e in entries] == list(range(1, 9))
    head = _recompute(entries)
    assert data["chain"] == {"intact": True, "entries": 8, "head_seq": 8, "head_hash": head, "breaks": []}
    assert data["hash"]["algorithm"] == "sha256"
    by_accept = client.get("/audit", headers={"Accept": "application/json"})
    assert by_accept.is_json
    assert "Accept" in by_accept.headers["Vary"]
    assert by_accept.get_json()["entries"][0]["seq"] == 8
    assert by_accept.get_json()["entries"][0]["action_text"] == "Test: event happened"
    assert client.get("/audit", headers={"Accept": "text/html,application/json;q=0.9"}).mimetype == "text/html"


def test_a_broken_chain_is_shown_to_everyone(app: Flask, client: FlaskClient, db_session: Session) -> None:
    _log(db_session, 3)
    _sql(app, "UPDATE audit_entries SET details = '{\"n\": 42}' WHERE seq = 2")
    html = client.get("/audit").data.decode()
    assert "Chain broken" in html
    assert "Entry #2: its content does not match its hash (edited)" in html
    assert '<tr id="entry-2" class="broken">' in html
    chain = client.get("/audit.json").get_json()["chain"]
    assert chain["intact"] is False
    assert chain["breaks"] == [{"seq": 2, "reason": "its content does not match its hash (edited)"}]
    _sql(app, "UPDATE audit_entries SET details = '[1, 2]' WHERE seq = 3")
    html = client.get("/audit").data.decode()
    assert "<dt>(not an object)</dt><dd>1; 2</dd>" in html


def test_cli_verify_passes_on_an_intact_log(app: Flask, db_session: Session) -> None:
    assert _verify(app) == (0, "The audit log is empty; checked that the stored head expects no entries.\n"
                               f"Chain intact: 0 entries, head hash {'0' * 64}\n")
    _log(db_session, 4)
    code, output = _verify(app)
    assert code == 0
    assert "Checked 4 entries: recomputed each SHA-256 hash" in output
    assert re.search(r"Chain intact: 4 entries, head hash [0-9a-f]{64}\n", output)


@pytest.mark.parametrize(("statement", "named"), [
    ("UPDATE audit_entries SET details = '{\"n\": 1000}' WHERE seq = 3", "BROKEN entry #3: its content does not "
                                                                         "match its hash (edited)"),
    ("UPDATE audit_entries SET action = 'member.left' WHERE seq = 2", "BROKEN entry #2: its content"),
    ("DELETE FROM audit_entries WHERE seq = 2", "BROKEN entry #3: entry #2 is missing (deleted)"),
    ("DELETE FROM audit_entries WHERE seq = 4", "BROKEN entry #4: the chain head says the log ends at #4"),
])
def test_cli_verify_fails_naming_the_broken_entries(app: Flask, db_session: Session, statement: str,
                                                    named: str) -> None:
    _log(db_session, 4)
    _sql(app, statement)
    code, output = _verify(app)
    assert code == 1
    assert named in output
    assert "Chain broken at entr" in output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET details = 'not json' WHERE seq = 2",
    "UPDATE audit_entries SET created_at = 'yesterday' WHERE seq = 2",
    "UPDATE audit_entries SET details = 'null' WHERE seq = 2",
])
def test_cli_verify_names_entries_edited_into_garbage_on_sqlite(app: Flask, db_session: Session,
                                                                statement: str) -> None:
    if not app.extensions["dataguild_db"].is_sqlite:
        pytest.skip("PostgreSQL's column types cannot hold such values")
    _log(db_session, 3)
    _sql(app, statement)
    code, output = _verify(app)
    assert code == 1
    assert "BROKEN entry #2: its content does not match its hash (edited)" in output


def test_cli_tail(app: Flask, db_session: Session) -> None:
    _log(db_session, 3)
    result = _cli(app, "audit", "tail", "-n", "2")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["#2", "#3"]
    assert "system: test.event_happened thing#3" in lines[1]
