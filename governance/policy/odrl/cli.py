"""``dataguild policy export --out DIR``: every policy document on disk, laid out like the site's URLs.

::

    DIR/policy/data-use.jsonld            the data-use policy in force (absent before the first version)
    DIR/policy/data-use/v{N}.jsonld       every data-use version (ODRL Set)
    DIR/policy/payout.jsonld              the payout policy in force (absent before the first version)
    DIR/policy/payout/v{N}.jsonld         every payout version
    DIR/deals/{id}/agreement.jsonld       every agreement (ODRL Agreement), whatever its status
    DIR/ns/context.jsonld                 the cooperative's JSON-LD context
    DIR/ns/odrl-profile.ttl, .jsonld      the cooperative's ODRL profile
    DIR/ns/shapes.ttl                     the closed SHACL shapes the exports conform to
    DIR/ns/payout-policy.schema.json      the JSON Schema of payout versions

The files are byte for byte what the site serves, so DIR can be published as static files or archived.
Idempotent: a file whose content is unchanged is not rewritten; changed files are replaced atomically.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from governance.db import session
from governance.policy.agreements import list_agreements
from governance.policy.odrl.agreement import agreement_document_of
from governance.policy.odrl.data_use import data_use_set_of, document_text
from governance.policy.odrl.jsonld import DATA_DIR
from governance.policy.odrl.payout import payout_policy_document_of
from governance.policy.services import DATA_USE, PAYOUT, list_policy_versions, rules_in_force_at

policy_cli = AppGroup("policy", help="The cooperative's adopted policy as machine-readable documents.")

#: Shipped files and where they go under DIR.
STATIC_FILES = {
    "ns/context.jsonld": "dataguild-context.jsonld",
    "ns/odrl-profile.ttl": "dataguild-profile.ttl",
    "ns/odrl-profile.jsonld": "dataguild-profile.jsonld",
    "ns/shapes.ttl": "dataguild-shapes.ttl",
    "ns/payout-policy.schema.json": "payout-policy.schema.json",
}


@dataclass
class ExportSummary:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def policy_documents(db: Session, base: str) -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of every document, in a stable order."""
    for line, stem, compile_version in ((DATA_USE, "policy/data-use", data_use_set_of),
                                        (PAYOUT, "policy/payout", payout_policy_document_of)):
        versions = list_policy_versions(db, line)  # newest first
        for version in reversed(versions):
            yield f"{stem}/v{version.number}.jsonld", document_text(compile_version(base, version)).encode()
        if versions:
            yield f"{stem}.jsonld", document_text(compile_version(base, versions[0])).encode()
    for agreement in sorted(list_agreements(db), key=lambda row: row.id):
        document = agreement_document_of(base, agreement, rules_in_force_at(db, agreement.approved_at))
        yield f"deals/{agreement.id}/agreement.jsonld", document_text(document).encode()
    for target, source in STATIC_FILES.items():
        yield target, (DATA_DIR / source).read_bytes()


def _write_if_changed(out: Path, relative: str, content: bytes) -> bool:
    path = out / relative
    if path.is_file() and path.read_bytes() == content:
        return False
    for folder in reversed(path.relative_to(out).parents):
        if (out / folder).exists() and not (out / folder).is_dir():
            raise NotADirectoryError(f"{out / folder} is a file, not a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)  # readers never see a half-written document
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def export_policy(db: Session, base: str, out: Path) -> ExportSummary:
    """Write every document under ``out`` (created if missing). Raises ``NotADirectoryError`` when
    ``out`` (or a path inside it that a document needs) is a file."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} is a file, not a directory")
    summary = ExportSummary()
    for relative, content in policy_documents(db, base):
        kind = _kind(relative)
        summary.counts[kind] = summary.counts.get(kind, 0) + 1
        (summary.written if _write_if_changed(out, relative, content) else summary.unchanged).append(relative)
    return summary


def _kind(relative: str) -> str:
    if relative in ("policy/data-use.jsonld", "policy/payout.jsonld"):
        return "current"
    for prefix, kind in (("policy/data-use/", "data-use version"), ("policy/payout/", "payout version"),
                         ("deals/", "agreement")):
        if relative.startswith(prefix):
            return kind
    return "vocabulary file"


def _describe(counts: dict[str, int]) -> str:
    kinds = ("data-use version", "payout version", "agreement", "vocabulary file")
    parts = [f"{counts.get(kind, 0)} {kind}{'' if counts.get(kind, 0) == 1 else 's'}" for kind in kinds]
    return ", ".join(parts) + f" and {counts.get('current', 0)} current-version aliases"


@policy_cli.command("export")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write into (created if missing); its layout mirrors the site's URLs.")
def export_command(out: Path) -> None:
    """Write every data-use and payout version, every agreement, the current versions, the context,
    profile, shapes and payout schema to a directory. Running it again rewrites only what changed."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    try:
        summary = export_policy(session(), base, out)
    except OSError as exc:  # a file where a directory must be, a directory where a file must be, no space...
        raise click.ClickException(f"cannot export into {out}: {exc}") from exc
    click.echo(f"Exported {_describe(summary.counts)} to {out} (IRIs under {base}): "
               f"{len(summary.written)} written, {len(summary.unchanged)} unchanged.")
