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


def _syntax_problem(text):
    with pytest.raises(YamlSyntaxError) as info:
        load_text(text, file="bad.yaml")
    problem = info.value.problem
    assert "<block" not in problem.message  # the parser's own tokens never reach the reader
    assert "while parsing" not in problem.message
    return problem


@pytest.mark.parametrize(
    "text",
    [
        # the dedented key has a {…} value: the parser stops on the next line
        "top:\n  fields:\n    a: {x: 1}\n    b: {x: 2}\n  c: {x: 3}\n    d: {x: 4}\n",
        # a plain value: the scanner stops on the next line, reading it as more of c's value
        "top:\n  fields:\n    a: 1\n    b: 2\n  c: 3\n    d: 4\n",
    ],
)
def test_a_dedented_key_is_reported_on_its_own_line_not_the_next(text):
    problem = _syntax_problem(text)
    assert (problem.line, problem.column) == (5, 3)
    assert "'c' is indented less than the keys above and below it (column 5)" in problem.message
    assert "to column 5" in (problem.hint or "")


def test_a_key_indented_more_than_its_sibling_names_the_sibling():
    problem = _syntax_problem("a:\n  b: {x: 1}\n    c: {x: 2}\n  d: 3\n")
    assert (problem.line, problem.column) == (3, 5)
    assert "'c' is indented more than 'b' on line 2 (column 3)" in problem.message
    assert "to column 3" in (problem.hint or "")


def test_a_key_between_two_levels_names_both():
    problem = _syntax_problem("a:\n  m:\n    b: 1\n   c: 2\n")
    assert (problem.line, problem.column) == (4, 4)
    assert "column 5" in problem.message
    assert "'m' on line 2 (column 3)" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        # a key of the second item written at the column of the list's '-'
        ("l:\n  - a: 1\n    b: 2\n  - a: 3\n  b: 4\n", 5, 3, "lines up with the '-'"),
        # a '-' indented one space more than the '-' above it
        ("l:\n  - a: 1\n   - a: 2\n", 3, 4, "indented more than the '-' on line 2 (column 3)"),
        # a '-' indented one space less than the '-' above it
        ("x:\n  l:\n    - a: 1\n   - a: 2\n", 4, 4, "column 5"),
        # a key of an item indented less than the item's first key
        ("l:\n  - a: 1\n   b: 2\n", 3, 4, "column 5"),
    ],
)
def test_a_wrongly_indented_list_item_is_reported_where_it_is(text, line, column, words):
    problem = _syntax_problem(text)
    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message


@pytest.mark.parametrize(
    "text",
    [
        'a: "foo\nb: 1\n',  # never closed: the scanner reaches the end of the file
        'a: "foo\nb: "bar"\nc: 1\n',  # closed by the next quote, on a later line
        'a: {path: "street, t: [x]}\nb: {path: city}\nc: {f: ["%d", "%Y"]}\n',  # as in a mapping's fields
    ],
)
def test_an_unclosed_double_quote_is_reported_where_it_opens(text):
    problem = _syntax_problem(text)
    assert problem.line == 1
    assert problem.column == text.index('"') + 1
    assert "not closed" in problem.message
    assert "close the quote on line 1" in (problem.hint or "")


@pytest.mark.parametrize("text", ["a: 'foo\nb: 1\n", "a: 'foo\nb: 'bar'\nc: 1\n"])
def test_an_unclosed_single_quote_is_reported_where_it_opens(text):
    problem = _syntax_problem(text)
    assert (problem.line, problem.column) == (1, 4)
    assert "not closed" in problem.message
    assert "''" in (problem.hint or "")  # how to write an apostrophe inside '…'


def test_text_after_a_closing_quote_is_named():
    problem = _syntax_problem("a: 'it's'\n")
    assert (problem.line, problem.column) == (1, 8)
    assert "after the closing quote" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("system: files\ndescription: People: a list\n", 2, 'description: "People: a list"'),
        ("l:\n  - name: x: y\n", 2, 'name: "x: y"'),
    ],
)
def test_a_colon_in_an_unquoted_value_says_to_quote_it(text, line, hint):
    problem = _syntax_problem(text)
    assert problem.line == line
    assert "colon" in problem.message
    assert hint in (problem.hint or "")


def test_an_unclosed_flow_mapping_names_the_line_where_it_opens():
    problem = _syntax_problem("a: {p: x, t: [1]\nb: 2\n")
    assert (problem.line, problem.column) == (2, 1)  # where the reader stopped, as other commands' tests expect
    assert "the {…} that opens at line 1:4 is not closed" in problem.message
    assert "add the closing '}' on line 1" in (problem.hint or "")


def test_tabs_and_repeated_keys_keep_their_words():
    assert _syntax_problem("a:\n\tb: 1\n").message == "a tab character: YAML indents with spaces, never tabs"
    assert (
        _syntax_problem("a: 1\nb: 2\na: 3\n").message == "key 'a' appears twice in the same mapping (first at line 1)"
    )
