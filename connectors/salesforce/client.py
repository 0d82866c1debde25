"""The only code that talks to Salesforce: simple-salesforce over the metered session.

    SalesforceClient
    ├── connect() / renew        OAuth token (or a given session); an expired session is renewed once per call
    ├── describe, limits         REST
    ├── query_pages(soql)        REST query/queryAll, one page (nextRecordsUrl) at a time
    ├── update_collection(rows)  sObject Collections PATCH, allOrNone=false
    ├── bulk_query(soql)         Bulk API 2.0 query job, result pages streamed by Sforce-Locator
    ├── bulk_update(obj, csv)    Bulk API 2.0 ingest job: upload, close, wait, read results
    └── tooling_*                Tooling API (custom field provisioning)

Every call first checks the API budget: the last ``Sforce-Limit-Info`` header
says how much of the org's daily limit is used, and a call that would go past
the configured share raises ``BudgetExhaustedError`` instead of being sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any, TypeVar

import requests
import structlog
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError
from simple_salesforce.format import format_soql

from connectors.failures import unknown_name
from connectors.http import MeteredSession
from connectors.salesforce.auth import SessionToken, read_token, static_token, token_form
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.csvrows import iter_csv_rows
from connectors.salesforce.errors import SESSION_EXPIRED, map_error
from core.errors import BudgetExhaustedError, ConnectorConfigError, ConnectorError, FatalApiError, RetryableError

__all__ = ["BulkIngestResult", "SalesforceClient", "parse_limit_info"]

log = structlog.get_logger(__name__)

T = TypeVar("T")
_API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TERMINAL_STATES = frozenset({"JobComplete", "Failed", "Aborted"})


def _query_more(sf: Salesforce, *, url: str, headers: dict[str, str]) -> dict[str, Any]:
    return dict(sf.query_more(url, identifier_is_url=True, headers=headers))


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """Read ``api-usage=USED/MAX`` from a ``Sforce-Limit-Info`` header."""
    if not header:
        return None
    usage = Salesforce.parse_api_usage(header).get("api-usage")
    return (usage.used, usage.total) if usage is not None else None


@dataclass
class BulkIngestResult:
    """What a Bulk API 2.0 ingest job reported, rows as Salesforce returned them."""

    job_id: str
    state: str
    error_message: str | None = None
    successful: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)


class SalesforceClient:
    """Salesforce REST, Bulk 2.0 and Tooling calls with renewal, budget and error mapping."""

    def __init__(
        self,
        config: SalesforceConfig,
        *,
        system: str,
        session: MeteredSession,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.system = system
        self.session = session
        self.limit: tuple[int, int] | None = None
        self._sleep = sleep
        self._sf: Salesforce | None = None
        self._token: SessionToken | None = None
        session.observers.append(self._observe)

    # -- session -------------------------------------------------------------------------------

    def _observe(self, response: requests.Response) -> None:
        seen = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if seen is not None:
            self.limit = seen

    def connect(self) -> None:
        """Authenticate (a token request, or the configured session).

        Raises:
            AuthError: The credentials were refused.
            RetryableError: The login endpoint could not be reached.
        """
        token = static_token(self.config) or self._request_token()
        self._token = token
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.session,
            version=self.config.api_version,
            # plain dicts, not simple-salesforce's OrderedDicts (both keep the order): a page of
            # 2,000 records parses in a third of the time and holds about two thirds of the memory
            object_pairs_hook=None,
        )
        self._sf.headers.pop("X-PrettyPrint", None)  # indented JSON only costs bytes

    def _request_token(self) -> SessionToken:
        url = self.config.login_url.rstrip("/") + "/services/oauth2/token"
        try:
            form, accept = token_form(self.config), {"Accept": "application/json"}
            response = self.session.request("POST", url, data=form, headers=accept, repeatable=True)
        except requests.RequestException as err:
            raise map_error(err, system=self.system, operation="token") from None
        if response.status_code != 200:
            raise map_error(response, system=self.system, operation="token")
        return read_token(response.json(), self.config, system=self.system)

    @property
    def api(self) -> Salesforce:
        """The simple-salesforce client, connecting first when needed."""
        if self._sf is None:
            self.connect()
        assert self._sf is not None
        return self._sf

    def _guard(self, operation: str) -> None:
        if self.limit is None:
            return
        used, total = self.limit
        budget = int(total * self.config.api_budget_share)
        if used >= budget:
            msg = (
                f"API budget reached before {operation}: {used} of {total} daily API calls used, "
                f"and this connector may use up to {self.config.api_budget_share:.0%} ({budget})"
            )
            hint = "run again after the daily limit resets, or raise api_budget_share in contactpoint.yaml"
            raise BudgetExhaustedError(msg, hint=hint, system=self.system, operation=operation)

    def call(self, operation: str, fn: Callable[[Salesforce], T], *, stream: str | None = None) -> T:
        """Run ``fn`` against the API: budget check, one renewal on an expired session, errors mapped.

        Raises:
            ConnectorError: The mapped failure (AuthError, RateLimited, FatalApiError...).
        """
        self._guard(operation)
        for attempt in (1, 2):
            try:
                return fn(self.api)
            except (SalesforceError, requests.RequestException) as err:
                mapped: ConnectorError = map_error(err, system=self.system, stream=stream, operation=operation)
            except ConnectorError as err:
                mapped = err
            renewable = self._token is not None and self._token.renewable
            if attempt == 1 and renewable and mapped.context.get("error_code") == SESSION_EXPIRED:
                log.info("salesforce.session_renewed", system=self.system, stream=stream)
                self.connect()
                continue
            raise mapped
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _raw(self, sf: Salesforce, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request the simple-salesforce helpers do not cover (CSV bodies, streamed pages)."""
        headers = {**sf.headers, **kwargs.pop("headers", {})}
        response = self.session.request(method, sf.base_url + path, headers=headers, **kwargs)
        if response.status_code >= 300:
            raise map_error(response, system=self.system, operation=path.split("/")[0])
        return response

    # -- REST ----------------------------------------------------------------------------------

    def describe(self, sobject: str) -> dict[str, Any]:
        """Return the sObject describe (fields with name, type, calculated...).

        Raises:
            ConnectorConfigError: The org has no such object (the error names the nearest it has).
            ConnectorError: The call failed otherwise.
        """
        try:
            result = self.call("describe", lambda sf: sf.restful(f"sobjects/{sobject}/describe"), stream=sobject)
        except FatalApiError as err:
            if err.context.get("status") != HTTPStatus.NOT_FOUND:
                raise
            listed = self.call("describe", lambda sf: sf.restful("sobjects")) or {}
            names = [str(o["name"]) for o in listed.get("sobjects", []) if o.get("name")]
            setting = f"systems.{self.system}.settings.objects"
            unknown = unknown_name("object", sobject, names, system=self.system, setting=setting)
            raise unknown from None
        return dict(result or {})

    def limits(self) -> dict[str, Any]:
        """Return the org's limits (``DailyApiRequests``: ``Max``, ``Remaining``)."""
        return dict(self.call("limits", lambda sf: sf.restful("limits")) or {})

    def query_pages(self, soql: str, *, stream: str, include_deleted: bool = True) -> Iterator[dict[str, Any]]:
        """Yield the pages of a SOQL query lazily (``records``, ``totalSize``, ``done``)."""
        headers = {"Sforce-Query-Options": f"batchSize={self.config.page_size}"}
        page: dict[str, Any] = self.call(
            "query", lambda sf: sf.query(soql, include_deleted=include_deleted, headers=headers), stream=stream
        )
        yield page
        while not page.get("done", True):
            next_url = str(page["nextRecordsUrl"])
            more = partial(_query_more, url=next_url, headers=headers)
            page = self.call("query_more", more, stream=stream)
            yield page

    def update_collection(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update up to 200 records in one sObject Collections request; one result per record, in order."""
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **r} for r in records]}
        result = self.call(
            "collections", lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body), stream=sobject
        )
        if not isinstance(result, list) or len(result) != len(records):
            msg = f"sObject Collections answered {type(result).__name__} for {len(records)} records"
            raise FatalApiError(msg, hint="the response does not match the request", system=self.system)
        return result

    def upsert_collection(self, sobject: str, key_field: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Upsert up to 200 records on external ID ``key_field`` (sObject Collections); one result each, in order."""
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **r} for r in records]}
        path = f"composite/sobjects/{sobject}/{key_field}"
        result = self.call("collections", lambda sf: sf.restful(path, method="PATCH", json=body), stream=sobject)
        if not isinstance(result, list) or len(result) != len(records):
            msg = f"sObject Collections upsert answered {type(result).__name__} for {len(records)} records"
            raise FatalApiError(msg, hint="the response does not match the request", system=self.system)
        return result

    def delete_collection(self, ids: list[str], *, stream: str) -> list[dict[str, Any]]:
        """Delete up to 200 records in one sObject Collections request; one result per ID, in order."""
        params = {"ids": ",".join(ids), "allOrNone": "false"}
        result = self.call(
            "collections", lambda sf: sf.restful("composite/sobjects", method="DELETE", params=params), stream=stream
        )
        if not isinstance(result, list) or len(result) != len(ids):
            msg = f"sObject Collections delete answered {type(result).__name__} for {len(ids)} records"
            raise FatalApiError(msg, hint="the response does not match the request", system=self.system)
        return result

    def find_keyed(self, sobject: str, key_field: str, keys: Sequence[str]) -> dict[str, str]:
        """Return ``{key: Id}`` of the ``sobject`` records whose ``key_field`` holds one of ``keys`` (SOQL, 200 a query)."""
        for name in (sobject, key_field):
            if not _API_NAME.fullmatch(name):
                msg = f"{name!r} is not a Salesforce API name"
                raise ConnectorConfigError(msg, hint="name the object and its external ID field", system=self.system)
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 200):
            soql = format_soql(
                f"SELECT Id, {key_field} FROM {sobject} WHERE {key_field} IN {{}}", wanted[start : start + 200]
            )
            for page in self.query_pages(soql, stream=sobject, include_deleted=False):
                found.update({str(r[key_field]): str(r["Id"]) for r in page.get("records", []) if r.get(key_field)})
        return found

    # -- Bulk API 2.0 --------------------------------------------------------------------------

    def _wait_for_job(self, path: str, *, stream: str) -> dict[str, Any]:
        waited = 0.0
        while True:
            job: dict[str, Any] = self.call("bulk_status", lambda sf: self._raw(sf, "GET", path).json(), stream=stream)
            if job.get("state") in _TERMINAL_STATES:
                return job
            if waited >= self.config.bulk_timeout_seconds:
                msg = f"Bulk job {job.get('id')} still {job.get('state')} after {waited:.0f}s"
                raise RetryableError(msg, hint="raise bulk_timeout_seconds or run again", system=self.system)
            self._sleep(self.config.bulk_poll_seconds)
            waited += max(self.config.bulk_poll_seconds, 0.001)

    def bulk_query(self, soql: str, *, stream: str) -> Iterator[dict[str, str]]:
        """Run a Bulk API 2.0 queryAll job and yield its CSV rows, page by page, as they stream in.

        Raises:
            FatalApiError: The job failed or was aborted.
        """
        spec = {"operation": "queryAll", "query": soql, "contentType": "CSV", "columnDelimiter": "COMMA"}
        spec["lineEnding"] = "LF"
        job = self.call("bulk_query", lambda sf: self._raw(sf, "POST", "jobs/query", json=spec).json(), stream=stream)
        done = self._wait_for_job(f"jobs/query/{job['id']}", stream=stream)
        if done["state"] != "JobComplete":
            msg = f"Bulk query job {job['id']} ended {done['state']}: {done.get('errorMessage')}"
            raise FatalApiError(msg, hint="check the query and the object's permissions", system=self.system)
        locator: str | None = None
        page = 0
        while True:
            params: dict[str, Any] = {"maxRecords": self.config.bulk_page_records}
            if locator:
                params["locator"] = locator
            fetch = partial(
                self._raw,
                method="GET",
                path=f"jobs/query/{job['id']}/results",
                params=params,
                stream=True,
                headers={"Accept": "text/csv"},
            )
            response = self.call("bulk_results", fetch, stream=stream)
            page += 1
            log.info(
                "stream.page_fetched",
                system=self.system,
                stream=stream,
                records=response.headers.get("Sforce-NumberOfRecords"),
            )
            yield from iter_csv_rows(response.iter_content(chunk_size=65536))
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    def bulk_update(self, sobject: str, csv_text: str) -> BulkIngestResult:
        """Update records through a Bulk API 2.0 ingest job and read back every result row."""
        spec = {"object": sobject, "operation": "update", "contentType": "CSV", "lineEnding": "LF"}
        job = self.call(
            "bulk_ingest", lambda sf: self._raw(sf, "POST", "jobs/ingest", json=spec).json(), stream=sobject
        )
        path = f"jobs/ingest/{job['id']}"
        upload = csv_text.encode("utf-8")
        self.call(
            "bulk_upload",
            lambda sf: self._raw(sf, "PUT", f"{path}/batches", data=upload, headers={"Content-Type": "text/csv"}),
            stream=sobject,
        )
        self.call(
            "bulk_close", lambda sf: self._raw(sf, "PATCH", path, json={"state": "UploadComplete"}), stream=sobject
        )
        done = self._wait_for_job(path, stream=sobject)
        result = BulkIngestResult(job["id"], str(done["state"]), done.get("errorMessage"))
        for kind, target in (("successfulResults", result.successful), ("failedResults", result.failed)):
            target.extend(self._csv(f"{path}/{kind}", stream=sobject))
        result.unprocessed.extend(self._csv(f"{path}/unprocessedrecords", stream=sobject))
        return result

    def _csv(self, path: str, *, stream: str) -> list[dict[str, str]]:
        response = self.call(
            "bulk_results", lambda sf: self._raw(sf, "GET", path, headers={"Accept": "text/csv"}), stream=stream
        )
        return list(iter_csv_rows([response.content]))

    # -- Tooling API ---------------------------------------------------------------------------

    def tooling_query(self, soql: str) -> list[dict[str, Any]]:
        """Run a Tooling API query; return its records."""
        result = self.call(
            "tooling_query", lambda sf: self._raw(sf, "GET", "tooling/query/", params={"q": soql}).json()
        )
        return list(result.get("records", []))

    def tooling_create(self, sobject: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create a Tooling API record (a ``CustomField``...); return Salesforce's answer."""
        return dict(
            self.call(
                "tooling_create", lambda sf: self._raw(sf, "POST", f"tooling/sobjects/{sobject}/", json=body).json()
            )
        )

    def tooling_update(self, sobject: str, record_id: str, body: dict[str, Any]) -> None:
        """Update a Tooling API record (a ``Layout``'s metadata...)."""
        self.call(
            "tooling_update", lambda sf: self._raw(sf, "PATCH", f"tooling/sobjects/{sobject}/{record_id}", json=body)
        )
