"""Personal access tokens with scopes for the public API; trustee tokens become tokens of the trustee scope.

Every row of ``trustee_tokens`` is carried over to ``api_tokens`` with the scope ``trustee`` and no expiry
(its holders keep using their ``dgt_`` tokens: only the SHA-256 is stored, and it does not change), then
``trustee_tokens`` is dropped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('scopes', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('window_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_api_tokens_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_member_id'), ['member_id'], unique=False)
    op.execute("INSERT INTO api_tokens (member_id, token_hash, label, scopes, created_at, last_used_at, revoked_at, "
               "window_count) SELECT member_id, token_hash, label, 'trustee', created_at, last_used_at, revoked_at, 0 "
               "FROM trustee_tokens")
    with op.batch_alter_table('trustee_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trustee_tokens_member_id'))
    op.drop_table('trustee_tokens')


def downgrade() -> None:
    op.create_table('trustee_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_trustee_tokens_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trustee_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trustee_tokens_token_hash'))
    )
    with op.batch_alter_table('trustee_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trustee_tokens_member_id'), ['member_id'], unique=False)
    op.execute("INSERT INTO trustee_tokens (member_id, token_hash, label, created_at, last_used_at, revoked_at) "
               "SELECT member_id, token_hash, label, created_at, last_used_at, revoked_at FROM api_tokens "
               "WHERE scopes LIKE '%trustee%'")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_member_id'))
    op.drop_table('api_tokens')
