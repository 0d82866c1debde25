"""``profiles.golden`` is ``json`` on PostgreSQL: a golden record is written and read whole.

``JSONB`` takes each value apart into its binary form when it is written, which is what
makes it queryable inside; a golden record is never queried inside (its packed form names
fields by position) and is rewritten for every profile a batch resolves, so the column keeps
the checked text instead (``golden::jsonb`` reads it as JSONB in SQL). SQLite's column is
JSON text either way.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:50:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE profiles ALTER COLUMN golden TYPE json USING golden::json')


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE profiles ALTER COLUMN golden TYPE jsonb USING golden::jsonb')
