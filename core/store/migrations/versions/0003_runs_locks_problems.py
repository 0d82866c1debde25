"""Run liveness (heartbeat, pid, host, error type), job locks, parked reason codes and fields, field problems,
record identifiers.

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_type', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=True))
    with op.batch_alter_table('parked_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('field', sa.String(length=200), nullable=True))
    op.create_table('field_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', 'field', name='uq_field_problems_key')
    )
    with op.batch_alter_table('field_problems', schema=None) as batch_op:
        batch_op.create_index('ix_field_problems_run_id', ['run_id'], unique=False)
    op.create_table('record_identifiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=120), nullable=False),
    sa.Column('source_id', sa.String(length=512), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=600), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'stream', 'source_id', 'model', 'key', name='uq_record_identifiers_key')
    )
    with op.batch_alter_table('record_identifiers', schema=None) as batch_op:
        batch_op.create_index('ix_record_identifiers_lookup', ['key', 'model'], unique=False)
    op.create_table('job_locks',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('job_locks')
    with op.batch_alter_table('record_identifiers', schema=None) as batch_op:
        batch_op.drop_index('ix_record_identifiers_lookup')
    op.drop_table('record_identifiers')
    with op.batch_alter_table('field_problems', schema=None) as batch_op:
        batch_op.drop_index('ix_field_problems_run_id')
    op.drop_table('field_problems')
    with op.batch_alter_table('parked_records', schema=None) as batch_op:
        batch_op.drop_column('field')
        batch_op.drop_column('code')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('host')
        batch_op.drop_column('pid')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('error_type')
