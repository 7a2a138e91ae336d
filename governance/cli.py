"""The ``dataguild`` console script (click). Commands open the app and use the same services as views."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from governance.app import create_app


def _create_app() -> object:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main() -> None:
    """dataguild: governance site of a data cooperative."""


# [commands] each package registers its command group below (main.add_command(...))
from governance.audit.cli import audit_cli  # noqa: E402
from governance.constitution.cli import constitution_cli  # noqa: E402
from governance.mail.cli import mail_cli  # noqa: E402
from governance.members.cli import member_cli  # noqa: E402
from governance.operations.demo import demo_command  # noqa: E402
from governance.operations.migrate import db_cli  # noqa: E402
from governance.operations.serve import serve_command  # noqa: E402

main.add_command(db_cli)
main.add_command(member_cli)
main.add_command(mail_cli)
main.add_command(demo_command)
main.add_command(serve_command)
main.add_command(audit_cli)
main.add_command(constitution_cli)
