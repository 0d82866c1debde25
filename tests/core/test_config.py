from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.commands.project_cmd import init
from core.config import Project, build_connector, load_project
from core.errors import ConfigError, ConnectorConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contactpoint.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_init_template_loads_and_lists_systems(tmp_path):
    path = tmp_path / "contactpoint.yaml"
    init(path=path, force=False)
    project = load_project(path)
    assert set(project.systems) == {"crm_export", "salesforce"}
    assert project.systems["salesforce"].enabled is False
    assert project.schedules[0].cron == "0 2 * * *"


def test_env_references_resolve_and_missing_ones_point_at_their_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CP_TEST_PATH", "exports/a.csv")
    monkeypatch.delenv("CP_TEST_MISSING", raising=False)
    path = write(
        tmp_path,
        "systems:\n"
        "  a:\n"
        "    kind: files\n"
        "    settings:\n"
        "      streams:\n"
        "        - {name: people, path: '${CP_TEST_PATH}'}\n"
        "  b:\n"
        "    kind: files\n"
        "    settings:\n"
        "      token: ${CP_TEST_MISSING}\n"
        "      other: ${CP_TEST_MISSING:-fallback}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_project(path)
    assert (
        f"{path}:10:7 systems.b.settings.token: environment variable CP_TEST_MISSING is not set" in info.value.message
    )
    assert "other" not in info.value.message


def test_unknown_keys_are_reported_with_nearest_valid_name(tmp_path):
    path = write(tmp_path, "sytems: {}\nschedules:\n  - {name: n, cron: '* * * * *', jb: sync}\n")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    text = info.value.message
    assert f"{path}:1:1 sytems: is not a known key (did you mean 'systems'?)" in text
    assert f"{path}:3:34 schedules.0.jb: is not a known key (did you mean 'job'?)" in text


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist") as info:
        load_project(tmp_path / "nope.yaml")
    assert info.value.hint == "create one with: contactpoint init"
    with pytest.raises(ConfigError, match=r"contactpoint.yaml:3:\d+: YAML syntax error"):
        load_project(write(tmp_path, "systems:\n  a: [1\n  b: 2\n"))


def test_build_connector_reports_settings_problems_at_their_line(tmp_path):
    path = write(
        tmp_path, "systems:\n  crm:\n    kind: files\n    settings:\n      streams:\n        - {name: p, path: x.txt}\n"
    )
    with pytest.raises(ConnectorConfigError) as info:
        build_connector(load_project(path), "crm")
    assert f"{path}:6:11 systems.crm.settings.streams.0" in info.value.message
    assert "cannot tell the format" in info.value.message


def test_unknown_system_and_kind(tmp_path):
    path = write(tmp_path, "systems:\n  crm:\n    kind: filez\n")
    project = load_project(path)
    with pytest.raises(ConfigError, match="no system named 'crn'") as info:
        build_connector(project, "crn")
    assert info.value.hint == "did you mean 'crm'?"
    with pytest.raises(ConnectorConfigError, match="no connector named 'filez'; available: .*files"):
        build_connector(project, "crm")


def test_build_connector_builds_a_working_files_connector(tmp_path):
    (tmp_path / "p.csv").write_text("id,email\n1,a@x.com\n", encoding="utf-8")
    path = write(
        tmp_path,
        f"systems:\n  crm:\n    kind: files\n    settings:\n      streams:\n        - {{name: p, path: {tmp_path / 'p.csv'}}}\n",
    )
    connector = build_connector(load_project(path), "crm")
    (batch,) = list(connector.pull("p", None))
    assert [(r.system, r.source_id) for r in batch.records] == [("crm", "1")]


def test_a_misspelt_connector_setting_names_the_nearest_known_key(tmp_path):
    path = write(tmp_path, "systems:\n  crm:\n    kind: files\n    settings:\n      streamz: []\n      zzz: 1\n")
    with pytest.raises(ConnectorConfigError) as info:
        build_connector(load_project(path), "crm")
    text = info.value.message
    assert f"{path}:5:7 systems.crm.settings.streamz: is not a known key (did you mean 'streams'?)" in text
    assert f"{path}:6:7 systems.crm.settings.zzz: is not a known key (known keys: streams)" in text
    assert f"{path}:4:5 systems.crm.settings.streams: is required but missing" in text


def test_where_the_file_was_read_from_cannot_be_set_in_it(tmp_path):
    path = write(tmp_path, "source: elsewhere.yaml\nbase_dir: /\npositions: 1\n")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    for key in ("source", "base_dir", "positions"):
        assert f" {key}: is not a known key" in info.value.message
    project = load_project(write(tmp_path, "systems: {}\n"))
    assert (project.source, project.base_dir) == (str(path), tmp_path.resolve())
    assert project.resolve_path(Path("m.yaml")) == tmp_path.resolve() / "m.yaml"
    assert "source" not in project.model_dump()


def test_a_project_built_in_code_reports_settings_problems_without_a_position():
    project = Project.model_validate({"systems": {"crm": {"kind": "files", "settings": {}}}})
    assert (project.source, project.base_dir) == ("contactpoint.yaml", Path())
    with pytest.raises(ConnectorConfigError) as info:
        build_connector(project, "crm")
    assert "\n  contactpoint.yaml systems.crm.settings.streams: is required but missing" in info.value.message


def test_a_bad_schedule_job_is_worded_without_regular_expressions(tmp_path):
    path = write(tmp_path, "version: 1\nschedules:\n  - name: Nightly Run\n    job: syncs\n    every: 5 minutes\n")
    with pytest.raises(ConfigError) as info:
        load_project(path)
    message = info.value.message
    assert "schedules.0.name: not a job name: use lowercase letters" in message
    assert "did you mean 'sync'?" in message
    assert "e.g. 30s, 15m, 2h, 1d" in message
    assert "pattern" not in message and "^" not in message and "\\d" not in message
    banana = write(tmp_path, "version: 1\nschedules:\n  - name: nightly\n    cron: banana\n")
    with pytest.raises(ConfigError, match=r"contactpoint.yaml:3:5 schedules.0: cron 'banana' has 1 fields; give five"):
        load_project(banana)


def test_a_disabled_system_with_unset_variables_says_which_and_how_to_enable_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SF_TEST_CLIENT_ID", raising=False)
    text = (
        "version: 1\nsystems:\n  sf:\n    kind: salesforce\n    enabled: false\n    settings:\n"
        "      login_url: https://login.salesforce.com\n      auth:\n        kind: jwt_bearer\n"
        "        client_id: ${SF_TEST_CLIENT_ID}\n        username: ann@example.com\n"
        "        private_key_file: key.pem\n"
    )
    project = load_project(write(tmp_path, text))  # disabled: loads although the variable is unset
    with pytest.raises(ConnectorConfigError) as info:
        build_connector(project, "sf")
    assert "at least 1 character" not in info.value.message
    assert "system 'sf' is disabled" in info.value.message
    assert "contactpoint.yaml:10:9 systems.sf.settings.auth.client_id: environment variable SF_TEST_CLIENT_ID" in (
        info.value.message
    )
    assert info.value.hint == "export them, then set enabled: true at " + str(tmp_path / "contactpoint.yaml") + ":5"
    enabled = write(tmp_path, text.replace("enabled: false", "enabled: true"))
    with pytest.raises(ConfigError, match="environment variable SF_TEST_CLIENT_ID is not set"):
        load_project(enabled)


@pytest.mark.parametrize(
    ("text", "expected", "hint"),
    [
        ("version: 1\nstore:\n  url: a\nstore:\n  url: b\n", "key 'store' appears twice in the same mapping (first at line 2)", "keep one"),
        ("version: 1\nstore:\n\turl: a\n", "contactpoint.yaml:3:1: a tab character: YAML indents with spaces", "replace the tab with spaces"),
    ],
)  # fmt: skip
def test_yaml_mistakes_are_worded_for_a_person(tmp_path, text, expected, hint):
    with pytest.raises(ConfigError) as info:
        load_project(write(tmp_path, text))
    assert expected in info.value.message and hint in (info.value.hint or "")
    assert "{'url'" not in info.value.message and "original value" not in info.value.message


def _project_dir(tmp_path: Path) -> Path:
    """A project folder made by ``init``, with the files the template names copied beside it."""
    root = Path(__file__).resolve().parents[2]
    init(path=tmp_path / "contactpoint.yaml", force=False, sandbox=False)
    for name in ("files.yaml", "salesforce.yaml", "policies.yaml", "identity.yaml"):  # copied by init
        assert (tmp_path / "mappings" / name).read_bytes() == (root / "mappings" / name).read_bytes()
    (tmp_path / "exports").mkdir()
    shutil.copy(root / "samples/people.csv", tmp_path / "exports/people.csv")
    return tmp_path


def test_check_validates_everything_the_project_file_names(tmp_path):
    from typer.testing import CliRunner

    from core.cli import app

    folder = _project_dir(tmp_path)
    config = folder / "contactpoint.yaml"
    ok = CliRunner().invoke(app, ["check", "crm_export", "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    (folder / "mappings/files.yaml").unlink()
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("systems: [crm_export]", "systems: [crm_exports]"), encoding="utf-8")
    (folder / "mappings/identity.yaml").write_text("blocking:\n  - [\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "crm_export", "--config", str(config)])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "systems.crm_export.mapping: mapping file mappings/files.yaml does not exist" in err
    assert "schedules.0.systems.0: no system named 'crm_exports' (did you mean 'crm_export'?)" in err
    assert "identity.settings:" in err and "YAML syntax error" in err
    config.write_text(text.replace('cron: "0 2 * * *"', 'cron: "banana"'), encoding="utf-8")
    banana = CliRunner().invoke(app, ["check", "crm_export", "--config", str(config)])
    assert banana.exit_code == 2 and "cron 'banana' has 1 fields" in banana.stderr


def test_check_and_setup_refuse_a_mapped_stream_the_connector_does_not_pull(tmp_path):
    from typer.testing import CliRunner

    from core.cli import app

    folder = _project_dir(tmp_path)
    mapping = folder / "mappings/files.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("\n  people:\n", "\n  peple:\n"), encoding="utf-8")
    config = str(folder / "contactpoint.yaml")
    for command in (["check", "crm_export"], ["setup", "crm_export", "--dry-run"]):
        result = CliRunner().invoke(app, [*command, "--config", config])
        assert result.exit_code == 2, result.output
        assert "streams.peple: the files connector has no stream 'peple'; the system pulls: people" in result.stderr
        assert "did you mean 'people'?" in result.stderr


def test_every_command_reads_the_project_file_found_here_or_above(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from core.cli import app
    from core.config import default_identity_settings, default_store_url

    folder = _project_dir(tmp_path)
    config = folder / "contactpoint.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("sqlite:///./contactpoint.db", "sqlite:///./data/store.db"),
        encoding="utf-8",
    )
    (folder / "data").mkdir()
    below = folder / "a" / "b"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    monkeypatch.delenv("CONTACTPOINT_DATABASE_URL", raising=False)
    assert default_store_url() == f"sqlite:///{folder / 'data/store.db'}"
    assert default_identity_settings() == folder / "mappings/identity.yaml"
    result = CliRunner().invoke(app, ["identity", "resolve", "--store", "--json"])
    assert result.exit_code == 0, result.output
    assert (folder / "data/store.db").exists() and not (below / "contactpoint.db").exists()
    status = CliRunner().invoke(app, ["store", "status", "--json"])
    assert str(folder / "data/store.db") in status.stdout
    # the environment variable wins over store.url, as documented
    other = tmp_path / "env.db"
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", f"sqlite:///{other}")
    assert default_store_url() == f"sqlite:///{other}"
    # identity settings of the project are used: a broken one is reported, not skipped
    (folder / "mappings/identity.yaml").write_text("thresholds: [\n", encoding="utf-8")
    broken = CliRunner().invoke(app, ["identity", "resolve", "--store"])
    assert broken.exit_code == 2 and "identity.yaml" in broken.stderr
