"""Voting on the proposal page: the panel ``proposals.pages.DETAIL_PANELS`` renders, and the service
behind its "open the election" form.

Opening voting and creating the election are one step for the steward and one transaction for the
database: :func:`open_election` calls ``proposals.lifecycle.open_voting`` and then
``voting.elections.services.create_election``; the view rolls both back when either refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.members.models import Member
from proposals import lifecycle
from proposals.access import is_steward
from proposals.models import Proposal, ProposalState
from voting import ElectionError
from voting.committees import services as committee_services
from voting.elections.models import BoardEntry, Election, EntryKind, Secrecy
from voting.elections.services import create_election, election_of, roll_entry_of

S = ProposalState
NO_COMMITTEE = "No trustee committee is ready, so a secret ballot cannot be opened yet; an open roll call can."


@dataclass(frozen=True)
class CommitteeChoice:
    id: int
    label: str


def ready_committee_choices(session: Session) -> list[CommitteeChoice]:
    return [CommitteeChoice(c.id, f"{c.name} ({c.k} of {c.n} trustees)")
            for c in committee_services.ready_committees(session)]


def _committee_key(session: Session, committee_id: int | None) -> tuple[str, dict[str, Any]]:
    """(election key hex, committee summary) of a ready committee, or ElectionError."""
    if committee_id is None or committee_id not in {c.id for c in ready_committee_choices(session)}:
        message = "Choose a trustee committee whose key is ready."
        raise ElectionError(message, {"committee_id": message})
    joint_key = committee_services.joint_key_of(session, committee_id)
    return joint_key.election_key().hex(), committee_services.committee_summary(session, committee_id)


def open_election(session: Session, proposal: Proposal, *, actor: Member, now: datetime, secrecy: Secrecy | str,
                  committee_id: int | None, closes_at: datetime | None, base_url: str | None = None,
                  cooperative_name: str | None = None) -> Election:
    """A steward opens voting on ``proposal`` and creates its election (the caller commits, or rolls
    back on any error: nothing of a refused request is kept)."""
    secrecy = Secrecy(secrecy)
    lifecycle.open_voting(session, proposal, actor=actor, now=now, closes_at=closes_at, base_url=base_url)
    key_hex, summary = (_committee_key(session, committee_id) if secrecy == Secrecy.SECRET else (None, None))
    extra = {"cooperative_name": cooperative_name} if cooperative_name else {}
    return create_election(session, proposal, actor=actor, now=now, secrecy=secrecy, election_key_hex=key_hex,
                           committee_id=committee_id if secrecy == Secrecy.SECRET else None,
                           committee_summary=summary, **extra)


def current_cast(session: Session, election: Election, member: Member | None) -> BoardEntry | None:
    """The member's ballot that counts now (their last cast), or None."""
    entry = roll_entry_of(session, election, member)
    if entry is None:
        return None
    return session.execute(select(BoardEntry).where(
        BoardEntry.election_id == election.id, BoardEntry.roll_entry_id == entry.id,
        BoardEntry.kind == EntryKind.CAST, BoardEntry.superseded_at.is_(None))).scalar_one_or_none()


def voting_panel(session: Session, proposal: Proposal, viewer: Member | None, now: datetime) -> dict[str, Any] | None:
    """The proposal page's voting panel (see ``proposals.pages.DETAIL_PANELS``)."""
    state = lifecycle.shown_state(proposal, now)
    if state == S.DISCUSSION and viewer is not None and is_steward(viewer):
        from voting.elections.forms import OpenElectionForm  # a form needs the request context

        committees = ready_committee_choices(session)
        form = OpenElectionForm(data={"secrecy": "secret" if committees else "open"})
        form.set_committees([(c.id, c.label) for c in committees])
        return {"template": "voting/elections/_proposal_panel.html",
                "context": {"mode": "open", "form": form, "committees": committees, "no_committee": NO_COMMITTEE,
                            "blockers": lifecycle.voting_blockers(session, proposal, now),
                            "proposal": proposal}}
    election = election_of(session, proposal.id)
    if election is None:
        return None
    roll_entry = roll_entry_of(session, election, viewer)
    cast = current_cast(session, election, viewer)
    window_open = state == S.VOTING and utc(election.opens_at) <= utc(now) < utc(election.closes_at)
    return {"template": "voting/elections/_proposal_panel.html",
            "context": {"mode": "voting" if window_open else "after", "election": election, "proposal": proposal,
                        "on_roll": roll_entry is not None, "cast": cast, "signed_in": viewer is not None}}
