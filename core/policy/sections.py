"""The named items of one or more policy files, gathered and checked for names before compiling.

A name becomes a write-back name (``enrichment.<name>``) or a suppression reason a
report prints, so names are lowercase words joined by ``_``, and unique: enrichment
values and scores share one namespace (``segment`` and ``segments`` are taken by the
segments), suppressions another, segments and alerts their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import Problem
from core.policy.spec import NAME_PATTERN, SECTIONS, PolicyFileSpec
from core.policy.wording import DOCS, pydantic_problems
from core.problems import Loc
from core.yamlfile import Document

__all__ = ["Entry", "Sections", "Single"]

M = TypeVar("M", bound=BaseModel)
_NAMESPACE = {"enrichment": "values", "scores": "values", "segments": "segments", "suppressions": "reasons",
              "alerts": "alerts"}  # fmt: skip
_RESERVED = {"segment", "segments"}
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class Entry:
    """One named item of a section, as written."""

    doc: Document
    section: str
    name: str
    raw: dict[str, Any]

    @property
    def loc(self) -> Loc:
        """Its key path in the file: ``(section, name)``."""
        return (self.section, self.name)


@dataclass(frozen=True, slots=True)
class Single(Generic[M]):
    """A section set in at most one file (``defaults``, ``fields``): its value and that file."""

    doc: Document | None
    value: M


class Sections:
    """Checks the top level of every file and gathers the named items, recording problems.

    Args:
        docs: The parsed files, in order.
        problems: Where problems are added.
    """

    def __init__(self, docs: Sequence[Document], problems: list[Problem]) -> None:
        self.problems = problems
        self.tops: list[tuple[Document, dict[str, Any]]] = []
        for doc in docs:
            if not isinstance(doc.data, dict):
                message = "a policy file is a YAML mapping with 'version: 1' and sections such as 'enrichment:'"
                problems.append(doc.problem((), message, f"see {DOCS} for an example"))
                continue
            try:
                PolicyFileSpec.model_validate(doc.data)
            except ValidationError as err:
                problems.extend(pydantic_problems(doc, (), err, PolicyFileSpec))
            self.tops.append((doc, doc.data))
        self._items: dict[str, list[Entry]] = {section: [] for section in SECTIONS}
        for section in SECTIONS:
            self._gather(section)

    def items(self, section: str) -> list[Entry]:
        """Return the well-named items of ``section``, in file order."""
        return self._items[section]

    def single(self, key: str, model: type[M]) -> Single[M]:
        """Return the section ``key`` of the one file that sets it (or the model's defaults).

        A second file setting it is a problem; a value that does not validate has been
        reported with the file's top level and gives the defaults here.
        """
        found: Single[M] | None = None
        for doc, data in self.tops:
            if key not in data:
                continue
            if found is not None and found.doc is not None:
                line, _ = found.doc.locate((key,))
                self.problems.append(doc.problem((key,), f"'{key}' is already set in {found.doc.file}:{line}",
                                                 f"set '{key}' in one policy file only"))  # fmt: skip
                continue
            try:
                found = Single(doc, model.model_validate(data[key] or {}))
            except ValidationError:
                found = Single(doc, model())
        return found or Single(None, model())

    def _gather(self, section: str) -> None:
        for doc, data in self.tops:
            items = data.get(section)
            if not isinstance(items, dict):
                continue  # reported with the top level
            for name, raw in items.items():
                entry = self._entry(doc, section, name, raw)
                if entry is not None:
                    self._items[section].append(entry)

    def _entry(self, doc: Document, section: str, name: Any, raw: Any) -> Entry | None:
        loc = (section, name)
        if not isinstance(name, str) or not _NAME.match(name):
            hint = "e.g. 'open_tickets': names are written back as enrichment.<name> and shown as reasons"
            self.problems.append(doc.problem(loc, f"name {name!r} must be lowercase letters, digits and '_', "
                                             "starting with a letter", hint))  # fmt: skip
            return None
        if not isinstance(raw, dict):
            self.problems.append(doc.problem(loc, f"expected a mapping of keys, got {raw!r}",
                                             f"indent the keys under '{name}:' (see {DOCS})"))  # fmt: skip
            return None
        if _NAMESPACE[section] == "values" and name in _RESERVED:
            self.problems.append(doc.problem(loc, f"'{name}' is taken by the segments (enrichment.{name})",
                                             "give the value another name"))  # fmt: skip
            return None
        clash = self._defined(_NAMESPACE[section], name)
        if clash is not None:
            line, _ = clash.doc.locate(clash.loc)
            self.problems.append(doc.problem(loc, f"'{name}' is already defined at {clash.doc.file}:{line}",
                                             "give each one its own name"))  # fmt: skip
            return None
        return Entry(doc, section, name, raw)

    def _defined(self, namespace: str, name: str) -> Entry | None:
        for section, entries in self._items.items():
            if _NAMESPACE[section] == namespace:
                found = next((e for e in entries if e.name == name), None)
                if found is not None:
                    return found
        return None
