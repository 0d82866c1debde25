"""Who a session is: the identity URL, OpenID Connect userinfo, token revocation, the Organization.

Clients that sign in with a bare access token (the Salesforce CLI's ``org login
access-token``, jsforce's ``identity()``) learn the user and org from these:

- ``GET /id/{orgId}/{userId}``: the identity URL the token response names in ``id``
  (token in ``Authorization: Bearer`` or ``?oauth_token=``); ``?version=59.0`` or
  ``latest`` fills the ``{version}`` placeholder of the ``urls`` entries. Errors are
  Salesforce's plain-text ones: 403 ``Missing_OAuth_Token`` / ``Bad_OAuth_Token``,
  404 ``Bad_Id`` for an org or user that is not this org's.
- ``GET|POST /services/oauth2/userinfo``: the OpenID Connect claims of the token's user.
- ``POST|GET /services/oauth2/revoke`` (``token=``): the session stops working (200);
  an unknown token is 400 ``unsupported_token_type``.
- The ``Organization`` sObject: one read-only record whose ``Id`` is the org ID.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from sandbox.common.http import Request, Response
from sandbox.salesforce.auth import SessionStore
from sandbox.salesforce.ids import is_id, to18
from sandbox.salesforce.org import Org, Record, format_datetime
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef
from sandbox.salesforce.wire import API_VERSION

__all__ = [
    "ORG_NAME",
    "identity",
    "install_organization",
    "revoke",
    "user_record",
    "userinfo",
]

ORG_NAME = "Contactpoint Sandbox"
_CREATED = datetime(2023, 11, 6, 8, 0, tzinfo=UTC)
_URL_PATHS = {
    "enterprise": "/services/Soap/c/{version}/{org}",
    "metadata": "/services/Soap/m/{version}/{org}",
    "partner": "/services/Soap/u/{version}/{org}",
    "rest": "/services/data/v{version}/",
    "sobjects": "/services/data/v{version}/sobjects/",
    "search": "/services/data/v{version}/search/",
    "query": "/services/data/v{version}/query/",
    "recent": "/services/data/v{version}/recent/",
    "tooling_soap": "/services/Soap/T/{version}/{org}",
    "tooling_rest": "/services/data/v{version}/tooling/",
    "profile": "/{user}",
    "feeds": "/services/data/v{version}/chatter/feeds",
    "groups": "/services/data/v{version}/chatter/groups",
    "users": "/services/data/v{version}/chatter/users",
    "feed_items": "/services/data/v{version}/chatter/feed-items",
    "feed_elements": "/services/data/v{version}/chatter/feed-elements",
}


def user_record(user_id: str, *, first_name: str, last_name: str, username: str, title: str | None = None) -> Record:
    """A ``User`` record as a fresh org holds it (active, standard licence, US English, Pacific time)."""
    return {
        "Id": user_id,
        "IsDeleted": False,
        "Username": username,
        "FirstName": first_name,
        "LastName": last_name,
        "Alias": (first_name[:1] + last_name[:4]).lower(),
        "Title": title,
        "Email": username,
        "IsActive": True,
        "UserType": "Standard",
        "TimeZoneSidKey": "America/Los_Angeles",
        "LocaleSidKey": "en_US",
        "LanguageLocaleKey": "en_US",
        "EmailEncodingKey": "UTF-8",
        "CreatedDate": _CREATED,
        "LastModifiedDate": _CREATED,
        "SystemModstamp": _CREATED,
    }


def _organization_object() -> ObjectDef:
    obj = ObjectDef("Organization", "Organization", "00D")
    ro: dict[str, Any] = {"updateable": False, "createable": False}
    obj.add_field(FieldDef("Id", FieldType.ID, "Organization ID", nillable=False, length=18, **ro))
    for name, length in (("Name", 80), ("Division", 80), ("City", 40), ("Country", 80), ("InstanceName", 5)):
        obj.add_field(FieldDef(name, FieldType.STRING, name, length=length, **ro))
    obj.add_field(FieldDef("NamespacePrefix", FieldType.STRING, "Namespace Prefix", length=15, **ro))
    obj.add_field(FieldDef("OrganizationType", FieldType.PICKLIST, "Edition", length=40, **ro))
    obj.add_field(FieldDef("IsSandbox", FieldType.BOOLEAN, "Is Sandbox", nillable=False, **ro))
    obj.add_field(FieldDef("TrialExpirationDate", FieldType.DATETIME, "Trial Expiration Date", **ro))
    for name in ("DefaultLocaleSidKey", "LanguageLocaleKey", "TimeZoneSidKey"):
        obj.add_field(FieldDef(name, FieldType.PICKLIST, name, length=40, **ro))
    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        obj.add_field(FieldDef(name, FieldType.DATETIME, name, nillable=False, **ro))
    return obj


def install_organization(org: Org) -> None:
    """Add the ``Organization`` object and the org's own record to ``org``."""
    org.add_object(_organization_object())
    org.records["Organization"][org.org_id] = {
        "Id": org.org_id, "IsDeleted": False, "Name": ORG_NAME, "Division": None, "City": "San Francisco",
        "Country": "United States", "InstanceName": "USA1S", "NamespacePrefix": None,
        "OrganizationType": "Enterprise Edition", "IsSandbox": True, "TrialExpirationDate": None,
        "DefaultLocaleSidKey": "en_US", "LanguageLocaleKey": "en_US", "TimeZoneSidKey": "America/Los_Angeles",
        "CreatedDate": _CREATED, "LastModifiedDate": _CREATED, "SystemModstamp": _CREATED,
    }  # fmt: skip


def _bearer(request: Request) -> str:
    """The access token of a request: ``Authorization: Bearer|OAuth``, else ``oauth_token``/``access_token``."""
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and token.strip():
        return token.strip()
    return request.param("oauth_token") or request.param("access_token") or ""


def _refusal(status: int, code: str) -> Response:
    return Response.text(status, code, content_type="text/plain;charset=UTF-8")


def _urls(base_url: str, org: Org, user_id: str, version: str | None) -> dict[str, str]:
    number = API_VERSION if version == "latest" else (version or "{version}")
    out = {
        name: base_url + path.replace("{version}", number).replace("{org}", org.org_id).replace("{user}", user_id)
        for name, path in _URL_PATHS.items()
    }
    return out | {"custom_domain": base_url}


def _claims(base_url: str, org: Org, user: Record, version: str | None) -> dict[str, Any]:
    """What the identity URL and userinfo share, under the identity URL's names."""
    name = org.value("User", user, org.objects["User"].fields["Name"])
    return {
        "id": f"{base_url}/id/{org.org_id}/{user['Id']}",
        "user_id": user["Id"],
        "organization_id": org.org_id,
        "username": user["Username"],
        "nick_name": str(user["Username"]).partition("@")[0],
        "display_name": name,
        "email": user["Email"],
        "email_verified": True,
        "first_name": user.get("FirstName"),
        "last_name": user["LastName"],
        "timezone": user["TimeZoneSidKey"],
        "photos": {
            "picture": f"{base_url}/profilephoto/005/F",
            "thumbnail": f"{base_url}/profilephoto/005/T",
        },
        "urls": _urls(base_url, org, user["Id"], version),
        "active": bool(user.get("IsActive")),
        "user_type": str(user["UserType"]).upper(),
        "language": user["LanguageLocaleKey"],
        "locale": user["LocaleSidKey"],
        "utcOffset": -28_800_000,
        "last_modified_date": format_datetime(user["LastModifiedDate"]).replace(".000+0000", "Z"),
        "is_app_installed": True,
    }


def identity(request: Request, org: Org, sessions: SessionStore, base_url: str, parts: list[str]) -> Response:
    """Answer ``GET /id/{orgId}/{userId}`` (``parts`` are the two IDs of the path)."""
    token = _bearer(request)
    if not token:
        return _refusal(403, "Missing_OAuth_Token")
    viewer = sessions.user_of(token)
    if viewer is None:
        return _refusal(403, "Bad_OAuth_Token")
    org_id, user_id = [*parts, "", ""][:2]
    user = org.get("User", user_id) if is_id(user_id) else None
    if len(parts) != 2 or not is_id(org_id) or to18(org_id) != org.org_id or user is None:
        return _refusal(404, "Bad_Id")
    claims = _claims(base_url, org, user, request.param("version"))
    extra = {
        "asserted_user": user["Id"] == viewer,
        "addr_street": None, "addr_city": None, "addr_state": None, "addr_country": "US", "addr_zip": None,
        "mobile_phone": None, "mobile_phone_verified": False, "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
    }  # fmt: skip
    return Response.json(200, claims | extra)


def userinfo(request: Request, org: Org, sessions: SessionStore, base_url: str) -> Response:
    """Answer ``/services/oauth2/userinfo`` with the OpenID Connect claims of the token's user."""
    token = _bearer(request) or _form(request).get("access_token", "")
    if not token:
        return _refusal(403, "Missing_OAuth_Token")
    user_id = sessions.user_of(token)
    user = org.get("User", user_id) if user_id else None
    if user is None:
        return _refusal(403, "Bad_OAuth_Token")
    claims = _claims(base_url, org, user, request.param("version"))
    return Response.json(
        200,
        {
            "sub": claims["id"],
            "user_id": claims["user_id"],
            "organization_id": claims["organization_id"],
            "preferred_username": claims["username"],
            "nickname": claims["nick_name"],
            "name": claims["display_name"],
            "email": claims["email"],
            "email_verified": True,
            "given_name": claims["first_name"],
            "family_name": claims["last_name"],
            "zoneinfo": claims["timezone"],
            "photos": claims["photos"],
            "profile": f"{base_url}/{user['Id']}",
            "picture": claims["photos"]["picture"],
            "address": {"country": "US"},
            "is_salesforce_integration_user": False,
            "urls": claims["urls"],
            "active": claims["active"],
            "user_type": claims["user_type"],
            "language": claims["language"],
            "locale": claims["locale"],
            "utcOffset": claims["utcOffset"],
            "updated_at": claims["last_modified_date"],
            "is_app_installed": True,
        },
    )


def revoke(request: Request, sessions: SessionStore) -> Response:
    """Answer ``/services/oauth2/revoke``: the session of ``token`` ends (400 when it was not live)."""
    token = _form(request).get("token") or request.param("token") or ""
    if not sessions.revoke(token):
        description = "this token type is not supported"
        return Response.json(400, {"error": "unsupported_token_type", "error_description": description})
    return Response.empty(200)


def _form(request: Request) -> dict[str, str]:
    if not request.body:
        return {}
    return {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
