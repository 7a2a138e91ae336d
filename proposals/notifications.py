"""Mail to members about proposals, through the outbox.

Topics: ``discussion_opened``, ``voting_opened``, ``closing_soon`` (24 h before the vote closes, only
to members of the electorate who have not voted) and ``outcome``. Recipients are the active members
with the ``member`` role; each member can turn each topic off (no preference row means on). Every
send is recorded in ``NotificationSent`` (unique per proposal, member and topic), so nothing is sent
twice however often ``dataguild tick`` runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.constitution.rules import KINDS
from governance.mail.services import queue_mail
from governance.members.models import Member
from governance.members.services import eligible_voter_ids_at
from proposals.errors import ProposalError
from proposals.models import NotificationPreference, NotificationSent, Proposal, ProposalState

TOPICS: dict[str, str] = {
    "discussion_opened": "A proposal is published for discussion",
    "voting_opened": "Voting opens on a proposal",
    "closing_soon": "A vote closes in 24 hours and you have not voted yet",
    "outcome": "The outcome of a vote is recorded",
}
REMINDER_BEFORE_CLOSE = timedelta(hours=24)
SETTINGS_PATH = "/settings/notifications"

#: "module:function" specs; each function takes (session, proposal) and returns the ids of members
#: who have voted on it (or None if it does not know the proposal). The voting package adds its own.
VOTER_PROVIDERS: list[str] = ["voting.elections.casting:voters_of"]

_STATE_TOPICS = {ProposalState.DISCUSSION: "discussion_opened", ProposalState.VOTING: "voting_opened",
                 ProposalState.ADOPTED: "outcome", ProposalState.REJECTED: "outcome",
                 ProposalState.NO_QUORUM: "outcome"}


# ---------------------------------------------------------------- preferences

def preferences(session: Session, member: Member) -> dict[str, bool]:
    """Every topic with the member's choice (on unless they turned it off)."""
    stored = {row.topic: row.enabled for row in session.execute(
        select(NotificationPreference).where(NotificationPreference.member_id == member.id)).scalars()}
    return {topic: stored.get(topic, True) for topic in TOPICS}


def set_preferences(session: Session, member: Member, prefs: Mapping[str, bool], *, now: datetime) -> dict[str, bool]:
    unknown = sorted(set(prefs) - set(TOPICS))
    if unknown:
        raise ProposalError(f"Unknown notification topic {', '.join(unknown)}.")
    for topic, enabled in prefs.items():
        row = session.get(NotificationPreference, (member.id, topic))
        if row is None:
            session.add(NotificationPreference(member_id=member.id, topic=topic, enabled=bool(enabled)))
        else:
            row.enabled = bool(enabled)
    session.flush()
    return preferences(session, member)


def _opted_out(session: Session, topic: str) -> set[int]:
    return set(session.execute(select(NotificationPreference.member_id).where(
        NotificationPreference.topic == topic, NotificationPreference.enabled.is_(False))).scalars())


def _already_sent(session: Session, proposal: Proposal, topic: str) -> set[int]:
    return set(session.execute(select(NotificationSent.member_id).where(
        NotificationSent.proposal_id == proposal.id, NotificationSent.topic == topic)).scalars())


# ---------------------------------------------------------------- texts

def _base_url(base_url: str | None) -> str:
    if base_url is None:
        # Services normally get the site address from the caller; inside an app (web, CLI) we can
        # still find it, outside one links stay relative.
        from flask import current_app, has_app_context

        base_url = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return (base_url or "").rstrip("/")


def _when(moment: datetime | None) -> str:
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _what_happened(proposal: Proposal, topic: str) -> tuple[str, str]:
    kind = KINDS.get(proposal.kind, proposal.kind).lower()
    ref = f"#{proposal.id} \u201c{proposal.title}\u201d"
    if topic == "discussion_opened":
        return (f"New proposal for discussion: {proposal.title}",
                f"Proposal {ref} ({kind}) by {proposal.author.name} is now open for discussion. Read it, "
                "comment, propose amendments or co-sponsor it.")
    if topic == "voting_opened":
        return (f"Voting is open: {proposal.title}",
                f"Voting on proposal {ref} ({kind}) is open until {_when(proposal.voting_closes_at)}.")
    if topic == "closing_soon":
        return (f"Voting closes soon: {proposal.title}",
                f"Voting on proposal {ref} closes at {_when(proposal.voting_closes_at)} and you have not "
                "voted yet.")
    words = {ProposalState.ADOPTED: "was adopted", ProposalState.REJECTED: "was rejected",
             ProposalState.NO_QUORUM: "did not reach the quorum, so nothing changes"}
    result = words.get(ProposalState(proposal.state), "was decided")
    return f"Outcome: {proposal.title}", f"The vote on proposal {ref} is over: the proposal {result}."


def _mail_body(member: Member, proposal: Proposal, topic: str, base_url: str) -> tuple[str, str]:
    subject, what = _what_happened(proposal, topic)
    body = (f"Hello {member.name},\n\n{what}\n\nThe proposal: {base_url}/proposals/{proposal.id}\n\n"
            f"You receive this mail because \u201c{TOPICS[topic]}\u201d is on in your notification settings. "
            f"To turn it off: {base_url}{SETTINGS_PATH}\n")
    return subject, body


# ---------------------------------------------------------------- sending

def notify(session: Session, proposal: Proposal, topic: str, recipient_ids: Iterable[int], *,
           base_url: str | None = None, now: datetime) -> int:
    """Queue ``topic`` about ``proposal`` to each recipient who has not turned it off and has not had
    it yet; returns how many mails were queued."""
    base = _base_url(base_url)
    skip = _opted_out(session, topic) | _already_sent(session, proposal, topic)
    wanted = sorted(set(recipient_ids) - skip)
    if not wanted:
        return 0
    members = session.execute(select(Member).where(Member.id.in_(wanted)).order_by(Member.id)).scalars()
    count = 0
    for member in members:
        subject, body = _mail_body(member, proposal, topic, base)
        queue_mail(session, member.email, subject, body, now=now)
        session.add(NotificationSent(proposal_id=proposal.id, member_id=member.id, topic=topic, sent_at=now))
        count += 1
    session.flush()
    return count


def notify_transition(session: Session, proposal: Proposal, to: ProposalState, *, base_url: str | None,
                      now: datetime) -> int:
    topic = _STATE_TOPICS.get(ProposalState(to))
    if topic is None:
        return 0
    return notify(session, proposal, topic, eligible_voter_ids_at(session, now), base_url=base_url, now=now)


def _provider(spec: str) -> Callable[[Session, Proposal], Iterable[int] | None]:
    module_name, attr = spec.split(":")
    return getattr(importlib.import_module(module_name), attr)


def voter_ids(session: Session, proposal: Proposal) -> set[int]:
    """Members who have voted on ``proposal``, as far as the registered providers know."""
    voted: set[int] = set()
    for spec in VOTER_PROVIDERS:
        voted |= set(_provider(spec)(session, proposal) or ())
    return voted


def send_closing_reminders(session: Session, now: datetime, *, base_url: str | None = None) -> int:
    """Remind the electorate's non-voters of every vote closing within 24 h; returns mails queued.
    Each proposal row is locked first, so two concurrent runs send each reminder once."""
    soon = utc(now) + REMINDER_BEFORE_CLOSE
    candidates = session.execute(select(Proposal.id).where(
        Proposal.state == ProposalState.VOTING, Proposal.voting_closes_at > now, Proposal.voting_closes_at <= soon)
        .order_by(Proposal.id)).scalars().all()
    queued = 0
    for proposal_id in candidates:
        session.execute(select(Proposal.id).where(Proposal.id == proposal_id).with_for_update())
        proposal = session.get(Proposal, proposal_id, populate_existing=True)
        if proposal is None:
            continue
        if proposal.state != ProposalState.VOTING or proposal.voting_closes_at is None:
            continue
        closes = utc(proposal.voting_closes_at)
        if not utc(now) < closes <= soon:
            continue
        opened = utc(proposal.voting_opened_at or now)
        electorate = set(eligible_voter_ids_at(session, opened))
        queued += notify(session, proposal, "closing_soon", electorate - voter_ids(session, proposal),
                         base_url=base_url, now=now)
    return queued
