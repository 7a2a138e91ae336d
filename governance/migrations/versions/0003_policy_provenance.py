"""Provenance of policy versions and agreements: the adopting election and its record hash, and the
cooperative's BLS signature with the public key that made it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 17:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('election_record_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.String(length=192), nullable=True))
        batch_op.add_column(sa.Column('signing_key', sa.String(length=96), nullable=True))
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('election_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('election_record_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('record_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.String(length=192), nullable=True))
        batch_op.add_column(sa.Column('signing_key', sa.String(length=96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        for column in ('signing_key', 'signature', 'record_hash', 'election_record_hash', 'election_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        for column in ('signing_key', 'signature', 'election_record_hash', 'election_id'):
            batch_op.drop_column(column)
