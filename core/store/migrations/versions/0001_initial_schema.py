"""Initial schema: source and canonical records, cursors, runs, parked records,
profiles, aliases, links and the write-back ledger.

Revision ID: 0001
Revises: (none)
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('canonical_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', 'model', 'ordinal', name='uq_canonical_records_key')
    )
    op.create_index('ix_canonical_records_model', 'canonical_records', ['model'], unique=False)
    op.create_table('cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('cursor', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', name='uq_cursors_key')
    )
    op.create_table('links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=120), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', name='uq_links_key')
    )
    op.create_index('ix_links_profile_id', 'links', ['profile_id'], unique=False)
    op.create_table('parked_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('position', sa.String(length=255), nullable=True),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('first_parked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_parked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('times_seen', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'content_hash', name='uq_parked_records_key')
    )
    op.create_index('ix_parked_records_run_id', 'parked_records', ['run_id'], unique=False)
    op.create_table('profile_aliases',
    sa.Column('alias', sa.String(length=40), nullable=False),
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('alias')
    )
    op.create_index('ix_profile_aliases_profile_id', 'profile_aliases', ['profile_id'], unique=False)
    op.create_table('profiles',
    sa.Column('profile_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('golden', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('profile_id')
    )
    op.create_index('ix_profiles_merged_into', 'profiles', ['merged_into'], unique=False)
    op.create_table('runs',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counters', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('api_usage', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_id')
    )
    op.create_index('ix_runs_started_at', 'runs', ['started_at'], unique=False)
    op.create_table('source_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('merged_into', sa.String(length=512), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', name='uq_source_records_key')
    )
    op.create_index('ix_source_records_last_run_id', 'source_records', ['last_run_id'], unique=False)
    op.create_table('writeback_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('field', sa.String(length=255), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('value_hash', sa.String(length=64), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', 'field', name='uq_writeback_ledger_key')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('writeback_ledger')
    op.drop_index('ix_source_records_last_run_id', table_name='source_records')
    op.drop_table('source_records')
    op.drop_index('ix_runs_started_at', table_name='runs')
    op.drop_table('runs')
    op.drop_index('ix_profiles_merged_into', table_name='profiles')
    op.drop_table('profiles')
    op.drop_index('ix_profile_aliases_profile_id', table_name='profile_aliases')
    op.drop_table('profile_aliases')
    op.drop_index('ix_parked_records_run_id', table_name='parked_records')
    op.drop_table('parked_records')
    op.drop_index('ix_links_profile_id', table_name='links')
    op.drop_table('links')
    op.drop_table('cursors')
    op.drop_index('ix_canonical_records_model', table_name='canonical_records')
    op.drop_table('canonical_records')
