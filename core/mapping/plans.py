"""Compiled pieces of a mapping: what runs per record, with no parsing left to do.

    ValuePlan       source getter → transform chain → default / required
    IdentifierPlan  a ValuePlan that yields Identifier objects (one per value)
    TargetPlan      field plans → one canonical model, validated by pydantic

Each raises ``RecordRejected`` (``field``, ``loc`` and ``code`` in its context) when
the record cannot be mapped; the stream turns that into a ``Rejected`` outcome.

A value that fails in a field that is neither required (by the mapping or the model)
nor an identifier does not cost the record: ``TargetPlan.build`` drops the value and
reports a ``FieldProblem``, and the model is built without it. A bad country or job
title identifies nobody; losing the whole person for it would lose far more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors.base import RejectionCode
from core.canonical import Identifier, IdentifierKind, RecordRef
from core.canonical.base import describe_error_item, describe_validation_error
from core.errors import RecordRejected
from core.mapping.registry import TextStep, TransformDef, TransformFn
from core.mapping.validate import Loc

__all__ = [
    "FieldProblem",
    "IdentifierPlan",
    "Step",
    "TargetPlan",
    "ValuePlan",
    "Chain",
    "StepFailed",
    "UNSET",
    "compile_chain",
    "is_missing",
    "run_steps",
    "wrap_transform",
]

Source = Callable[[Any], Any]
Step = tuple[str, TransformFn]
"""A transform's name and its wrapped function."""


UNSET: Any = object()
"""A memo slot not computed yet for this record."""


def is_missing(value: Any) -> bool:
    """Return whether a value counts as absent: None, blank text or an empty list."""
    if value is None:
        return True
    if value.__class__ is str:
        return not value.strip()
    return value.__class__ is list and not value


def wrap_transform(definition: TransformDef, fn: TransformFn) -> TransformFn:
    """Apply the registry's rules: skip missing values, map over lists (a text step keeps its text path)."""
    if definition.on_none:
        return fn
    if isinstance(fn, TextStep):
        return TextStep(fn.on_text, _wrapped(definition, fn))
    return _wrapped(definition, fn)


def _wrapped(definition: TransformDef, fn: TransformFn) -> TransformFn:
    return _Skipping(fn, elementwise=definition.elementwise)


class _Skipping:
    """A transform that gives ``None`` for a missing value and, when elementwise, maps over a list.

    ``fn`` is the transform itself: a chain calls it directly for a single value that is there.
    """

    __slots__ = ("elementwise", "fn")

    def __init__(self, fn: TransformFn, *, elementwise: bool) -> None:
        self.fn, self.elementwise = fn, elementwise

    def __call__(self, value: Any, raw: Mapping[str, Any]) -> Any:
        if value is None:
            return None
        if self.elementwise and value.__class__ is list:
            out = (self.fn(item, raw) for item in value if item is not None)
            return [item for item in out if item is not None]
        return self.fn(value, raw)


class StepFailed(Exception):
    """A chain's step raised ``ValueError``: its name, the value it was given, the error."""

    def __init__(self, name: str, value: Any, error: ValueError) -> None:
        super().__init__(name)
        self.name, self.value, self.error = name, value, error

    def untraced(self) -> StepFailed:
        """This failure without the frames it was raised through (and its error's), to keep as a value.

        A failure is kept (memoised, read by the plans that share the value) after the frames
        it was raised through have returned. Its traceback would hold them, their callers up
        to the ingest's batch and everything they held: a reference cycle through each parked
        record's batch that only the cyclic collector could free, about 30 objects a record.
        """
        seen: set[int] = set()
        todo: list[BaseException | None] = [self, self.error]
        while todo:
            err = todo.pop()
            if err is None or id(err) in seen:
                continue
            seen.add(id(err))
            err.__traceback__ = None
            todo += [err.__cause__, err.__context__]
        return self


Chain = Callable[[Any, Mapping[str, Any]], Any]
_Run = tuple[str, TransformFn, TransformFn | None]
"""A step in a compiled chain: its name, its wrapped function, and the bare transform for a present single value."""
"""A compiled transform chain: ``(value, raw) -> value``; raises ``StepFailed``."""


def _fuse(steps: tuple[Step, ...]) -> list[tuple[tuple[_Run, ...], tuple[Callable[[str], Any], ...] | None]]:
    """Group ``steps`` into runs: consecutive text steps together (with their ``on_text``), others alone."""
    parts: list[tuple[tuple[_Run, ...], tuple[Callable[[str], Any], ...] | None]] = []
    for name, fn in steps:
        text = fn.on_text if isinstance(fn, TextStep) else None
        inner = fn.other if isinstance(fn, TextStep) else fn
        run = (name, fn, inner.fn if isinstance(inner, _Skipping) else None)
        if text is not None and parts and parts[-1][1] is not None:
            prev_steps, prev_text = parts[-1]
            parts[-1] = ((*prev_steps, run), (*(prev_text or ()), text))
        else:
            parts.append(((run,), (text,) if text is not None else None))
    return parts


def compile_chain(steps: tuple[Step, ...]) -> Chain:
    """Compile ``steps`` into one function: runs of text steps fused into one loop of plain calls.

    A fused run applies each step's ``on_text`` while the value is text and not missing,
    and falls back to the steps themselves (in order, from where it stopped) otherwise,
    so the result is the one ``run_steps`` gives.
    """
    parts = _fuse(steps)

    def chain(value: Any, raw: Mapping[str, Any]) -> Any:
        for group, texts in parts:
            start = 0
            if texts is not None:
                while start < len(texts) and value.__class__ is str:
                    value = texts[start](value)
                    start += 1
                if start == len(texts):
                    continue
            for name, fn, direct in group[start:]:
                try:
                    if direct is not None and value is not None and value.__class__ is not list:
                        value = direct(value, raw)  # a single value that is there: no wrapper to go through
                    else:
                        value = fn(value, raw)
                except ValueError as err:
                    raise StepFailed(name, value, err) from None
        return value

    return chain


def run_steps(
    steps: tuple[Step, ...],
    value: Any,
    raw: Mapping[str, Any],
    failed: Callable[[str, Any, ValueError], RecordRejected],
) -> Any:
    """Apply a transform chain to ``value`` in order and return the result.

    Args:
        steps: The chain.
        value: The value the first step receives.
        raw: The whole record, for transforms that read other paths.
        failed: Builds the rejection from the failing step's name, its input and the error.

    Raises:
        RecordRejected: A step raised ``ValueError``.
    """
    for name, fn in steps:
        try:
            value = fn(value, raw)
        except ValueError as err:
            raise failed(name, value, err) from None
    return value


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A value left out of a mapped record because its field refused it; the record itself was kept.

    Attributes:
        field: The canonical field, e.g. ``Person.country``.
        code: ``transform`` (a transform could not read it) or ``invalid`` (the model refused it).
        message: What was wrong, naming the value.
        loc: The field's key path in the mapping file.
    """

    field: str
    code: RejectionCode
    message: str
    loc: Loc = ()

    @classmethod
    def dropped(cls, err: RecordRejected) -> FieldProblem:
        """Return the problem a droppable field's rejection becomes."""
        ctx = err.context
        return cls(
            str(ctx.get("field")),
            RejectionCode(ctx.get("code", RejectionCode.INVALID)),
            err.message,
            ctx.get("loc", ()),
        )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True, slots=True)
class ValuePlan:
    """One compiled value: where it comes from and what is done to it.

    Attributes:
        label: How reasons name it: ``Person.email``, ``identifier email``, ``updated_at``.
        loc: Its key path in the mapping file.
        path: The source path(s) as written, for messages.
        source: Returns the raw value from the record.
        steps: The transform chain.
        required: Reject the record when the value is missing.
        default: The value when it is missing.
    """

    label: str
    loc: Loc
    path: str | None
    source: Source
    steps: tuple[Step, ...] = ()
    required: bool = False
    default: Any = None
    slot: int = -1
    """Where a record's result of this (path, transforms) is kept for the other plans that share it; -1: none."""
    chain: Chain | None = None
    """``steps`` compiled (``compile_chain``); built from ``steps`` when not given."""

    def __post_init__(self) -> None:
        if self.chain is None:
            object.__setattr__(self, "chain", compile_chain(self.steps))

    def evaluate(self, raw: Mapping[str, Any], memo: list[Any] | None = None) -> Any:
        """Return the value for ``raw`` (``None`` when missing).

        ``memo`` holds this record's results of shared (path, transforms) pairs: the first
        plan of a pair computes it (or its failure), the others read it.

        Raises:
            RecordRejected: A transform failed, or a required value is missing.
        """
        if memo is not None and self.slot >= 0:
            value = memo[self.slot]
            if value is UNSET:
                value = memo[self.slot] = self._compute(raw)
        else:
            value = self._compute(raw)
        if value.__class__ is StepFailed:
            raise self._failed(value.name, value.value, value.error)
        if value is None or (value.__class__ is str and not value.strip()) or (value.__class__ is list and not value):
            value = self.default
            if self.required and is_missing(value):
                where = f"source path '{self.path}'" if self.path else "value"
                message = f"{self.label}: required {where} is missing or empty"
                raise RecordRejected(message, field=self.label, loc=self.loc, code=RejectionCode.MISSING)
        return value

    def _compute(self, raw: Mapping[str, Any]) -> Any:
        """The source value through the chain, or the ``StepFailed`` that stopped it."""
        try:
            return self.chain(self.source(raw), raw)  # type: ignore[misc]
        except StepFailed as failed:
            return failed.untraced()

    def _failed(self, name: str, value: Any, err: ValueError) -> RecordRejected:
        message = f"{self.label}: transform '{name}' failed on {_show(value)}: {err}"
        return RecordRejected(message, field=self.label, loc=self.loc, code=RejectionCode.TRANSFORM)


@dataclass(frozen=True, slots=True)
class IdentifierPlan:
    """One declared identifier; a path with ``[*]`` gives one identifier per value."""

    kind: IdentifierKind
    system: str | None
    value: ValuePlan

    def evaluate(self, raw: Mapping[str, Any], out: list[Identifier], memo: list[Any] | None = None) -> None:
        """Append this record's identifiers of this kind to ``out``.

        Raises:
            RecordRejected: The value cannot be read or is not a valid identifier.
        """
        found = self.value.evaluate(raw, memo)
        if found is None:
            return
        for item in found if isinstance(found, list) else (found,):
            if is_missing(item):
                continue
            text = str(item) if isinstance(item, int | str) and not isinstance(item, bool) else None
            if text is None:
                message = f"{self.value.label}: expected text, got {_show(item)}"
                raise RecordRejected(message, field=self.value.label, loc=self.value.loc, code=RejectionCode.INVALID)
            try:
                out.append(Identifier(kind=self.kind, value=text, system=self.system))
            except ValidationError as err:
                message = f"{self.value.label}: " + "; ".join(describe_validation_error(err))
                raise RecordRejected(
                    message, field=self.value.label, loc=self.value.loc, code=RejectionCode.INVALID
                ) from None


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """One canonical model built from a record.

    Attributes:
        name: The model's name (``Person``).
        model: The pydantic class.
        loc: The target's key path in the mapping file.
        fields: Canonical field name (or ``<dict field>.<key>``, e.g. ``properties.tags``) and its plan.
        when: Build the model only when this value is present and not false.
        sets_updated_at: The mapping maps ``updated_at`` itself.
        sets_deleted: The mapping maps ``deleted`` itself.
    """

    name: str
    model: type[BaseModel]
    loc: Loc
    fields: tuple[tuple[str, ValuePlan], ...]
    when: ValuePlan | None = None
    sets_updated_at: bool = False
    sets_deleted: bool = False

    def build(
        self,
        raw: Mapping[str, Any],
        ref: RecordRef,
        *,
        updated_at: datetime | None,
        deleted: bool,
        identifiers: list[Identifier],
        problems: list[FieldProblem],
        memo: list[Any] | None = None,
    ) -> BaseModel | None:
        """Return the model for ``raw``, or ``None`` when ``when`` says to skip it.

        Values refused in droppable fields are left out and appended to ``problems``.

        Raises:
            RecordRejected: A required field failed, or the model rejected the values.
        """
        if self.when is not None:
            flag = self.when.evaluate(raw, memo)
            if is_missing(flag) or flag is False or flag == 0:
                return None
        data: dict[str, Any] = {"source": ref, **self._values(raw, problems, memo)}
        if not self.sets_updated_at and updated_at is not None:
            data["updated_at"] = updated_at
        if not self.sets_deleted and deleted:
            data["deleted"] = True
        if identifiers:
            data["identifiers"] = identifiers
        return self._validate(data, problems)

    def _values(
        self, raw: Mapping[str, Any], problems: list[FieldProblem], memo: list[Any] | None = None
    ) -> dict[str, Any]:
        """Evaluate every field; a key of a dict field (``properties.tags``) goes into that dict.

        Raises:
            RecordRejected: A field that cannot be left out failed.
        """
        data: dict[str, Any] = {}
        for name, plan in self.fields:
            try:
                value = plan.evaluate(raw, memo)
            except RecordRejected as err:
                if not self._droppable(name):
                    raise
                problems.append(FieldProblem.dropped(err))
                continue
            if value is None:
                continue
            head, dot, key = name.partition(".")
            if dot:
                data.setdefault(head, {})[key] = value
            else:
                data[name] = value
        return data

    def _droppable(self, name: str) -> bool:
        """Whether a bad value of field ``name`` may be left out instead of rejecting the record."""
        plan = next((p for n, p in self.fields if n == name), None)
        info = self.model.model_fields.get(name.partition(".")[0])  # properties.tags: the properties field
        if plan is None or plan.required or info is None or info.is_required():
            return False
        identifying: frozenset[str] = getattr(self.model, "identifying", frozenset())
        return name not in _NEVER_DROPPED and name not in identifying

    def _validate(self, data: dict[str, Any], problems: list[FieldProblem]) -> BaseModel:
        """Validate ``data``; when only droppable fields are refused, leave them out and validate again.

        Raises:
            RecordRejected: The model refused a field that cannot be left out.
        """
        while True:
            try:
                return self.model.model_validate(data)
            except ValidationError as err:
                # without ``ctx``: its errors would keep their tracebacks, so the frames up to this
                # batch, in a cycle through this frame that only the cyclic collector could free
                items = err.errors(include_url=False, include_context=False)
                names = [str(item["loc"][0]) if item["loc"] else "" for item in items]
                if not all(name in data and self._droppable(name) for name in names):
                    raise self._rejection(err) from None
                for name in dict.fromkeys(names):  # each pass leaves out at least one field, so it ends
                    loc = next((plan.loc for n, plan in self.fields if n == name), self.loc)
                    lines = [describe_error_item(i) for i, n in zip(items, names, strict=True) if n == name]
                    message = "; ".join(f"{self.name}.{line}" for line in lines)
                    problems.append(FieldProblem(f"{self.name}.{name}", RejectionCode.INVALID, message, loc))
                    del data[name]

    def _rejection(self, err: ValidationError) -> RecordRejected:
        first = err.errors(include_url=False)[0]["loc"]
        field = str(first[0]) if first else None
        loc = next((plan.loc for name, plan in self.fields if name == field), self.loc)
        message = "; ".join(f"{self.name}.{line}" for line in describe_validation_error(err))
        return RecordRejected(
            message, field=f"{self.name}.{field}" if field else self.name, loc=loc, code=RejectionCode.INVALID
        )


_NEVER_DROPPED = frozenset({"source", "identifiers", "updated_at", "deleted"})
"""Fields that say what the record is, not something about the person: a bad value there rejects it."""
