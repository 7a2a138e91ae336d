"""Trustee committees: members appointed as trustees, the key ceremony's public messages, the joint
key, and trustees' personal API tokens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:45:00
"""

from collections.abc import Sequence

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in with voting.committee_models


def downgrade() -> None:
    pass
