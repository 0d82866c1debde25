"""Indexes so a lookup costs what it finds: given records' parked rows and review pairs, a run's changed rows.

* ``parked_records (system, stream, source_id)``: the unique index is on the content hash,
  so closing the parked rows of a stored batch (``Parked.close_stored``, every batch of a
  stream with open parked rows) or erasing a record read every parked row of its stream.
* ``identity_reviews (right_record)``: the pair's unique index starts with ``left_record``;
  the pairs naming a record as their right one (``Reviews.forget``, an erasure) were a scan
  of every pair.
* ``canonical_records (updated_at)``: a sync's work is the canonical rows changed since the
  last run that finished (``Records.changed_since``, twice a run); without it each run read
  every row of the table through the key index, 0.7 s at 100,000 rows with nothing changed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:20:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_parked_records_record', 'parked_records', ['system', 'stream', 'source_id'])
    op.create_index('ix_identity_reviews_right_record', 'identity_reviews', ['right_record'])
    op.create_index('ix_canonical_records_updated_at', 'canonical_records', ['updated_at'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_canonical_records_updated_at', table_name='canonical_records')
    op.drop_index('ix_identity_reviews_right_record', table_name='identity_reviews')
    op.drop_index('ix_parked_records_record', table_name='parked_records')
