"""Deal suspensions by vote: the proposal kind deal_suspension, an agreement records the proposal
whose adoption suspended it, and the constitution allows no minimum discussion (0 days) for the
emergency kinds.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_KINDS = "kind IN ('data_use_rule', 'deal_approval', 'payout_policy', 'bylaw_change')"
NEW_KINDS = "kind IN ('data_use_rule', 'deal_approval', 'payout_policy', 'bylaw_change', 'deal_suspension')"


def upgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_proposals_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_proposals_kind_known'), NEW_KINDS)
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_by_proposal_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('constitution_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_constitution_rules_days_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_constitution_rules_days_in_range'),
                                         'min_discussion_days >= 0 AND voting_days >= 1')


def downgrade() -> None:
    # Fails (as it should) while a row has 0 days of discussion: those rules cannot exist before 0007.
    with op.batch_alter_table('constitution_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_constitution_rules_days_in_range'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_constitution_rules_days_positive'),
                                         'min_discussion_days >= 1 AND voting_days >= 1')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('suspended_by_proposal_id')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_proposals_kind_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_proposals_kind_known'), OLD_KINDS)
