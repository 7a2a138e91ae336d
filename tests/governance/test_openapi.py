"""The OpenAPI 3.1 description: valid, generated from every /api/v1 route, and its reference page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from governance.api.access import operation
from governance.api.problems import PROBLEMS
from governance.api.spec import Operation, UndocumentedRoute, openapi_document


def test_the_document_is_valid_openapi_3_1_and_describes_every_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.startswith(("/api/v1/trustee/", "/api/v1/openapi",
                                                                           "/api/v1/docs")):
            path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in described
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": ["read"]}, {"sessionCookie": []}]
    assert {"401", "403", "429"} <= set(me["responses"])
    decide = document["paths"]["/api/v1/policy/decide"]["post"]
    assert {} in decide["security"]                       # public: anonymous callers too
    assert {"400", "413", "415"} <= set(decide["responses"])


def test_a_route_without_a_description_breaks_the_build(app: Flask):
    app.add_url_rule("/api/v1/secret-door", "secret_door", lambda: "")
    with app.app_context(), pytest.raises(UndocumentedRoute, match="secret-door"):
        openapi_document(app, server_url="http://localhost")


def test_what_the_decorator_documents_is_what_it_enforces(app: Flask):
    op = Operation(summary="x", tag="t", scope="steward", responses={200: ("ok", None)})
    app.add_url_rule("/api/v1/steward-only", "steward_only", operation(op)(lambda: ("done", 200)))
    client = app.test_client()
    assert client.get("/api/v1/steward-only").status_code == 401
    with app.app_context():
        document = openapi_document(app, server_url="http://localhost")
    assert document["paths"]["/api/v1/steward-only"]["get"]["security"][0] == {"bearerAuth": ["steward"]}


def test_the_reference_page_lists_operations_scopes_and_problems(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "POST /api/v1/policy/decide" in html
    assert 'href="/api/v1/openapi.json"' in html
    for code in PROBLEMS:
        assert f'id="problem-{code}"' in html
    assert "<code>trustee</code>" in html
