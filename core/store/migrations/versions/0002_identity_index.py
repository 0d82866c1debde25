"""Identity: manual pins, the blocking-key index and resolved records for incremental resolution, trained models.

Revision ID: 0002
Revises: 0001
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('identity_block_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('sub_key', sa.String(length=255), nullable=False),
    sa.Column('record', sa.String(length=700), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_block_keys', schema=None) as batch_op:
        batch_op.create_index('ix_identity_block_keys_key', ['key', 'sub_key'], unique=False)
        batch_op.create_index('ix_identity_block_keys_record', ['record'], unique=False)

    op.create_table('identity_models',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('settings_hash', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('model_id')
    )
    op.create_table('identity_pins',
    sa.Column('pin_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('left_record', sa.String(length=700), nullable=False),
    sa.Column('right_record', sa.String(length=700), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('pin_id')
    )
    with op.batch_alter_table('identity_pins', schema=None) as batch_op:
        batch_op.create_index('ix_identity_pins_left_record', ['left_record'], unique=False)
        batch_op.create_index('ix_identity_pins_right_record', ['right_record'], unique=False)

    op.create_table('identity_records',
    sa.Column('record', sa.String(length=700), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('person', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('record')
    )
    with op.batch_alter_table('identity_records', schema=None) as batch_op:
        batch_op.create_index('ix_identity_records_profile_id', ['profile_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('identity_records', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_records_profile_id')

    op.drop_table('identity_records')
    with op.batch_alter_table('identity_pins', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_pins_right_record')
        batch_op.drop_index('ix_identity_pins_left_record')

    op.drop_table('identity_pins')
    op.drop_table('identity_models')
    with op.batch_alter_table('identity_block_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_block_keys_record')
        batch_op.drop_index('ix_identity_block_keys_key')

    op.drop_table('identity_block_keys')
