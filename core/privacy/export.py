"""Portability: everything held about one person, as one JSON document checked against a published schema.

    export_person(store, profile_id) ─→ {"format": "contactpoint.person-export/1", "exported_at", "profile",
        "records" (each linked source record as pulled, with its canonical rows and link), "interactions",
        "consents", "suppressions", "decisions", "ledger" (state in force and every statement), "writeback"
        (values last written to each of their records), "writeback_failures", "alerts"}

The document is validated against ``export.schema.json`` (JSON Schema 2020-12, documented
in docs/privacy.md) before it is returned; values are as stored, never masked: it is the
person's own copy.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft202012Validator

from core.errors import StoreError
from core.reports.person import person_records
from core.store import Store, WritebackEntry

__all__ = ["EXPORT_FORMAT", "export_person", "export_schema"]

EXPORT_FORMAT = "contactpoint.person-export/1"
_WRITTEN = WritebackEntry.__table__  # type: ignore[attr-defined]


@cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema every export is valid against."""
    text = files("core.privacy").joinpath("export.schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _record(store: Store, system: str, stream: str, source_id: str) -> dict[str, Any]:
    source = store.records.get_source(system, stream, source_id)
    rows = store.records.canonical_of([(system, stream, source_id)], models=["Person", "Account", "Interaction",
                                                                              "Consent"])  # fmt: skip
    return {
        "system": system, "stream": stream, "source_id": source_id,
        "updated_at": _iso(source.updated_at) if source else None, "deleted": bool(source.deleted) if source else False,
        "raw": dict(source.raw) if source else None,
        "canonical": [{"model": r.model, "ordinal": r.ordinal, "data": r.data} for r in rows],
    }  # fmt: skip


def _written(store: Store, keys: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    c, found = _WRITTEN.c, []
    with store.database.connection() as conn:
        for system, stream, source_id in keys:
            query = (
                sa.select(c.field, c.value, c.written_at, c.run_id)
                .where(c.system == system, c.stream == stream, c.source_id == source_id)
                .order_by(c.field)
            )
            found += [{"system": system, "stream": stream, "source_id": source_id, "field": f, "value": v,
                       "written_at": _iso(at), "run_id": run} for f, v, at, run in conn.execute(query)]  # fmt: skip
    return found


def _activity(store: Store, keys: list[tuple[str, str, str, str]], model: str) -> list[dict[str, Any]]:
    wanted = sorted({k[:3] for k in keys if k[3] == model})
    return [{"system": r.system, "stream": r.stream, "source_id": r.source_id, "data": r.data}
            for r in store.records.canonical_of(wanted, models=[model])]  # fmt: skip


def export_person(store: Store, profile_id: str) -> dict[str, Any]:
    """Return everything held about the person as one JSON document (see the module docstring).

    Raises:
        StoreError: The document does not match its schema (a defect: nothing is written).
    """
    profile = store.profiles.get(profile_id)
    found = person_records(store, profile_id)
    keys = [(link.system, link.stream, link.source_id) for link in found.linked]
    decision = store.decisions.explained(profile_id)
    explanation = decision.explanation if decision is not None else {}
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": store.database.now().isoformat(),
        "profile": {
            "profile_id": profile_id, "status": str(profile.status) if profile else "unknown",
            "created_at": _iso(profile.created_at) if profile else None, "aliases": sorted(found.family - {profile_id}),
            "golden": profile.golden if profile else {},
        },
        "records": [
            {**_record(store, *key), "link": {"method": str(link.method), "rule": link.rule, "score": link.score,
                                             "linked_at": _iso(link.linked_at)}}
            for key, link in zip(keys, found.linked, strict=True)
        ],
        "interactions": _activity(store, found.activity, "Interaction"),
        "consents": _activity(store, found.activity, "Consent")
        + [{"system": k[0], "stream": k[1], "source_id": k[2], "data": r["data"]}
           for k in keys for r in _record(store, *k)["canonical"] if r["model"] == "Consent"],
        "suppressions": explanation.get("suppressions", []),
        "decisions": {"values": decision.values if decision else {}, "updated_at": _iso(decision.updated_at) if decision else None},
        "ledger": {
            "state": store.ledger.state_in_force(profile_id).to_json(),
            "statements": [{"chain": e.chain, "seq": e.seq, "recorded_at": _iso(e.recorded_at), "entry_hash": e.entry_hash,
                            "statement": dict(e.statement.body)} for e in store.ledger.history(profile_id)],
        },
        "writeback": _written(store, keys),
        "writeback_failures": [
            {"system": f.system, "stream": f.stream, "source_id": f.source_id, "fields": f.fields, "code": f.code,
             "message": f.message, "attempts": f.attempts}
            for f in store.writeback.failures() if (f.system, f.stream, f.source_id) in set(keys)
        ],
        "alerts": [{"key": a.key, "kind": a.kind, "title": a.title, "status": a.status, "system": a.system,
                    "raised_at": _iso(a.raised_at)} for a in store.alerts.of_profile(profile_id)],
    }  # fmt: skip
    document = dict(json.loads(json.dumps(document, default=str)))
    errors = sorted(Draft202012Validator(export_schema()).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path)
        msg = f"the export of {profile_id} does not match its schema at {where or '(top)'}: {errors[0].message}"
        raise StoreError(msg, hint="this is a defect in Contactpoint; nothing was written")
    return document
