"""Elections can be closed uncounted ("cancelled") when their proposal is cancelled during voting.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:45:04
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "state IN ('open', 'tallying', 'decided')"
NEW_STATES = "state IN ('open', 'tallying', 'decided', 'cancelled')"


def _states(check: str) -> None:
    with op.batch_alter_table('elections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_elections_election_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_elections_election_state'), check)


def upgrade() -> None:
    _states(NEW_STATES)


def downgrade() -> None:
    # Fails (as it should) while an election is cancelled: that state cannot exist before 0008.
    _states(OLD_STATES)
