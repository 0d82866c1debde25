"""Whether a mapping's streams are streams its connector has: ``unknown_streams``.

A stream the connector never pulls (``Contacts`` for Salesforce, whose object is
``Contact``) maps nothing, silently. The names come from the connector: the streams a
configured connector pulls (``check``, ``setup``), else the names its factory declares
(``stream_names``; ``open_streams`` when other names may be configured, as any
Salesforce sObject, where only a name spelt close to a known one is a mistake).
"""

from __future__ import annotations

from collections.abc import Collection

from connectors.registry import discover
from core.errors import Problem
from core.mapping.engine import CompiledMapping
from core.problems import closest

__all__ = ["declared_streams", "unknown_streams"]


def declared_streams(kind: str) -> tuple[tuple[str, ...], bool] | None:
    """Return ``(stream names, open)`` a connector kind declares, or ``None`` (no such kind, or it declares none)."""
    for loaded in discover():
        if loaded.name == kind and loaded.factory is not None:
            names = getattr(loaded.factory, "stream_names", None)
            if names is None:
                return None
            return tuple(str(n) for n in names), bool(getattr(loaded.factory, "open_streams", False))
    return None


def unknown_streams(
    mapping: CompiledMapping, *, kind: str | None = None, configured: Collection[str] | None = None
) -> list[Problem]:
    """Return a problem for each stream of ``mapping`` the connector does not have.

    Args:
        mapping: The compiled mapping.
        kind: The connector kind (default: the mapping's ``system``).
        configured: The streams a configured connector pulls; every mapped stream must be one of
            these or a name the connector declares.
    """
    declared = declared_streams(kind or mapping.system)
    known, open_ = declared if declared is not None else ((), True)
    if configured is None and declared is None:
        return []  # a system no installed connector describes: nothing to compare with
    problems = []
    choices = sorted({*known, *(configured or ())})
    for name in mapping.streams:
        if name in choices:
            continue
        near = closest(name, choices)
        if configured is None and open_ and not near:
            continue  # e.g. a custom Salesforce object: it may be configured
        problems.append(_problem(mapping, name, kind or mapping.system, choices, near, configured=configured))
    return problems


def _problem(
    mapping: CompiledMapping,
    name: str,
    kind: str,
    choices: list[str],
    near: list[str],
    *,
    configured: Collection[str] | None,
) -> Problem:
    pulled = f"; the system pulls: {', '.join(sorted(configured))}" if configured is not None else ""
    message = f"the {kind} connector has no stream {name!r}{pulled}"
    if near:
        hint = f"did you mean {near[0]!r}? rename the stream under 'streams:'"
    elif configured is not None:
        hint = f"add {name!r} to the system's settings in contactpoint.yaml, or rename the stream"
    else:
        hint = f"streams of {kind}: {', '.join(choices)}"
    return mapping.problem(("streams", name), message, hint)
