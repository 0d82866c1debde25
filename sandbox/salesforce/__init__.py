"""A local HTTPS stand-in of Salesforce: REST, Bulk API 2.0, Tooling, OAuth and SOAP login.

Start it with ``contactpoint sandbox up salesforce`` or, in tests,
``sandbox.common.running_sandbox("salesforce", records=..., seed=...)``. See
docs/sandbox.md for the endpoints, credentials and faults.
"""

from __future__ import annotations

from sandbox.salesforce.app import SalesforceSandbox, build
from sandbox.salesforce.control import SalesforceControl, SalesforceFault

__all__ = ["SalesforceControl", "SalesforceFault", "SalesforceSandbox", "build"]
