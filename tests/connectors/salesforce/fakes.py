"""Small inline stand-ins for SalesforceClient, for unit tests of the reader and the write-back."""

from __future__ import annotations

from typing import Any

from connectors.salesforce.client import BulkIngestResult
from core.errors import FatalApiError

DESCRIBE = {
    "fields": [
        {"name": "Id", "type": "id"},
        {"name": "SystemModstamp", "type": "datetime"},
        {"name": "IsDeleted", "type": "boolean"},
        {"name": "MasterRecordId", "type": "reference"},
        {"name": "Email", "type": "email"},
        {"name": "MailingAddress", "type": "address"},
        {"name": "MailingCity", "type": "string"},
        {"name": "NumberOfEmployees__c", "type": "int"},
        {"name": "Score__c", "type": "double", "calculated": True},
    ]
}


def row(rid: str, stamp: str, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Contact"}, "Id": rid, "SystemModstamp": stamp, "IsDeleted": False, **extra}


class FakeClient:
    def __init__(self, pages: list[list[dict[str, Any]]] | None = None, *, total: int | None = None) -> None:
        self.pages = pages or []
        self.total = total
        self.queries: list[str] = []
        self.bulk_queries: list[str] = []
        self.bulk_rows: list[dict[str, str]] = []
        self.fail_rest_with: int | None = None
        self.collection_calls: list[list[dict[str, Any]]] = []
        self.collection_answers: dict[str, dict[str, Any]] = {}
        self.bulk_updates: list[str] = []
        self.bulk_result: BulkIngestResult | None = None

    def describe(self, sobject: str) -> dict[str, Any]:
        return DESCRIBE

    def query_pages(self, soql: str, *, stream: str, include_deleted: bool = True):
        self.queries.append(soql)
        if self.fail_rest_with:
            raise FatalApiError("too long", status=self.fail_rest_with)
        total = self.total if self.total is not None else sum(len(p) for p in self.pages)
        for index, page in enumerate(self.pages):
            yield {"totalSize": total, "done": index == len(self.pages) - 1, "records": page}

    def bulk_query(self, soql: str, *, stream: str):
        self.bulk_queries.append(soql)
        yield from self.bulk_rows

    def update_collection(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.collection_calls.append(records)
        return [self.collection_answers.get(r["Id"], {"id": r["Id"], "success": True, "errors": []}) for r in records]

    def bulk_update(self, sobject: str, csv_text: str) -> BulkIngestResult:
        self.bulk_updates.append(csv_text)
        assert self.bulk_result is not None
        return self.bulk_result
