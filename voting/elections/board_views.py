"""Public pages of an election: the election page, its manifest, roll, bulletin board and tree heads
(HTML and JSON), and checking a receipt (page and JSON API).

Everything here is public and read-only: no login, nothing written, and never a signature made on a
GET (heads are signed by casting and at close, see ``voting.elections.board``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError
from wtforms import TextAreaField

from governance import db
from governance.auth.access import current_member
from governance.sitecontext import utcnow
from proposals.models import Proposal
from voting import VotingError
from voting.elections import board, receipts
from voting.elections import services as elections
from voting.elections.models import Election, ElectionState, EntryKind, Secrecy
from voting.record import canonical as record

bp = Blueprint("board", __name__)

PAGE_SIZE = 100
JSON_PAGE_MAX = 1000
METHOD_NAMES = {elections.ONE_MEMBER_ONE_VOTE: "one member, one vote", elections.QUADRATIC: "quadratic voting"}
SECRECY_NAMES = {Secrecy.SECRET.value: "secret ballot (encrypted; counted by the trustees)",
                 Secrecy.OPEN.value: "open roll call (every vote is public with the voter's alias)"}


@bp.app_template_filter("iso_seconds")
def iso_seconds_filter(value: Any) -> str:
    """Times on election pages as the record writes them (UTC, to the second)."""
    return record.iso_seconds(value) if value is not None else "—"


def optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to a page another part of the site may not provide (the ballot page)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


class ReceiptCheckForm(FlaskForm):
    receipt = TextAreaField("Receipt (JSON)", render_kw={"rows": 10, "spellcheck": "false"})
    receipt_file = FileField("…or the receipt file")


def session() -> Session:
    return db.session()


def load_election(election_id: int) -> Election:
    election = session().get(Election, election_id)
    if election is None:
        abort(404, description="There is no such election.")
    return election


def _json(data: Any, status: int = 200) -> Response:
    response = jsonify(data)
    response.status_code = status
    return response


# ---------------------------------------------------------------- the election page

@bp.get("/elections/<int:election_id>")
def election_page(election_id: int) -> str:
    election = load_election(election_id)
    now = utcnow()
    viewer = current_member()
    roll_entry = elections.roll_entry_of(session(), election, viewer)
    return render_template(
        "voting/elections/election.html", election=election, manifest=election.manifest,
        proposal=session().get(Proposal, election.proposal_id),
        is_open=election.state == ElectionState.OPEN and elections.window_open(election, now),
        method_name=METHOD_NAMES.get(election.method, election.method),
        secrecy_name=SECRECY_NAMES[Secrecy(election.secrecy).value], counts=board.board_counts(session(), election),
        roll_entry=roll_entry, head=board.latest_head(session(), election),
        ballot_url=optional_url("ballots.ballot", election_id=election.id),
        opens_at=record.iso_seconds(election.opens_at), closes_at=record.iso_seconds(election.closes_at))


@bp.get("/elections/<int:election_id>/manifest.json")
def manifest_json(election_id: int) -> Response:
    """The canonical bytes: their SHA-256 is the fingerprint."""
    election = load_election(election_id)
    return Response(record.canonical_bytes(election.manifest), mimetype="application/json")


@bp.get("/elections/<int:election_id>/roll.json")
def roll_json(election_id: int) -> Response:
    election = load_election(election_id)
    aliases = elections.roll_aliases(session(), election)
    return _json({"election_id": election.id, "fingerprint": election.fingerprint, "size": len(aliases),
                  "roll_hash": record.roll_hash(aliases), "aliases": aliases})


# ---------------------------------------------------------------- the board

def describe_choices(manifest: dict[str, Any], payload: dict[str, Any]) -> str:
    """An open ballot in words: the chosen options (quadratic: each option's votes), per question."""
    parts: list[str] = []
    for question, values in zip(manifest["questions"], payload.get("choices") or [], strict=False):
        for option, value in zip(question["options"], values, strict=False):
            if question["kind"] == "quadratic" and value:
                parts.append(f"{option}: {value:+d}")
            elif question["kind"] != "quadratic" and value == 1:
                parts.append(option)
    return "; ".join(parts) or "no votes (blank)"


def _page_number(pages: int) -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), pages)


@bp.get("/elections/<int:election_id>/board", endpoint="board")
def board_page(election_id: int) -> str:
    election = load_election(election_id)
    size = board.board_size(session(), election)
    pages = max((size + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = _page_number(pages)
    rows = board.board_entries(session(), election, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render_template(
        "voting/elections/board.html", election=election, rows=rows, size=size, page=page, pages=pages,
        show_votes=Secrecy(election.secrecy) == Secrecy.OPEN, counts=board.board_counts(session(), election),
        heads=board.tree_heads(session(), election), proposal=session().get(Proposal, election.proposal_id),
        AUDITED=EntryKind.AUDITED, describe_choices=describe_choices)


@bp.get("/elections/<int:election_id>/board.json")
def board_json(election_id: int) -> Response:
    """Every entry with what is needed to recompute its leaf hash; ``offset``/``limit`` page large boards."""
    election = load_election(election_id)
    size = board.board_size(session(), election)
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    limit = min(max(request.args.get("limit", JSON_PAGE_MAX, type=int) or JSON_PAGE_MAX, 1), JSON_PAGE_MAX)
    rows = board.board_entries(session(), election, offset=offset, limit=limit)
    following = offset + len(rows)
    return _json({
        "election_id": election.id, "fingerprint": election.fingerprint, "size": size, "offset": offset,
        "entries": [board.entry_json(election, entry, alias) for entry, alias in rows],
        "next": (url_for(".board_json", election_id=election.id, offset=following, limit=limit, _external=True)
                 if following < size else None),
    })


@bp.get("/elections/<int:election_id>/heads.json")
def heads_json(election_id: int) -> Response:
    """The signed tree heads, oldest first, each with the consistency proof from the one before it."""
    election = load_election(election_id)
    heads = board.tree_heads(session(), election)
    log = board.merkle_log(session(), election)
    listed = []
    for i, head in enumerate(heads):
        previous = heads[i - 1].size if i else 0
        listed.append({**board.head_json(election, head),
                       "consistency_from_previous": [h.hex() for h in log.consistency_proof(previous, head.size)]})
    return _json({"election_id": election.id, "fingerprint": election.fingerprint,
                  "board_public_key": election.manifest["board_public_key"], "heads": listed})


# ---------------------------------------------------------------- checking a receipt

def _receipt_text(form: ReceiptCheckForm) -> str | bytes:
    upload = form.receipt_file.data
    if upload is not None and getattr(upload, "filename", ""):
        return upload.read(receipts.MAX_RECEIPT_BYTES + 1)
    return form.receipt.data or ""


@bp.route("/receipts/check", methods=["GET", "POST"])
def check_receipt() -> tuple[str, int]:
    form = ReceiptCheckForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200  # a POST that fails validation lacks its CSRF token
        error = "The form expired; paste the receipt again." if request.method == "POST" else None
        return render_template("voting/elections/check_receipt.html", form=form, result=None, error=error), status
    try:
        receipt = receipts.parse_receipt(_receipt_text(form))
    except receipts.ReceiptUnreadable as exc:
        form.receipt.errors = [exc.message]
        return render_template("voting/elections/check_receipt.html", form=form, result=None, error=exc.message), 400
    try:
        result = receipts.check_receipt(session(), receipt)
    except VotingError as exc:
        return render_template("voting/elections/check_receipt.html", form=form, result=None, error=exc.message), 422
    status = 422 if result.status == receipts.FAIL else 200
    return render_template("voting/elections/check_receipt.html", form=form, result=result, error=None,
                           PASS=receipts.PASS, FAIL=receipts.FAIL), status
