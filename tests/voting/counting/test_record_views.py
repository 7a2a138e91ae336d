"""The record downloads (voting/counting/record_views.py), the 'Verify it yourself' panel on the election,
board and result pages, and ``dataguild record export`` (voting/counting/record_cli.py)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from io import BytesIO

from governance.cli import main
from tests.voting.record_scenarios import open_scenario, secret_scenario
from voting.counting import record_export
from voting.record import document as er


def _unzip(data: bytes) -> bytes:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.namelist() == ["record.json"]
        assert archive.getinfo("record.json").compress_type == zipfile.ZIP_DEFLATED
        return archive.read("record.json")


def test_record_json_and_zip_hold_the_same_canonical_record(client, db_session):
    scenario = secret_scenario(db_session)
    eid = scenario.election.id
    response = client.get(f"/elections/{eid}/record.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f"attachment; filename=election-{eid}-record.json"
    data = response.data
    rec = er.record_from_bytes(data)
    assert data == er.record_bytes(rec)  # canonical bytes
    assert rec == record_export.election_record(db_session, scenario.election)
    db_session.rollback()  # SQLite: every transaction holds the write lock (BEGIN IMMEDIATE)
    digest = hashlib.sha256(data).hexdigest()
    assert response.headers["X-Record-SHA256"] == digest
    assert response.headers["ETag"] == f'"{digest}-json"'

    zipped = client.get(f"/elections/{eid}/record.zip")
    assert zipped.status_code == 200
    assert zipped.mimetype == "application/zip"
    assert zipped.headers["Content-Disposition"] == f"attachment; filename=election-{eid}-record.zip"
    assert _unzip(zipped.data) == data
    assert zipped.headers["X-Record-SHA256"] == digest
    assert er.record_from_bytes(zipped.data) == rec

    # Unchanged election: the same bytes again, and a conditional GET is answered 304.
    assert client.get(f"/elections/{eid}/record.json").data == data
    again = client.get(f"/elections/{eid}/record.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_unknown_elections_are_404(client, db_session):
    for path in ("/elections/999/record.json", "/elections/999/record.zip"):
        assert client.get(path).status_code == 404


def test_pages_link_the_record_and_show_the_two_commands(client, db_session):
    scenario = open_scenario(db_session)
    eid = scenario.election.id
    for path in (f"/elections/{eid}", f"/elections/{eid}/board", f"/elections/{eid}/result"):
        html = client.get(path).data.decode()
        assert f'href="/elections/{eid}/record.json"' in html, path
        assert f'href="/elections/{eid}/record.zip"' in html, path
        assert ("python3 -m venv v &amp;&amp; v/bin/pip install py-ecc rfc8785 &amp;&amp; "
                "v/bin/pip install --no-deps &#39;./dataguild&#39;") in html, path
        assert f"v/bin/dataguild-verify election-{eid}-record.json" in html, path


def test_the_cli_writes_the_record(app, db_session, tmp_path):
    scenario = open_scenario(db_session)
    eid = scenario.election.id
    expected = er.record_bytes(record_export.election_record(db_session, scenario.election))
    db_session.rollback()
    runner = app.test_cli_runner()
    out = tmp_path / "r.json"
    result = runner.invoke(main, ["record", "export", str(eid), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected
    assert hashlib.sha256(expected).hexdigest() in result.output
    result = runner.invoke(main, ["record", "export", str(eid), "--out", str(tmp_path / "r.zip"), "--zip"])
    assert result.exit_code == 0, result.output
    assert _unzip((tmp_path / "r.zip").read_bytes()) == expected
    result = runner.invoke(main, ["record", "export", str(eid), "--out", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout_bytes) == json.loads(expected)

    missing = runner.invoke(main, ["record", "export", "999", "--out", str(tmp_path / "no.json")])
    assert missing.exit_code != 0
    assert "There is no election 999" in missing.output
    assert not (tmp_path / "no.json").exists()
    unwritable = runner.invoke(main, ["record", "export", str(eid), "--out", str(tmp_path / "nodir" / "x.json")])
    assert unwritable.exit_code != 0
    assert "Cannot write" in unwritable.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left behind


def test_the_download_follows_the_election_as_it_changes(client, db_session):
    """Built records are cached per state: a new ballot or the close gives a new record at once."""
    from tests.voting.counting_helpers import after_close
    from tests.voting.factories import post_ballot
    from voting.counting import services as counting

    scenario = open_scenario(db_session, decide=False)
    eid = scenario.election.id
    first = er.record_from_bytes(client.get(f"/elections/{eid}/record.json").data)
    assert first["state"] == "open"
    assert len(first["board"]) == 4
    post_ballot(db_session, scenario.election, scenario.setup.voters[0], [[0, 1, 0]],
                now=scenario.setup.now + (after_close(scenario.setup) - scenario.setup.now) / 2)
    db_session.commit()
    second = er.record_from_bytes(client.get(f"/elections/{eid}/record.zip").data)
    assert len(second["board"]) == 5
    counting.close_election(db_session, scenario.election, now=after_close(scenario.setup))
    db_session.commit()
    third = er.record_from_bytes(client.get(f"/elections/{eid}/record.json").data)
    assert third["state"] == "decided"
    assert third["result"]["turnout"] == 4
