"""``dataguild record export ELECTION_ID [--out FILE] [--zip]``: write an election's record
(docs/record-spec.md), the same bytes as ``/elections/<id>/record.json`` (or ``record.zip``).

Without ``--out`` the file is ``election-<id>-record.json`` (``.zip``) in the current directory;
``--out -`` writes to standard output. The file is written to a temporary name and renamed, so a
failed export leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from governance import db
from voting.counting import record_export
from voting.elections.models import Election
from voting.record import document as er


@click.group("record")
def record_cli() -> None:
    """The public election record (everything needed to verify an election)."""


@record_cli.command("export")
@click.argument("election_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, allow_dash=True),
              help="File to write (default: election-<id>-record.json or .zip; '-' for standard output).")
@click.option("--zip", "zipped", is_flag=True, help="Write record.zip (one deflated record.json inside).")
@with_appcontext
def export_command(election_id: int, out: str | None, zipped: bool) -> None:
    """Export election ELECTION_ID's record as canonical JSON (or a zip of it)."""
    session = db.session()
    election = session.get(Election, election_id)
    if election is None:
        raise click.ClickException(f"There is no election {election_id}.")
    data = er.record_bytes(record_export.election_record(session, election))
    digest = hashlib.sha256(data).hexdigest()
    session.rollback()
    if zipped:
        data = er.zip_bytes(data)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = Path(out or f"election-{election_id}-record.{'zip' if zipped else 'json'}")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent.resolve())
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise click.ClickException(f"Cannot write {path}: {exc.strerror or exc}") from exc
    click.echo(f"election {election_id} ({election.state.value}): {len(data)} bytes written to {path}; "
               f"record SHA-256 {digest}", err=True)
