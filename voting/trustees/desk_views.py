"""The trustee desk: a trustee's committees and elections with what to do next, and one page per step
that runs the step in the browser (docs/trustees.md, "The trustee desk").

The pages only show and link: the step itself runs in ``static/js/trustee/pages.js`` with the
cryptography of ``static/js/trustee/dgcrypto.js``. The key file and its passphrase are read inside
the page (their inputs have no ``name``, so no form can ever submit them); the page then calls the
trustee JSON API (:mod:`voting.trustees.api`) with the session cookie and the CSRF token, exactly as
``dataguild trustee ...`` does with a personal token. Each page also shows that command, for a
browser without JavaScript (or a trustee who prefers their own computer).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from governance import db
from governance.auth.access import current_member, roles_required
from governance.members.models import Member, Role
from governance.sitecontext import SiteSettings, as_utc, utcnow
from proposals.models import Proposal
from voting.committees import services as svc
from voting.committees.models import CommitteeStatus, CommitteeTrustee, TrusteeCommittee
from voting.counting import services as counting
from voting.crypto.errors import CryptoError
from voting.elections.models import Election, ElectionState, Secrecy
from voting.record import tally

bp = Blueprint("trustee_desk", __name__, url_prefix="/trustee")

#: The committee steps a trustee runs, in order ("store" is the confirm page run again once ready).
STEPS = ("announce", "deal", "confirm", "store")
STEP_TITLES = {"announce": "Announce your keys", "deal": "Deal your shares",
               "confirm": "Check the shares sent to you", "store": "Store your key share"}
STEP_TODO = {"announce": "make a key file and announce your keys", "deal": "deal your shares",
             "confirm": "check the shares sent to you", "store": "store your key share in your key file"}
WAITING = {CommitteeStatus.ANNOUNCING: "Step 1 of 4 done: waiting for the other trustees to announce.",
           CommitteeStatus.DEALING: "Step 2 of 4 done: waiting for the other trustees to deal.",
           CommitteeStatus.CONFIRMING: "Step 3 of 4 done: waiting for the other trustees to check their shares."}


def key_file_name(committee_id: int) -> str:
    """The name the desk's downloads and the commands' examples give a committee's key file."""
    return f"trustee-committee-{committee_id}.json"


# ---------------------------------------------------------------- what to do next


@dataclass(frozen=True)
class CommitteeTask:
    committee: TrusteeCommittee
    index: int
    step: str | None  # one of STEPS: the page to open, or None (wait, or nothing more to do)
    words: str
    urgent: bool  # the ceremony waits for this trustee


def committee_task(committee: TrusteeCommittee, seat: CommitteeTrustee) -> CommitteeTask:
    step = svc.next_step(committee, seat)
    if step is not None:
        number = STEPS.index(step) + 1
        return CommitteeTask(committee, seat.trustee_index, step, f"Step {number} of 4: {STEP_TODO[step]}.", True)
    if committee.status == CommitteeStatus.FAILED:
        return CommitteeTask(committee, seat.trustee_index, None, f"The ceremony failed: {committee.failure_reason}",
                             False)
    if committee.status == CommitteeStatus.READY:
        excluded = (committee.joint_key or {}).get("disqualified", {}).get(str(seat.trustee_index))
        if excluded:
            return CommitteeTask(committee, seat.trustee_index, None,
                                 f"Ready without you (you were not qualified: {excluded}).", False)
        # The site cannot know whether the key file holds the share already; running the step again is harmless.
        return CommitteeTask(committee, seat.trustee_index, "store",
                             "Ready. Step 4 of 4, once: store your key share in your key file (if you have not yet).",
                             False)
    return CommitteeTask(committee, seat.trustee_index, None, WAITING[committee.status], False)


@dataclass(frozen=True)
class ElectionTask:
    election: Election
    title: str
    index: int
    words: str
    action: str | None  # "decrypt", "sign" or None
    urgent: bool


def election_task(session: Session, election: Election, index: int) -> ElectionTask:
    proposal = session.get(Proposal, election.proposal_id)
    title = proposal.title if proposal is not None else f"Election {election.id}"

    def task(words: str, action: str | None = None) -> ElectionTask:
        return ElectionTask(election, title, index, words, action, action is not None)

    if election.state == ElectionState.OPEN:
        closes = as_utc(election.closes_at)
        if closes > utcnow():
            return task(f"Voting is open until {closes:%Y-%m-%d %H:%M} UTC; counting starts after that.")
        return task("Voting has ended; counting starts when the site closes the election (soon).")
    if election.state == ElectionState.CANCELLED:
        return task("Closed uncounted (its proposal was cancelled): nothing to decrypt.")
    try:
        decrypting = index in tally.joint_key_of_manifest(election.manifest).committee
    except CryptoError:
        decrypting = False
    records = {r.trustee_index: r for r in counting.share_records(session, election)}
    mine = records.get(index)
    if election.state == ElectionState.TALLYING:
        if not decrypting:
            return task("You are not in the decrypting committee of this election; the others count it.")
        if mine is None:
            return task(f"Election #{election.id} is waiting for your decryption.", "decrypt")
        waiting = (counting.threshold(election) or 0) - len(records)
        return task(f"Your decryption is in; waiting for {waiting} more trustee(s).")
    certificate = election.result_certificate or {}
    if certificate.get("kind") == "trustees" and mine is not None and mine.result_signature is None:
        return task(f"Election #{election.id} is decided: check and co-sign its result.", "sign")
    return task("Decided" + (f"; you co-signed the result as trustee {index}." if mine is not None
                             and mine.result_signature else "; nothing to do."))


def elections_of(session: Session, member: Member) -> list[ElectionTask]:
    seats = {committee.id: seat.trustee_index for committee, seat in svc.committees_of(session, member)}
    if not seats:
        return []
    rows = session.execute(select(Election).where(Election.secrecy == Secrecy.SECRET,
                                                  Election.committee_id.in_(seats))
                           .order_by(Election.id.desc())).scalars()
    return [election_task(session, e, seats[e.committee_id]) for e in rows if e.committee_id is not None]


# ---------------------------------------------------------------- pages


def _viewer() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by roles_required
    return member


def _site() -> str:
    return SiteSettings.from_config(current_app.config).base_url


def _seat(committee_id: int) -> tuple[TrusteeCommittee, CommitteeTrustee]:
    committee = db.session().get(TrusteeCommittee, committee_id)
    if committee is None:
        abort(404, description="There is no such trustee committee.")
    seat = svc.seat_of(committee, _viewer())
    if seat is None:
        abort(403, description="This page is for the trustees of this committee.")
    return committee, seat


def _command(step: str, committee_id: int) -> str:
    return (f"dataguild trustee {step} --site {_site()} --committee {committee_id} "
            f"--key {key_file_name(committee_id)}")


@bp.get("")
@roles_required(Role.TRUSTEE)
def desk() -> str:
    session, viewer = db.session(), _viewer()
    committees = [committee_task(c, seat) for c, seat in svc.committees_of(session, viewer)]
    elections = elections_of(session, viewer)
    todo = [t for t in committees if t.urgent] + [t for t in elections if t.urgent]
    return render_template("voting/trustees/desk.html", committees=committees, elections=elections, todo=todo,
                           step_titles=STEP_TITLES)


@bp.get("/committees/<int:committee_id>/keygen")
@roles_required(Role.TRUSTEE)
def keygen(committee_id: int) -> str:
    committee, seat = _seat(committee_id)
    config = {"step": "keygen", "committee": committee.id, "key-file": key_file_name(committee.id),
              "announce-url": url_for(".committee_step", committee_id=committee.id, step="announce")}
    return render_template("voting/trustees/desk_keygen.html", committee=committee, index=seat.trustee_index,
                           config=config,
                           key_file=key_file_name(committee.id),
                           command=f"dataguild trustee keygen --out {key_file_name(committee.id)}")


POST_ENDPOINTS = {"announce": "trustee_api.post_announcement", "deal": "trustee_api.post_dealing",
                  "confirm": "trustee_api.post_confirmation"}


@bp.get("/committees/<int:committee_id>/<any(announce, deal, confirm):step>")
@roles_required(Role.TRUSTEE)
def committee_step(committee_id: int, step: str) -> str:
    committee, seat = _seat(committee_id)
    task = committee_task(committee, seat)
    # Confirming and storing the key share are one page, as they are one command: it confirms when that is
    # due, and stores the key share once the committee is ready.
    due = task.step == step or (task.step == "store" and step == "confirm")
    storing = step == "confirm" and committee.status == CommitteeStatus.READY
    config = {"step": step, "committee": committee.id, "index": seat.trustee_index,
              "state-url": url_for("trustee_api.committee_state", committee_id=committee.id),
              "post-url": url_for(POST_ENDPOINTS[step], committee_id=committee.id),
              "key-file": key_file_name(committee.id), "desk-url": url_for(".desk")}
    return render_template("voting/trustees/desk_step.html", committee=committee, index=seat.trustee_index,
                           step=step, storing=storing, title=STEP_TITLES["store" if storing else step], task=task,
                           due=due, config=config, command=_command(step, committee.id),
                           key_file=key_file_name(committee.id), step_number=4 if storing else STEPS.index(step) + 1)


@bp.get("/elections/<int:election_id>/decrypt")
@roles_required(Role.TRUSTEE)
def election_step(election_id: int) -> str:
    session, viewer = db.session(), _viewer()
    election = session.get(Election, election_id)
    if election is None or election.secrecy != Secrecy.SECRET or election.committee_id is None:
        abort(404, description="There is no such secret election.")
    committee = session.get(TrusteeCommittee, election.committee_id)
    seat = svc.seat_of(committee, viewer) if committee is not None else None
    if committee is None or seat is None:
        abort(403, description="This page is for the trustees of this election's committee.")
    task = election_task(session, election, seat.trustee_index)
    config = {"step": "decrypt", "election": election.id, "committee": committee.id, "index": seat.trustee_index,
              "tally-url": url_for("trustee_api.election_tally", election_id=election.id),
              "decryption-url": url_for("trustee_api.post_decryption", election_id=election.id),
              "signature-url": url_for("trustee_api.post_result_signature", election_id=election.id),
              "board-url": url_for("board.board_json", election_id=election.id),
              "result-url": url_for("results.result", election_id=election.id),
              "key-file": key_file_name(committee.id), "desk-url": url_for(".desk")}
    command = (f"dataguild trustee decrypt --site {_site()} --key {key_file_name(committee.id)} "
               f"--election {election.id}")
    return render_template("voting/trustees/desk_decrypt.html", election=election, committee=committee, task=task,
                           index=seat.trustee_index, config=config, command=command,
                           key_file=key_file_name(committee.id))
