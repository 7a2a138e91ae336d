"""The result of an election: totals as accessible bar charts with a data table, turnout against the
quorum, the threshold, the proposal's outcome, the certificate — and, before the decision, what is
still missing (the encrypted tally, the trustees' decryptions). Also the steward's "Close and count"
button (POST, CSRF) and the public JSON of the counting (``result.json``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from governance import db
from governance.auth.access import current_member
from governance.constitution.rules import threshold_words
from governance.sitecontext import SiteSettings, as_utc, utcnow
from proposals.access import is_steward
from proposals.models import Proposal, ProposalState
from proposals.outcome import alternatives_of, rules_at_opening
from proposals.transitions import STATE_LABELS
from voting import NotPermitted, VotingError
from voting.counting import chart
from voting.counting import services as counting
from voting.counting.results import option_rows
from voting.crypto.errors import CryptoError
from voting.elections import board
from voting.elections.models import Election, ElectionState
from voting.elections.services import question_specs
from voting.record import canonical as record
from voting.record import tally

bp = Blueprint("results", __name__)


class CloseForm(FlaskForm):
    """The "Close and count" button: only the CSRF token."""


def _session() -> Session:
    return db.session()


def _load(election_id: int) -> tuple[Election, Proposal]:
    election = _session().get(Election, election_id)
    if election is None:
        abort(404, description="There is no such election.")
    proposal = _session().get(Proposal, election.proposal_id)
    assert proposal is not None
    return election, proposal


@bp.app_template_global()
def election_cancelled(election: Election) -> bool:
    """The election's proposal was cancelled during voting (the election closes uncounted)."""
    proposal = db.session().get(Proposal, election.proposal_id)
    return proposal is not None and proposal.state == ProposalState.CANCELLED


@bp.app_template_global()
def election_closable(election: Election) -> bool:
    """Show "Close and count": a steward looks at an open election whose window has ended."""
    return (election.state == ElectionState.OPEN and is_steward(current_member())
            and (as_utc(utcnow()) >= as_utc(election.closes_at) or election_cancelled(election)))


@lru_cache(maxsize=256)
def _certificate_holds(manifest_json: str, document_json: str, certificate_json: str) -> bool:
    # A pairing costs about 0.6 s in pure Python: check each (result, certificate) once per process.
    import json

    try:
        tally.verify_certificate(json.loads(manifest_json), json.loads(document_json), json.loads(certificate_json))
    except (CryptoError, KeyError, TypeError, ValueError):
        return False
    return True


def certificate_verified(election: Election) -> bool | None:
    """True/False once the result has a signature; None while no signature exists yet."""
    certificate = election.result_certificate
    if election.result is None or not certificate or not certificate.get("signature"):
        return None
    return _certificate_holds(record.canonical_bytes(election.manifest).decode(),
                              record.canonical_bytes(election.result).decode(),
                              record.canonical_bytes(certificate).decode())


def _trustee_rows(election: Election) -> list[dict[str, Any]]:
    committee = election.manifest.get("committee") or {}
    records = {r.trustee_index: r for r in counting.share_records(_session(), election)}
    return [{"index": t["index"], "submitted": t["index"] in records,
             "signed": t["index"] in records and records[t["index"]].result_signature is not None}
            for t in committee.get("trustees", [])]


def _context(election: Election, proposal: Proposal) -> dict[str, Any]:
    rules = rules_at_opening(_session(), proposal)
    specs = question_specs(election)
    questions = []
    if election.result is not None:
        for q, rows in enumerate(option_rows(specs, election.result["totals"])):
            questions.append({"index": q, "rows": rows, "chart": chart.bar_chart(rows),
                              "quadratic": specs[q].KIND == "quadratic"})
    outcome = proposal.outcome or {}
    return {
        "election": election, "proposal": proposal, "manifest": election.manifest, "questions": questions,
        "counts": board.board_counts(_session(), election), "head": board.latest_head(_session(), election),
        "quorum_percent": rules.quorum_percent,
        "quorum_needed": math.ceil(rules.quorum_percent * election.roll_size / 100),
        "threshold": threshold_words(rules.threshold), "between_alternatives": alternatives_of(proposal) >= 2,
        "outcome_label": STATE_LABELS.get(outcome.get("state")) if outcome.get("state") else None,
        "outcome": outcome, "trustees": _trustee_rows(election), "k": counting.threshold(election),
        "certificate": election.result_certificate, "verified": certificate_verified(election),
        "record_hash": tally.result_hash(election.result) if election.result else None,
        "close_form": CloseForm(),
    }


@bp.get("/elections/<int:election_id>/result", endpoint="result")
def result_page(election_id: int) -> str:
    election, proposal = _load(election_id)
    return render_template("voting/counting/result.html", **_context(election, proposal))


@bp.get("/elections/<int:election_id>/result.json")
def result_json(election_id: int) -> Response:
    election, proposal = _load(election_id)
    records = counting.share_records(_session(), election)
    return jsonify({
        "election_id": election.id, "fingerprint": election.fingerprint, "state": election.state.value,
        "encrypted_tally": election.encrypted_tally,
        "decryptions": [{"trustee_index": r.trustee_index, "shares": r.shares,
                         "result_signature": r.result_signature} for r in records],
        "result": election.result, "certificate": election.result_certificate,
        "certificate_verified": certificate_verified(election),
        "record_hash": tally.result_hash(election.result) if election.result else None,
        "outcome": (proposal.outcome or {}).get("state"),
    })


@bp.post("/elections/<int:election_id>/close")
def close(election_id: int) -> Response | tuple[str, int]:
    election, proposal = _load(election_id)
    viewer = current_member()
    form = CloseForm()
    if not is_steward(viewer):
        abort(403, description="Only stewards close elections.")
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    session = _session()
    try:
        from flask import current_app

        counting.close_election(session, election, now=utcnow(), actor=viewer,
                                base_url=SiteSettings.from_config(current_app.config).base_url)
    except VotingError as exc:
        session.rollback()
        election, proposal = _load(election_id)
        status = 403 if isinstance(exc, NotPermitted) else getattr(exc, "status", 400)
        return render_template("voting/counting/result.html", error=exc.message, **_context(election, proposal)), status
    state = election.state
    session.commit()
    flash({ElectionState.DECIDED: "The election is closed and counted.",
           ElectionState.CANCELLED: "The election is closed uncounted: its proposal was cancelled."}.get(
              state, "The election is closed; its encrypted tally is posted for the trustees to decrypt."), "success")
    return redirect(url_for("results.result", election_id=election_id))
