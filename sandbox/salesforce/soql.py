r"""A recursive-descent parser for the SOQL the connectors send.

Grammar (keywords in any case)::

    query      := SELECT select FROM name [WHERE or] [GROUP BY operand {, operand}] [HAVING or]
                  [ORDER BY order {, order}] [LIMIT int] [OFFSET int]
    select     := COUNT '(' ')' | item {, item}
    item       := operand [alias] | aggregate [alias] | FIELDS '(' (ALL | STANDARD | CUSTOM) ')' | '(' query ')'
    aggregate  := (COUNT | COUNT_DISTINCT | MAX | MIN | SUM | AVG) '(' path ')'
    operand    := path | datefn '(' path ')'
    datefn     := CALENDAR_MONTH | CALENDAR_QUARTER | CALENDAR_YEAR | DAY_IN_MONTH | DAY_IN_WEEK | DAY_IN_YEAR
                | DAY_ONLY | FISCAL_MONTH | FISCAL_QUARTER | FISCAL_YEAR | HOUR_IN_DAY | WEEK_IN_MONTH | WEEK_IN_YEAR
    path       := name {'.' name}
    or         := and {OR and}
    and        := not {AND not}
    not        := NOT not | '(' or ')' | condition
    condition  := left op literal | left [NOT] IN '(' (literal {, literal} | query) ')' | left [NOT] LIKE string
    left       := operand | aggregate (in HAVING only)
    op         := = | != | <> | < | <= | > | >=
    literal    := 'string' | number | datetime | date | TRUE | FALSE | NULL | dateliteral
    dateliteral:= TODAY | YESTERDAY | THIS_MONTH | THIS_QUARTER | THIS_FISCAL_YEAR ... | LAST_N_DAYS ':' int ...
    order      := (operand | aggregate) [ASC | DESC] [NULLS (FIRST | LAST)]

The tokens, the error wording and the syntax tree live in ``soql_syntax`` and are
re-exported here. A ``(query)`` in the select list is a parent-to-child subquery whose
FROM names a child relationship (``Contacts`` or ``Account.Contacts``); ``soql_select``
resolves it and the ``FIELDS()`` groups. A date function is a ``Path`` whose
``function`` is set; in the select list it is an ``Aggregate`` (named ``expr0``... like
one), which the planner (``query``) accepts only when it is grouped. ``HAVING`` takes
the conditions ``WHERE`` does, with aggregates on the left too, but no semi-join (the
SOQL reference: "A HAVING clause can't contain any semi-join or anti-join subqueries").
OFFSET above 2000 is NUMBER_OUTSIDE_VALID_RANGE. Not parsed (MALFORMED_QUERY):
``TYPEOF``, ``convertTimezone()``, ``FORMAT()``, ``GROUP BY ROLLUP|CUBE``, ``IN`` lists
of date literals, ``WITH``, ``FOR``.
"""

from __future__ import annotations

from sandbox.salesforce.soql_dates import FIXED_LITERALS, N_LITERALS, DateLiteral
from sandbox.salesforce.soql_syntax import (
    AGGREGATE_FUNCTIONS,
    DATE_FUNCTIONS,
    FIELDS_GROUPS,
    KEYWORDS,
    MAX_OFFSET,
    Aggregate,
    BoolOp,
    Comparison,
    Condition,
    FieldsGroup,
    InList,
    Like,
    Literal,
    Not,
    OrderItem,
    Path,
    Query,
    SoqlError,
    Token,
    located,
    malformed,
    tokenize,
)  # fmt: skip

__all__ = [
    "AGGREGATE_FUNCTIONS", "DATE_FUNCTIONS", "FIELDS_GROUPS", "MAX_OFFSET", "Aggregate", "BoolOp", "Comparison",
    "Condition", "FieldsGroup", "InList", "Like", "Literal", "Not", "OrderItem", "Path", "Query", "SoqlError",
    "located", "malformed", "parse", "tokenize",
]  # fmt: skip


def parse(text: str) -> Query:
    """Parse a SOQL query.

    Raises:
        SoqlError: ``MALFORMED_QUERY`` for a syntax error.
    """
    return _Parser(text).query()


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.in_having = False  # aggregates may stand on a condition's left only in HAVING

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def _is(self, *words: str) -> bool:
        token = self._peek()
        return token.kind == "name" and token.text.upper() in words

    def _next(self) -> Token:
        token = self._peek()
        self.pos += 1
        return token

    def _fail(self, token: Token) -> SoqlError:
        if token.kind == "eof":
            return malformed(self.text, token.offset, "unexpected token: '<EOF>'")
        return malformed(self.text, token.offset, f"unexpected token: '{token.text}'")

    def _expect_word(self, word: str) -> Token:
        if not self._is(word):
            raise self._fail(self._peek())
        return self._next()

    def _expect_punct(self, char: str) -> None:
        token = self._next()
        if token.text != char:
            raise self._fail(token)

    def _name(self) -> Token:
        token = self._next()
        if token.kind != "name":
            raise self._fail(token)
        return token

    def query(self, *, nested: bool = False, child: bool = False) -> Query:
        self._expect_word("SELECT")
        query = Query(self.text, "", 0)
        self._select(query)
        self._expect_word("FROM")
        sobject = self._name()
        query.sobject, query.sobject_offset = sobject.text, sobject.offset
        while child and self._peek().text == ".":  # ``FROM Account.Contacts``
            self._next()
            query.sobject += "." + self._name().text
        if self._is("WHERE"):
            self._next()
            query.where = self._or()
        if self._is("GROUP"):
            self._next()
            self._expect_word("BY")
            query.group_by.append(self._operand())
            while self._peek().text == ",":
                self._next()
                query.group_by.append(self._operand())
        if self._is("HAVING"):
            query.having_offset = self._next().offset
            self.in_having = True
            query.having = self._or()
            self.in_having = False
        if self._is("ORDER"):
            self._next()
            self._expect_word("BY")
            query.order.append(self._order_item())
            while self._peek().text == ",":
                self._next()
                query.order.append(self._order_item())
        query.limit = self._int_clause("LIMIT")
        query.offset = self._int_clause("OFFSET")
        if self._peek().kind != "eof" and not (nested and self._peek().text == ")"):
            raise self._fail(self._peek())
        return query

    def _int_clause(self, word: str) -> int | None:
        if not self._is(word):
            return None
        self._next()
        token = self._next()
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
            raise self._fail(token)
        if word == "OFFSET" and token.value > MAX_OFFSET:
            code, detail = "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            raise located(code, self.text, token.offset, detail)
        return int(token.value)

    def _select(self, query: Query) -> None:
        if self._is("COUNT") and self._peek(1).text == "(" and self._peek(2).text == ")":
            self.pos += 3
            query.count_only = True
            return
        while True:
            token, after = self._peek(), self._peek(1)
            if token.text == "(" and after.kind == "name" and after.text.upper() == "SELECT":
                self._next()
                query.children.append(self.query(nested=True, child=True))
                self._expect_punct(")")
            elif after.text == "(" and token.text.upper() == "FIELDS":
                query.field_groups.append(self._fields_group(len(query.fields)))
            elif after.text == "(" and token.text.upper() in AGGREGATE_FUNCTIONS | DATE_FUNCTIONS:
                query.aggregates.append(self._aggregate())
            else:
                query.fields.append(self._path())
            if self._peek().text != ",":
                return
            self._next()

    def _fields_group(self, position: int) -> FieldsGroup:
        start = self._next()
        self._expect_punct("(")
        kind = self._next()
        if kind.kind != "name" or kind.text.upper() not in FIELDS_GROUPS:
            raise self._fail(kind)
        self._expect_punct(")")
        return FieldsGroup(kind.text.upper(), start.offset, position)

    def _aggregate(self) -> Aggregate:
        function = self._peek().text.upper()
        path = self._operand(aggregates=True)
        if function in AGGREGATE_FUNCTIONS:
            path = Path(path.parts, path.offset)  # the aggregate's field; the function is the Aggregate's
        alias = None
        if self._peek().kind == "name" and self._peek().text.upper() not in KEYWORDS:
            alias = self._next().text
        return Aggregate(function, path, alias)

    def _operand(self, *, aggregates: bool = False) -> Path:
        """A path, or a date function of one; with ``aggregates``, an aggregate function of one too."""
        token = self._peek()
        functions = DATE_FUNCTIONS | AGGREGATE_FUNCTIONS if aggregates else DATE_FUNCTIONS
        if token.kind != "name" or token.text.upper() not in functions or self._peek(1).text != "(":
            return self._path()
        self.pos += 2
        path = self._path()
        self._expect_punct(")")
        return Path(path.parts, path.offset, token.text.upper())

    def _path(self) -> Path:
        first = self._name()
        if first.text.upper() in KEYWORDS:
            raise self._fail(first)
        parts = [first.text]
        while self._peek().text == ".":
            self._next()
            parts.append(self._name().text)
        return Path(tuple(parts), first.offset)

    def _order_item(self) -> OrderItem:
        path = self._operand(aggregates=True)
        descending = False
        if self._is("ASC", "DESC"):
            descending = self._next().text.upper() == "DESC"
        nulls_last = descending
        if self._is("NULLS"):
            self._next()
            if not self._is("FIRST", "LAST"):
                raise self._fail(self._peek())
            nulls_last = self._next().text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    def _or(self) -> Condition:
        items = [self._and()]
        while self._is("OR"):
            self._next()
            items.append(self._and())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def _and(self) -> Condition:
        items = [self._not()]
        while self._is("AND"):
            self._next()
            items.append(self._not())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def _not(self) -> Condition:
        if self._is("NOT"):
            self._next()
            return Not(self._not())
        if self._peek().text == "(":
            self._next()
            inner = self._or()
            self._expect_punct(")")
            return inner
        return self._condition()

    def _condition(self) -> Condition:
        path = self._operand(aggregates=self.in_having)
        negated = False
        if self._is("NOT"):
            self._next()
            negated = True
            if not self._is("IN", "LIKE"):
                raise self._fail(self._peek())
        if self._is("IN"):
            self._next()
            self._expect_punct("(")
            if self._is("SELECT"):
                if self.in_having:  # the SOQL reference forbids it; Salesforce's wording is not public
                    detail = "Semi join sub-selects are not allowed in the HAVING clause"
                    raise malformed(self.text, self._peek().offset, detail)
                subquery = self.query(nested=True)
                self._expect_punct(")")
                return InList(path, (), negated, subquery)
            literals = [self._literal()]
            while self._peek().text == ",":
                self._next()
                literals.append(self._literal())
            self._expect_punct(")")
            return InList(path, tuple(literals), negated)
        if self._is("LIKE"):
            self._next()
            literal = self._literal()
            if literal.kind != "string":
                raise malformed(self.text, literal.offset, "LIKE needs a string literal")
            return Like(path, literal, negated)
        token = self._next()
        if token.kind != "op":
            raise self._fail(token)
        return Comparison(path, "!=" if token.text == "<>" else token.text, self._literal())

    def _literal(self) -> Literal:
        token = self._next()
        if token.kind in {"string", "number", "datetime", "date"}:
            return Literal(token.kind, token.value, token.offset)
        if token.kind == "name" and token.text.upper() in {"TRUE", "FALSE"}:
            return Literal("boolean", token.text.upper() == "TRUE", token.offset)
        if token.kind == "name" and token.text.upper() == "NULL":
            return Literal("null", None, token.offset)
        if token.kind == "name" and token.text.upper() in FIXED_LITERALS:
            return Literal("dateliteral", DateLiteral(token.text.upper()), token.offset)
        if token.kind == "name" and token.text.upper() in N_LITERALS:
            if self._peek().text != ":":
                raise self._fail(self._peek())
            self._next()
            number = self._next()
            if number.kind != "number" or not isinstance(number.value, int) or number.value < 0:
                raise self._fail(number)
            return Literal("dateliteral", DateLiteral(token.text.upper(), number.value), token.offset)
        raise self._fail(token)
