"""A small Python client of the site's JSON API (``/api/v1``), on httpx: tokens, problems, pagination.

Used by the command-line tools (``dataguild vote``, ``dataguild trustee ...``) and meant for integrators'
scripts::

    from governance.client import Client

    api = Client("https://coop.example.org", token="dgp_...")
    for proposal in api.paginate("/proposals", state="voting"):
        print(proposal["id"], proposal["title"])
    decision = api.post("/policy/decide", {"party": "https://example.ai", ...})

Paths are relative to ``/api/v1``. A refusal raises :class:`ApiError` with the problem's status, title,
detail and field (RFC 9457; the trustee API's older ``{"error": {...}}`` shape is read too); a site that
cannot be reached raises :class:`Unreachable`. Runs on the caller's computer: it imports no server code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

API_PREFIX = "/api/v1"
TIMEOUT_SECONDS = 60.0
MAX_PAGES = 10_000


class ClientError(Exception):
    """Anything that stopped a call; ``str()`` is a sentence for people."""


class Unreachable(ClientError):
    pass


class ApiError(ClientError):
    """The site answered with an error status (``problem`` is the whole JSON body, if any)."""

    def __init__(self, status: int, title: str, detail: str, field: str | None = None,
                 problem: Mapping[str, Any] | None = None, retry_after: int | None = None) -> None:
        super().__init__(f"The site refused the request (HTTP {status}): {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.problem = dict(problem or {})
        self.retry_after = retry_after


def check_site_url(url: str) -> str:
    """The site's address without a trailing slash; ``ValueError`` for anything but http(s)://host[/path]."""
    parsed = urlsplit(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"The site's address must look like https://coop.example.org (got {url!r}).")
    return url.rstrip("/")


class Client:
    """One site, one token (or none: public operations only)."""

    def __init__(self, site: str, token: str | None = None, *, timeout: float = TIMEOUT_SECONDS,
                 transport: httpx.BaseTransport | None = None, user_agent: str = "dataguild-client") -> None:
        self.site = check_site_url(site)
        headers = {"Accept": "application/json", "User-Agent": user_agent}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.site, headers=headers, timeout=timeout, transport=transport,
                                  follow_redirects=False)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---------------------------------------------------------------- requests

    def request(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        """The raw answer of ``/api/v1`` + ``path`` (a path starting with ``/api/`` is taken as is); raises
        :class:`ApiError` for 4xx/5xx."""
        url = path if path.startswith("/api/") else API_PREFIX + path
        try:
            response = self._http.request(method, url, json=json, params=_params(params), headers=headers)
        except httpx.TimeoutException as exc:
            raise Unreachable(f"The site at {self.site} did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"Cannot reach the site at {self.site}: {exc}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return _json(self.request("GET", path, params=params))

    def post(self, path: str, body: Any = None) -> Any:
        return _json(self.request("POST", path, json={} if body is None else body))

    def put(self, path: str, body: Any) -> Any:
        return _json(self.request("PUT", path, json=body))

    def patch(self, path: str, body: Any) -> Any:
        return _json(self.request("PATCH", path, json=body))

    def paginate(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paginated list, page after page."""
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return
        raise ClientError(f"{path} had more than {MAX_PAGES} pages; stopping.")

    def get_public(self, url: str) -> Any:
        """A public JSON page of the same site (absolute ``url``, e.g. a ``next`` link); refuses other hosts."""
        if urlsplit(url).netloc != urlsplit(self.site).netloc:
            raise ClientError(f"The site linked to another host ({url}); refusing to follow it.")
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise Unreachable(f"Cannot read {url}: {exc}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return _json(response)

    # ---------------------------------------------------------------- a few named calls

    def me(self) -> dict[str, Any]:
        return self.get("/me")

    def decide(self, question: Mapping[str, Any]) -> dict[str, Any]:
        return self.post("/policy/decide", dict(question))

    def check_receipt(self, receipt: Mapping[str, Any]) -> dict[str, Any]:
        """Each check of a receipt; a failed check is an answer (status ``fail``), not an exception."""
        try:
            return self.post("/receipts/check", dict(receipt))
        except ApiError as exc:
            if exc.status == 422 and "checks" in exc.problem:
                return exc.problem
            raise


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else {k: v for k, v in params.items() if v is not None}


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ClientError(f"The site's answer is not JSON ({exc}); is the site's address right?") from exc


def _api_error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    retry = response.headers.get("Retry-After")
    retry_after = int(retry) if retry and retry.isdigit() else None
    if isinstance(body, dict) and "detail" in body:
        return ApiError(response.status_code, str(body.get("title", "")), str(body["detail"]),
                        body.get("field"), body, retry_after)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):     # the trustee API's shape
        error = body["error"]
        return ApiError(response.status_code, str(error.get("title", "")), str(error.get("message", "")),
                        error.get("field"), body, retry_after)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return ApiError(response.status_code, "", body["error"], None, body, retry_after)
    if isinstance(body, dict) and "checks" in body:                       # a receipt check that failed
        return ApiError(response.status_code, "", str(body.get("status", "")), None, body, retry_after)
    return ApiError(response.status_code, response.reason_phrase, response.reason_phrase or "no details",
                    None, None, retry_after)
