"""schemathesis over every documented operation of /api/v1, against the app with the demo cooperative.

Each operation is called with a token holding the scope it documents (public ones with a read token), with
bodies, queries and paths generated from the OpenAPI document; every answer must be free of server errors
and match the document (status, content type, headers, schema). The demo is seeded once per run, on
PostgreSQL when it is configured (the production database), else on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from governance.api.services import create_token
from governance.auth.passwords import password_hasher
from governance.members.models import Member, Role
from governance.operations.demo import seed_demo
from governance.sitecontext import SiteSettings, utcnow
from tests.conftest import POSTGRES_URL, make_test_app, scratch_postgres_database

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
#: Which demo member holds each scope's token.
HOLDERS = {"read": Role.MEMBER, "vote": Role.MEMBER, "draft": Role.MEMBER, "steward": Role.STEWARD,
           "trustee": Role.TRUSTEE}


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("api-demo")
    with (scratch_postgres_database("sch") if POSTGRES_URL else _sqlite(tmp)) as url:
        app = make_test_app(url, Path(tmp), API_RATE_LIMIT_REQUESTS=1_000_000)
        database = app.extensions["dataguild_db"]
        database.create_all()
        session = database.Session()
        try:
            assert seed_demo(session, hasher=password_hasher({"ENV_NAME": "test"}),
                             site=SiteSettings.from_config(app.config))
            members = list(session.execute(select(Member).order_by(Member.id)).scalars())
            tokens = {}
            for scope, role in HOLDERS.items():
                holder = next(m for m in members if m.has_role(role) and m.status.value == "active")
                tokens[scope] = create_token(session, member=holder, label=f"schemathesis {scope}", scopes=[scope],
                                             lifetime_days=7, now=utcnow())[1]
            session.commit()
        finally:
            session.close()
        yield app, tokens
        database.engine.dispose()


class _sqlite:
    def __init__(self, tmp: Path) -> None:
        self.url = f"sqlite:///{tmp / 'api.sqlite'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def test_every_documented_operation_answers_as_documented(demo_api):
    app, tokens = demo_api
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        security = operation.definition.raw.get("security", [])
        scopes = [s for entry in security for s in entry.get("bearerAuth", [])]
        _checker(operation, {"Authorization": f"Bearer {tokens[scopes[0] if scopes else 'read']}"})()


def _checker(operation, headers: dict[str, str]):
    @given(case=operation.as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def check(case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)
    return check
