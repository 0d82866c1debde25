"""Read policy files, validate all of them, and compile them: ``load_policies``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core import yamlfile
from core.errors import PolicyError, Problem
from core.policy.compiler import compile_documents
from core.policy.engine import PolicySet

if TYPE_CHECKING:
    from core.config import Project

__all__ = ["load_policies", "load_policies_text", "load_project_policies"]

SHIPPED = "mappings/policies.yaml"


def load_policies(paths: str | Path | Sequence[str | Path]) -> PolicySet:
    """Read, validate and compile one policy file, or several that make one set.

    Args:
        paths: A file such as ``mappings/policies.yaml``, or a list of files.

    Returns:
        The compiled policies.

    Raises:
        PolicyError: Listing every problem of every file with file, line, column, key
            and hint (including files that cannot be read and YAML syntax errors).
    """
    files = [paths] if isinstance(paths, str | Path) else list(paths)
    if not files:
        raise PolicyError([Problem("policies", None, None, "", "no policy file given", f"name one, e.g. {SHIPPED}")],
                          file="policies")  # fmt: skip
    docs: list[yamlfile.Document] = []
    problems: list[Problem] = []
    for path in files:
        file = str(path)
        try:
            docs.append(yamlfile.load(path))
        except FileNotFoundError:
            problems.append(Problem(file, None, None, "", "policy file not found",
                                    f"check the path; the shipped policies are {SHIPPED}"))  # fmt: skip
        except (OSError, UnicodeDecodeError) as err:
            problems.append(Problem(file, None, None, "", f"cannot read policy file: {err}",
                                    "check the file's permissions and encoding"))  # fmt: skip
        except yamlfile.YamlSyntaxError as err:
            problems.append(err.problem)
    if problems:
        raise PolicyError(problems, file=", ".join(str(p) for p in files))
    return compile_documents(docs)


def load_policies_text(text: str, *, file: str = "<policies>") -> PolicySet:
    """Like ``load_policies`` for YAML text; ``file`` names it in messages.

    Raises:
        PolicyError: Listing every problem.
    """
    try:
        doc = yamlfile.load_text(text, file=file)
    except yamlfile.YamlSyntaxError as err:
        raise PolicyError([err.problem], file=file) from None
    return compile_documents([doc])


def load_project_policies(project: Project) -> PolicySet | None:
    """Load the policy files ``contactpoint.yaml`` names under ``policies: {files: [...]}``.

    Returns:
        The compiled set, or ``None`` when the project names no policy file.

    Raises:
        PolicyError: Listing every problem of every file.
    """
    files = [project.resolve_path(path) for path in project.policies.files]
    return load_policies(files) if files else None
