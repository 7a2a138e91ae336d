"""The election record for download (docs/record-spec.md): public and read-only, like the board.

- ``GET /elections/<id>/record.json``: the canonical record, as an attachment
  ``election-<id>-record.json``; strong ETag = its SHA-256 (``If-None-Match`` gives 304);
- ``GET /elections/<id>/record.zip``: the same bytes as the one deflated member ``record.json``.

The record of a state is deterministic (see ``voting.counting.record_export``), so both downloads, and any two
downloads of an unchanged election, hold identical bytes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from governance import db
from voting.counting import record_export
from voting.counting.models import DecryptionShareRecord
from voting.elections.models import BoardEntry, Election, TreeHead
from voting.record import document as er

bp = Blueprint("record", __name__)

#: How the pages tell observers to install the verifier. The verifier needs only py-ecc and rfc8785
#: (installed with their own dependencies), so this site's package is installed with --no-deps (its
#: web stack is not needed); ``VERIFIER_SOURCE`` (app config) is where observers get this site's
#: source code (a checkout, a wheel or a ``git+https://`` URL).
DEFAULT_VERIFIER_SOURCE = "./dataguild"


def verify_commands(election_id: int, *, zipped: bool = False) -> list[str]:
    """The two commands shown on the election, board and results pages."""
    source = current_app.config.get("VERIFIER_SOURCE") or DEFAULT_VERIFIER_SOURCE
    name = f"election-{election_id}-record.{'zip' if zipped else 'json'}"
    return [f"python3 -m venv v && v/bin/pip install py-ecc rfc8785 && v/bin/pip install --no-deps '{source}'",
            f"v/bin/dataguild-verify {name}"]


@bp.app_context_processor
def _record_helpers() -> dict[str, Any]:
    return {"record_verify_commands": verify_commands,
            "record_verifier_source": lambda: current_app.config.get("VERIFIER_SOURCE") or DEFAULT_VERIFIER_SOURCE}


def _load(election_id: int) -> Election:
    election = db.session().get(Election, election_id)
    if election is None:
        abort(404, description="There is no such election.")
    return election


# ---------------------------------------------------------------- a small cache of built records
# Building the record of a large election costs seconds (every secret ballot is decoded to write its
# points uncompressed), and anyone may ask for it: the last CACHE_SIZE records built by this process
# are kept, keyed by everything that changes when the record changes (a new leaf, head, decryption or
# result signature, or a new state). The record is deterministic, so a cached copy is byte for byte
# the one a rebuild would give.
CACHE_SIZE = 2
_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def _state_key(session: Session, election: Election) -> tuple[Any, ...]:
    board_size = session.execute(select(func.count()).select_from(BoardEntry)
                                 .where(BoardEntry.election_id == election.id)).scalar_one()
    heads = session.execute(select(func.count()).select_from(TreeHead)
                            .where(TreeHead.election_id == election.id)).scalar_one()
    shares, signatures = session.execute(
        select(func.count(), func.count(DecryptionShareRecord.result_signature))
        .where(DecryptionShareRecord.election_id == election.id)).one()
    return (election.id, election.fingerprint, election.state.value, board_size, heads, shares, signatures,
            election.decided_at is not None)


def record_file(session: Session, election: Election, *, zipped: bool) -> tuple[bytes, str]:
    """The bytes of record.json (or record.zip) and the SHA-256 of record.json, built or cached."""
    key = _state_key(session, election)
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
    if entry is None:
        data = er.record_bytes(record_export.election_record(session, election))
        entry = {"json": data, "sha256": hashlib.sha256(data).hexdigest()}
        with _cache_lock:
            _cache[key] = entry
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if zipped and "zip" not in entry:
        entry["zip"] = er.zip_bytes(entry["json"])
    return entry["zip" if zipped else "json"], entry["sha256"]


def _download(election_id: int, *, zipped: bool) -> Response:
    election = _load(election_id)
    data, etag = record_file(db.session(), election, zipped=zipped)
    suffix = "zip" if zipped else "json"
    response = Response(data, mimetype="application/zip" if zipped else "application/json")
    response.set_etag(f"{etag}-{suffix}")
    response.headers["Content-Disposition"] = f"attachment; filename=election-{election.id}-record.{suffix}"
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["X-Record-SHA256"] = etag
    return response.make_conditional(request)


@bp.get("/elections/<int:election_id>/record.json")
def record_json(election_id: int) -> Response:
    return _download(election_id, zipped=False)


@bp.get("/elections/<int:election_id>/record.zip")
def record_zip(election_id: int) -> Response:
    return _download(election_id, zipped=True)
