"""A blocking key's profile is its record's: ``identity_block_keys.profile_id`` goes.

Incremental resolution reads a candidate's profile from ``identity_records`` (joined on the
record), which every write keeps; the column repeated it on each of a record's ten or so
keys. Downgrading puts the column back, filled from ``identity_records``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:20:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('identity_block_keys') as batch_op:
        batch_op.drop_column('profile_id')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('identity_block_keys') as batch_op:
        batch_op.add_column(sa.Column('profile_id', sa.String(length=40), nullable=False, server_default=''))
    op.execute(
        "UPDATE identity_block_keys SET profile_id = COALESCE(("
        "SELECT r.profile_id FROM identity_records r WHERE r.record = identity_block_keys.record), '')"
    )
    with op.batch_alter_table('identity_block_keys') as batch_op:
        batch_op.alter_column('profile_id', server_default=None)
