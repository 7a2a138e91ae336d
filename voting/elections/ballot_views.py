"""The ballot pages: the ballot (cast, audit, check a quadratic ballot), the receipt (on screen, as
JSON, by email), the audited ballot, and opening the election from the proposal page.

Views load, authorize, call a service (``voting.elections.casting``, ``voting.elections.panel``) and render;
a refused request is rolled back and the page says why (409 window or stale ballot, 403 not on the
roll or not a steward, 422 a choice that does not fit the question).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from governance import db
from governance.auth.access import current_member, login_required
from governance.mail.services import queue_mail
from governance.members.models import Member
from governance.policy.agreements import agreement_names
from governance.policy.services import dataset_titles
from governance.policy.wording.describe import describe_body
from governance.sitecontext import utcnow
from proposals.access import is_steward
from proposals.errors import NotPermitted as ProposalNotPermitted
from proposals.errors import ProposalError
from proposals.models import Proposal
from proposals.services import can_view
from voting import InvalidChoice, NotOnRoll, NotPermitted, StaleBallot, VotingError, WindowClosed
from voting.elections import board
from voting.elections.casting import (
    PLAIN_CHOICES_REFUSED,
    PlainChoicesRefused,
    audit_ballot,
    cast_ballot,
    check_choices,
    check_proposal_voting,
    check_window,
)
from voting.elections.forms import (
    BallotForm,
    BallotQuestion,
    OpenElectionForm,
    ReceiptMailForm,
    ballot_questions,
    choices_from_form,
    credits_spent,
)
from voting.elections.models import BoardEntry, Election, EntryKind, Secrecy
from voting.elections.panel import NO_COMMITTEE, current_cast, open_election, ready_committee_choices
from voting.elections.services import question_specs, roll_entry_of

bp = Blueprint("ballots", __name__)

TRACKING_CODE = "string(length=64)"


@bp.app_template_global("ballot_optional_url")
def optional_url(endpoint: str, **values: Any) -> str | None:
    """A link to a page another part of the site may or may not provide yet (the board, the result)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def session() -> Session:
    return db.session()


def signed_in() -> Member:
    member = current_member()
    assert member is not None  # login_required
    return member


def status_of(exc: VotingError | ProposalError) -> int:
    if isinstance(exc, NotOnRoll | NotPermitted | ProposalNotPermitted):
        return 403
    if isinstance(exc, WindowClosed | StaleBallot):
        return 409
    return 422


def load_election(election_id: int) -> tuple[Election, Proposal]:
    election = session().get(Election, election_id)
    proposal = session().get(Proposal, election.proposal_id) if election is not None else None
    if election is None or proposal is None:
        abort(404, description="There is no such election.")
    return election, proposal


def load_entry(election: Election, tracking_code: str, kind: EntryKind) -> BoardEntry:
    entry = board.entry_by_tracking_code(session(), election, tracking_code)
    if entry is None or EntryKind(entry.kind) != kind:
        abort(404, description="This election's board has no such ballot.")
    return entry


# ---------------------------------------------------------------- the ballot


def questions_of(election: Election, proposal: Proposal) -> list[BallotQuestion]:
    return ballot_questions(question_specs(election), proposal.kind)


def render_ballot(election: Election, proposal: Proposal, *, form: BallotForm | None = None,
                  entered: dict[str, str] | None = None, error: str | None = None,
                  question_errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    """The ballot page, for the signed-in member, as of now (after a refusal: re-read)."""
    db_session, member, now = session(), signed_in(), utcnow()
    questions = questions_of(election, proposal)
    roll_entry = roll_entry_of(db_session, election, member)
    form = form or BallotForm()
    if roll_entry is not None:
        form.expected_previous.data = str(roll_entry.ballots_cast)  # after a refusal too: this page is current
    entered = entered or {}
    spent: dict[int, int] = {}
    for question in questions:
        if question.quadratic:
            values, errors = choices_from_form([question], entered)
            spent[question.index] = credits_spent(values[0]) if not errors else 0
    try:
        check_window(election, now)
        check_proposal_voting(db_session, election)
        closed = None
    except WindowClosed as exc:
        closed = exc.message
    frozen = proposal.version(election.manifest["proposal"]["version"])
    described = describe_body(proposal.kind, frozen.body, dataset_titles(db_session),
                              agreements=agreement_names(db_session)) if frozen else []
    return render_template("voting/elections/ballot.html", election=election, proposal=proposal, questions=questions,
                           frozen=frozen, described=described,
                           form=form, entered=entered, spent=spent, error=error,
                           question_errors=question_errors or {}, on_roll=roll_entry is not None,
                           cast=current_cast(db_session, election, member), closed=closed), status


@bp.route("/elections/<int:election_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(election_id: int) -> Response | tuple[str, int]:
    election, proposal = load_election(election_id)
    member, db_session = signed_in(), session()
    if request.method == "GET":
        on_roll = roll_entry_of(db_session, election, member) is not None
        return render_ballot(election, proposal, status=200 if on_roll else 403)
    form = BallotForm()
    if election.secrecy == Secrecy.SECRET:
        # The form of a secret ballot is never sent with its choices: the page's script encrypts them and
        # posts the encrypted ballot to ballot.json. A form that arrives here came without the script.
        return render_ballot(election, proposal, form=form, status=400, error=PLAIN_CHOICES_REFUSED)
    entered = {k: v for k, v in request.form.items() if k.startswith("q")}
    if not form.validate_on_submit():
        return render_ballot(election, proposal, form=form, entered=entered, status=400,
                             error="The form had expired or was incomplete; check your choices and send it again.")
    questions = questions_of(election, proposal)
    choices, errors = choices_from_form(questions, request.form)
    action = request.form.get("action", "cast")
    if errors:
        return render_ballot(election, proposal, form=form, entered=entered, question_errors=errors, status=422,
                             error="Some answers could not be read: " + " ".join(errors.values()))
    if action == "audit":
        return render_ballot(election, proposal, form=form, entered=entered, status=422,
                             error="Only secret ballots can be audited: an open ballot is public already.")
    if action == "check":
        try:
            check_choices(question_specs(election), choices)
        except InvalidChoice as exc:
            return render_ballot(election, proposal, form=form, entered=entered, question_errors=exc.errors,
                                 error=exc.message, status=422)
        on_roll = roll_entry_of(db_session, election, member) is not None
        return render_ballot(election, proposal, form=form, entered=entered, status=200 if on_roll else 403)
    try:
        result = cast_ballot(db_session, election, member, choices=choices,
                             expected_previous=form.expected_count if form.expected_count is not None else -1,
                             now=utcnow())
    except VotingError as exc:
        db_session.rollback()
        return render_ballot(election, proposal, form=form, entered=entered, question_errors=exc.errors,
                             error=exc.message, status=status_of(exc))
    db_session.commit()
    flash("Your ballot is cast." + (" It replaces your earlier ballot, which the board now shows as superseded."
                                    if result.replaced is not None else ""), "success")
    return redirect(url_for("ballots.receipt", election_id=election.id, tracking_code=result.entry.tracking_code))


@bp.post("/elections/<int:election_id>/ballot.json")
@login_required
def encrypted_ballot(election_id: int) -> tuple[Response, int]:
    """A secret ballot from the voter's device (the ballot page's script, or ``dataguild vote``), with the
    page's CSRF token in ``X-CSRFToken``: ``{"action": "cast", "ballot", "expected_previous"}`` or
    ``{"action": "audit", "ballot", "reveal"}``. Answers the signed receipt (and, for an audit, the
    choices the reveal opens to), or ``{"error"}`` with 400 (plain choices, not JSON), 403, 409 or 422."""
    election, _proposal = load_election(election_id)
    member, db_session = signed_in(), session()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, "Send the encrypted ballot as a JSON object.")
    if "choices" in data:
        return _json_error(400, PLAIN_CHOICES_REFUSED)
    action = data.get("action", "cast")
    try:
        if action == "audit":
            audited_result = audit_ballot(db_session, election, member, ballot=data.get("ballot"),
                                          reveal=data.get("reveal"), now=utcnow())
            entry, receipt = audited_result.entry, audited_result.receipt
            extra: dict[str, Any] = {"choices": audited_result.choices, "url": url_for(
                "ballots.audited", election_id=election.id, tracking_code=entry.tracking_code)}
        elif action == "cast":
            cast_result = cast_ballot(db_session, election, member, ballot=data.get("ballot"),
                                      expected_previous=data.get("expected_previous"), now=utcnow())
            entry, receipt = cast_result.entry, cast_result.receipt
            extra = {"replaced": cast_result.replaced, "url": url_for(
                "ballots.receipt", election_id=election.id, tracking_code=entry.tracking_code)}
        else:
            return _json_error(400, "The action must be cast or audit.")
    except VotingError as exc:
        db_session.rollback()
        return _json_error(400 if isinstance(exc, PlainChoicesRefused) else status_of(exc), exc.message)
    db_session.commit()
    if action == "cast":
        flash("Your ballot is cast." + (" It replaces your earlier ballot, which the board now shows as "
                                        "superseded." if extra["replaced"] is not None else ""), "success")
    return jsonify({"action": action, "receipt": receipt.to_json(), **extra}), 200


def _json_error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


# ---------------------------------------------------------------- receipts


def _is_voters_own(entry: BoardEntry, election: Election, member: Member | None) -> bool:
    roll_entry = roll_entry_of(session(), election, member)
    return roll_entry is not None and roll_entry.id == entry.roll_entry_id


def receipt_text(receipt_json: dict[str, Any]) -> str:
    return json.dumps(receipt_json, indent=2, sort_keys=True)


@bp.get(f"/elections/<int:election_id>/receipts/<{TRACKING_CODE}:tracking_code>")
@login_required
def receipt(election_id: int, tracking_code: str) -> tuple[str, int]:
    election, proposal = load_election(election_id)
    entry = load_entry(election, tracking_code, EntryKind.CAST)
    signed = board.receipt_for_entry(election, entry)
    return render_template("voting/elections/receipt.html", election=election, proposal=proposal, entry=entry,
                           receipt=signed, receipt_json=receipt_text(signed.to_json()),
                           own=_is_voters_own(entry, election, current_member()), mail_form=ReceiptMailForm()), 200


@bp.get(f"/elections/<int:election_id>/receipts/<{TRACKING_CODE}:tracking_code>.json")
def receipt_json(election_id: int, tracking_code: str) -> Response:
    """Public: a receipt says only where a ballot is on the (public) board, signed."""
    election, _ = load_election(election_id)
    entry = board.entry_by_tracking_code(session(), election, tracking_code)
    if entry is None:
        abort(404, description="This election's board has no such ballot.")
    signed = board.receipt_for_entry(election, entry)
    filename = f"receipt-election-{election.id}-{tracking_code[:16]}.json"
    return Response(receipt_text(signed.to_json()) + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post(f"/elections/<int:election_id>/receipts/<{TRACKING_CODE}:tracking_code>/email")
@login_required
def email_receipt(election_id: int, tracking_code: str) -> Response | tuple[str, int]:
    election, proposal = load_election(election_id)
    entry = load_entry(election, tracking_code, EntryKind.CAST)
    member, db_session = signed_in(), session()
    form = ReceiptMailForm()
    if not form.validate_on_submit():
        abort(400, description="The form had expired; reload the receipt and press the button again.")
    if not _is_voters_own(entry, election, member):
        abort(403, description="Only the member who cast this ballot can have its receipt emailed.")
    signed = board.receipt_for_entry(election, entry)
    download = current_app.config["BASE_URL"].rstrip("/") + url_for(
        "ballots.receipt_json", election_id=election.id, tracking_code=entry.tracking_code)
    body = (f"Your receipt for the vote on proposal #{proposal.id} ({proposal.title}).\n\n"
            f"Tracking code: {entry.tracking_code}\nPlace on the board (leaf): {entry.leaf_index}\n"
            f"Cast at: {signed.cast_at}\nElection fingerprint: {election.fingerprint}\n\n"
            "Keep this mail. Anyone can check with it that your ballot is on the public board and that the "
            "cooperative's server signed it. The receipt as JSON:\n\n"
            f"{receipt_text(signed.to_json())}\n\n"
            f"Download it again: {download}\n")
    queue_mail(db_session, member.email, f"Your ballot receipt: proposal #{proposal.id}", body, now=utcnow())
    db_session.commit()
    flash(f"The receipt is on its way to {member.email}.", "success")
    return redirect(url_for("ballots.receipt", election_id=election.id, tracking_code=entry.tracking_code))


@bp.get(f"/elections/<int:election_id>/audited/<{TRACKING_CODE}:tracking_code>")
@login_required
def audited(election_id: int, tracking_code: str) -> tuple[str, int]:
    election, proposal = load_election(election_id)
    entry = load_entry(election, tracking_code, EntryKind.AUDITED)
    questions = questions_of(election, proposal)
    reveal = entry.payload.get("reveal", {})
    revealed = [answer.get("values", []) for answer in reveal.get("answers", [])]
    return render_template("voting/elections/audited.html", election=election, proposal=proposal, entry=entry,
                           questions=questions, revealed=revealed,
                           own=_is_voters_own(entry, election, current_member()),
                           reveal_json=json.dumps(reveal, indent=2, sort_keys=True)), 200


@bp.get(f"/elections/<int:election_id>/audited/<{TRACKING_CODE}:tracking_code>.json")
def audited_json(election_id: int, tracking_code: str) -> Response:
    """Public (the board shows the same): an audited ballot as ``dataguild-verify --audited`` reads it."""
    election, _ = load_election(election_id)
    entry = board.entry_by_tracking_code(session(), election, tracking_code)
    if entry is None or EntryKind(entry.kind) != EntryKind.AUDITED:
        abort(404, description="This election's board has no such audited ballot.")
    data = {"manifest": election.manifest, "ballot": entry.payload["ballot"], "reveal": entry.payload["reveal"],
            "receipt": board.receipt_for_entry(election, entry).to_json()}
    filename = f"audited-election-{election.id}-{tracking_code[:16]}.json"
    return Response(json.dumps(data, indent=2, sort_keys=True) + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- opening the election


def render_open_election(proposal: Proposal, form: OpenElectionForm, *, error: str | None,
                         status: int) -> tuple[str, int]:
    from proposals.lifecycle import voting_blockers

    committees = ready_committee_choices(session())
    form.set_committees([(c.id, c.label) for c in committees])
    panel = {"mode": "open", "proposal": proposal, "form": form, "committees": committees,
             "no_committee": NO_COMMITTEE, "blockers": voting_blockers(session(), proposal, utcnow())}
    return render_template("voting/elections/open_election.html", proposal=proposal, p=panel, error=error), status


@bp.post("/proposals/<int:proposal_id>/elections", endpoint="open_election")
@login_required
def open_election_view(proposal_id: int) -> Response | tuple[str, int]:
    member, db_session = signed_in(), session()
    proposal = db_session.get(Proposal, proposal_id)
    if proposal is None or not can_view(proposal, member):
        abort(404, description="There is no such proposal, or it is a draft only its author can see.")
    if not is_steward(member):
        abort(403, description="Only stewards open voting.")
    form = OpenElectionForm()
    form.set_committees([(c.id, c.label) for c in ready_committee_choices(db_session)])
    if not form.validate_on_submit():
        return render_open_election(proposal, form, error="Check the form and send it again.", status=400)
    try:
        open_election(db_session, proposal, actor=member, now=utcnow(), secrecy=form.secrecy.data,
                      committee_id=form.committee, closes_at=form.closes_at_utc,
                      base_url=current_app.config["BASE_URL"],
                      cooperative_name=current_app.config.get("COOPERATIVE_NAME"))
    except (ProposalError, VotingError) as exc:
        db_session.rollback()
        for name, message in exc.errors.items():
            bound = form._fields.get("committee_id" if name == "committee" else name)
            if bound is not None:
                bound.errors = [*bound.errors, message] if isinstance(bound.errors, list) else [message]
        proposal = db_session.get(Proposal, proposal_id)
        return render_open_election(proposal, form, error=exc.message, status=status_of(exc))
    db_session.commit()
    kind = "secret ballot" if form.secrecy.data == Secrecy.SECRET.value else "open roll call"
    flash(f"Voting is open ({kind}) on version {proposal.frozen_version}; members have been told.", "success")
    return redirect(url_for("proposals.detail", proposal_id=proposal.id, _anchor="election"))
