"""The ``dataguild`` console script (click). Commands open the app and use the same services as views."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from governance.app import create_app
from governance.config import ConfigError


def _create_app() -> object:
    try:
        return create_app()
    except ConfigError as exc:  # a message, not a traceback
        raise click.ClickException(str(exc)) from exc


class DataguildGroup(FlaskGroup):
    """Lists and finds only our own commands, without loading the app: ``dataguild --help`` works
    before any configuration exists (production refuses to create the app without a secret key).
    The app is created when a command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            if _missing_table(exc):
                raise click.ClickException(
                    "the database has no schema yet: run `dataguild db upgrade` first") from exc
            raise


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


@click.group(cls=DataguildGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """dataguild: governance site of a data cooperative."""


# [commands] each package registers its command group below (main.add_command(...))
from governance.audit.cli import audit_cli  # noqa: E402
from governance.constitution.cli import constitution_cli  # noqa: E402
from governance.mail.cli import mail_cli  # noqa: E402
from governance.members.cli import member_cli  # noqa: E402
from governance.operations.demo import demo_command  # noqa: E402
from governance.operations.keys import keys_cli  # noqa: E402
from governance.operations.migrate import db_cli  # noqa: E402
from governance.operations.serve import serve_command  # noqa: E402
from governance.policy.odrl.cli import policy_cli  # noqa: E402
from governance.webhooks.cli import webhooks_cli  # noqa: E402
from proposals.cli import tick_command  # noqa: E402
from voting.cli import COMMANDS as VOTING_COMMANDS  # noqa: E402

main.add_command(db_cli)
main.add_command(member_cli)
main.add_command(mail_cli)
main.add_command(demo_command)
main.add_command(serve_command)
main.add_command(audit_cli)
main.add_command(constitution_cli)
main.add_command(tick_command)
main.add_command(keys_cli)
main.add_command(policy_cli)
main.add_command(webhooks_cli)
for voting_command in VOTING_COMMANDS:
    main.add_command(voting_command)
