"""``dataguild constitution ...``: show the rules in force and their history, adopt the defaults."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from governance.audit.chain import timestamp
from governance.constitution.rules import KINDS, PARAMETER_LABELS, PARAMETERS, display_value
from governance.constitution.services import (
    current_version,
    get_version,
    list_versions,
    seed_defaults,
    verify_versions,
    version_changes,
)
from governance.db import session

constitution_cli = AppGroup("constitution", help="Show the constitution; adopt the default one.")


@constitution_cli.command("show")
@click.option("--version", "number", type=click.IntRange(min=1), help="Show this version instead of the current one.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_command(number: int | None, as_json: bool) -> None:
    """Print the rules in force (or of one version) and the history of changes."""
    db = session()
    version = get_version(db, number) if number else current_version(db)
    if version is None:
        raise click.ClickException(f"there is no version {number}" if number else
                                   "the constitution has not been adopted yet; run `dataguild constitution seed`")
    snapshot = version.snapshot()
    if as_json:
        click.echo(json.dumps({"number": version.number, "adopted_at": timestamp(version.created_at),
                               "reason": version.reason, "proposal_id": version.proposal_id,
                               "snapshot_hash": version.snapshot_hash,
                               "rules": [snapshot[k].to_json() for k in KINDS]}, indent=2))
        return
    click.echo(f"Constitution version {version.number}, adopted {timestamp(version.created_at)} "
               f"by {version.actor_label}: {version.reason}")
    width = max(len(label) for label in PARAMETER_LABELS.values())
    for kind, label in KINDS.items():
        click.echo(f"\n{label} ({kind})")
        for param in PARAMETERS:
            click.echo(f"  {PARAMETER_LABELS[param]:<{width}}  {display_value(param, getattr(snapshot[kind], param))}")
    click.echo("\nHistory")
    for v in list_versions(db):
        changes = version_changes(db, v)
        ref = f" (proposal #{v.proposal_id})" if v.proposal_id else ""
        click.echo(f"  v{v.number} {timestamp(v.created_at)} {v.actor_label}: {v.reason}{ref}")
        for change in changes:
            click.echo(f"      {change.summary}")
    for problem in verify_versions(db):
        click.echo(f"WARNING: {problem}", err=True)


@constitution_cli.command("seed")
def seed_command() -> None:
    """Adopt the default constitution as version 1 (does nothing if one exists)."""
    db = session()
    existing = current_version(db)
    version = seed_defaults(db)
    db.commit()
    if existing is None:
        click.echo(f"Adopted the default constitution as version {version.number}.")
    else:
        click.echo(f"The constitution already exists (version {version.number}); nothing changed.")
