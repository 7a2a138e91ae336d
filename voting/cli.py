"""The voting package's command-line wiring: every ``dataguild`` command that a voting room provides.

``governance.cli`` adds these to the ``dataguild`` group; each command lives in its room.
"""

from __future__ import annotations

import click

from voting.counting.cli import count_command
from voting.counting.record_cli import record_cli
from voting.elections.vote_cli import vote_command
from voting.trustees.cli import trustee_cli

COMMANDS: tuple[click.Command, ...] = (count_command, record_cli, trustee_cli, vote_command)
