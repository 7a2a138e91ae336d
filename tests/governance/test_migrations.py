"""`upgrade head` on an empty database yields exactly the models' schema, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from governance.db import Base, import_models, make_engine
from governance.operations.migrate import upgrade_database
from tests.conftest import BACKENDS, scratch_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    with scratch_postgres_database("mig") as url:
        yield url


def test_upgrade_head_matches_the_models(empty_database_url: str):
    upgrade_database(empty_database_url)
    import_models()
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {"members", "member_roles", "member_status_changes", "invitations", "login_attempts",
            "outbox_mails", "audit_entries", "audit_head"} <= tables
    assert set(Base.metadata.tables) <= tables


def test_upgrade_is_idempotent(empty_database_url: str):
    upgrade_database(empty_database_url)
    upgrade_database(empty_database_url)  # already at head: nothing to do, no error


def test_trustee_tokens_become_personal_tokens_with_the_trustee_scope(empty_database_url: str):
    upgrade_database(empty_database_url, "0009")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO members (id, name, email, status, created_at, session_version) "
                              "VALUES (1, 'T', 't@example.org', 'active', '2026-12-01 12:00:00', 1)"))
            conn.execute(text("INSERT INTO trustee_tokens (member_id, token_hash, label, created_at, revoked_at) "
                              "VALUES (1, :h, 'laptop', '2026-12-01 12:00:00', NULL)"), {"h": "ab" * 32})
        upgrade_database(empty_database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT member_id, token_hash, label, scopes, expires_at, window_count "
                                     "FROM api_tokens")).all()
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "ab" * 32, "laptop", "trustee", None, 0)]
    assert "trustee_tokens" not in tables
