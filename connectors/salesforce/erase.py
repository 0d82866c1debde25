"""Erasing people in Salesforce: delete each record; where Salesforce refuses, blank its personal fields.

erase_records(client, sobject, ids) ─→ one EraseResult per ID, in order
DELETE composite/sobjects?ids=…&allOrNone=false (200 a call)
success                                   ─→ deleted (to the recycle bin: Salesforce empties
it after 15 days; a hard delete needs the Bulk
API's hardDelete permission)
ENTITY_IS_DELETED, INVALID_CROSS_REFERENCE_KEY, NOT_FOUND ─→ not_found (gone already)
MALFORMED_ID                              ─→ failed for good
anything else (DELETE_FAILED: tied to cases or opportunities, ENTITY_IS_LOCKED,
INSUFFICIENT_ACCESS_OR_READONLY...)       ─→ PATCH the record's personal fields empty
(``ANONYMOUS``) ─→ anonymised, or failed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import EraseOutcome, EraseResult
from connectors.salesforce.client import SalesforceClient

__all__ = ["ANONYMOUS", "erase_records"]

BATCH = 200
_GONE = {"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"}
_HOPELESS = {"MALFORMED_ID", "INVALID_ID_FIELD"}
_PERSON = {"FirstName": None, "LastName": "Erased", "Email": None, "Phone": None, "MobilePhone": None,
           "Title": None, "Description": None}  # fmt: skip
ANONYMOUS: Mapping[str, Mapping[str, Any]] = {
    "Contact": {**_PERSON, "Birthdate": None, "MailingStreet": None, "MailingCity": None, "MailingPostalCode": None,
                "MailingState": None, "MailingCountry": None},
    "Lead": {**_PERSON, "Company": "Erased", "Street": None, "City": None, "PostalCode": None, "State": None,
             "Country": None},
}  # fmt: skip
"""The values an undeletable record of each object is left with: no personal value, required fields filled."""


def _first_error(result: Mapping[str, Any]) -> tuple[str, str]:
    errors = result.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) and errors else {}
    return str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN"), str(first.get("message") or "")


def _anonymise(
    client: SalesforceClient, sobject: str, refused: dict[str, str], results: dict[str, EraseResult]
) -> None:
    wanted = ANONYMOUS.get(sobject)
    described = client.describe(sobject).get("fields", []) if wanted is not None else []
    writable = {f["name"] for f in described if f.get("updateable", True)}
    values = {name: value for name, value in (wanted or {}).items() if name in writable} or None
    if values is None:
        for source_id, why in refused.items():
            results[source_id] = EraseResult(
                source_id, EraseOutcome.FAILED, f"{why}; no anonymous values for {sobject}"
            )
        return
    ids = list(refused)
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        answers = client.update_collection(sobject, [{"Id": i, **values} for i in part])
        for source_id, answer in zip(part, answers, strict=True):
            why = refused[source_id]
            if answer.get("success"):
                message = f"deletion refused ({why}); personal fields blanked"
                results[source_id] = EraseResult(source_id, EraseOutcome.ANONYMISED, message)
            else:
                code, message = _first_error(answer)
                results[source_id] = EraseResult(source_id, EraseOutcome.FAILED,
                                                 f"deletion refused ({why}); blanking refused ({code}: {message})",
                                                 retryable=code not in _HOPELESS)  # fmt: skip


def erase_records(client: SalesforceClient, sobject: str, ids: Sequence[str]) -> list[EraseResult]:
    """Delete (or anonymise) these records of ``sobject``; see the module docstring.

    Raises:
        ConnectorError: Salesforce could not be reached or refused the session.
    """
    results: dict[str, EraseResult] = {}
    refused: dict[str, str] = {}
    for start in range(0, len(ids), BATCH):
        part = list(ids[start : start + BATCH])
        answers = client.delete_collection(part, stream=sobject)
        for source_id, answer in zip(part, answers, strict=True):
            if answer.get("success"):
                results[source_id] = EraseResult(source_id, EraseOutcome.DELETED, "deleted (recycle bin)")
                continue
            code, message = _first_error(answer)
            if code in _GONE:
                results[source_id] = EraseResult(source_id, EraseOutcome.NOT_FOUND, f"{code}: {message}")
            elif code in _HOPELESS:
                results[source_id] = EraseResult(source_id, EraseOutcome.FAILED, f"{code}: {message}")
            else:
                refused[source_id] = f"{code}: {message}"
    if refused:
        _anonymise(client, sobject, refused, results)
    return [results[i] for i in ids]
