"""Compile parsed policy files into a ``PolicySet``, collecting every problem with its file:line.

Several files may make one set (``policies: {files: [...]}`` in contactpoint.yaml):
their sections are joined, a name may be defined once across all of them, and
``defaults:`` and ``fields:`` may be set in one file only. Order of work: the top
level of each file; ``defaults`` and ``fields``; then each named item on its own
(enrichment, scores, segments, suppressions, alerts), so one bad item never hides
another's problems; then the references between them (a segment's scores, a
segment change's segments, a template's placeholders).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import PolicyError, Problem
from core.policy import spec as S
from core.policy.alerts import PLACEHOLDERS, AlertRule, AlertSuppression, template_fields
from core.policy.engine import PolicySet
from core.policy.enrichment import CountRule, EnrichmentRule, HighestRule, LatestRule, SumRule
from core.policy.matching import MatchCompiler, Matcher, compile_pattern, describe
from core.policy.scores import Score, Segment, Signal, Threshold
from core.policy.sections import Entry, Sections
from core.policy.suppression import (
    ConsentDeniedRule,
    EventRule,
    FrequencyCapRule,
    OpenTicketRule,
    SegmentChangeRule,
    SuppressionRule,
)
from core.policy.view import DERIVED_FIELDS, FIELD_NAMES, Reader, derived_reader, field_reader
from core.policy.wording import pydantic_problems
from core.problems import Loc, suggest
from core.yamlfile import Document

__all__ = ["compile_documents"]

M = TypeVar("M", bound=BaseModel)
_NEVER = Matcher(lambda _view: False, None, "never")
_TEMPLATE_FIELDS = ("subject", "type", "status", "priority", "satisfaction", "tags", "path", "system", "stream",
                    "source_id")  # fmt: skip


def compile_documents(docs: Sequence[Document]) -> PolicySet:
    """Validate and compile parsed policy files into one set.

    Raises:
        PolicyError: Listing every problem found, file by file in line order.
    """
    compiler = _Compiler(docs)
    policies = compiler.run()
    if compiler.problems or policies is None:
        order = {doc.file: index for index, doc in enumerate(docs)}
        problems = sorted(compiler.problems, key=lambda p: (order.get(p.file, 0), p.line or 0, p.column or 0))
        raise PolicyError(problems, file=", ".join(doc.file for doc in docs))
    return policies


class _Compiler:
    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = docs
        self.problems: list[Problem] = []
        self.sections = Sections(docs, self.problems)
        self.derived: dict[str, Reader] = {}
        self.match = MatchCompiler({})
        self.round = 1

    def run(self) -> PolicySet | None:
        defaults = self.sections.single("defaults", S.DefaultsSpec)
        fields = self.sections.single("fields", S.FieldsSpec)
        self.round = defaults.value.round
        self.derived = {name: self._derived(fields.doc, name, getattr(fields.value, name)) for name in DERIVED_FIELDS}
        self.match = MatchCompiler(self.derived)
        is_open = self._match(defaults.doc or self.docs[0], ("defaults", "open"), defaults.value.open) or _NEVER
        self.match.open = is_open
        enrichment = [rule for entry in self.sections.items("enrichment") if (rule := self._enrichment(entry))]
        scores = [score for entry in self.sections.items("scores") if (score := self._score(entry))]
        segments = [seg for entry in self.sections.items("segments") if (seg := self._segment(entry, scores))]
        suppressions = [r for entry in self.sections.items("suppressions") if (r := self._suppression(entry, segments))]
        alerts = [alert for entry in self.sections.items("alerts") if (alert := self._alert(entry))]
        self._unique_reasons()
        self.problems.extend(self.match.problems)
        if self.problems:
            return None
        return PolicySet(tuple(doc.file for doc in self.docs), tuple(enrichment), tuple(scores), tuple(segments),
                         tuple(suppressions), tuple(alerts), is_open, self.derived["solved_at"])  # fmt: skip

    # -- helpers -----------------------------------------------------------------------

    def _problem(self, doc: Document, loc: Loc, message: str, hint: str) -> None:
        self.problems.append(doc.problem(loc, message, hint))

    def _validate(self, entry: Entry, model: type[M]) -> M | None:
        try:
            return model.model_validate(entry.raw)
        except ValidationError as err:
            self.problems.extend(pydantic_problems(entry.doc, entry.loc, err, model))
            self._raw_matchers(entry)
            return None

    def _raw_matchers(self, entry: Entry) -> None:
        """Check the match blocks of an item that failed validation, so their problems show too."""
        raw = entry.raw
        for key in ("match", "events", "nurture", "open"):
            if isinstance(raw.get(key), Mapping):
                self._match(entry.doc, (*entry.loc, key), raw[key])
        signals = raw.get("signals")
        for index, signal in enumerate(signals if isinstance(signals, list) else []):
            if isinstance(signal, Mapping) and isinstance(signal.get("match"), Mapping):
                self._match(entry.doc, (*entry.loc, "signals", index, "match"), signal["match"])

    def _ruled(self, entry: Entry, table: Mapping[str, type[BaseModel]]) -> BaseModel | None:
        rule = entry.raw.get("rule")
        rules = ", ".join(table)
        if rule is None:
            self._problem(entry.doc, entry.loc, "missing 'rule'", f"add 'rule: {next(iter(table))}'; rules: {rules}")
            return None
        if rule not in table:
            self._problem(
                entry.doc, (*entry.loc, "rule"), f"unknown rule {rule!r}", suggest(str(rule), table, noun="rules")
            )
            self._raw_matchers(entry)
            return None
        return self._validate(entry, table[rule])

    def _match(self, doc: Document, loc: Loc, raw: Any) -> Matcher | None:
        return self.match.compile(doc, loc, raw)

    def _reader(self, doc: Document, loc: Loc, name: str) -> Reader | None:
        try:
            return field_reader(name, self.derived)
        except ValueError as err:
            self._problem(doc, loc, str(err), suggest(name, FIELD_NAMES, noun="fields") + ", or properties.<path>")
            return None

    def _derived(self, doc: Document | None, name: str, sources: list[str]) -> Reader:
        good = True
        for index, source in enumerate(sources):
            try:
                field_reader(source)
            except ValueError as err:
                good = False
                if doc is not None:
                    fields = ", ".join(n for n in FIELD_NAMES if n not in DERIVED_FIELDS)
                    self._problem(doc, ("fields", name, index), f"{err}: a source of '{name}'",
                                  f"use one of {fields}, or properties.<path>")  # fmt: skip
        return derived_reader(name, sources if good else DERIVED_FIELDS[name])

    # -- sections ----------------------------------------------------------------------

    def _enrichment(self, entry: Entry) -> EnrichmentRule | None:
        spec = self._ruled(entry, S.ENRICHMENT_RULES)
        if spec is None:
            return None
        assert isinstance(spec, S.CountSpec | S.HighestSpec | S.LatestSpec | S.SumSpec)
        matcher = self._match(entry.doc, (*entry.loc, "match"), spec.match)
        field = getattr(spec, "field", None)
        reader = self._reader(entry.doc, (*entry.loc, "field"), field) if field is not None else None
        if matcher is None or (field is not None and reader is None):
            return None
        if isinstance(spec, S.CountSpec):
            return CountRule(entry.name, matcher, spec.within)
        if isinstance(spec, S.LatestSpec):
            return LatestRule(entry.name, matcher, spec.field, reader, spec.within)
        assert reader is not None
        if isinstance(spec, S.HighestSpec):
            return HighestRule(entry.name, matcher, spec.field, reader, tuple(spec.order), spec.within)
        return SumRule(entry.name, matcher, spec.field, reader, self.round if spec.round is None else spec.round,
                       spec.within)  # fmt: skip

    def _score(self, entry: Entry) -> Score | None:
        spec = self._validate(entry, S.ScoreSpec)
        if spec is None:
            return None
        self._positive(entry, "half_life", spec.half_life.total_seconds())
        if spec.within is not None:
            self._positive(entry, "within", spec.within.total_seconds())
        signals = []
        for index, signal in enumerate(spec.signals):
            matcher = self._match(entry.doc, (*entry.loc, "signals", index, "match"), signal.match)
            if matcher is not None:
                signals.append(Signal(matcher, signal.weight, signal.label or describe(signal.match)))
        if len(signals) != len(spec.signals) or spec.half_life.total_seconds() <= 0:
            return None
        return Score(entry.name, spec.half_life, tuple(signals), self.round if spec.round is None else spec.round,
                     spec.within)  # fmt: skip

    def _positive(self, entry: Entry, key: str, seconds: float) -> bool:
        if seconds <= 0:
            self._problem(entry.doc, (*entry.loc, key), f"'{key}' must be longer than 0", "write e.g. 7d or 12h")
        return seconds > 0

    def _optional_match(self, entry: Entry, key: str, raw: dict[str, Any] | None) -> tuple[Matcher | None, bool]:
        """Compile an optional block: ``(matcher or None, whether it was fine)``."""
        if raw is None:
            return None, True
        matcher = self._match(entry.doc, (*entry.loc, key), raw)
        return matcher, matcher is not None

    def _segment(self, entry: Entry, scores: list[Score]) -> Segment | None:
        spec = self._validate(entry, S.SegmentSpec)
        if spec is None:
            return None
        known = [score.name for score in scores] + [e.name for e in self.sections.items("scores")]
        good = True
        for name in spec.when:
            if name not in known:
                good = False
                self._problem(entry.doc, (*entry.loc, "when", name), f"unknown score '{name}'",
                              suggest(name, sorted(set(known)), noun="scores") if known else "declare it under 'scores:'")  # fmt: skip
        nurture, ok = self._optional_match(entry, "nurture", spec.nurture)
        compiled = {score.name for score in scores}  # a declared score with problems of its own is not
        if not good or not ok or not set(spec.when) <= compiled:
            return None
        thresholds = tuple(Threshold(name, t.at_least, t.below) for name, t in spec.when.items())
        return Segment(entry.name, spec.label, thresholds, nurture)

    def _suppression(self, entry: Entry, segments: list[Segment]) -> SuppressionRule | None:
        spec = self._ruled(entry, S.SUPPRESSION_RULES)
        if spec is None:
            return None
        if isinstance(spec, S.ConsentDeniedSpec):
            events, ok = self._optional_match(entry, "events", spec.events)
            purposes = tuple(compile_pattern(p) for p in spec.purposes)
            rule = ConsentDeniedRule(entry.name, spec.scope, spec.channel, purposes, events, spec.lifted_by_later_grant)
            return rule if ok else None
        if isinstance(spec, S.EventSpec):
            matcher = self._match(entry.doc, (*entry.loc, "match"), spec.match)
            ok = spec.lasts is None or self._positive(entry, "lasts", spec.lasts.total_seconds())
            return EventRule(entry.name, spec.scope, matcher, spec.lasts) if matcher and ok else None
        if isinstance(spec, S.OpenTicketSpec):
            matcher = self._match(entry.doc, (*entry.loc, "match"), spec.match)
            is_open, ok = self._optional_match(entry, "open", spec.open)
            return (
                OpenTicketRule(entry.name, spec.scope, matcher, spec.resume_after, is_open) if matcher and ok else None
            )
        if isinstance(spec, S.FrequencyCapSpec):
            matcher = self._match(entry.doc, (*entry.loc, "match"), spec.match)
            ok = self._positive(entry, "window", spec.window.total_seconds())
            cap = (
                FrequencyCapRule(entry.name, spec.scope, matcher, spec.cap, spec.window, spec.overridable)
                if matcher
                else None
            )
            return cap if ok else None
        assert isinstance(spec, S.SegmentChangeSpec)
        return self._segment_change(entry, spec, segments)

    def _segment_change(
        self, entry: Entry, spec: S.SegmentChangeSpec, segments: list[Segment]
    ) -> SuppressionRule | None:
        by_name = {segment.name: segment for segment in segments}
        declared = [e.name for e in self.sections.items("segments")]
        good = True
        for loc, name in [(("from",), spec.from_), *[(("to", i), n) for i, n in enumerate(spec.to or [])]]:
            if name not in declared:
                good = False
                hint = suggest(name, declared, noun="segments") if declared else "declare it under 'segments:'"
                self._problem(entry.doc, (*entry.loc, *loc), f"unknown segment '{name}'", hint)
        source = by_name.get(spec.from_)
        written = next((e for e in self.sections.items("segments") if e.name == spec.from_), None)
        if written is not None and written.raw.get("nurture") is None:
            good = False
            self._problem(entry.doc, (*entry.loc, "from"),
                          f"segment '{spec.from_}' declares no 'nurture:', so nobody can be seen to be in its nurture",
                          f"add e.g. nurture: {{kind: campaign_event, subject: 'Getting started*'}} to segments.{spec.from_}")  # fmt: skip
        if spec.to is not None and spec.from_ in spec.to:
            good = False
            self._problem(entry.doc, (*entry.loc, "to"), f"'to' lists '{spec.from_}', the segment being left",
                          "list only the segments that replace it")  # fmt: skip
        if not good or source is None or any(name not in by_name for name in spec.to or []):
            return None
        to = frozenset(spec.to) if spec.to is not None else None
        return SegmentChangeRule(entry.name, spec.scope, source, to, spec.within)

    def _alert(self, entry: Entry) -> AlertRule | None:
        spec = self._validate(entry, S.AlertSpec)
        if spec is None:
            return None
        matcher = self._match(entry.doc, (*entry.loc, "match"), spec.match)
        is_open, ok = self._optional_match(entry, "open", spec.open)
        templates_ok = all([self._template(entry, "subject", spec.subject), self._template(entry, "text", spec.text)])
        if matcher is None or not ok or not templates_ok:
            return None
        readers = {name: field_reader(name, self.derived) for name in _TEMPLATE_FIELDS}
        suppress = spec.suppress
        held = AlertSuppression(suppress.reason, suppress.scope, suppress.resume_after) if suppress else None
        target = spec.target
        return AlertRule(entry.name, matcher, spec.within, target.system, tuple(target.streams), target.object,
                         target.assign_to, spec.subject, spec.text, readers, is_open, held)  # fmt: skip

    def _template(self, entry: Entry, key: str, template: str) -> bool:
        try:
            names = template_fields(template)
        except ValueError as err:
            self._problem(entry.doc, (*entry.loc, key), f"bad template {template!r}: {err}",
                          "write placeholders as {subject}; double a brace to show one: {{")  # fmt: skip
            return False
        bad = [name for name in names if name not in PLACEHOLDERS]
        for name in bad:
            self._problem(entry.doc, (*entry.loc, key), f"unknown placeholder '{{{name}}}'",
                          suggest(name, PLACEHOLDERS, noun="placeholders"))  # fmt: skip
        return not bad

    def _unique_reasons(self) -> None:
        seen = {e.name: e for e in self.sections.items("suppressions")}
        for entry in self.sections.items("alerts"):
            suppress = entry.raw.get("suppress")
            reason = suppress.get("reason") if isinstance(suppress, Mapping) else None
            if not isinstance(reason, str) or not re.match(S.NAME_PATTERN, reason):
                continue
            if reason in seen:
                first = seen[reason]
                line, _ = first.doc.locate(first.loc)
                self._problem(entry.doc, (*entry.loc, "suppress", "reason"),
                              f"reason '{reason}' is already given at {first.doc.file}:{line}",
                              "give each suppression its own reason, so a report can tell them apart")  # fmt: skip
            else:
                seen[reason] = entry
