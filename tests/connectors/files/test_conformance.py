"""The files connector runs the connector conformance suite, in both cursor modes."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector, WritebackTarget
from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from tests.connectors.conformance import ConnectorConformance

ROWS = 25


class FilesHarness:
    """A CSV of 25 people read 10 rows a batch; push merges into a JSONL output file."""

    stream = "people"
    writable_stream = "people"

    def __init__(self, folder: Path, *, mode: str) -> None:
        self.path = folder / "people.csv"
        self.output = folder / "people.out.jsonl"
        self.mode = mode
        self.sleeps: list[float] = []
        self.rows = [
            {"id": f"p{n:03d}", "email": f"person{n}@example.com", "updated_at": f"2024-05-0{1 + n % 3}T10:00:00Z"}
            for n in range(ROWS)
        ]
        self._write()

    def _write(self, broken: int | None = None) -> None:
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "email", "updated_at"])
            for n, row in enumerate(self.rows):
                values = list(row.values())
                writer.writerow([*values, "an extra field"] if n == broken else values)

    def connector(self) -> Connector:
        stream: dict[str, Any] = {"name": "people", "path": self.path, "batch_size": 10, "output": self.output}
        if self.mode == "updated_at":
            stream["updated_at_field"] = "updated_at"
        return FilesConnector(FilesConfig.model_validate({"streams": [stream]}), name="files")

    def refused(self) -> Connector | None:
        return None

    def corrupt_one(self) -> str | None:
        self._write(broken=7)
        return self.rows[7]["id"]

    def throttle_next(self, retry_after: int) -> bool:
        return False

    def push_targets(self, count: int) -> list[str]:
        return [row["id"] for row in self.rows[:count]]

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        return False

    def written_fields(self) -> dict[str, Any]:
        return {"cp_profile_id": "cp_conformance", "cp_intent": 0.75}

    def read_back(self, source_id: str, field: str) -> Any:
        for line in self.output.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["id"] == source_id:
                return row.get(field)
        return None

    def writeback_targets(self) -> list[WritebackTarget]:
        return [WritebackTarget("people", "cp_profile_id", "profile_id")]


class TestFilesConformance(ConnectorConformance):
    @pytest.fixture(params=["position", "updated_at"])
    def harness(self, request: pytest.FixtureRequest, tmp_path: Path) -> FilesHarness:
        return FilesHarness(tmp_path, mode=request.param)
