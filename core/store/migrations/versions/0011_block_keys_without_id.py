"""The block keys lose their surrogate ``id``: a key row is found by its key or its record, never by it.

On PostgreSQL the column cost a sequence step and a primary-key index entry for each of a
whole batch's rows (about ten a record): its ``COPY`` took three times as long as the
three columns alone. On SQLite the row ID was the column and stays. Downgrading numbers
the rows again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('identity_block_keys') as batch_op:
        batch_op.drop_column('id')


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE identity_block_keys ADD COLUMN id SERIAL PRIMARY KEY')
        return
    # SQLite: the table is made again with the column first (its row ID), as 0002 made it
    op.create_table(
        'identity_block_keys_0010',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('sub_key', sa.String(length=255), nullable=False),
        sa.Column('record', sa.String(length=700), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute(
        'INSERT INTO identity_block_keys_0010 (key, sub_key, record) '
        'SELECT key, sub_key, record FROM identity_block_keys ORDER BY rowid'
    )
    op.drop_table('identity_block_keys')
    op.rename_table('identity_block_keys_0010', 'identity_block_keys')
    with op.batch_alter_table('identity_block_keys') as batch_op:
        batch_op.create_index('ix_identity_block_keys_key', ['key', 'sub_key'], unique=False)
        batch_op.create_index('ix_identity_block_keys_record', ['record'], unique=False)
