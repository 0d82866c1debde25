from __future__ import annotations

import pytest

from core.yamlfile import YamlSyntaxError, load_text


def test_locate_finds_nested_keys_and_falls_back_to_nearest_parent():
    doc = load_text("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n", file="t.yaml")
    assert doc.data == {"a": {"b": 1, "c": ["x", {"y": 2}]}}
    assert doc.locate(["a", "c", 1, "y"]) == (5, 7)
    assert doc.locate(["a", "missing", "deeper"]) == (1, 1)
    assert str(doc.problem(["a", "b"], "bad", "fix it")) == "t.yaml:2:3 a.b: bad (fix it)"


@pytest.mark.parametrize(
    ("text", "line"),
    [("a:\n  b: [1\n c: 2\n", 3), ("a: 1\na: 2\n", 2), ("a:\n\tb: 1\n", 2)],
)
def test_syntax_errors_carry_line_numbers(text, line):
    with pytest.raises(YamlSyntaxError) as info:
        load_text(text, file="bad.yaml")
    assert info.value.problem.line == line
    assert str(info.value).startswith(f"bad.yaml:{line}:")
