"""A connector shipped in a separate installed package is discovered; a broken one is listed as failed."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from connectors.registry import discover, factory_for
from core.cli import app
from core.errors import ConnectorConfigError

PLUGIN = textwrap.dedent(
    """
    from pydantic import BaseModel


    class AcmeSettings(BaseModel):
        token_env: str = "ACME_TOKEN"


    class AcmeConnector:
        system = "acme"
        config_model = AcmeSettings

        def __init__(self, name):
            self.system = name

        @classmethod
        def from_config(cls, config, *, name):
            return cls(name)
    """
)


def _install(site: Path, dist: str, package: str, source: str, entry_points: str) -> None:
    """Lay out an installed distribution the way pip does: package + dist-info with entry_points.txt."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(source)
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[contactpoint.connectors]\n{entry_points}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith(("acme_connector", "broken_connector"))]:
        del sys.modules[name]


def test_third_party_connector_is_discovered_and_built(site):
    _install(site, "acme-contactpoint", "acme_connector", PLUGIN, "acme = acme_connector:AcmeConnector")
    found = {c.name: c for c in discover()}
    assert found["acme"].ok and found["acme"].distribution == "acme-contactpoint"
    assert "salesforce" in found and found["salesforce"].ok
    factory = factory_for("acme")
    connector = factory.from_config(factory.config_model(), name="acme_eu")
    assert connector.system == "acme_eu"


def test_broken_plugin_is_listed_as_failed_with_reason(site):
    _install(
        site,
        "broken-contactpoint",
        "broken_connector",
        "raise ImportError('needs libfoo')\n",
        "broken = broken_connector:Connector",
    )
    _install(site, "acme-contactpoint", "acme_connector", PLUGIN, "acme = acme_connector:AcmeConnector")
    result = CliRunner().invoke(app, ["connectors", "list", "--json"])
    structlog.reset_defaults()  # the CLI pointed logging at the runner's stream, now closed
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["broken"]["status"] == "failed"
    assert "needs libfoo" in rows["broken"]["error"]
    assert rows["acme"]["status"] == "loaded"
    assert rows["salesforce"]["status"] == "loaded"
    with pytest.raises(ConnectorConfigError, match="failed to load"):
        factory_for("broken")


def test_object_missing_factory_attributes_is_rejected(site):
    _install(
        site, "half-contactpoint", "acme_connector", "class Half:\n    system = 'half'\n", "half = acme_connector:Half"
    )
    found = {c.name: c for c in discover()}
    assert not found["half"].ok
    assert "config_model" in (found["half"].error or "")
