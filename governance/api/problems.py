"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail"}`` plus, where one input is at fault, ``field``. ``type`` is the
address of the problem's entry on the API reference page (``/api/v1/docs#problem-<code>``), so each kind of
problem is documented where an integrator reads about the operation; ``title`` is the same for every
occurrence of a type, ``detail`` says what happened this time and what to do.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

#: code → (status, title). The reference page lists these.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request could not be understood"),
    "invalid": (400, "The request was refused: an input is not valid"),
    "csrf": (400, "The request lacks the page's CSRF token"),
    "unauthorized": (401, "A valid access token is needed"),
    "forbidden": (403, "Not permitted"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "The request conflicts with the current state"),
    "precondition-failed": (412, "The resource changed"),
    "too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "The request is not JSON"),
    "unprocessable": (422, "The request was understood but cannot be carried out"),
    "rate-limited": (429, "Too many requests"),
    "internal": (500, "Something went wrong on the site"),
    "unavailable": (503, "The service is not available"),
}
BY_STATUS = {status: code for code, (status, _title) in reversed(PROBLEMS.items())}
PROBLEM_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """Raised by API views; rendered by :func:`problem_response`."""

    def __init__(self, code: str, detail: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return PROBLEMS[self.code][0]


def problem_body(code: str, detail: str, *, field: str | None = None) -> dict[str, Any]:
    status, title = PROBLEMS[code]
    body: dict[str, Any] = {"type": f"{request.host_url.rstrip('/')}/api/v1/docs#problem-{code}", "title": title,
                            "status": status, "detail": detail}
    if field:
        body["field"] = field
    return body


def problem_response(problem: ApiProblem) -> tuple[Response, int]:
    response = jsonify(problem_body(problem.code, problem.detail, field=problem.field))
    response.mimetype = PROBLEM_TYPE
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(problem.headers)
    return response, problem.status


def problem_for_status(status: int, detail: str, headers: dict[str, str] | None = None) -> tuple[Response, int]:
    code = BY_STATUS.get(status) or ("internal" if status >= 500 else "bad-request")
    response, _ = problem_response(ApiProblem(code, detail, headers=headers))
    return response, status
