"""A JWT bearer private key that cannot sign ends in a ``ConnectorConfigError`` that never shows the key."""

from __future__ import annotations

import json

import jwt
import pytest
import structlog
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from connectors.salesforce.auth import JWT_GRANT, token_form
from connectors.salesforce.config import SalesforceConfig
from core.cli import app
from core.errors import ConnectorConfigError

from .conftest import ROOT

NONE = serialization.NoEncryption()
PKCS8 = serialization.PrivateFormat.PKCS8
PEM = serialization.Encoding.PEM


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key, encryption=NONE):
    return key.private_bytes(PEM, PKCS8, encryption).decode()


def _cut(pem):
    lines = pem.splitlines()
    return "\n".join(lines[:4] + lines[-4:]) + "\n"


def _config(**auth):
    return SalesforceConfig.model_validate(
        {"login_url": "https://127.0.0.1:9", "auth": {"kind": "jwt_bearer", "client_id": "c", "username": "u", **auth}}
    )


def _body_lines(pem):
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_a_good_key_signs_the_assertion(rsa_key):
    form = token_form(_config(private_key=_pem(rsa_key)), now=1_700_000_000)
    assert form["grant_type"] == JWT_GRANT
    claims = jwt.decode(
        form["assertion"],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://127.0.0.1:9",
        options={"verify_exp": False},
    )
    assert claims["sub"] == "u"


def test_a_key_with_escaped_newlines_from_an_environment_variable_signs(rsa_key):
    form = token_form(_config(private_key=_pem(rsa_key).replace("\n", "\\n")), now=1_700_000_000)
    assert form["assertion"].count(".") == 2


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda key: _cut(_pem(key)), "cannot be read"),
        (lambda key: "not a key at all", "no '-----BEGIN"),
        (lambda key: _pem(key, serialization.BestAvailableEncryption(b"pw")), "encrypted"),
        (
            lambda key: key.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            "public key",
        ),
        (lambda key: _pem(ec.generate_private_key(ec.SECP256R1())), "EC"),
    ],
)
def test_a_key_that_cannot_sign_is_a_config_error_without_the_key(rsa_key, make, reason):
    bad = make(rsa_key)
    with pytest.raises(ConnectorConfigError) as caught:
        token_form(_config(private_key=bad))
    err = caught.value
    text = f"{err.message} {err.hint} {err.context}"
    assert "is not a PEM RSA private key" in err.message and "auth.private_key" in err.message
    assert reason in err.message
    assert not any(line in text for line in _body_lines(bad))


def test_a_bad_key_file_names_the_file(rsa_key, tmp_path):
    path = tmp_path / "key.pem"
    path.write_text(_cut(_pem(rsa_key)))
    with pytest.raises(ConnectorConfigError) as caught:
        token_form(_config(private_key_file=str(path)))
    assert str(path) in caught.value.message and "is not a PEM RSA private key" in caught.value.message


def test_check_with_a_cut_inline_key_prints_an_error_and_json_without_the_key(rsa_key, tmp_path):
    bad = _cut(_pem(rsa_key))
    settings = {
        "login_url": "https://127.0.0.1:9",
        "auth": {"kind": "jwt_bearer", "client_id": "c", "username": "u", "private_key": bad},
    }
    path = tmp_path / "contactpoint.yaml"
    system = {"kind": "salesforce", "mapping": str(ROOT / "mappings" / "salesforce.yaml"), "settings": settings}
    path.write_text(yaml.safe_dump({"version": 1, "systems": {"salesforce": system}}))
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(app, ["check", "salesforce", "--config", str(path), *extra])
        structlog.reset_defaults()
        assert result.exit_code == 2, result.output
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
        assert not any(line in result.output for line in _body_lines(bad))
        if extra:
            assert json.loads(result.stdout)["error"]["type"] == "ConnectorConfigError"
        else:
            assert "is not a PEM RSA private key" in result.output
