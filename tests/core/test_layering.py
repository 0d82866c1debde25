"""``core`` knows no vendor: no SDK, no HTTP client, no vendor connector or sandbox package.

Every import in ``core/`` is walked, including the ones inside functions (a lazy
import is still a dependency); a module that breaks the rule is named with its line.
Connectors reach ``core`` only through the registry and the contract in
``connectors.base``; sandboxes only through ``sandbox.common``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

VENDOR_LIBRARIES = ("simple_salesforce", "zenpy", "hubspot", "mixpanel", "requests", "urllib3", "httpx")
ALLOWED_CONNECTOR_MODULES = ("connectors.base", "connectors.registry", "connectors.http", "connectors.cursor")
ALLOWED_SANDBOX_MODULES = ("sandbox.common",)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def _broken(module: str) -> str | None:
    top = module.split(".")[0]
    if top in VENDOR_LIBRARIES:
        return f"the vendor or HTTP library {top!r}"
    if top == "connectors" and not module.startswith(ALLOWED_CONNECTOR_MODULES):
        return f"the connector package {module!r} (build connectors through connectors.registry)"
    if top == "sandbox" and not module.startswith(ALLOWED_SANDBOX_MODULES):
        return f"the sandbox package {module!r} (start sandboxes through sandbox.common)"
    return None


def _violations(folder: Path, *, root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted(folder.rglob("*.py")):
        for line, module in _imports(path):
            reason = _broken(module)
            if reason is not None:
                problems.append(f"{path.relative_to(root)}:{line} imports {reason}")
    return problems


def test_core_imports_no_vendor_package():
    assert _violations(ROOT / "core") == []


def test_the_rule_names_the_file_and_line_that_breaks_it(tmp_path):
    bad = tmp_path / "core" / "commands" / "bad_cmd.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "import json\n\ndef run():\n    from connectors.salesforce.provision import plan\n    import requests\n",
        encoding="utf-8",
    )
    found = [line.split(" imports ")[1] for line in _violations(bad.parent, root=tmp_path)]
    assert found == [
        "the connector package 'connectors.salesforce.provision.plan' (build connectors through connectors.registry)",
        "the vendor or HTTP library 'requests'",
    ]
