"""Mail through the outbox when a proposal enters discussion, when voting opens, 24 h before it closes
(only to members who have not voted, only once), and when the outcome is recorded; opt-outs respected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.mail.models import OutboxMail
from governance.members.services import suspend_member
from proposals import lifecycle, notifications, services
from proposals.errors import ProposalError
from proposals.lifecycle import VoteResult
from proposals.models import NotificationSent, ProposalState
from tests.proposals.factories import add_sponsors, example_body, make_world, new_member

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
BASE = "https://coop.example.org"

#: Who has voted, per proposal id, as the voting package would report it (see VOTER_PROVIDERS).
VOTED: dict[int, set[int]] = {}


def voted_ids(session, proposal):
    return VOTED.get(proposal.id)


@pytest.fixture
def world(app, db_session, monkeypatch):
    monkeypatch.setattr(notifications, "VOTER_PROVIDERS", [f"{__name__}:voted_ids"])
    VOTED.clear()
    return make_world(db_session)


def mails(session, subject_start=""):
    return list(session.execute(select(OutboxMail).where(OutboxMail.subject.startswith(subject_start))
                                .order_by(OutboxMail.id)).scalars())


def published(world, now=NOW):
    s = world.session
    proposal = services.create_draft(s, actor=world.author, kind="data_use_rule", title="No genAI training",
                                     summary="", body=example_body("data_use_rule"), now=now)
    lifecycle.publish(s, proposal, actor=world.author, now=now, base_url=BASE)
    return proposal


def voting(world, closes_in=timedelta(days=7)):
    s = world.session
    proposal = published(world)
    add_sponsors(s, proposal, 2, now=NOW)
    opened = NOW + timedelta(days=8)
    lifecycle.open_voting(s, proposal, actor=world.steward, now=opened, closes_at=opened + closes_in, base_url=BASE)
    return proposal, opened + closes_in


def recipients(session, subject_start):
    return sorted(m.to_address for m in mails(session, subject_start))


def test_discussion_opened_goes_to_active_members_with_the_member_role(world):
    s = world.session
    suspended = make_world(s).other
    suspend_member(s, actor=None, member=suspended, reason="test", now=NOW - timedelta(hours=1))
    proposal = published(world)
    got = recipients(s, "New proposal for discussion")
    assert world.author.email in got
    assert world.other.email in got
    assert world.steward.email in got          # a steward who is also a member
    assert world.observer.email not in got     # observers read, they do not vote
    assert suspended.email not in got
    mail = next(m for m in mails(s) if m.to_address == world.other.email)
    assert mail.subject == "New proposal for discussion: No genAI training"
    assert f"{BASE}/proposals/{proposal.id}" in mail.body
    assert f"{BASE}/settings/notifications" in mail.body
    assert "now open for discussion" in mail.body
    assert "turn it off" in mail.body


def test_no_mail_while_drafting(world):
    s = world.session
    services.create_draft(s, actor=world.author, kind="data_use_rule", title="Draft", summary="",
                          body=example_body("data_use_rule"), now=NOW)
    assert mails(s) == []


def test_opt_out_is_respected_per_topic(world):
    s = world.session
    assert notifications.preferences(s, world.other) == dict.fromkeys(notifications.TOPICS, True)
    notifications.set_preferences(s, world.other, {"discussion_opened": False}, now=NOW)
    assert notifications.preferences(s, world.other)["discussion_opened"] is False
    assert notifications.preferences(s, world.other)["voting_opened"] is True
    proposal, _ = voting(world)
    assert world.other.email not in recipients(s, "New proposal")
    assert world.other.email in recipients(s, "Voting is open")
    assert f"until {lifecycle._when(proposal.voting_closes_at)}" in mails(s, "Voting is open")[0].body
    notifications.set_preferences(s, world.other, {"discussion_opened": True}, now=NOW)
    assert notifications.preferences(s, world.other)["discussion_opened"] is True
    with pytest.raises(ProposalError, match="Unknown notification topic"):
        notifications.set_preferences(s, world.other, {"gossip": True}, now=NOW)


def test_reminder_24h_before_closing_only_to_non_voters_and_only_once(world):
    s = world.session
    proposal, closes = voting(world)
    VOTED[proposal.id] = {world.author.id}
    assert lifecycle.tick(s, now=closes - timedelta(hours=25), base_url=BASE).reminders_queued == 0
    first = lifecycle.tick(s, now=closes - timedelta(hours=23), base_url=BASE)
    again = lifecycle.tick(s, now=closes - timedelta(hours=22), base_url=BASE)
    got = recipients(s, "Voting closes soon")
    assert first.reminders_queued == len(got) > 0
    assert again.reminders_queued == 0
    assert world.author.email not in got       # has voted
    assert world.other.email in got
    assert world.observer.email not in got
    assert len(got) == len(set(got))
    assert s.execute(select(NotificationSent).where(NotificationSent.topic == "closing_soon",
                                                    NotificationSent.member_id == world.other.id)).scalar_one()


def test_reminder_respects_the_opt_out_and_the_frozen_electorate(world):
    s = world.session
    _, closes = voting(world)
    notifications.set_preferences(s, world.other, {"closing_soon": False}, now=NOW)
    latecomer = new_member(s, "member", now=closes - timedelta(days=1))  # joined after voting opened
    lifecycle.tick(s, now=closes - timedelta(hours=1), base_url=BASE)
    got = recipients(s, "Voting closes soon")
    assert world.author.email in got
    assert world.other.email not in got
    assert latecomer.email not in got


def test_no_reminder_after_the_window(world):
    s = world.session
    _, closes = voting(world)
    report = lifecycle.tick(s, now=closes, base_url=BASE)
    assert report.reminders_queued == 0
    assert report.counting_started == 1


def test_outcome_mail(world):
    s = world.session
    proposal, closes = voting(world)
    lifecycle.record_outcome(s, proposal, VoteResult(10, 10, yes=3, no=7), now=closes, base_url=BASE)
    [mail] = [m for m in mails(s, "Outcome:") if m.to_address == world.other.email]
    assert "the proposal was rejected" in mail.body
    assert f"{BASE}/proposals/{proposal.id}" in mail.body
    assert world.observer.email not in recipients(s, "Outcome:")


def test_cancelling_or_counting_sends_nothing(world):
    s = world.session
    proposal, closes = voting(world, closes_in=timedelta(days=2))
    before = len(mails(s))
    lifecycle.begin_counting(s, proposal, now=closes)
    assert len(mails(s)) == before
