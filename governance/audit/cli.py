"""``dataguild audit ...``: verify the hash chain from the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from governance.audit.chain import timestamp
from governance.audit.services import chain_status, list_entries
from governance.db import session

audit_cli = AppGroup("audit", help="Inspect and verify the hash-chained audit log.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute every entry's hash and link; exit 1 naming the broken entries if any."""
    status = chain_status(session())
    if status.entries:
        click.echo(f"Checked {status.entries} entries: recomputed each SHA-256 hash from its content and the "
                   "previous entry's hash, checked the sequence numbers and the links, "
                   f"and compared the last entry with the stored head (#{status.head_seq}).")
    else:
        click.echo("The audit log is empty; checked that the stored head expects no entries.")
    if status.intact:
        click.echo(f"Chain intact: {status.entries} entries, head hash {status.head_hash}")
        return
    for brk in status.breaks:
        click.echo(f"BROKEN {brk}", err=True)
    seqs = ", ".join(f"#{s}" for s in status.broken_seqs)
    click.echo(f"Chain broken at entr{'y' if len(status.broken_seqs) == 1 else 'ies'} {seqs}. "
               "See docs/operations-audit.md (what to do when verification fails).", err=True)
    raise SystemExit(1)


@audit_cli.command("tail")
@click.option("-n", "--count", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="How many of the newest entries to show.")
def tail_command(count: int) -> None:
    """Show the newest entries."""
    for e in reversed(list_entries(session(), offset=0, limit=count)):
        subject = f" {e.subject_type}#{e.subject_id}" if e.subject_type else ""
        click.echo(f"#{e.seq} {timestamp(e.created_at)} {e.actor_label}: {e.action}{subject} {e.entry_hash[:12]}")
