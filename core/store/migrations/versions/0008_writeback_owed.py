"""Profiles whose writes to a system waited because it failed during a run.

Self-contained: only creates a table of its own.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 05:15:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('writeback_owed',
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('owed_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('system', 'profile_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('writeback_owed')
