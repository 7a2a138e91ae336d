"""Cursor pagination for long lists: each page names the cursor of the next one (and a Link header).

A cursor is opaque to clients: URL-safe base64 of ``{"after": <key of the last item>}``. Lists are ordered by
a unique key (usually the id), so a page never repeats or skips an item when items are added meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode

from flask import request

from governance.api.problems import ApiProblem


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The key after which the page starts (None: the first page); a problem for a cursor we did not make."""
    if cursor is None or cursor == "":
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
    except (ValueError, binascii.Error, TypeError, KeyError) as exc:
        raise ApiProblem("invalid", "This cursor is not one the API gave; start again without it.",
                         field="cursor") from exc
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise ApiProblem("invalid", "This cursor is not one the API gave; start again without it.", field="cursor")
    return after


def page(items: list[dict[str, Any]], keys: list[int], limit: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The page body and headers for ``items`` (up to ``limit`` + 1 fetched: one more tells there is a next)."""
    more = len(items) > limit
    items, keys = items[:limit], keys[:limit]
    next_cursor = encode_cursor(keys[-1]) if more and keys else None
    headers: dict[str, str] = {}
    if next_cursor is not None:
        args = request.args.to_dict()
        args["cursor"] = next_cursor
        headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return {"items": items, "next_cursor": next_cursor}, headers


def page_schema(item: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": "Pass as ?cursor= for the next page; null on the last."}}}
