"""``contactpoint sandbox up SYSTEM --project FILE``: point a project's system at a running sandbox.

    add_sandbox_system(path, state)    writes ``systems.<system>`` of the project file (created
                                       when missing; other keys and comments kept), with the
                                       sandbox's URL, CA file and throwaway credentials

The sandbox's credentials are made up when it starts and work only against it on 127.0.0.1,
so they are written as they are; a real system's secrets stay ``${ENV_NAME}`` references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from core.errors import UsageError

__all__ = ["add_sandbox_system"]


def add_sandbox_system(path: Path, state: dict[str, Any]) -> str:
    """Write the sandbox's system into the project file at ``path``; return the system's name.

    Raises:
        UsageError: The sandbox's state does not carry its connector settings.
    """
    system = str(state["system"])
    settings = state.get("connector_settings")
    if not isinstance(settings, dict):
        msg = f"the running {system} sandbox does not say how to connect to it (it was started by an older version)"
        raise UsageError(msg, hint=f"contactpoint sandbox down {system}, then up again")
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long tokens stay on their line
    doc = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(doc, dict):
        doc = CommentedMap(version=1)
    systems = doc.setdefault("systems", CommentedMap())
    block = CommentedMap(kind=system, enabled=True, mapping=f"mappings/{system}.yaml", settings=settings)
    systems[system] = block
    systems.yaml_set_comment_before_after_key(
        system, before=f"the local {system} sandbox (throwaway credentials, 127.0.0.1 only)", indent=2
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(doc, handle)
    return system
