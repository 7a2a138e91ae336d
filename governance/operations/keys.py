"""``dataguild keys``: create and show the site's signing keys (see ``governance.signing``)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from governance.signing import SigningKeysUnavailable, generate_site_keys, key_store_for, read_key_file, write_key_file


def _key_path() -> Path:
    return key_store_for(current_app.config, current_app.instance_path).path


@click.group("keys")
def keys_cli() -> None:
    """The cooperative's signing keys (BLS for policy and tree heads, BIP-340 for receipts)."""


@keys_cli.command("generate")
@with_appcontext
def generate_command() -> None:
    """Create the key file (mode 0600); refuses to replace an existing one."""
    path = _key_path()
    try:
        write_key_file(path, generate_site_keys())
    except FileExistsError:
        raise click.ClickException(f"{path} already exists; signatures made with it would no longer match a "
                                   "new key, so it is left as it is") from None
    click.echo(f"wrote {path} (keep a backup; the public keys are served at /.well-known/dataguild-keys.json)")


@keys_cli.command("show")
@with_appcontext
def show_command() -> None:
    """Print the public keys as JSON."""
    try:
        keys = read_key_file(_key_path())
    except SigningKeysUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(keys.public_json(), indent=2))
