"""Offline JSON-LD processing: a pyld document loader that knows the W3C ODRL context and the
cooperative's context as local files and refuses every other URL.

JSON-LD processors fetch remote contexts by default; policy exports must be checkable without the
network (and without trusting whatever a URL serves today), so every processing here goes through
:func:`offline_loader`. pyld is imported only inside the functions that need it: the site serves
documents without it; tests and validation use it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from governance.policy.odrl.data_use import CONTEXT_URL, ODRL_CONTEXT_URL

DATA_DIR = Path(__file__).parents[1] / "data"
PROFILE_TURTLE = DATA_DIR / "dataguild-profile.ttl"
SHAPES_TURTLE = DATA_DIR / "dataguild-shapes.ttl"
PAYOUT_SCHEMA = DATA_DIR / "payout-policy.schema.json"

#: Every URL the loader answers, and the file it answers with. The W3C context also under https,
#: because processors may normalise the scheme.
LOCAL_DOCUMENTS: dict[str, Path] = {
    ODRL_CONTEXT_URL: DATA_DIR / "odrl.jsonld",
    "https://www.w3.org/ns/odrl.jsonld": DATA_DIR / "odrl.jsonld",
    CONTEXT_URL: DATA_DIR / "dataguild-context.jsonld",
}


class RemoteDocumentRefused(RuntimeError):
    """A JSON-LD document named a URL that is not one of the local documents."""


@cache
def local_document(url: str) -> dict[str, Any]:
    """The parsed local file for ``url``; :class:`RemoteDocumentRefused` for any other URL."""
    path = LOCAL_DOCUMENTS.get(url)
    if path is None:
        known = ", ".join(sorted(LOCAL_DOCUMENTS))
        raise RemoteDocumentRefused(f"refusing to load {url!r}: JSON-LD processing here is offline and only "
                                    f"knows {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld ``documentLoader``: ``{"contextUrl", "documentUrl", "document"}`` for the known URLs."""
    document = local_document(url)
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(json.dumps(document))}


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    from pyld import jsonld

    return jsonld.expand(document, {"documentLoader": offline_loader})


def compact(document: Any, context: Any) -> dict[str, Any]:
    from pyld import jsonld

    return jsonld.compact(document, context, {"documentLoader": offline_loader})


def to_nquads(document: dict[str, Any]) -> str:
    """The RDF of ``document`` as N-Quads (for rdflib / SHACL)."""
    from pyld import jsonld

    return jsonld.to_rdf(document, {"documentLoader": offline_loader, "format": "application/n-quads"})
