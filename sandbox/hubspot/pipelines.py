"""Deal and ticket pipelines: HubSpot's default ones, the pipelines API v3, and the checks they impose.

    GET /crm/v3/pipelines/{object}                              {"results": [pipeline, ...]}
    GET /crm/v3/pipelines/{object}/{pipelineId}                 one pipeline (404 when unknown)
    GET /crm/v3/pipelines/{object}/{pipelineId}/stages[/{id}]   its stages / one stage

A fresh portal has one pipeline per object: deals ``default`` ("Sales Pipeline", stages
``appointmentscheduled`` ... ``closedwon``, ``closedlost``), tickets ``0`` ("Support Pipeline",
stages ``1`` New, ``2`` Waiting on contact, ``3`` Waiting on us, ``4`` Closed). The sandbox's
pipelines are read-only.

A record's stage must be one of its pipeline's stages (a deal's ``dealstage`` in its
``pipeline``, a ticket's ``hs_pipeline_stage`` in its ``hs_pipeline``); a create without a
pipeline is put in the default one, as HubSpot does. A ticket cannot be created without
``hs_pipeline_stage``: HubSpot answers 400 ``Cannot create object with type: TICKET. The
following required properties were missing: [hs_pipeline_stage]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.hubspot.wire import Category, error, iso

__all__ = [
    "PIPELINES",
    "STAGE_PROPERTY",
    "check_sales",
    "missing_error",
    "pipeline_problems",
    "pipelines_api",
    "required_missing",
    "with_pipeline",
]

_CREATED = datetime(2019, 8, 6, 13, 50, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stage:
    """One pipeline stage: its ID, label and metadata (a deal stage's win probability, a ticket's state)."""

    id: str
    label: str
    metadata: dict[str, str]

    def as_json(self, order: int) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "displayOrder": order, "metadata": self.metadata,
                "createdAt": iso(_CREATED), "updatedAt": iso(_CREATED), "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}  # fmt: skip


@dataclass(frozen=True)
class Pipeline:
    """One pipeline and its stages, in order."""

    id: str
    label: str
    stages: tuple[Stage, ...]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "displayOrder": 0,
                "stages": [s.as_json(i) for i, s in enumerate(self.stages)],
                "createdAt": iso(_CREATED), "updatedAt": iso(_CREATED), "archived": False}  # fmt: skip


def _deal_stage(stage_id: str, label: str, probability: str) -> Stage:
    return Stage(stage_id, label, {"isClosed": str(probability in {"0.0", "1.0"}).lower(), "probability": probability})


def _ticket_stage(stage_id: str, label: str, state: str) -> Stage:
    return Stage(stage_id, label, {"ticketState": state, "isClosed": str(state == "CLOSED").lower()})


PIPELINES: dict[str, tuple[Pipeline, ...]] = {
    "deals": (
        Pipeline("default", "Sales Pipeline", (
            _deal_stage("appointmentscheduled", "Appointment Scheduled", "0.2"),
            _deal_stage("qualifiedtobuy", "Qualified To Buy", "0.4"),
            _deal_stage("presentationscheduled", "Presentation Scheduled", "0.6"),
            _deal_stage("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
            _deal_stage("contractsent", "Contract Sent", "0.9"),
            _deal_stage("closedwon", "Closed Won", "1.0"),
            _deal_stage("closedlost", "Closed Lost", "0.0"),
        )),
    ),
    "tickets": (
        Pipeline("0", "Support Pipeline", (
            _ticket_stage("1", "New", "OPEN"),
            _ticket_stage("2", "Waiting on contact", "OPEN"),
            _ticket_stage("3", "Waiting on us", "OPEN"),
            _ticket_stage("4", "Closed", "CLOSED"),
        )),
    ),
}  # fmt: skip
"""Each object's pipelines; the first is the default."""

PIPELINE_PROPERTY = {"deals": "pipeline", "tickets": "hs_pipeline"}
STAGE_PROPERTY = {"deals": "dealstage", "tickets": "hs_pipeline_stage"}
REQUIRED = {"deals": (), "tickets": ("hs_pipeline_stage",)}
"""Properties a create must carry (beside the pipeline, which defaults)."""


def _pipeline(obj: str, pipeline_id: str) -> Pipeline | None:
    return next((p for p in PIPELINES.get(obj, ()) if p.id == pipeline_id), None)


def with_pipeline(obj: str, values: dict[str, str]) -> dict[str, str]:
    """Values of a new record, put in the default pipeline when they name none (as HubSpot does)."""
    if obj not in PIPELINES or values.get(PIPELINE_PROPERTY[obj]):
        return values
    return {**values, PIPELINE_PROPERTY[obj]: PIPELINES[obj][0].id}


def required_missing(obj: str, values: dict[str, str]) -> list[str]:
    """The required properties a create of ``obj`` leaves out or empty."""
    return [name for name in REQUIRED.get(obj, ()) if not values.get(name)]


def pipeline_problems(obj: str, values: dict[str, str], current: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Problems (``records.Problem`` shape) of a stage outside its pipeline; ``current``: the record's values."""
    if obj not in PIPELINES:
        return []
    pipe_name, stage_name = PIPELINE_PROPERTY[obj], STAGE_PROPERTY[obj]
    if pipe_name not in values and stage_name not in values:
        return []
    before = current or {}
    pipeline_id = values.get(pipe_name) or before.get(pipe_name) or PIPELINES[obj][0].id
    stage = values.get(stage_name, before.get(stage_name) or "")
    pipeline = _pipeline(obj, pipeline_id)
    if pipeline is None or not stage or stage in {s.id for s in pipeline.stages}:
        return []  # an unknown pipeline is refused by its property's options already
    message = (
        f"{stage} is not a valid stage of pipeline {pipeline_id}; valid: {', '.join(s.id for s in pipeline.stages)}"
    )
    return [{"isValid": False, "message": message, "error": "INVALID_OPTION", "name": stage_name,
             "localizedErrorMessage": message}]  # fmt: skip


def check_sales(
    obj: str, values: dict[str, str], *, current: dict[str, str] | None = None, creating: bool = False
) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """(values, a new record's in the default pipeline; stage problems; required properties missing on create)."""
    if creating:
        values = with_pipeline(obj, values)
    return values, pipeline_problems(obj, values, current), required_missing(obj, values) if creating else []


def missing_error(obj: str, missing: list[str]) -> Response:
    """HubSpot's 400 for a create without a required property."""
    kind = obj.rstrip("s").upper()
    return error(400, Category.VALIDATION_ERROR,
                 f"Cannot create object with type: {kind}. The following required properties were missing: "
                 f"[{', '.join(missing)}]")  # fmt: skip


def pipelines_api(request: Request, obj: str, rest: list[str]) -> Response:
    """Answer one ``/crm/v3/pipelines/{object}/...`` request (GET only: the pipelines are HubSpot's defaults)."""
    if request.method != "GET":
        return error(400, Category.VALIDATION_ERROR, "The sandbox's pipelines are read-only")
    if obj not in PIPELINES:
        return error(400, Category.VALIDATION_ERROR, f"Object type {obj} has no pipelines")
    if not rest:
        return Response.json(200, {"results": [p.as_json() for p in PIPELINES[obj]]})
    pipeline = _pipeline(obj, rest[0])
    if pipeline is None:
        return error(404, Category.OBJECT_NOT_FOUND, f"Unable to find pipeline {rest[0]}")
    if len(rest) == 1:
        return Response.json(200, pipeline.as_json())
    stages = pipeline.as_json()["stages"]
    if rest[1:] == ["stages"]:
        return Response.json(200, {"results": stages})
    found = next((s for s in stages if len(rest) == 3 and rest[1] == "stages" and s["id"] == rest[2]), None)
    if found is None:
        return error(404, Category.OBJECT_NOT_FOUND, f"Unable to find stage {rest[-1]} in pipeline {rest[0]}")
    return Response.json(200, found)
