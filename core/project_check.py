"""Everything ``contactpoint.yaml`` points at, checked at once: ``project_problems``.

``load_project`` validates the file itself; this goes on to what it names, so that
``contactpoint check`` finds in one run what a sync would otherwise stumble on later:

* each enabled system's mapping: it exists, compiles, and maps only streams the
  connector has (a configured connector's streams, else the ones its kind declares);
* the identity settings file and the policy files: they exist and are valid;
* each schedule's systems: they are configured systems.
"""

from __future__ import annotations

from pathlib import Path

from core.config import Project, build_connector
from core.errors import ConfigError, MappingError, PolicyError, Problem, problems_message
from core.problems import closest

__all__ = ["check_project", "project_problems"]


def project_problems(project: Project, *, also: str | None = None) -> list[Problem]:
    """Return every problem of what the project names: mappings, identity settings, policies, schedules.

    Args:
        project: The loaded project.
        also: A system to check even when it is disabled (the one a command is about to use).
    """
    problems: list[Problem] = []
    for name, system in project.systems.items():
        if system.enabled or name == also:
            problems.extend(_mapping_problems(project, name))
    problems.extend(_identity_problems(project))
    problems.extend(_policy_problems(project))
    problems.extend(_schedule_problems(project))
    return problems


def check_project(project: Project, *, also: str | None = None) -> None:
    """Raise one ``ConfigError`` listing every problem ``project_problems`` finds.

    Raises:
        ConfigError: Something the project names is missing or wrong.
    """
    problems = project_problems(project, also=also)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        msg = problems_message(f"{project.source}: {count} in what it names", problems)
        raise ConfigError(msg, hint="fix the lines above, then run the command again", file=project.source)


def _missing(project: Project, loc: tuple[str | int, ...], path: Path, what: str, hint: str) -> Problem | None:
    if project.resolve_path(path).is_file():
        return None
    return project.document.problem(loc, f"{what} {path} does not exist (read from {project.base_dir})", hint)


def _mapping_problems(project: Project, name: str) -> list[Problem]:
    from core.mapping import load_mapping  # the mapping package builds on core.config
    from core.mapping.streams_known import unknown_streams

    system = project.systems[name]
    if system.mapping is None:
        return []
    loc = ("systems", name, "mapping")
    hint = "give the path of the system's YAML mapping, relative to contactpoint.yaml (see mappings/ for examples)"
    missing = _missing(project, loc, system.mapping, "mapping file", hint)
    if missing is not None:
        return [missing]
    try:
        mapping = load_mapping(project.resolve_path(system.mapping))
    except MappingError as err:
        return err.problems
    try:
        configured = [stream.name for stream in build_connector(project, name).streams()]
    except ConfigError:
        configured = None  # the settings' own problems are the connector's to report; compare with the kind's names
    return unknown_streams(mapping, kind=system.kind, configured=configured)


def _identity_problems(project: Project) -> list[Problem]:
    from core.identity.settings import load_settings  # identity builds on core.config

    path = project.identity.settings
    if path is None:
        return []
    loc = ("identity", "settings")
    missing = _missing(project, loc, path, "identity settings", "copy mappings/identity.yaml there, or remove the key")
    if missing is not None:
        return [missing]
    try:
        load_settings(project.resolve_path(path))
    except ConfigError as err:
        return [project.document.problem(loc, err.message, err.hint)]
    return []


def _policy_problems(project: Project) -> list[Problem]:
    from core.policy import load_policies  # policies build on core.config

    problems = [
        found
        for index, path in enumerate(project.policies.files)
        if (found := _missing(project, ("policies", "files", index), path, "policy file", "fix the path")) is not None
    ]
    if problems or not project.policies.files:
        return problems
    try:
        load_policies([project.resolve_path(path) for path in project.policies.files])
    except PolicyError as err:
        return err.problems
    return []


def _schedule_problems(project: Project) -> list[Problem]:
    problems = []
    for index, schedule in enumerate(project.schedules):
        for position, name in enumerate(schedule.systems):
            if name in project.systems:
                continue
            near = closest(name, project.systems)
            hint = f"did you mean {near[0]!r}?" if near else f"systems: {', '.join(project.systems) or 'none'}"
            loc = ("schedules", index, "systems", position)
            problems.append(project.document.problem(loc, f"no system named {name!r}", hint))
    return problems
