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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from connectors.base import Connector
from connectors.registry import factory_for
from core.canonical.base import describe_validation_error
from core.canonical.fields import TimeZoneName
from core.errors import ConfigError, ConnectorConfigError, Problem, problem_count, problems_message
from core.ledger.settings import LedgerSettings
from core.problems import Loc, closest, valid_keys, validation_problems
from core.store.engine import ENV_VAR, database_url, normalise_url
from core.yamlfile import Document, YamlSyntaxError, load

__all__ = [
    "DEFAULT_PATH",
    "Project",
    "ScheduleConfig",
    "SystemConfig",
    "anchor_paths",
    "build_connector",
    "check_cron",
    "connector_of",
    "default_identity_settings",
    "default_store_url",
    "find_project",
    "found_project",
    "project_store_url",
    "load_project",
]

DEFAULT_PATH = Path("contactpoint.yaml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_JOB_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_EVERY = re.compile(r"\d+[smhd]")
_JOBS = ("sync", "resolve")


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
    """A job run on a schedule (``contactpoint schedule run``, APScheduler): a cron line or an interval.

    Attributes:
        name: The job's name (``nightly``); the run ledger records it.
        cron: Five cron fields (``0 2 * * *``), in ``timezone``.
        every: Or an interval: ``30s``, ``15m``, ``2h``, ``1d``.
        job: ``sync`` (the systems listed, or every enabled one) or ``resolve`` (identity over the store).
        systems: For ``sync``: which systems; every enabled one when empty.
        timezone: IANA zone the cron fields are read in.
        misfire_grace_seconds: A run missed (the scheduler was down) still starts this late; later ones are dropped.
    """

    name: str
    cron: str | None = None
    every: str | None = None
    job: str = "sync"
    systems: list[str] = Field(default_factory=list)
    timezone: TimeZoneName = "UTC"
    misfire_grace_seconds: int = Field(default=300, ge=1)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _JOB_NAME.fullmatch(value):
            msg = "not a job name: use lowercase letters, digits, '-' and '_', e.g. nightly or hourly-sync"
            raise ValueError(msg)
        return value

    @field_validator("every")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None and not _EVERY.fullmatch(value):
            msg = "not an interval: write a number and s, m, h or d, e.g. 30s, 15m, 2h, 1d"
            raise ValueError(msg)
        return value

    @field_validator("job")
    @classmethod
    def _known_job(cls, value: str) -> str:
        if value not in _JOBS:
            near = closest(value, _JOBS)
            guess = f"did you mean {near[0]!r}? " if near else ""
            msg = f"not a job; {guess}jobs: {', '.join(_JOBS)}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduleConfig:
        if (self.cron is None) == (self.every is None):
            msg = "give either 'cron' (five fields, e.g. \"0 2 * * *\") or 'every' (e.g. 15m), not both or neither"
            raise ValueError(msg)
        if self.cron is not None:
            check_cron(self.cron)
        return self


@dataclass(frozen=True)
class _Origin:
    """Where a ``Project`` was read from: passed as validation context by ``load_project``."""

    document: Document
    base_dir: Path
    unset: dict[str, list[Problem]]
    """Variables a disabled system names that are not set, by system (not problems until it is used)."""


class Project(_Strict):
    """A parsed ``contactpoint.yaml``; paths are relative to the file's folder.

    Attributes:
        source: The file it was read from (``contactpoint.yaml`` when built in code).
        base_dir: The file's folder, which relative paths are resolved against.
    """

    version: int = Field(default=1, ge=1, le=1)
    store: StoreConfig = Field(default_factory=StoreConfig)
    systems: dict[str, SystemConfig] = Field(default_factory=dict)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    policies: PolicyConfig = Field(default_factory=PolicyConfig)
    schedules: list[ScheduleConfig] = Field(default_factory=list)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    # where the file was read from: set by load_project, never by the file itself
    _document: Document = PrivateAttr(default_factory=lambda: Document(str(DEFAULT_PATH), None, None))
    _base_dir: Path = PrivateAttr(default_factory=Path)
    _unset: dict[str, list[Problem]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Remember the document and folder ``load_project`` passes as validation context."""
        if isinstance(context, _Origin):
            self._document = context.document
            self._base_dir = context.base_dir
            self._unset = context.unset

    @property
    def source(self) -> str:
        """The file the project was read from."""
        return self._document.file

    @property
    def base_dir(self) -> Path:
        """The folder relative paths are resolved against."""
        return self._base_dir

    @property
    def document(self) -> Document:
        """The parsed file, to point problems found later (connector settings) at their lines."""
        return self._document

    def system(self, name: str) -> SystemConfig:
        """Return the system configured as ``name``.

        Raises:
            ConfigError: When no such system exists; suggests the nearest name.

        """
        if name in self.systems:
            return self.systems[name]
        known = sorted(self.systems)
        near = closest(name, known)
        hint = f"did you mean {near[0]!r}?" if near else f"add it under 'systems:' in {self.source}"
        msg = f"no system named {name!r} in {self.source}; configured: {', '.join(known) or 'none'}"
        raise ConfigError(msg, hint=hint, system=name)

    def unset_variables(self, name: str) -> list[Problem]:
        """The ``${VAR}`` references of disabled system ``name`` whose variables are not set (one problem each)."""
        return list(self._unset.get(name, []))

    def resolve_path(self, path: Path) -> Path:
        """Return ``path`` made absolute against the config file's folder."""
        return path if path.is_absolute() else self.base_dir / path


def check_cron(text: str) -> str:
    """Return a cron line APScheduler can read (five fields).

    Raises:
        ValueError: It is not one; the message says which field is wrong and shows a valid line.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = text.split()
    if len(fields) != 5:
        msg = f'cron {text!r} has {len(fields)} fields; give five: minute hour day-of-month month day-of-week, e.g. "0 2 * * *"'
        raise ValueError(msg)
    try:
        CronTrigger.from_crontab(text)
    except ValueError as err:
        msg = f'cron {text!r} is not valid: {err}; e.g. "0 2 * * *" is every day at 02:00'
        raise ValueError(msg) from None
    return text


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


def _problems(doc: Document, base: Loc, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Word ``err`` as the project file does: ``key: is not a known key (did you mean 'x'?)``.

    Other errors keep the words of ``describe_validation_error``.
    """
    described = iter(describe_validation_error(err))  # one line per error, in the order explain is called

    def explain(item: ErrorDetails, loc: Loc, model: type[BaseModel]) -> tuple[str, str | None]:
        message = next(described).split(": ", 1)[-1]
        if item["type"] != "extra_forbidden":
            return message, None
        known = valid_keys(model, loc[:-1])
        near = closest(str(loc[-1]), known)
        return "is not a known key", f"did you mean {near[0]!r}?" if near else f"known keys: {', '.join(known)}"

    return validation_problems(doc, base, err, model, explain=explain)


def find_project(start: Path | None = None) -> Path | None:
    """Return the ``contactpoint.yaml`` in ``start`` (default: the working directory) or its nearest parent, if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_PATH
        if candidate.is_file():
            return candidate
    return None


def found_project() -> Project | None:
    """The project of the ``contactpoint.yaml`` in the working directory or its nearest parent, if any.

    Raises:
        ConfigError: The project file found is invalid.
    """
    found = find_project()
    return load_project(found) if found is not None else None


def load_project(path: Path | str = DEFAULT_PATH) -> Project:
    """Read, interpolate and validate ``contactpoint.yaml``.

    The default path is looked for in the working directory, then in its parents.

    Raises:
        ConfigError: The file is missing, is not YAML, or has invalid values; the
            message lists every problem with its file:line:column.

    """
    p = Path(path)
    if p == DEFAULT_PATH and not p.exists():
        p = find_project() or p
    if not p.exists():
        msg = f"configuration file {p} does not exist"
        raise ConfigError(msg, hint="create one with: contactpoint init", file=str(p))
    try:
        doc = load(p)
    except YamlSyntaxError as err:
        raise ConfigError(err.problem.headline, hint=err.problem.hint, file=str(p)) from None
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        msg = f"{p}: the top level must be a mapping of keys such as 'systems:'"
        raise ConfigError(msg, file=str(p))
    problems: list[Problem] = []
    data = _interpolate(data, (), doc, problems)
    # a disabled system may name variables that are not exported yet: a problem only once it is used
    unset = {name: [q for q in problems if q.key.startswith(f"systems.{name}.")] for name in _disabled_systems(data)}
    problems = [q for q in problems if not any(q in found for found in unset.values())]
    try:
        origin = _Origin(document=doc, base_dir=p.resolve().parent, unset={k: v for k, v in unset.items() if v})
        project = Project.model_validate(data, context=origin)
    except ValidationError as err:
        problems.extend(_problems(doc, (), err, Project))
        project = None
    if problems or project is None:
        raise _config_error(problems, p)
    return project


def _config_error(problems: list[Problem], path: Path) -> ConfigError:
    ordered = sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
    msg = problems_message(f"{path}: {problem_count(len(problems))} in configuration", ordered)
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
    unset = project.unset_variables(name)
    if unset:
        line, _ = project.document.locate(("systems", name, "enabled"))
        msg = problems_message(
            f"system {name!r} is disabled (enabled: false) and names environment variables that are not set:", unset
        )
        hint = f"export them, then set enabled: true at {project.source}:{line}"
        raise ConnectorConfigError(msg, hint=hint, system=name)
    try:
        settings = factory.config_model.model_validate(system.settings)
    except ValidationError as err:
        problems = _problems(project.document, ("systems", name, "settings"), err, factory.config_model)
        msg = problems_message(f"settings of system {name!r} ({system.kind}) are invalid:", problems)
        raise ConnectorConfigError(
            msg, hint=f"see 'docs/{system.kind}.md' for the settings of the {system.kind} connector", system=name
        ) from None
    return factory.from_config(anchor_paths(settings, project.base_dir), name=name)


def anchor_paths(model: BaseModel, base_dir: Path) -> BaseModel:
    """Return ``model`` with every relative ``Path`` in it made absolute against ``base_dir``.

    Nested models and lists included: connector settings name files (a CA file, a key
    file, an export) relative to contactpoint.yaml's folder.
    """
    updates: dict[str, Any] = {}
    for name, value in model:
        anchored = _anchor(value, base_dir)
        if anchored is not value:
            updates[name] = anchored
    return model.model_copy(update=updates) if updates else model


def _anchor(value: Any, base_dir: Path) -> Any:
    if isinstance(value, Path):
        return value if value.is_absolute() else base_dir / value
    if isinstance(value, BaseModel):
        return anchor_paths(value, base_dir)
    if isinstance(value, list):
        items = [_anchor(item, base_dir) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def connector_of(kind: str, settings: Mapping[str, Any], *, name: str) -> Connector:
    """Build a connector of ``kind`` from settings made in code rather than read from contactpoint.yaml.

    Raises:
        ConnectorConfigError: Unknown connector kind, or settings it rejects (each problem listed).
    """
    factory = factory_for(kind)
    try:
        config = factory.config_model.model_validate(dict(settings))
    except ValidationError as err:
        msg = f"settings of the {kind} connector for {name!r} are invalid: " + "; ".join(describe_validation_error(err))
        raise ConnectorConfigError(msg, hint=f"see 'docs/{kind}.md' for the settings it takes", system=name) from None
    return factory.from_config(config, name=name)


def default_store_url() -> str:
    """The store a command uses when given no ``--url``.

    ``CONTACTPOINT_DATABASE_URL`` when set, else ``store.url`` of the ``contactpoint.yaml`` found
    in the working directory or its parents, else ``./contactpoint.db``.

    Raises:
        ConfigError: The project file found is invalid.
    """
    if os.environ.get(ENV_VAR, "").strip():
        return database_url()
    project = found_project()
    return project_store_url(project) if project is not None else database_url()


def default_identity_settings() -> Path | None:
    """The identity settings file of the ``contactpoint.yaml`` found (working directory or parents), if it names one.

    Raises:
        ConfigError: The project file found is invalid.
    """
    project = found_project()
    if project is None or project.identity.settings is None:
        return None
    return project.resolve_path(project.identity.settings)


def project_store_url(project: Project) -> str:
    """The store a project uses.

    ``CONTACTPOINT_DATABASE_URL`` when set, else ``store.url`` of the project file (a
    relative SQLite path read from the file's folder), else ``contactpoint.db`` beside it.
    """
    if os.environ.get(ENV_VAR, "").strip():
        return database_url()
    url = project.store.url or "sqlite:///contactpoint.db"
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url[len(prefix) :] not in ("", ":memory:"):
        return prefix + str(project.resolve_path(Path(url[len(prefix) :])))
    return normalise_url(url)
