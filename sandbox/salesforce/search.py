"""SOSL search: ``GET /services/data/vXX.X/search?q=FIND {...}``, as simple-salesforce's ``search`` and ``quick_search`` send it.

The sandbox reads the SOSL subset people write by hand::

    FIND {term} [IN ALL FIELDS | NAME FIELDS | EMAIL FIELDS | PHONE FIELDS]
        [RETURNING Object [(Field, ... [WHERE ...] [ORDER BY ...] [LIMIT n])] [, ...]]
        [LIMIT n]

The term is words (all must match: ``AND`` is implied), ``"quoted phrases"``, ``OR`` between
alternatives, ``AND NOT`` before a word to exclude, and ``*`` (any characters) or ``?`` (one)
inside a word; case is ignored, as Salesforce ignores it. A word matches a value when it
matches the whole value or one of its words; in phone fields digits are compared alone
(``5550100`` finds ``(415) 555-0100``). ``NAME FIELDS`` are the name fields (``Name``,
``FirstName``, ``LastName``; a Lead's ``Company`` too), ``EMAIL FIELDS`` and ``PHONE FIELDS``
the fields of those types, ``ALL FIELDS`` (the default) every text field. Without
``RETURNING`` every searchable object (Account, Contact, Lead, Opportunity) is searched and
each hit gives its ``Id``. A ``RETURNING`` object's ``WHERE``, ``ORDER BY`` and ``LIMIT`` are
SOQL's (``sandbox.salesforce.query``) and its fields are read as a SOQL query reads them.

The answer is ``{"searchRecords": [...]}``, each record with its ``attributes``, objects in the
order ``RETURNING`` names them (hits of one object in ID order: the sandbox does not rank).
Errors are ``[{"message", "errorCode"}]`` with 400: ``MALFORMED_SEARCH`` for text that is not
SOSL, ``INVALID_SEARCH`` for a term shorter than two characters, ``INVALID_TYPE`` for an
unknown object, ``INVALID_FIELD`` (and the other SOQL errors) for a ``RETURNING`` clause.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.org import Org, Record
from sandbox.salesforce.query import Plan, plan_parsed, render_json, run_plan
from sandbox.salesforce.rest import query_error
from sandbox.salesforce.schema import FieldType, ObjectDef
from sandbox.salesforce.soql import SoqlError, parse
from sandbox.salesforce.wire import ErrorCode, error

__all__ = ["SEARCHABLE", "search"]

SEARCHABLE = ("Account", "Contact", "Lead", "Opportunity")
"""The objects a search without ``RETURNING`` looks in."""
_MAX_ROWS = 2000
_FIND = re.compile(
    r"^\s*FIND\s+\{(?P<term>(?:[^{}\\]|\\.)*)\}\s*(?:IN\s+(?P<group>ALL|NAME|EMAIL|PHONE)\s+FIELDS\s*)?"
    r"(?:RETURNING\s+(?P<returning>.+?))?\s*(?:LIMIT\s+(?P<limit>\d+)\s*)?$",
    re.IGNORECASE | re.DOTALL,
)
_SPEC = re.compile(r"^\s*(?P<object>\w+)\s*(?:\((?P<inside>.*)\))?\s*$", re.DOTALL)
_CLAUSE = re.compile(r"\b(WHERE|ORDER\s+BY|LIMIT|OFFSET)\b", re.IGNORECASE)
_TEXT_TYPES = {FieldType.STRING, FieldType.EMAIL, FieldType.PHONE, FieldType.URL, FieldType.TEXTAREA,
               FieldType.PICKLIST, FieldType.COMBOBOX}  # fmt: skip
_NAME_FIELDS = {"Name", "FirstName", "LastName", "Company"}


class _Malformed(ValueError):
    """Text that is not the SOSL the sandbox reads."""


def _split_top(text: str, separator: str = ",") -> list[str]:
    """Split ``text`` at ``separator`` outside parentheses and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[i - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in word.lower()))


class _Term:
    """A search term: alternatives (``OR``) of words that must all match, and words that must not."""

    def __init__(self, text: str) -> None:
        text = re.sub(r"\\(.)", r"\1", text).strip()
        if len(text.replace("*", "").replace("?", "").strip()) < 2:
            msg = "search term must be longer than one character"
            raise SoqlError(ErrorCode.INVALID_SEARCH, msg)
        self.alternatives: list[tuple[list[str], list[str]]] = []
        for alternative in re.split(r"\s+OR\s+", text):
            wanted: list[str] = []
            unwanted: list[str] = []
            negate = False
            for token in re.findall(r'"[^"]*"|\S+', alternative):
                if token in {"AND", "NOT"}:
                    negate = negate or token == "NOT"
                    continue
                (unwanted if negate else wanted).append(token.strip('"').lower())
                negate = False
            if wanted:
                self.alternatives.append((wanted, unwanted))
        if not self.alternatives:
            msg = f"no search term in {{{text}}}"
            raise _Malformed(msg)

    @staticmethod
    def _hits(word: str, values: list[tuple[str, bool]]) -> bool:
        if " " in word:  # a quoted phrase
            return any(word in value.lower() for value, _ in values)
        pattern = _word_pattern(word)
        digits = re.sub(r"\D", "", word)
        dialled = len(digits) >= 4 and not re.search(r"[^\d\s()+.-]", word)
        for value, phone in values:
            if phone and dialled and digits in re.sub(r"\D", "", value):
                return True
            lowered = value.lower()
            words = {lowered, *re.split(r"\s+", lowered), *re.split(r"\W+", lowered)}
            if any(w and pattern.fullmatch(w) for w in words):
                return True
        return False

    def matches(self, values: list[tuple[str, bool]]) -> bool:
        return any(
            all(self._hits(w, values) for w in wanted) and not any(self._hits(w, values) for w in unwanted)
            for wanted, unwanted in self.alternatives
        )


def _searched(obj: ObjectDef, group: str) -> list[tuple[str, bool]]:
    """(field name, is a phone) of the fields a search group reads on ``obj``."""
    fields = [f for f in obj.fields.values() if f.type in _TEXT_TYPES and not f.name.startswith("Wide_")]
    if group == "NAME":
        fields = [f for f in fields if f.name in _NAME_FIELDS]
    elif group == "EMAIL":
        fields = [f for f in fields if f.type is FieldType.EMAIL]
    elif group == "PHONE":
        fields = [f for f in fields if f.type is FieldType.PHONE]
    return [(f.name, f.type is FieldType.PHONE) for f in fields]


def _values(record: Record, fields: list[tuple[str, bool]], *, full_name: bool) -> list[tuple[str, bool]]:
    """The values a record is searched in: its fields', and a person's whole name (``Name`` is not stored)."""
    values = [(str(record[f]), phone) for f, phone in fields if record.get(f)]
    if full_name:
        whole = " ".join(str(record[n]).strip() for n in ("FirstName", "LastName") if record.get(n))
        values.append((whole, False))
    return values


def _specs(org: Org, returning: str | None) -> list[str]:
    """The SOQL of each object searched, in order, selecting the fields ``RETURNING`` names (``Id`` without)."""
    if not returning:
        return [f"SELECT Id FROM {name}" for name in SEARCHABLE if org.object(name) is not None]
    out = []
    for part in _split_top(returning):
        match = _SPEC.match(part)
        if match is None:
            msg = f"unexpected text in RETURNING: {part.strip()}"
            raise _Malformed(msg)
        name, inside = match.group("object"), (match.group("inside") or "").strip()
        obj = org.object(name)
        if obj is None:
            msg = f"sObject type '{name}' is not supported."
            raise SoqlError(ErrorCode.INVALID_TYPE, msg)
        clause = _CLAUSE.search(inside)
        fields = (inside[: clause.start()] if clause else inside).strip().rstrip(",") or "Id"
        rest = inside[clause.start() :] if clause else ""
        out.append(f"SELECT {fields} FROM {obj.name} {rest}")
    return out


def _found(org: Org, soql: str, term: _Term, group: str) -> tuple[Plan, list[Record]]:
    """The plan of a ``RETURNING`` object's query, and its records the term matches (its LIMIT and OFFSET apply to those)."""
    query = parse(soql)
    plan = plan_parsed(org, replace(query, limit=None, offset=None))
    fields = _searched(plan.sobject, group)
    names = group in {"ALL", "NAME"} and {"FirstName", "LastName"} <= set(plan.sobject.fields)
    found = [r for r in run_plan(org, plan, include_deleted=False) if term.matches(_values(r, fields, full_name=names))]
    found = found[query.offset or 0 :]
    return plan, found[: query.limit] if query.limit is not None else found


def search(request: Request, org: Org, version: str) -> Response:
    """``GET search?q=`` (see the module docstring)."""
    text = request.param("q") or ""
    match = _FIND.match(text)
    if match is None:
        first = text.split()[0] if text.split() else ""
        return error(400, ErrorCode.MALFORMED_SEARCH, f"unexpected token: '{first}'; a search begins FIND {{term}}")
    try:
        term = _Term(match.group("term"))
        group = (match.group("group") or "ALL").upper()
        total = min(int(match.group("limit") or _MAX_ROWS), _MAX_ROWS)
        records: list[dict[str, Any]] = []
        with org.lock:
            for soql in _specs(org, match.group("returning")):
                plan, found = _found(org, soql, term, group)
                records += [render_json(org, plan, r, version) for r in found[: max(0, total - len(records))]]
    except _Malformed as err:
        return error(400, ErrorCode.MALFORMED_SEARCH, str(err))
    except SoqlError as err:
        return query_error(err)
    return Response.json(200, {"searchRecords": records})
