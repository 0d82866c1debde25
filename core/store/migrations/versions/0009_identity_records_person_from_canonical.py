"""The identity index reads a record's Person from its canonical row: ``identity_records.person`` goes.

The column held a copy of the record's canonical ``Person`` text, written again by every
batch resolution (about 70 MB at 100,000 people). Downgrading puts the column back and
fills it from the canonical rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 08:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('identity_records') as batch_op:
        batch_op.drop_column('person')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('identity_records') as batch_op:
        batch_op.add_column(sa.Column('person', sa.Text(), nullable=False, server_default='{}'))
    op.execute(
        "UPDATE identity_records SET person = COALESCE(("
        "SELECT CAST(c.data AS TEXT) FROM canonical_records c"
        " WHERE c.system || '/' || c.stream || '/' || c.source_id = identity_records.record"
        " AND c.model = 'Person' AND c.ordinal = 0), '{}')"
    )
    with op.batch_alter_table('identity_records') as batch_op:
        batch_op.alter_column('person', server_default=None)
