"""A partial index of the alerts not yet sent, so each run reads those and not every alert ever raised.

``Alerts.pending`` (once a run, before the alerts go out) read the whole table: every
complaint ever raised stays in it, sent. The index holds only the others, in the order
they are sent (time raised, then key), so the run reads what it sends.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:00:00.000000

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_UNSENT = sa.text("status != 'sent'")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        'ix_alerts_unsent', 'alerts', ['raised_at', 'key'], sqlite_where=_UNSENT, postgresql_where=_UNSENT
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_alerts_unsent', table_name='alerts')
