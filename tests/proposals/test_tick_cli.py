"""``dataguild tick``: persists counting for ended windows and mails reminders, any number of times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from governance.cli import main
from governance.mail.models import OutboxMail
from proposals import lifecycle
from proposals.models import NotificationSent, Proposal, ProposalState
from tests.conftest import count_rows, fetch_all, reload
from tests.proposals.factories import add_sponsors, make_proposal, make_world

S = ProposalState


def test_tick_counts_ended_votes_and_reminds_once(app, db_session):
    world = make_world(db_session)
    now = datetime.now(UTC)
    ended = make_proposal(db_session, world.author, state=S.VOTING, now=now - timedelta(days=6),
                          steward=world.steward)  # opened 8 days ago, 7 days of voting
    closing = make_proposal(db_session, world.author, state=S.DISCUSSION, now=now, steward=world.steward)
    add_sponsors(db_session, closing, 2, now=now - timedelta(days=30))
    lifecycle.open_voting(db_session, closing, actor=world.steward, now=now, closes_at=now + timedelta(hours=12))
    still_open = make_proposal(db_session, world.author, state=S.VOTING, now=now, steward=world.steward)
    db_session.commit()
    ids = ended.id, closing.id, still_open.id

    runner = app.test_cli_runner()
    result = runner.invoke(main, ["tick"])
    assert result.exit_code == 0, result.output
    assert "counting started for 1 proposal(s)" in result.output
    assert reload(db_session, Proposal, ids[0]).state == S.COUNTING
    assert reload(db_session, Proposal, ids[1]).state == S.VOTING
    assert reload(db_session, Proposal, ids[2]).state == S.VOTING
    reminded = fetch_all(db_session, select(OutboxMail.to_address).where(OutboxMail.subject.startswith(
        "Voting closes soon")))
    assert world.other.email in reminded
    assert count_rows(db_session, NotificationSent, NotificationSent.proposal_id == ids[2]) == 0
    sent = fetch_all(db_session, select(OutboxMail.sent_at).where(OutboxMail.subject.startswith("Voting closes soon")))
    assert all(when is not None for when in sent)  # delivered after the commit (console backend in tests)

    again = runner.invoke(main, ["tick"])
    assert again.exit_code == 0, again.output
    assert "counting started for 0 proposal(s); 0 reminder(s) queued" in again.output
    assert fetch_all(db_session, select(OutboxMail.to_address).where(OutboxMail.subject.startswith(
        "Voting closes soon"))) == reminded


def test_two_concurrent_ticks_send_each_reminder_once(app, db_session):
    import threading

    from proposals.lifecycle import tick

    world = make_world(db_session)
    now = datetime.now(UTC)
    closing = make_proposal(db_session, world.author, state=S.DISCUSSION, now=now, steward=world.steward)
    add_sponsors(db_session, closing, 2, now=now - timedelta(days=30))
    lifecycle.open_voting(db_session, closing, actor=world.steward, now=now, closes_at=now + timedelta(hours=12))
    db_session.commit()
    database = app.extensions["dataguild_db"]
    first, second = database.Session(), database.Session()
    later = now + timedelta(minutes=1)
    try:
        queued_first = tick(first, now=later).reminders_queued  # holds its locks until it commits
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(tick(second, now=later).reminders_queued))
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive(), "the second tick should wait for the first one's transaction"
        first.commit()
        worker.join(timeout=30)
        second.commit()
    finally:
        first.close()
        second.close()
    assert queued_first > 0
    assert results == [0]
    assert count_rows(db_session, NotificationSent, NotificationSent.topic == "closing_soon") == queued_first
