"""Indexes for finding given records' parked rows and review pairs, so a lookup costs what it finds.

* ``parked_records (system, stream, source_id)``: the unique index is on the content hash,
  so closing the parked rows of a stored batch (``Parked.close_stored``, every batch of a
  stream with open parked rows) or erasing a record read every parked row of its stream.
* ``identity_reviews (right_record)``: the pair's unique index starts with ``left_record``;
  the pairs naming a record as their right one (``Reviews.forget``, an erasure) were a scan
  of every pair.

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


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_identity_reviews_right_record', table_name='identity_reviews')
    op.drop_index('ix_parked_records_record', table_name='parked_records')
