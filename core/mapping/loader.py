"""Read a mapping file, validate all of it, and compile it: ``load_mapping``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core import yamlfile
from core.errors import MappingError, Problem
from core.mapping import transforms as _transforms  # registers the built-in transforms
from core.mapping.alerts import AlertTemplate, check_alert_value
from core.mapping.compiler import Compiler
from core.mapping.engine import CompiledMapping, StreamMapping
from core.mapping.spec import DefaultsSpec, MappingSpec
from core.mapping.validate import pydantic_problems

__all__ = ["compile_document", "load_mapping", "load_mapping_text"]

assert _transforms  # imported for its side effect


def load_mapping(path: str | Path) -> CompiledMapping:
    """Read, validate and compile a mapping file.

    Args:
        path: The YAML file, e.g. ``mappings/salesforce.yaml``.

    Returns:
        The compiled mapping.

    Raises:
        MappingError: Listing every problem with file, line, column, key and hint
            (including a file that cannot be read and YAML syntax errors).
    """
    file = str(path)
    try:
        doc = yamlfile.load(path)
    except FileNotFoundError:
        hint = "check the path; the shipped mappings are in mappings/ (files.yaml, salesforce.yaml)"
        raise MappingError([Problem(file, None, None, "", "mapping file not found", hint)], file=file) from None
    except (OSError, UnicodeDecodeError) as err:
        problem = Problem(
            file, None, None, "", f"cannot read mapping file: {err}", "check the file's permissions and encoding"
        )
        raise MappingError([problem], file=file) from None
    except yamlfile.YamlSyntaxError as err:
        raise MappingError([err.problem], file=file) from None
    return compile_document(doc)


def load_mapping_text(text: str, *, file: str = "<mapping>") -> CompiledMapping:
    """Like ``load_mapping`` for YAML text; ``file`` names it in messages.

    Raises:
        MappingError: Listing every problem.
    """
    try:
        doc = yamlfile.load_text(text, file=file)
    except yamlfile.YamlSyntaxError as err:
        raise MappingError([err.problem], file=file) from None
    return compile_document(doc)


def compile_document(doc: yamlfile.Document) -> CompiledMapping:
    """Validate and compile a parsed mapping document.

    Raises:
        MappingError: Listing every problem found, in file order.
    """
    data = doc.data
    if not isinstance(data, dict):
        message = "a mapping file is a YAML mapping with 'system', 'version: 1' and 'streams'"
        raise MappingError([doc.problem((), message, "see docs/mappings.md for an example")], file=doc.file)
    problems: list[Problem] = []
    try:
        spec: MappingSpec | None = MappingSpec.model_validate(data)
    except ValidationError as err:
        problems.extend(pydantic_problems(doc, (), err, MappingSpec))
        spec = None
    compiler = Compiler(doc, system=_system(spec, data), defaults=_defaults(spec, data))
    streams: dict[str, StreamMapping] = {}
    raw_streams = data.get("streams")
    if isinstance(raw_streams, dict):
        for name, raw in raw_streams.items():
            if spec is None and not isinstance(raw, dict):
                continue  # already reported by MappingSpec
            compiled = compiler.stream(str(name), raw)
            if compiled is not None:
                streams[str(name)] = compiled
    problems.extend(compiler.problems)
    alerts = _alerts(doc, spec, problems)
    if problems or spec is None:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise MappingError(problems, file=doc.file)
    return CompiledMapping(file=doc.file, system=spec.system, streams=streams, document=doc, alerts=alerts)


def _alerts(doc: yamlfile.Document, spec: MappingSpec | None, problems: list[Problem]) -> dict[str, AlertTemplate]:
    """Compile the ``alerts:`` section, recording a problem for each value that cannot be provided."""
    if spec is None:
        return {}
    found: dict[str, AlertTemplate] = {}
    for name, alert in spec.alerts.items():
        for vendor_field, value in alert.fields.items():
            wrong = check_alert_value(value)
            if wrong is not None:
                problems.append(
                    doc.problem(("alerts", name, "fields", vendor_field), wrong, "see docs/mappings.md, Alerts")
                )
        found[name] = AlertTemplate(name, alert.key_field, dict(alert.fields))
    return found


def _system(spec: MappingSpec | None, data: dict[str, Any]) -> str:
    if spec is not None:
        return spec.system
    system = data.get("system")
    return system if isinstance(system, str) and system else "unknown"


def _defaults(spec: MappingSpec | None, data: dict[str, Any]) -> DefaultsSpec:
    if spec is not None:
        return spec.defaults
    try:
        return DefaultsSpec.model_validate(data.get("defaults") or {})
    except ValidationError:
        return DefaultsSpec()  # its problems are already reported by MappingSpec
