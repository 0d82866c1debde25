"""YAML mappings: how a system's raw records become canonical models.

    load_mapping(path) ─→ CompiledMapping ─ .map(SourceRecord) ─→ Mapped | Rejected
                              │
                              ├── .streams, .stream(name) ─→ StreamMapping
                              └── .writeback(stream) ─→ Writeback (vendor fields to set)
    check_mapping(path, sample) ─→ CheckReport          (``contactpoint mapping check``)

Internals: ``paths`` (compiled source paths), ``registry`` and ``transforms``
(the named value functions), ``spec`` (file structure), ``compiler`` (collects
every problem), ``plans`` and ``engine`` (what runs per record). The file format
is described in docs/mappings.md.
"""

from __future__ import annotations

from core.mapping.check import CheckReport, SampleResult, check_mapping, read_sample
from core.mapping.engine import CompiledMapping, FieldProblem, MapOutcome, Mapped, Rejected, StreamMapping
from core.mapping.loader import load_mapping, load_mapping_text
from core.mapping.paths import SourcePath, parse_path
from core.mapping.registry import TRANSFORMS, TransformDef
from core.mapping.writeback import Writeback, WritebackField

__all__ = [
    "TRANSFORMS",
    "CheckReport",
    "CompiledMapping",
    "MapOutcome",
    "FieldProblem",
    "Mapped",
    "Rejected",
    "SampleResult",
    "SourcePath",
    "StreamMapping",
    "TransformDef",
    "Writeback",
    "WritebackField",
    "check_mapping",
    "load_mapping",
    "load_mapping_text",
    "parse_path",
    "read_sample",
]
