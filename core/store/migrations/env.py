"""Alembic environment for the store, configured from code (no alembic.ini).

``core.store.schema`` passes an open connection in ``config.attributes["connection"]``;
offline (``--sql``) mode renders SQL for ``config.get_main_option("sqlalchemy.url")``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlmodel.sql.sqltypes import AutoString

from core.store.tables import metadata
from core.store.types import UtcDateTime

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Render our column types as plain SQLAlchemy ones, so a migration never imports app code.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})"
    if type_ == "type" and isinstance(obj, sa.JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def _options() -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "compare_type": True,
        "render_as_batch": True,
        "render_item": _render_item,
    }


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        msg = "core.store.schema passes the connection; run migrations through `contactpoint store migrate`"
        raise RuntimeError(msg)
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
