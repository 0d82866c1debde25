"""What a report or a profile command needs from the project file, when there is one.

    project_context(config, url) ─→ ProjectContext(url, targets, budgets, project)

Without ``contactpoint.yaml`` the store comes from ``--url`` or the environment and the
report has no write-back sections to read (its closed loop says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.config import Project, find_project, load_project, project_store_url
from core.mapping import load_mapping
from core.mapping.writeback import Writeback
from core.store import database_url

__all__ = ["ProjectContext", "project_context"]


@dataclass
class ProjectContext:
    """The store URL, the writable streams with their write-back sections, and the systems' API budgets."""

    url: str
    targets: list[tuple[str, str, Writeback]] = field(default_factory=list)
    budgets: dict[str, float] = field(default_factory=dict)
    project: Project | None = None


def project_context(config: Path | None, url: str | None) -> ProjectContext:
    """Read the project file (``config``, else the ``contactpoint.yaml`` of this folder or a parent) for a report.

    Raises:
        ConfigError: The project file named is missing or invalid, or a mapping is broken.
    """
    path = config if config is not None else find_project()
    if path is None:
        return ProjectContext(url or database_url())
    project = load_project(path)
    context = ProjectContext(url or project_store_url(project), project=project)
    for name, system in project.systems.items():
        if not system.enabled or system.mapping is None:
            continue
        mapping = load_mapping(project.resolve_path(system.mapping))
        for stream in mapping.streams:
            writeback = mapping.writeback(stream)
            if writeback.fields:
                context.targets.append((name, stream, writeback))
        share = system.settings.get("api_budget_share")
        if isinstance(share, int | float):
            context.budgets[name] = float(share)
    return context
