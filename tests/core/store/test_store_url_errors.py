"""Bad store URLs end in a ``StoreError`` naming the problem, and no form of URL shows its password."""

from __future__ import annotations

import importlib.util
import json

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from core.cli import app
from core.errors import StoreError
from core.store import make_engine, mask_url

SECRET = "S3cretPgPassw0rd"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            f"postgresql+psycopg:/cp:{SECRET}@127.0.0.1:5999/contactpoint",
            "postgresql+psycopg:/cp:***@127.0.0.1:5999/contactpoint",
        ),
        (f"postgresql+psycopg://cp:pa@{SECRET}@127.0.0.1:5999/cp", "postgresql+psycopg://cp:***@127.0.0.1:5999/cp"),
        (f"postgresql+psycopg://cp:pa/{SECRET}@db/cp", "postgresql+psycopg://cp:***@db/cp"),
        (f"postgresql+psycopg://cp:pa?{SECRET}@db/cp", "postgresql+psycopg://cp:***@db/cp"),
        (
            f"postgresql+psycopg://cp@127.0.0.1:5999/cp?password={SECRET}",
            "postgresql+psycopg://cp@127.0.0.1:5999/cp?password=***",
        ),
        (
            f"postgresql+psycopg://cp@db/cp?sslmode=require&PassWord={SECRET}&x=1",
            "postgresql+psycopg://cp@db/cp?sslmode=require&PassWord=***&x=1",
        ),
        (f"sqlite:////tmp/x.db?password={SECRET}", "sqlite:////tmp/x.db?password=***"),
        (f"postgresql+psycopg://cp:{SECRET}@db:abc/cp", "postgresql+psycopg://cp:***@db:abc/cp"),
        (
            "postgresql+psycopg://cp@db/cp?application_name=me@host",
            "postgresql+psycopg://cp@db/cp?application_name=me@host",
        ),
        ("sqlite:////var/lib/cp.db", "sqlite:////var/lib/cp.db"),
    ],
)
def test_mask_url_hides_the_password_whatever_the_form(given, expected):
    assert mask_url(given) == expected


def test_mask_url_of_a_parsed_url_hides_query_passwords_and_hosts_holding_a_password_part():
    assert SECRET not in mask_url(make_url(f"postgresql+psycopg://cp@db/cp?password={SECRET}"))
    assert SECRET not in mask_url(make_url(f"postgresql+psycopg://cp:pa@{SECRET}@db/cp"))


def _store_error(url: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    err = caught.value
    assert err.exit_code == 5
    text = f"{err.message} {err.hint} {err.context}"
    assert SECRET not in text and "pa@" not in text
    return err


def test_a_port_that_is_not_a_number_is_named():
    err = _store_error(f"postgresql+psycopg://cp:{SECRET}@127.0.0.1:abc/db")
    assert "the port 'abc' is not a number" in err.message
    assert "cp:***@127.0.0.1:abc/db" in err.message


def test_an_ipv6_host_without_brackets_says_to_bracket_it():
    err = _store_error(f"postgresql+psycopg://cp:{SECRET}@::1:5999/db")
    assert "is not a number" in err.message
    assert "[::1]" in (err.hint or "")


def test_a_password_with_an_unencoded_at_sign_says_to_percent_encode_it():
    err = _store_error(f"postgresql+psycopg://cp:pa@{SECRET}@127.0.0.1:5999/db")
    assert "@" in err.message and "%40" in (err.hint or "")


def test_a_url_with_one_slash_is_not_a_database_url_and_hides_its_password():
    err = _store_error(f"postgresql+psycopg:/cp:{SECRET}@127.0.0.1:5999/contactpoint")
    assert "is not a database URL" in err.message and "cp:***@" in err.message


@pytest.mark.skipif(importlib.util.find_spec("psycopg2") is not None, reason="psycopg2 is installed here")
def test_a_driver_that_is_not_installed_is_named_with_the_url_to_use():
    err = _store_error(f"postgresql+psycopg2://cp:{SECRET}@127.0.0.1:5999/db")
    assert "the driver 'psycopg2' is not installed" in err.message
    assert "postgresql+psycopg://" in (err.hint or "")


def test_a_driver_sqlalchemy_does_not_know_is_named():
    err = _store_error(f"postgresql+nosuchdriver://cp:{SECRET}@127.0.0.1:5999/db")
    assert "'nosuchdriver'" in err.message
    assert "postgresql+psycopg://" in (err.hint or "")


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://cp:{SECRET}@127.0.0.1:abc/db",
        f"postgresql+psycopg://cp:{SECRET}@::1:5999/db",
        f"postgresql+psycopg2://cp:{SECRET}@127.0.0.1:5999/db",
        f"postgresql+psycopg:/cp:{SECRET}@127.0.0.1:5999/db",
    ],
)
def test_store_status_reports_bad_urls_without_a_traceback_or_the_password(url):
    runner = CliRunner()
    result = runner.invoke(app, ["store", "status", "--url", url])
    assert result.exit_code == 5, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and SECRET not in result.output
    assert "error:" in result.output and "hint:" in result.output
    as_json = runner.invoke(app, ["store", "status", "--url", url, "--json"])
    assert as_json.exit_code == 5
    assert SECRET not in as_json.output
    assert json.loads(as_json.stdout)["error"]["type"] == "StoreError"


def test_a_sqlite_path_may_hold_at_signs(tmp_path):
    folder = tmp_path / "a@b@c"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'cp.db'}")
    engine.dispose()


def test_a_port_without_user_and_password_is_not_echoed():
    with pytest.raises(StoreError) as caught:
        make_engine(f"postgresql://cp:{SECRET}/db")
    assert SECRET not in f"{caught.value.message} {caught.value.hint} {caught.value.context}"
    assert "not a port number" in caught.value.message
