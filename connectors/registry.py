"""Finding connectors: the ``contactpoint.connectors`` entry-point group.

A broken plug-in never stops Contactpoint: it is skipped with a warning and
``contactpoint connectors list`` shows why it did not load.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

import structlog

from connectors.base import ConnectorFactory
from core.errors import ConnectorConfigError

__all__ = ["ENTRY_POINT_GROUP", "LoadedConnector", "discover", "factory_for"]

ENTRY_POINT_GROUP = "contactpoint.connectors"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LoadedConnector:
    """One entry point and what came of loading it."""

    name: str
    target: str
    distribution: str | None
    factory: ConnectorFactory | None
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether the plug-in loaded and looks like a connector factory."""
        return self.factory is not None


def _load(ep: EntryPoint) -> LoadedConnector:
    dist = ep.dist.name if ep.dist is not None else None
    try:
        obj = ep.load()
    except Exception as err:  # noqa: BLE001 - any import failure of a plug-in is reported, not raised
        return LoadedConnector(ep.name, ep.value, dist, None, f"import failed: {type(err).__name__}: {err}")
    missing = [attr for attr in ("system", "config_model", "from_config") if not hasattr(obj, attr)]
    if missing:
        return LoadedConnector(
            ep.name, ep.value, dist, None, f"{ep.value} is not a connector factory: missing {', '.join(missing)}"
        )
    return LoadedConnector(ep.name, ep.value, dist, obj, None)


def discover() -> list[LoadedConnector]:
    """Load every registered connector, sorted by name; failures are kept, not raised."""
    found: dict[str, LoadedConnector] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        loaded = _load(ep)
        if loaded.error is not None:
            log.warning("connector.load_failed", connector=ep.name, target=ep.value, error=loaded.error)
        if ep.name in found and found[ep.name].ok:
            log.warning("connector.duplicate_ignored", connector=ep.name, target=ep.value)
            continue
        found[ep.name] = loaded
    return [found[name] for name in sorted(found)]


def factory_for(kind: str) -> ConnectorFactory:
    """Return the factory registered as ``kind``.

    Raises:
        ConnectorConfigError: When no connector of that kind loaded; lists those that did.
    """
    loaded = {c.name: c for c in discover()}
    entry = loaded.get(kind)
    if entry is not None and entry.factory is not None:
        return entry.factory
    available = ", ".join(name for name, c in loaded.items() if c.ok) or "none"
    if entry is not None:
        msg = f"connector {kind!r} is installed but failed to load: {entry.error}"
        hint = "run 'contactpoint connectors list' for details, then reinstall the plug-in"
    else:
        msg = f"no connector named {kind!r}; available: {available}"
        hint = "check the 'kind' of the system in contactpoint.yaml, or install the connector's package"
    raise ConnectorConfigError(msg, hint=hint, system=kind)
