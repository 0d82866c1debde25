"""Mixpanel's Group Profiles API (``POST /groups``) in the sandbox (sandbox/mixpanel/groups.py).

Mixpanel's own Python library sends each of its ``group_*`` calls; the group profiles are read back
from the sandbox's project and through the engage query with ``data_group_id``. A wrong token, an
update without ``$group_key`` and a request of 2,001 updates are refused as ``/engage`` refuses them,
with nothing stored. Every exchange the module sends on purpose is checked against the contract
(tests/contracts/mixpanel/groups.openapi.yaml), and the contract against Mixpanel's own description.
"""

from __future__ import annotations

import gzip
import json

import pytest
import yaml
from mixpanel import Consumer, Mixpanel, MixpanelException

from tests.connectors.mixpanel.test_cassettes import VENDOR_SPECS, _check_operation, _vendor_operations
from tests.contracts.validator import CONTRACTS
from tests.support.mixpanel import checked_sandbox, conforms, not_checked


@pytest.fixture(scope="module")
def mp():
    with checked_sandbox(records=10, seed=5) as sb:
        yield sb


def _client(sb, token: str | None = None) -> Mixpanel:
    consumer = Consumer(api_host=sb.credentials["api_host"], verify_cert=str(sb.ca_file), retry_backoff_factor=0)
    return Mixpanel(token or sb.credentials["project_token"], consumer=consumer)


def _group(sb, key: str, group_id: str) -> dict | None:
    with sb.control.project.lock:
        found = sb.control.project.groups.get((key, group_id))
        return None if found is None else dict(found)


def _groups(sb, key: str) -> int:
    with sb.control.project.lock:
        return sum(k == key for k, _ in sb.control.project.groups)


def _updates(sb, key: str, count: int) -> list[dict]:
    token = sb.credentials["project_token"]
    return [{"$token": token, "$group_key": key, "$group_id": f"g{n}", "$set": {"n": n}} for n in range(count)]


def _post(sb, records: list, *, gzipped: bool = False, **params):
    body = json.dumps(records).encode()
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return sb.requests_session().post(f"{sb.base_url}/groups", params=params, data=body, headers=headers)


def test_the_official_library_sets_unions_removes_unsets_and_deletes_group_profiles(mp):
    client = _client(mp)
    client.group_set("company", "Acme Inc.", {"plan": "pro", "seats": 10, "Items": ["Super Arm"]})
    client.group_set_once("company", "Acme Inc.", {"plan": "free", "founded": 1949})
    client.group_union("company", "Acme Inc.", {"Items": ["Super Arm", "Fire Storm"]})
    client.group_remove("company", "Acme Inc.", {"Items": "Super Arm"})
    client.group_unset("company", "Acme Inc.", ["seats"])
    assert _group(mp, "company", "Acme Inc.") == {"plan": "pro", "founded": 1949, "Items": ["Fire Storm"]}
    client.group_set("team", "Acme Inc.", {"size": 4})  # the same ID under another key is another group
    client.group_delete("company", "Acme Inc.")
    assert _group(mp, "company", "Acme Inc.") is None
    assert _group(mp, "team", "Acme Inc.") == {"size": 4}
    with mp.control.project.lock:
        assert "Acme Inc." not in mp.control.project.profiles, "group profiles are not user profiles"


def test_json_gzip_and_strict_bodies_are_taken_as_on_engage(mp):
    token = mp.credentials["project_token"]
    update = {"$token": token, "$group_key": "company", "$group_id": "Globex", "$set_once": {"tier": "A"}}
    with not_checked(mp):  # the validator reads the records of a plain body only
        answer = _post(mp, [update], gzipped=True, verbose=1)
    assert answer.status_code == 200 and answer.json() == {"error": None, "status": 1}
    conforms(answer, sent=[update])
    plain = _post(mp, [{**update, "$set_once": {"tier": "B", "region": "EU"}}])
    assert plain.status_code == 200 and plain.text == "1"
    assert _group(mp, "company", "Globex") == {"tier": "A", "region": "EU"}
    strict = _post(mp, [{**update, "$union": {"tags": ["x"]}}], strict=1)
    assert strict.status_code == 400
    assert strict.json()["failed_records"] == [
        {"index": 0, "$group_key": "company", "$group_id": "Globex", "field": "",
         "message": "an update needs exactly one operation of $set, $set_once, $union, $remove, $unset, $delete;"
                    " found ['$set_once', '$union']"},
    ]  # fmt: skip
    conforms(strict)


def test_a_bad_token_is_401_and_nothing_is_stored(mp):
    with not_checked(mp), pytest.raises(MixpanelException, match="Invalid token"):
        _client(mp, token="0" * 32).group_set("company", "Initech", {"plan": "pro"})
    wrong = [{**u, "$token": "0" * 32} for u in _updates(mp, "badtoken", 3)]
    refused = _post(mp, wrong, verbose=1)
    assert refused.status_code == 401 and refused.json() == {"error": "Invalid token", "status": "error"}
    conforms(refused)
    assert _group(mp, "company", "Initech") is None and _groups(mp, "badtoken") == 0


def test_an_update_without_group_key_fails_validation_and_is_not_stored(mp):
    token = mp.credentials["project_token"]
    keyless = {"$token": token, "$group_id": "Hooli", "$set": {"plan": "pro"}}
    with not_checked(mp):
        with pytest.raises(MixpanelException, match=r"'\$group_key' must be a non-empty string"):
            _client(mp).group_update({"$group_id": "Hooli", "$set": {"plan": "pro"}})
        plain = _post(mp, [keyless], verbose=1)
        assert plain.status_code == 200 and plain.json()["status"] == 0
        strict = _post(mp, [keyless, {**keyless, "$group_key": "company", "$group_id": "Umbrella"}], strict=1)
    assert strict.status_code == 400
    assert strict.json()["failed_records"] == [
        {"index": 0, "$group_key": None, "$group_id": "Hooli", "field": "$group_key",
         "message": "'$group_key' must be a non-empty string (the group key, e.g. 'company'); got None"},
    ]  # fmt: skip
    with mp.control.project.lock:
        assert not any(group_id == "Hooli" for _, group_id in mp.control.project.groups)
    assert _group(mp, "company", "Umbrella") == {"plan": "pro"}, "the valid update of a strict request is applied"


def test_2000_updates_are_taken_and_2001_refused_whole(mp):
    with not_checked(mp):  # too large to keep
        accepted = _post(mp, _updates(mp, "g2000", 2000), verbose=1)
        batch = _updates(mp, "g2001", 2001)
        refused = _post(mp, batch, verbose=1)
        strict = _post(mp, batch, strict=1)
        with pytest.raises(MixpanelException, match="at most 2000"):
            _client(mp)._consumer.send("groups", json.dumps(batch))
    assert accepted.json() == {"error": None, "status": 1} and _groups(mp, "g2000") == 2000
    assert refused.status_code == 200
    assert refused.json() == {"error": "request has 2001 updates; at most 2000 are allowed", "status": 0}
    conforms(refused, sent=batch[:1])
    assert strict.status_code == 400
    assert strict.json() == {"error": "request has 2001 updates; at most 2000 are allowed", "status": 0}
    conforms(strict, sent=batch[:1])
    assert _groups(mp, "g2001") == 0, "nothing of a refused request is kept"


def test_a_body_over_10_mib_is_413_gzipped_or_not(mp):
    token = mp.credentials["project_token"]
    big = [{"$token": token, "$group_key": "gbig", "$group_id": f"g{n}", "$set": {"blob": "y" * 6000}}
           for n in range(1800)]  # fmt: skip
    for gzipped in (False, True):
        with not_checked(mp):
            refused = _post(mp, big, gzipped=gzipped, strict=1)
        assert refused.status_code == 413
        assert refused.json()["error"] == "request exceeds max limit of 10485760 bytes"
        conforms(refused, sent=big[:1])
    assert _groups(mp, "gbig") == 0


def test_the_engage_query_reads_group_profiles_by_data_group_id(mp):
    client = _client(mp)
    for n in range(3):
        client.group_set("account", f"acct-{n}", {"n": n, "plan": "pro" if n else "free"})
    with mp.control.project.lock:
        number = mp.control.project.group_keys["account"]
    session = mp.requests_session()
    auth = (mp.credentials["service_account_username"], mp.credentials["service_account_secret"])
    url, params = mp.credentials["engage_query_url"], {"project_id": mp.credentials["project_id"]}
    form = {"data_group_id": str(number), "where": 'properties["plan"] == "pro"'}
    found = session.post(url, params=params, data=form, auth=auth)
    assert found.status_code == 200, found.text
    results = sorted(found.json()["results"], key=lambda r: r["$distinct_id"])
    assert results == [{"$distinct_id": "acct-1", "$properties": {"n": 1, "plan": "pro"}},
                       {"$distinct_id": "acct-2", "$properties": {"n": 2, "plan": "pro"}}]  # fmt: skip
    users = session.post(url, params=params, data={"distinct_id": "acct-1"}, auth=auth)
    assert users.json()["results"] == [], "without data_group_id the query reads user profiles"
    with not_checked(mp):
        unknown = session.post(url, params=params, data={"data_group_id": "999"}, auth=auth)
    assert unknown.status_code == 400 and "no group key has data_group_id '999'" in unknown.json()["error"]


@pytest.mark.skipif(not VENDOR_SPECS.exists(), reason="the vendor descriptions are not next to this checkout")
def test_the_groups_contract_agrees_with_mixpanels_own_description():
    """The drift check of tests/connectors/mixpanel/test_cassettes.py, on each /groups operation.

    Fields the description marks required by mistake (``x-deviations.required``) are taken off its side.
    """
    vendor = _vendor_operations()
    spec = yaml.safe_load((CONTRACTS / "mixpanel" / "groups.openapi.yaml").read_text(encoding="utf-8"))
    checked = []
    for path, item in spec["paths"].items():
        for method, ours in item.items():
            source = ours["x-source"]
            their_path, their_method, theirs = vendor[(source["description"], source["operation"])]
            assert (their_method, their_path) == (method, path)
            mistaken = set(ours.get("x-deviations", {}).get("required", {}))
            items = theirs["requestBody"]["content"]["application/json"]["schema"]["items"]
            assert mistaken <= set(items["required"]), f"{path}: x-deviations.required names fields it does not require"
            items["required"] = [name for name in items["required"] if name not in mistaken]
            _check_operation(ours, theirs, f"groups.openapi.yaml {method.upper()} {path}")
            checked.append(source["operation"])
    assert len(checked) == 6
