"""schemathesis over every documented operation of /api/v1, against the app with the demo cooperative.

Each operation is called with a token holding the scope it documents (public ones with a read token), with
bodies, queries and paths generated from the OpenAPI document; every answer must be free of server errors
and match the document (status, content type, headers, schema). The demo is seeded once per run, on
PostgreSQL when it is configured (the production database), else on SQLite.
"""

from __future__ import annotations

import re
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
from governance.operations.demo import DEMO_PASSWORD, seed_demo
from governance.sitecontext import SiteSettings, utcnow
from proposals.models import Proposal, ProposalState
from tests.conftest import POSTGRES_URL, login, make_test_app, scratch_postgres_database

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
            public = session.execute(select(Proposal.id).where(Proposal.state != ProposalState.DRAFT)
                                     .order_by(Proposal.id)).scalars().first()
            tokens["_ids"] = {"election_id": 1, "proposal_id": public, "agreement_id": 1, "statement_id": 1,
                              "leaf_index": 0, "number": 1, "line": "data-use"}
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


# ---------------------------------------------------------------- every generic documented error happens

MISSING_ID = 2**31 - 1   # a valid id that no row has


def _path(template: str, values: dict[str, object]) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values.get(m.group(1), MISSING_ID)), template)


def _query(operation: dict) -> dict[str, str]:
    """A query that is documented but wrong: the first parameter with a value outside its schema."""
    for param in operation.get("parameters", []):
        if param.get("in") == "query":
            schema = param["schema"]
            bad = "0" if schema.get("type") == "integer" else "not-a-valid-value"
            return {param["name"]: bad}
    return {}


def test_every_generic_error_an_operation_documents_happens(demo_api):
    """For every operation, each status that the document adds to all operations of its kind (401, 403, 429,
    400, 404, 413, 415, 304) is produced by the request that must produce it, as a problem document.
    Operation-specific errors (409, 422, ...) are each tested in their area's API tests."""
    app, tokens = demo_api
    document = app.test_client().get("/api/v1/openapi.json").json
    client = app.test_client()
    browser = app.test_client()
    login(browser, "steward@demo.coop", DEMO_PASSWORD)
    seen: dict[str, set[int]] = {}
    for template, operations in document["paths"].items():
        for method, op in operations.items():
            label = f"{method.upper()} {template}"
            scopes = [s for entry in op["security"] for s in entry.get("bearerAuth", [])]
            scope = scopes[0] if scopes else None
            good = {"Authorization": f"Bearer {tokens[scope or 'read']}"}
            documented = {int(s) for s in op["responses"] if s.isdigit()}
            body_kind = "requestBody" in op
            values = tokens["_ids"]

            def call(headers, *, path_values=values, query=None, data=None, content_type="application/json",
                     method=method, template=template, body_kind=body_kind, who=client):
                kwargs = {"headers": headers, "query_string": query or {}}
                if method != "get":
                    kwargs.update(data=data if data is not None else ("{}" if body_kind else ""),
                                  content_type=content_type)
                return getattr(who, method)(_path(template, path_values), **kwargs)

            got = seen.setdefault(label, set())

            def expect(status, response, why, got=got, label=label):
                assert response.status_code == status, f"{label} ({why}): {response.status_code} {response.data[:300]}"
                if status != 304:
                    assert response.mimetype == "application/problem+json", label
                got.add(status)

            expect(401, call({"Authorization": "Bearer dgp_not-a-token"}), "an unknown token")
            if scope is not None:
                other = "vote" if scope == "read" else "read"
                expect(403, call({"Authorization": f"Bearer {tokens[other]}"}), f"a token without {scope}")
            app.config["API_RATE_LIMIT_REQUESTS"] = 0
            try:
                expect(429, call(good), "the rate limit spent")
            finally:
                app.config["API_RATE_LIMIT_REQUESTS"] = 1_000_000
            if "{" in template.replace("{line}", ""):
                expect(404, call(good, path_values={"line": "data-use"}), "an id that no row has")
            if 304 in documented:
                first = call(good)
                assert first.status_code == 200, f"{label}: {first.status_code}"
                expect(304, call({**good, "If-None-Match": first.headers["ETag"]}), "the ETag it gave")
            if body_kind:
                expect(415, call(good, data="x", content_type="text/plain"), "a body that is not JSON")
                expect(400, call(good, data="{not json"), "malformed JSON")
                expect(413, call(good, data='{"x": "' + "a" * 1_100_000 + '"}'), "a body over 1 MB")
            if _query(op):
                expect(400, call(good, query=_query(op)), "a parameter outside its schema")
            if method != "get" and scope is not None and not body_kind:
                expect(400, call({}, who=browser), "a session without the CSRF header")
            assert got <= documented, f"{label} answered {got - documented}, which it does not document"
    assert len(seen) >= 25
