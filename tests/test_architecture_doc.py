"""docs/architecture.md describes what is built: every path its layout and text name exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
_ENTRY = re.compile(r"^( {0,2})([A-Za-z_][\w.-]*(?:/[\w.-]+)*/?)\s")
_TICKED = re.compile(r"`([\w.-]+(?:/[\w.-]+)*(?:/|\.py|\.ya?ml|\.md|\.toml))`")


_CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b|(?<=\()[A-Z][a-z]\w*(?=\))")


def _layout(text: str) -> dict[str, str]:
    """Each path of the layout block with its description (continuation lines included)."""
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    parent = ""
    path = ""
    for line in block.splitlines():
        found = _ENTRY.match(line + " ")
        if not found:
            entries[path] = entries.get(path, "") + " " + line.strip()  # a continuation line
            continue
        indent, name = found.groups()
        if not indent:
            parent = name if name.endswith("/") else ""
        path = parent + name if indent else name
        entries[path] = line[found.end() - 1 :].strip()
    return entries


def _layout_paths(text: str) -> list[str]:
    return list(_layout(text))


def test_every_path_in_the_layout_exists():
    paths = _layout_paths(DOC.read_text(encoding="utf-8"))
    assert len(paths) > 30, paths  # the block was read, not skipped
    assert "connectors/helpdesk/zendesk/" in paths
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_path_named_in_the_text_exists():
    text = DOC.read_text(encoding="utf-8").split("## Planned", 1)[0]
    named = {m for m in _TICKED.findall(text) if "/" in m or m.endswith(".py")}
    assert "connectors/base.py" in named
    missing = sorted(p for p in named if not (ROOT / p).exists() and not (ROOT / "core" / p).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_classes_a_module_is_said_to_hold_are_defined_there():
    entries = _layout(DOC.read_text(encoding="utf-8"))
    named = {(path, name) for path, words in entries.items() if path.endswith(".py")
             for name in _CLASS_NAME.findall(words)}  # fmt: skip
    assert ("connectors/http.py", "RequestPacer") in named
    missing = sorted((path, name) for path, name in named
                     if not re.search(rf"^class {name}\b", (ROOT / path).read_text(encoding="utf-8"), re.MULTILINE))  # fmt: skip
    assert missing == [], f"docs/architecture.md names classes its modules do not define: {missing}"
