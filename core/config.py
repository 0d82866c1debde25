"""The project file, ``contactpoint.yaml``: systems, mappings, identity, policies, schedules.

Secrets are never written in it: a value may be ``${ENV_NAME}`` (or
``${ENV_NAME:-default}``), resolved when the file is loaded. Every problem is
collected and reported at once with its file:line:column.

    load_project(path)          -> Project        (raises ConfigError)
    build_connector(project, n) -> Connector      (raises ConnectorConfigError)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import Connector
from connectors.registry import factory_for
from core.canonical.base import describe_validation_error
from core.errors import ConfigError, ConnectorConfigError, Problem
from core.yamlfile import Document, YamlSyntaxError, load

__all__ = [
    "DEFAULT_PATH",
    "Project",
    "ScheduleConfig",
    "SystemConfig",
    "build_connector",
    "load_project",
]

DEFAULT_PATH = Path("contactpoint.yaml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SystemConfig(_Strict):
    """One connected system: which connector, which mapping, its settings."""

    kind: str = Field(description="Connector name from 'contactpoint connectors list'.")
    mapping: Path | None = Field(default=None, description="YAML mapping for its streams.")
    enabled: bool = True
    settings: dict[str, Any] = Field(default_factory=dict, description="Validated by the connector's own model.")


class StoreConfig(_Strict):
    """Where the store lives; CONTACTPOINT_DATABASE_URL wins over ``url``."""

    url: str | None = None


class IdentityConfig(_Strict):
    """Identity settings file (rules, comparisons, thresholds, survivorship)."""

    settings: Path | None = None


class PolicyConfig(_Strict):
    """Enrichment and suppression policy files."""

    files: list[Path] = Field(default_factory=list)


class ScheduleConfig(_Strict):
    """A job run on a schedule (cron syntax, APScheduler)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    cron: str
    job: str = Field(default="sync", pattern=r"^(sync|resolve|writeback|report)$")
    systems: list[str] = Field(default_factory=list)
    timezone: str = "UTC"


class Project(_Strict):
    """A parsed ``contactpoint.yaml``; paths are relative to the file's folder."""

    version: int = Field(default=1, ge=1, le=1)
    store: StoreConfig = Field(default_factory=StoreConfig)
    systems: dict[str, SystemConfig] = Field(default_factory=dict)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    policies: PolicyConfig = Field(default_factory=PolicyConfig)
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    source: str = Field(default=str(DEFAULT_PATH), exclude=True)
    base_dir: Path = Field(default=Path(), exclude=True)
    positions: Any = Field(default=None, exclude=True, repr=False)

    def system(self, name: str) -> SystemConfig:
        """Return the system configured as ``name``.

        Raises:
            ConfigError: When no such system exists; suggests the nearest name.

        """
        if name in self.systems:
            return self.systems[name]
        known = sorted(self.systems)
        near = get_close_matches(name, known, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"add it under 'systems:' in {self.source}"
        msg = f"no system named {name!r} in {self.source}; configured: {', '.join(known) or 'none'}"
        raise ConfigError(msg, hint=hint, system=name)

    def resolve_path(self, path: Path) -> Path:
        """Return ``path`` made absolute against the config file's folder."""
        return path if path.is_absolute() else self.base_dir / path


def _disabled_systems(data: Mapping[str, Any]) -> set[str]:
    systems = data.get("systems")
    if not isinstance(systems, dict):
        return set()
    return {name for name, system in systems.items() if isinstance(system, dict) and system.get("enabled") is False}


def _interpolate(value: Any, path: tuple[str | int, ...], doc: Document, problems: list[Problem]) -> Any:
    """Replace ``${NAME}`` references; unset names are problems (reported at their line)."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = os.environ.get(name)
            if found is not None:
                return found
            if default is not None:
                return default
            problems.append(
                doc.problem(path, f"environment variable {name} is not set", f"export {name}=... before running")
            )
            return ""

        return _ENV_REF.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), doc, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), doc, problems) for i, v in enumerate(value)]
    return value


def _validation_problems(doc: Document, err: ValidationError, prefix: Sequence[str | int] = ()) -> list[Problem]:
    problems = []
    for item, line in zip(err.errors(include_url=False), describe_validation_error(err), strict=True):
        loc = (*prefix, *item["loc"])
        message = line.split(": ", 1)[1] if ": " in line else line
        hint = None
        if item["type"] == "extra_forbidden" and len(loc) >= 1:
            parent_model = _known_keys(prefix, item["loc"])
            near = get_close_matches(str(loc[-1]), parent_model, n=1)
            hint = f"did you mean {near[0]!r}?" if near else f"known keys: {', '.join(parent_model)}"
            message = "is not a known key"
        problems.append(doc.problem(loc, message, hint))
    return problems


_CONTAINERS: dict[str, type[BaseModel]] = {"systems": SystemConfig, "schedules": ScheduleConfig}


def _known_keys(prefix: Sequence[str | int], loc: Sequence[str | int]) -> list[str]:
    """Return the keys allowed beside the unknown key at ``loc`` (only inside Project)."""
    if prefix:
        return []
    model: type[BaseModel] = Project
    parts = list(loc[:-1])
    while parts:
        part = str(parts.pop(0))
        if part in _CONTAINERS and model is Project:
            model = _CONTAINERS[part]
            if parts:
                parts.pop(0)  # the system name or schedule index
            continue
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [name for name, f in model.model_fields.items() if not f.exclude]


def load_project(path: Path | str = DEFAULT_PATH) -> Project:
    """Read, interpolate and validate ``contactpoint.yaml``.

    Raises:
        ConfigError: The file is missing, is not YAML, or has invalid values; the
            message lists every problem with its file:line:column.

    """
    p = Path(path)
    if not p.exists():
        msg = f"configuration file {p} does not exist"
        raise ConfigError(msg, hint="create one with: contactpoint init", file=str(p))
    try:
        doc = load(p)
    except YamlSyntaxError as err:
        raise ConfigError(str(err.problem), hint=err.problem.hint, file=str(p)) from None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        msg = f"{p}: the top level must be a mapping of keys such as 'systems:'"
        raise ConfigError(msg, file=str(p))
    problems: list[Problem] = []
    data = _interpolate(data, (), doc, problems)
    disabled = _disabled_systems(data)
    # a disabled system may name variables that are not exported yet
    problems = [p for p in problems if not any(p.key.startswith(f"systems.{name}.") for name in disabled)]
    try:
        project = Project.model_validate(data)
    except ValidationError as err:
        problems.extend(_validation_problems(doc, err))
        project = None
    if problems or project is None:
        raise _config_error(problems, p)
    return project.model_copy(update={"source": str(p), "base_dir": p.resolve().parent, "positions": doc})


def _config_error(problems: list[Problem], path: Path) -> ConfigError:
    ordered = sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
    lines = "\n".join(f"  {problem}" for problem in ordered)
    count = len(problems)
    msg = f"{path}: {count} problem{'s' if count != 1 else ''} in configuration\n{lines}"
    return ConfigError(
        msg,
        hint=f"fix the lines above; 'contactpoint init --force' writes a fresh commented example to {path}",
        file=str(path),
    )


def build_connector(project: Project, name: str) -> Connector:
    """Build the connector for the system configured as ``name``.

    Raises:
        ConfigError: Unknown system name.
        ConnectorConfigError: Unknown connector kind, or settings the connector rejects
            (each problem with its file:line in contactpoint.yaml).

    """
    system = project.system(name)
    factory = factory_for(system.kind)
    try:
        settings = factory.config_model.model_validate(system.settings)
    except ValidationError as err:
        doc = project.positions
        problems = (
            _validation_problems(doc, err, ("systems", name, "settings"))
            if isinstance(doc, Document)
            else [Problem(project.source, None, None, name, line) for line in describe_validation_error(err)]
        )
        lines = "\n".join(f"  {problem}" for problem in problems)
        msg = f"settings of system {name!r} ({system.kind}) are invalid:\n{lines}"
        raise ConnectorConfigError(
            msg, hint=f"see 'docs/{system.kind}.md' for the settings of the {system.kind} connector", system=name
        ) from None
    return factory.from_config(settings, name=name)


def settings_of(project: Project, name: str) -> Mapping[str, Any]:
    """Return the raw (interpolated) settings of a system, for display with secrets masked."""
    return project.system(name).settings
