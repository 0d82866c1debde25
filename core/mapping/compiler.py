"""Compile a parsed mapping file into plans, collecting every problem on the way.

Each ``_Compiler`` method either returns the compiled piece or records a
``Problem`` (with the key's line and column) and returns ``None``; the caller
raises one ``MappingError`` with all of them at the end.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from core.canonical import MODELS, IdentifierKind
from core.errors import Problem
from core.mapping.engine import StreamMapping
from core.mapping.paths import SourcePath, parse_path
from core.mapping.plans import IdentifierPlan, Step, TargetPlan, ValuePlan, is_missing, wrap_transform
from core.mapping.registry import TRANSFORMS, BuildContext, TransformDef
from core.mapping.spec import DefaultsSpec, FieldSpec, IdentifierSpec, StreamSpec, TargetSpec, WritebackOptionsSpec
from core.mapping.validate import Loc, pydantic_problems, suggest
from core.mapping.writeback import Writeback, WritebackField, check_source_name, source_names
from core.yamlfile import Document

__all__ = ["Compiler"]

_RESERVED = {
    "source": "'source' is filled from the record (system/stream/ID); remove it",
    "identifiers": "identifiers are declared in the stream's 'identifiers:' list; move it there",
}


class Compiler:
    """Compiles streams of one mapping file; ``problems`` holds what was wrong."""

    def __init__(self, doc: Document, *, system: str, defaults: DefaultsSpec) -> None:
        self.doc = doc
        self.system = system
        self.ctx = BuildContext(phone_region=defaults.phone_region, timezone=defaults.timezone)
        self.problems: list[Problem] = []
        self._pairs: dict[str, list[ValuePlan]] = {}
        """This stream's plans by (path, transforms) as written: plans of one pair share a slot and a chain."""

    def problem(self, loc: Loc, message: str, hint: str | None = None) -> None:
        """Record a problem at ``loc``."""
        self.problems.append(self.doc.problem(loc, message, hint))

    def stream(self, name: str, raw: Any) -> StreamMapping | None:
        """Compile one stream, or record its problems and return ``None``."""
        loc: Loc = ("streams", name)
        try:
            spec = StreamSpec.model_validate(raw)
        except ValidationError as err:
            self.problems.extend(pydantic_problems(self.doc, loc, err, StreamSpec))
            return None
        before = len(self.problems)
        self._pairs = {}
        id_path = self.path((*loc, "id"), spec.id)
        updated_at = self._optional((*loc, "updated_at"), spec.updated_at, "updated_at", implied="parse_datetime")
        deleted = self._optional((*loc, "deleted"), spec.deleted, "deleted", implied="to_bool")
        identifiers = [self.identifier((*loc, "identifiers", i), item) for i, item in enumerate(spec.identifiers)]
        targets = [self.target((*loc, *rel), target) for rel, target in spec.target_list()]
        self._one_person(loc, spec)
        writeback = self.writeback(name, (*loc, "writeback"), spec.writeback, spec.writeback_options)
        if len(self.problems) > before or id_path is None:
            return None
        shared = self._share()
        identifiers = [i if i is None else self._shared_identifier(i, shared) for i in identifiers]
        targets = [t if t is None else self._shared_target(t, shared) for t in targets]
        updated_at = None if updated_at is None else shared.get(id(updated_at), updated_at)
        deleted = None if deleted is None else shared.get(id(deleted), deleted)
        return StreamMapping(
            name=name,
            loc=loc,
            id_path=id_path,
            targets=tuple(t for t in targets if t is not None),
            identifiers=tuple(i for i in identifiers if i is not None),
            writeback=writeback,
            updated_at=updated_at,
            deleted=deleted,
            shared=len({plan.slot for plan in shared.values()}),
        )

    def _share(self) -> dict[int, ValuePlan]:
        """Give each (path, transforms) pair written more than once a slot; return the plans that changed, by id."""
        changed: dict[int, ValuePlan] = {}
        for plans in self._pairs.values():
            if len(plans) < 2:
                continue
            slot = len({p.slot for p in changed.values()})
            first = plans[0]
            for plan in plans:
                changed[id(plan)] = dataclasses.replace(plan, slot=slot, steps=first.steps, chain=first.chain)
        return changed

    @staticmethod
    def _shared_identifier(plan: IdentifierPlan, shared: dict[int, ValuePlan]) -> IdentifierPlan:
        return dataclasses.replace(plan, value=shared.get(id(plan.value), plan.value))

    @staticmethod
    def _shared_target(plan: TargetPlan, shared: dict[int, ValuePlan]) -> TargetPlan:
        fields = tuple((name, shared.get(id(value), value)) for name, value in plan.fields)
        when = None if plan.when is None else shared.get(id(plan.when), plan.when)
        return dataclasses.replace(plan, fields=fields, when=when)

    def _one_person(self, loc: Loc, spec: StreamSpec) -> None:
        """Record a problem for a Person target mapping fields another one maps: each record would be two people.

        Two guarded by ``when`` may exclude each other (a sample shows it), so only an unguarded pair is reported.
        """
        people = [(rel, t) for rel, t in spec.target_list() if t.model == "Person"]
        for i, (rel, target) in enumerate(people):
            for first_rel, first in people[:i]:
                shared = [name for name in target.fields if name in first.fields]
                if shared and (target.when is None or first.when is None):
                    listed = ", ".join(shared[:5]) + (", ..." if len(shared) > 5 else "")
                    where = ".".join(str(part) for part in first_rel)
                    self.problem(
                        (*loc, *rel),
                        f"this Person target maps {listed} again (first in {where}): each record would become two people",
                        "map a record's person in one target, or give each target a 'when' that excludes the other",
                    )
                    break

    def path(self, loc: Loc, text: str) -> SourcePath | None:
        """Parse a source path, or record why it is malformed."""
        try:
            return parse_path(text)
        except ValueError as err:
            self.problem(loc, f"bad source path: {err}", 'write keys with dots in double quotes, e.g. "\\"e.mail\\""')
            return None

    def value(self, loc: Loc, spec: FieldSpec, label: str, *, extra: tuple[Step, ...] = ()) -> ValuePlan | None:
        """Compile a field-like spec (path or from, transforms, required, default)."""
        steps = self.steps((*loc, "transforms"), spec.transforms)
        if spec.path is not None:
            path = self.path((*loc, "path") if isinstance(self._node(loc), Mapping) else loc, spec.path)
            source = path.get if path is not None else None
            shown: str | None = spec.path
        elif spec.from_ is not None:
            subs = [self.value((*loc, "from", i), sub, label) for i, sub in enumerate(spec.from_)]
            source = _first_present([s for s in subs if s is not None]) if all(subs) else None
            shown = " or ".join(s.path or "?" for s in spec.from_)
        else:
            source, shown = _nothing, None
            makes_value = any(TRANSFORMS[name].on_none for name, _ in steps or ())
            if steps is not None and not makes_value and spec.default is None:
                self.problem(
                    loc, "no source for this value", "give 'path:', 'from:', 'default:' or a constant/template"
                )
        if source is None or steps is None:
            return None
        plan = ValuePlan(label, loc, shown, source, steps + extra, spec.required, spec.default)
        if spec.path is not None:
            written = [*spec.transforms, *(name for name, _ in extra)]  # an implied parse_datetime as if written
            pair = json.dumps([spec.path, written], sort_keys=True, default=str)
            self._pairs.setdefault(pair, []).append(plan)
        return plan

    def steps(self, loc: Loc, items: list[Any], *, in_writeback: bool = False) -> tuple[Step, ...] | None:
        """Compile a transform list; ``None`` if any item is wrong (each is reported)."""
        built = [self.transform((*loc, i), item, in_writeback=in_writeback) for i, item in enumerate(items)]
        return None if any(step is None for step in built) else tuple(s for s in built if s is not None)

    def transform(self, loc: Loc, item: Any, *, in_writeback: bool = False) -> Step | None:
        """Compile one transform item (``lower`` or ``{e164: {region: GB}}``)."""
        if isinstance(item, str):
            name, given, args_loc = item, None, loc
        elif isinstance(item, dict) and len(item) == 1:
            name, given = next(iter(item.items()))
            args_loc = (*loc, name)
        else:
            self.problem(
                loc, f"a transform is a name or a one-key mapping, got {item!r}", "e.g. '- lower' or '- {e164: GB}'"
            )
            return None
        definition = TRANSFORMS.get(str(name))
        if definition is None:
            self.problem(args_loc, f"unknown transform '{name}'", suggest(str(name), TRANSFORMS))
            return None
        if in_writeback and definition.reads_record:
            hint = "use transforms of the value only, e.g. join, value_map, to_bool, constant"
            self.problem(args_loc, f"transform '{name}' reads source paths, which write-back does not have", hint)
            return None
        return self._build(args_loc, definition, given)

    def _build(self, loc: Loc, definition: TransformDef, given: Any) -> Step | None:
        fields = definition.args.model_fields
        if given is None:
            data: Any = {}
        elif isinstance(given, dict) and (set(given) <= set(fields) or not _takes_mapping(definition)):
            data = given
        elif definition.shorthand is not None:
            data = {definition.shorthand: given}
        else:
            takes = ", ".join(fields) or "no arguments"
            self.problem(
                loc, f"transform '{definition.name}' takes {takes}; got {given!r}", f"write '- {definition.name}'"
            )
            return None
        try:
            args = definition.args.model_validate(data)
            fn = definition.build(args, self.ctx)
        except ValidationError as err:
            self.problems.extend(pydantic_problems(self.doc, loc, err, definition.args))
            return None
        except ValueError as err:
            self.problem(loc, f"transform '{definition.name}': {err}", f"see '{definition.name}' in docs/mappings.md")
            return None
        return (definition.name, wrap_transform(definition, fn))

    def identifier(self, loc: Loc, spec: IdentifierSpec) -> IdentifierPlan | None:
        """Compile one declared identifier; an external_id's system defaults to the mapping's."""
        system = spec.system or (self.system if spec.kind is IdentifierKind.EXTERNAL_ID else None)
        plan = self.value(loc, spec, f"identifier {spec.kind.value}")
        return None if plan is None else IdentifierPlan(kind=spec.kind, system=system, value=plan)

    def target(self, loc: Loc, spec: TargetSpec) -> TargetPlan | None:
        """Compile one target model and its fields."""
        model = MODELS.get(spec.model)
        if model is None:
            self.problem((*loc, "model"), f"unknown model '{spec.model}'", suggest(spec.model, MODELS, noun="models"))
            return None
        plans = [self._field((*loc, "fields", name), model, spec.model, name, fs) for name, fs in spec.fields.items()]
        self._check_required(loc, model, spec)
        when = None if spec.when is None else self.value((*loc, "when"), spec.when, f"{spec.model} when")
        if any(p is None for p in plans) or (spec.when is not None and when is None):
            return None
        fields = tuple((name, plan) for name, plan in zip(spec.fields, plans, strict=True) if plan is not None)
        return TargetPlan(
            name=spec.model,
            model=model,
            loc=loc,
            fields=fields,
            when=when,
            sets_updated_at="updated_at" in spec.fields,
            sets_deleted="deleted" in spec.fields,
        )

    def _field(self, loc: Loc, model: type[BaseModel], model_name: str, name: str, spec: FieldSpec) -> ValuePlan | None:
        if name in _RESERVED:
            self.problem(loc, f"'{name}' cannot be mapped as a field", _RESERVED[name])
            return None
        head, dot, key = name.partition(".")
        if dot and head in model.model_fields and _is_dict_field(model, head):
            if not key or "." in key:
                self.problem(loc, f"'{name}' names no key of {model_name}.{head}", f"write it as '{head}.<key>'")
                return None
            return self.value(loc, spec, f"{model_name}.{name}")
        if name not in model.model_fields:
            valid = [f for f in model.model_fields if f not in _RESERVED]
            self.problem(loc, f"'{name}' is not a field of {model_name}", suggest(name, valid, noun="fields"))
            return None
        return self.value(loc, spec, f"{model_name}.{name}")

    def _check_required(self, loc: Loc, model: type[BaseModel], spec: TargetSpec) -> None:
        needed = [n for n, info in model.model_fields.items() if info.is_required() and n not in _RESERVED]
        missing = [n for n in needed if n not in spec.fields]
        if missing:
            listed = ", ".join(f"'{n}'" for n in missing)
            verb = "is" if len(missing) == 1 else "are"
            hint = "map each, e.g. 'at: {path: SystemModstamp, transforms: [parse_datetime]}' or '{transforms: [{constant: email}]}'"
            self.problem((*loc, "fields"), f"{spec.model} needs {listed}, which {verb} not mapped", hint)

    def writeback(self, stream: str, loc: Loc, spec: Mapping[str, Any], options: WritebackOptionsSpec) -> Writeback:
        """Compile a stream's write-back section and its options."""
        fields: list[WritebackField] = []
        for source, target in spec.items():
            if not check_source_name(source):
                hint = suggest(source, [*source_names(), "enrichment.<name>"], noun="valid names")
                self.problem((*loc, source), f"'{source}' is not a value write-back can provide", hint)
                continue
            steps = self.steps((*loc, source, "transforms"), target.transforms, in_writeback=True)
            if steps is not None:
                names = tuple(name for name, _ in steps)
                fields.append(WritebackField(source, target.field, names, steps, owned=target.owned))
        if options.match_source is not None and not check_source_name(options.match_source):
            where = (*loc[:-1], "writeback_options", "match_source")
            self.problem(where, f"'{options.match_source}' is not a value write-back can provide", "e.g. golden.email")
        return Writeback(
            stream=stream,
            fields=tuple(fields),
            mode=options.mode.value,
            read_from=options.read_from,
            match_field=options.match_field,
            match_source=options.match_source,
            purpose=options.purpose,
            channel=options.channel,
        )

    def _optional(self, loc: Loc, spec: FieldSpec | None, label: str, *, implied: str) -> ValuePlan | None:
        if spec is None:
            return None
        named = {t if isinstance(t, str) else next(iter(t), None) for t in spec.transforms if isinstance(t, str | dict)}
        extra: tuple[Step, ...] = ()
        if implied not in named:
            step = self._build(loc, TRANSFORMS[implied], None)
            extra = () if step is None else (step,)
        return self.value(loc, spec, label, extra=extra)

    def _node(self, loc: Loc) -> Any:
        node: Any = self.doc.data
        for part in loc:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node


def _is_dict_field(model: type[BaseModel], name: str) -> bool:
    """Whether ``model.name`` holds a dict (``Interaction.properties``), so ``name.<key>`` may be mapped."""
    annotation = model.model_fields[name].annotation
    return annotation is dict or getattr(annotation, "__origin__", None) is dict


def _takes_mapping(definition: TransformDef) -> bool:
    """Whether the shorthand argument may itself be a mapping (``{constant: {a: 1}}``)."""
    if definition.shorthand is None:
        return False
    return definition.args.model_fields[definition.shorthand].annotation is Any


def _nothing(raw: Any) -> Any:
    return None


def _first_present(plans: list[ValuePlan]) -> Any:
    def first(raw: Any) -> Any:
        for plan in plans:
            value = plan.evaluate(raw)
            if not is_missing(value):
                return value
        return None

    return first
