"""Chained tree heads: each head names the hash of the head before it, each receipt the latest head.

``tree_heads.previous`` is the SHA-256 of the previous head's signed message (32 zero bytes for an
election's first head); ``board_entries.receipt_head`` is the hash of the latest head when the ballot was
cast, which its receipt signs (docs/record-spec.md). Both are NULL for rows written before this revision:
version-1 elections keep unchained heads and version-1 receipts, and their records verify as version 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tree_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous', sa.String(length=64), nullable=True))
    with op.batch_alter_table('board_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_head', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('board_entries', schema=None) as batch_op:
        batch_op.drop_column('receipt_head')
    with op.batch_alter_table('tree_heads', schema=None) as batch_op:
        batch_op.drop_column('previous')
