"""Group profiles: ``POST /groups``, Mixpanel's Group Profiles ingestion API.

From Mixpanel's API description (mixpanel/docs ``openapi/ingestion.openapi.yaml``, the
``/groups#group-*`` operations) and its reference pages (https://docs.mixpanel.com/reference/group-set-property,
``group-set-property-once``, ``group-delete-property``, ``group-remove-from-list-property``,
``group-union``, ``group-batch-update``, ``delete-group``): each update names the project's
``$token``, a ``$group_key`` (the kind of group: ``company``), a ``$group_id`` (which one) and one
operation::

    $set        object    set these properties (the profile is made if missing)
    $set_once   object    set those not set yet (the profile is made if missing)
    $union      object    add each list's values not in the list yet (the profile is made if missing)
    $remove     object    take a value out of a list property
    $unset      list      remove these properties
    $delete     any       delete the profile ("" from the official library, null in the description)

The batch page also names ``$add`` among the "group profile update commands", but no operation of
the description or page describes it and the official library never sends it: refused here.
``$group_key`` must be a non-empty string; ``$group_id`` a non-empty string or an integer (Mixpanel's
SDKs send numbers too; the description says string), kept as text, so ``7`` and ``"7"`` are one group.

Everything else is ``/engage``'s (ingest.update_profiles): JSON, NDJSON or the library's form
(``data=``, ``verbose``, ``ip``), gzip or not; at most 2,000 updates and 10 MiB uncompressed a
request (limits.py; the description gives no limit for /groups, User Profile Limits gives these
for /engage), each update at most 1 MB; ``1``/``0``, ``verbose=1``, and ``strict=1`` with
``failed_records`` (``index``, ``$group_key``, ``$group_id``, ``field``, ``message``); a request
none of whose updates carries the project token while some carry another is 401. Unlike user
profiles, no ``$last_seen`` is kept: the group pages describe none.
"""

from __future__ import annotations

from typing import Any

from sandbox.common.http import Request, Response
from sandbox.mixpanel.ingest import apply_operation, operation_problem, update_profiles
from sandbox.mixpanel.project import Project

__all__ = ["GROUP_OPERATIONS", "groups"]

GROUP_OPERATIONS = ("$set", "$set_once", "$union", "$remove", "$unset", "$delete")
"""The operations of Mixpanel's Group Profiles API (one per update)."""


def _group_id(value: Any) -> str | None:
    """A ``$group_id`` as the key it is kept under, or None when it is not a valid one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if text.strip() else None


def _group_problem(item: Any, project: Project) -> tuple[str, str] | None:
    """Why one ``/groups`` update fails validation: (field, message), or None."""
    if not isinstance(item, dict):
        return "", "an update must be a JSON object"
    key = item.get("$group_key")
    if not isinstance(key, str) or not key.strip():
        return "$group_key", f"'$group_key' must be a non-empty string (the group key, e.g. 'company'); got {key!r}"
    if _group_id(item.get("$group_id")) is None:
        message = f"'$group_id' must be a non-empty string or an integer; got {item.get('$group_id')!r}"
        return "$group_id", message
    return operation_problem(item, project, GROUP_OPERATIONS)


def _apply(project: Project, item: dict[str, Any]) -> None:
    group_key = item["$group_key"]
    key = (group_key, _group_id(item["$group_id"]) or "")
    with project.lock:
        project.group_keys.setdefault(group_key, len(project.group_keys) + 1)
        if "$delete" in item:
            project.groups.pop(key, None)
            return
        profile = project.groups.setdefault(key, {})
        op = next(op for op in GROUP_OPERATIONS if op in item)
        apply_operation(profile, op, item[op])


def _identify(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"$group_key": None, "$group_id": None}
    return {"$group_key": item.get("$group_key"), "$group_id": item.get("$group_id")}


def groups(request: Request, project: Project) -> Response:
    """Answer ``/groups``: validate, apply the valid group profile updates, report per update in strict mode."""
    return update_profiles(
        request,
        project,
        check=lambda item: _group_problem(item, project),
        apply=lambda item: _apply(project, item),
        identify=_identify,
    )
