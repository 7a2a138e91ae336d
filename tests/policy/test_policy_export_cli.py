"""``dataguild policy export --out DIR``: every version, agreement and vocabulary file, byte for byte
what the site serves; idempotent; refuses a file as DIR."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from governance.cli import main
from governance.policy.odrl.jsonld import DATA_DIR
from tests.policy.samples import prohibition_json
from tests.policy.test_export_views import enact_rules, seed_site
from tests.proposals.factories import seed_governance

VOCABULARY = {"ns/context.jsonld", "ns/odrl-profile.ttl", "ns/odrl-profile.jsonld", "ns/shapes.ttl",
              "ns/payout-policy.schema.json"}


def export(app, out: Path):
    return app.test_cli_runner().invoke(main, ["policy", "export", "--out", str(out)])


def files_under(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_export_writes_every_document_as_the_site_serves_it(app, client, db_session, tmp_path) -> None:
    agreement_id = seed_site(db_session)
    out = tmp_path / "export"
    result = export(app, out)
    assert result.exit_code == 0, result.output
    written = files_under(out)
    assert set(written) == {
        "policy/data-use.jsonld", "policy/data-use/v1.jsonld", "policy/data-use/v2.jsonld",
        "policy/payout.jsonld", "policy/payout/v1.jsonld", f"deals/{agreement_id}/agreement.jsonld", *VOCABULARY}
    for relative, content in written.items():
        if relative.startswith("ns/odrl-profile"):  # one URL, two media types
            accept = "application/ld+json" if relative.endswith(".jsonld") else "text/turtle"
            served = client.get("/ns/odrl-profile", headers={"Accept": accept})
        else:
            served = client.get("/" + relative)
        assert served.status_code == 200, relative
        assert served.data == content, relative
    assert json.loads(written["policy/data-use.jsonld"]) == json.loads(written["policy/data-use/v2.jsonld"])
    assert written["ns/shapes.ttl"] == (DATA_DIR / "dataguild-shapes.ttl").read_bytes()
    assert ("2 data-use versions, 1 payout version, 1 agreement, 5 vocabulary files and 2 current-version aliases"
            in result.output)
    assert f"{len(written)} written, 0 unchanged" in result.output


def test_export_is_idempotent_and_picks_up_new_versions(app, db_session, tmp_path) -> None:
    seed_site(db_session)
    out = tmp_path / "export"
    assert export(app, out).exit_code == 0
    first = files_under(out)
    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()}
    again = export(app, out)
    assert again.exit_code == 0, again.output
    assert f"0 written, {len(first)} unchanged" in again.output
    assert files_under(out) == first
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*") if path.is_file()} == stamps
    enact_rules(db_session, {"op": "change", "rule": prohibition_json(description="Changed.")}, proposal_id=30,
                when=datetime(2026, 12, 5, tzinfo=UTC))
    third = export(app, out)
    assert "2 written" in third.output  # v3 and the current alias; nothing else changed
    now = files_under(out)
    assert {name for name in now if now[name] != first.get(name)} == {"policy/data-use/v3.jsonld",
                                                                      "policy/data-use.jsonld"}
    assert not list(out.rglob(".*"))  # no temporary files left behind


def test_export_before_any_adoption_writes_only_the_vocabulary(app, db_session, tmp_path) -> None:
    seed_governance(db_session)
    db_session.commit()
    result = export(app, tmp_path / "empty")
    assert result.exit_code == 0, result.output
    assert set(files_under(tmp_path / "empty")) == VOCABULARY


@pytest.mark.parametrize("make_file_at", ["out", "out/policy"])
def test_export_refuses_a_file_where_a_directory_must_be(app, db_session, tmp_path, make_file_at: str) -> None:
    seed_site(db_session)
    out = tmp_path / "out"
    blocker = tmp_path / make_file_at
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory")
    result = export(app, out)
    assert result.exit_code != 0
    assert "is a file" in result.output
    assert blocker.read_text() == "not a directory"
