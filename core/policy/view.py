"""Interactions as the rules read them: fields by name, derived values, one pass of preparation.

Every system spells the same fact its own way: a page's path is Mixpanel's
``current_url_path`` or the path of its ``$current_url``, a ticket's rating is
Zendesk's ``satisfaction_rating.score``. Rules name a handful of **fields**; the
policy file's ``fields:`` section says where the derived ones are read from::

    kind, type, status, priority, channel, subject     the Interaction's own fields
    system, stream, source_id                          where it came from
    occurred_at, updated_at                            its times
    path          the URL path (a full URL is cut to its path; query and fragment dropped)
    tags          a list (a text of tags is split on commas and spaces)
    satisfaction  a rating such as 'bad' (a {score: ...} object gives its score)
    solved_at     when a ticket was solved (ISO text or a datetime)
    properties.<path>   any property, e.g. properties.amount, properties.$current_url

``prepare`` drops deleted interactions and those that have not happened yet at the
evaluation time, keeps one copy of an interaction given twice (the latest update),
and sorts them by time, so every rule sees the same list in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from core.canonical import Interaction
from core.mapping.paths import parse_path

__all__ = [
    "DERIVED_FIELDS",
    "DIRECT_FIELDS",
    "FIELD_NAMES",
    "InteractionView",
    "Reader",
    "derived_reader",
    "field_reader",
    "prepare",
    "texts",
]


class InteractionView:
    """One interaction prepared for the rules: its kind as text, its time as a number, a cache.

    Attributes:
        interaction: The canonical interaction.
        kind: Its kind's value (``ticket``).
        ts: ``occurred_at`` as a POSIX timestamp, for fast age arithmetic.
    """

    __slots__ = ("_cache", "interaction", "kind", "ts")

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction
        self.kind = str(interaction.kind)
        self.ts = interaction.occurred_at.timestamp()
        self._cache: dict[str, Any] | None = None

    def cached(self, name: str, compute: Callable[[InteractionView], Any]) -> Any:
        """Return the derived value ``name``, computing it once per interaction."""
        if self._cache is None:
            self._cache = {}
        elif name in self._cache:
            return self._cache[name]
        value = self._cache[name] = compute(self)
        return value

    def __repr__(self) -> str:
        item = self.interaction
        return f"InteractionView({item.source}, {self.kind}, {item.type!r}, {item.occurred_at.isoformat()})"


Reader = Callable[[InteractionView], Any]
"""Reads one field of an interaction; ``None`` when it has none."""


def _channel(view: InteractionView) -> str | None:
    channel = view.interaction.channel
    return None if channel is None else str(channel)


DIRECT_FIELDS: dict[str, Reader] = {
    "kind": lambda v: v.kind,
    "type": lambda v: v.interaction.type,
    "status": lambda v: v.interaction.status,
    "priority": lambda v: v.interaction.priority,
    "channel": _channel,
    "subject": lambda v: v.interaction.subject,
    "system": lambda v: v.interaction.source.system,
    "stream": lambda v: v.interaction.source.stream,
    "source_id": lambda v: v.interaction.source.source_id,
    "occurred_at": lambda v: v.interaction.occurred_at,
    "updated_at": lambda v: v.interaction.updated_at,
}
"""Fields read straight from the canonical interaction."""

DERIVED_FIELDS: dict[str, tuple[str, ...]] = {
    "path": (
        "properties.path",
        "properties.url_path",
        "properties.current_url_path",
        "properties.url",
        "properties.$current_url",
        "properties.page_url",
        "subject",
    ),
    "tags": ("properties.tags",),
    "satisfaction": (
        "properties.satisfaction",
        "properties.satisfaction_rating.score",
        "properties.satisfaction_score",
    ),
    "solved_at": ("properties.solved_at", "properties.closed_at"),
}
"""Derived fields and where they are read from by default (first found wins; ``tags`` joins all)."""

FIELD_NAMES = (*DIRECT_FIELDS, *DERIVED_FIELDS)
"""Every field name a rule may use, besides ``properties.<path>``."""

_TAG_SPLIT = re.compile(r"[,\s]+")


def field_reader(name: str, derived: Mapping[str, Reader] | None = None) -> Reader:
    """Return the reader of a field: a direct or derived name, or ``properties.<path>``.

    Args:
        name: The field as a rule names it.
        derived: The derived fields' readers (from the policy file's ``fields:``).

    Raises:
        ValueError: The name is not a field, or its property path is malformed.
    """
    if name in DIRECT_FIELDS:
        return DIRECT_FIELDS[name]
    if derived is not None and name in derived:
        return derived[name]
    if name.startswith("properties."):
        getter = parse_path(name.removeprefix("properties.")).get
        return lambda view: getter(view.interaction.properties)
    msg = f"'{name}' is not a field of an interaction"
    raise ValueError(msg)


def derived_reader(name: str, sources: Sequence[str]) -> Reader:
    """Return the reader of the derived field ``name``, reading ``sources`` in order.

    Raises:
        ValueError: A source is not a direct field or a ``properties.<path>``.
    """
    readers = tuple(field_reader(source) for source in sources)
    compute = _COMBINE[name](readers)
    return lambda view: view.cached(name, compute)


def _first(readers: tuple[Reader, ...], convert: Callable[[Any], Any]) -> Reader:
    def read(view: InteractionView) -> Any:
        for reader in readers:
            value = convert(reader(view))
            if value is not None:
                return value
        return None

    return read


def _url_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if "://" in text or text.startswith("//"):
        return urlsplit(text).path or "/"
    return text.split("?", 1)[0].split("#", 1)[0] or None


def _rating(value: Any) -> Any:
    if isinstance(value, Mapping):
        value = value.get("score")
    return None if value is None or value == "" else value


def _moment(value: Any) -> datetime | None:
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _all_tags(readers: tuple[Reader, ...]) -> Reader:
    def read(view: InteractionView) -> list[str]:
        tags: list[str] = []
        for reader in readers:
            value = reader(view)
            items = _TAG_SPLIT.split(value) if isinstance(value, str) else value
            if isinstance(items, list | tuple):
                tags.extend(str(item) for item in items if isinstance(item, str | int) and str(item))
        return tags

    return read


_COMBINE: dict[str, Callable[[tuple[Reader, ...]], Reader]] = {
    "path": lambda readers: _first(readers, _url_path),
    "tags": _all_tags,
    "satisfaction": lambda readers: _first(readers, _rating),
    "solved_at": lambda readers: _first(readers, _moment),
}


def texts(value: Any) -> tuple[str, ...]:
    """Return the texts a pattern is matched against: one per scalar, flattened from a list.

    ``None`` and objects give none, so they match no pattern; booleans read ``true`` or
    ``false``; numbers read as written (``3``, ``2.5``).
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, int | float):
        return (str(value),)
    if isinstance(value, datetime):
        return (value.isoformat(),)
    if isinstance(value, list | tuple):
        return tuple(text for item in value if not isinstance(item, list | tuple) for text in texts(item))
    return ()


def prepare(interactions: Iterable[Interaction], *, now_ts: float) -> tuple[InteractionView, ...]:
    """Return the interactions the rules see at ``now_ts``, oldest first.

    Deleted interactions and those that occur after ``now_ts`` are left out. An
    interaction given more than once (same source record, kind, type and time) counts
    once, as its latest update says. Ties in time are ordered by source record.
    """
    latest: dict[tuple[str, str, str, str, str, float], Interaction] = {}
    for item in interactions:
        key = (item.source.system, item.source.stream, item.source.source_id, str(item.kind), item.type,
               item.occurred_at.timestamp())  # fmt: skip
        seen = latest.get(key)
        if seen is None or _updated(item) > _updated(seen):
            latest[key] = item
    views = [InteractionView(item) for item in latest.values() if not item.deleted]
    views = [view for view in views if view.ts <= now_ts]
    views.sort(key=lambda v: (v.ts, v.interaction.source.system, v.interaction.source.stream,
                              v.interaction.source.source_id, v.kind, v.interaction.type))  # fmt: skip
    return tuple(views)


def _updated(item: Interaction) -> float:
    return (item.updated_at or item.occurred_at).timestamp()
