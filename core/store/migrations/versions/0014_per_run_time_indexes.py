"""Indexes so what every run asks of the tables that grow with the people costs what it finds.

* ``profile_decisions (review_at)``: the profiles whose decisions run out by now
  (``Decisions.due``, once a run) read every profile's decision through the key.
* ``ledger_entries (recorded_at)``: the people with something new in their ledger since the
  last run (``Ledger.stated_since``, once a run) read every statement ever recorded.
* ``runs (status)``: the runs still going, looked for when a run starts (a stale lock's run),
  read the whole history of runs.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_profile_decisions_review_at', 'profile_decisions', ['review_at'])
    op.create_index('ix_ledger_entries_recorded_at', 'ledger_entries', ['recorded_at'])
    op.create_index('ix_runs_status', 'runs', ['status'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_runs_status', table_name='runs')
    op.drop_index('ix_ledger_entries_recorded_at', table_name='ledger_entries')
    op.drop_index('ix_profile_decisions_review_at', table_name='profile_decisions')
