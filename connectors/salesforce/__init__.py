"""Salesforce: SOQL incremental pulls, Bulk API 2.0, sObject Collections write-back."""

from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesforceConfig", "SalesforceConnector"]
