"""Blocking keys too common to search by: how many of their rows a batch left out of the index.

Self-contained: only creates a table of its own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 04:50:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('identity_wide_keys',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('left_out', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('identity_wide_keys')
