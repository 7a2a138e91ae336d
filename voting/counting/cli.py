"""``dataguild count``: close and count every election whose voting window has ended (safe to run from
cron as often as one likes, alongside ``dataguild tick``; closing a closed election does nothing).

Each election is closed in its own transaction, so one that cannot be counted (its proposal was
cancelled, its adopted proposal cannot be enacted) is reported and leaves the others alone.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from governance import db
from governance.mail.cli import send_queued_after_commit
from governance.sitecontext import SiteSettings, utcnow
from voting import VotingError
from voting.counting.services import close_election, due_elections
from voting.elections.models import Election, ElectionState


@click.command("count")
@with_appcontext
def count_command() -> None:
    """Close every election whose window has ended: decide open ones, post secret ones' encrypted tallies."""
    session = db.session()
    base_url = SiteSettings.from_config(current_app.config).base_url
    now = utcnow()
    ids = [e.id for e in due_elections(session, now)]
    session.rollback()
    decided = tallying = cancelled = failed = 0
    for election_id in ids:
        election = session.get(Election, election_id)
        try:
            close_election(session, election, now=now, base_url=base_url)
            state = election.state
            session.commit()
        except VotingError as exc:
            session.rollback()
            failed += 1
            click.echo(f"election {election_id}: not counted: {exc.message}", err=True)
            continue
        send_queued_after_commit(session)
        if state == ElectionState.DECIDED:
            decided += 1
        elif state == ElectionState.TALLYING:
            tallying += 1
        elif state == ElectionState.CANCELLED:
            cancelled += 1
    click.echo(f"{len(ids)} election(s) closed: {decided} decided, {tallying} waiting for the trustees' "
               f"decryptions, {cancelled} cancelled (not counted), {failed} not counted")

