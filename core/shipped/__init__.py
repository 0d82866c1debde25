"""What Contactpoint ships beside its code: the mappings, policies, identity settings and samples.

In a source checkout these are the repository's ``mappings/`` and ``samples/`` folders;
in an installed wheel they are package data of ``core.shipped``. Read them through
``shipped_path`` so both work.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["shipped_path", "SHIPPED_MAPPINGS"]

SHIPPED_MAPPINGS = ("files", "salesforce", "hubspot", "mixpanel", "zendesk")
"""The shipped mapping files' stems (``mappings/<stem>.yaml``), one per connector kind."""


def shipped_path(*parts: str) -> Path:
    """The path of a shipped file, e.g. ``shipped_path("mappings", "salesforce.yaml")``.

    Raises:
        FileNotFoundError: No such shipped file.
    """
    resource = files(__name__)
    for part in parts:
        resource = resource.joinpath(part)
    with as_file(resource) as path:  # a real file both in a checkout and in an installed wheel
        found = Path(path)
    if not found.exists():
        raise FileNotFoundError(found)
    return found
