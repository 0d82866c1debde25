"""Zendesk Support: incremental cursor exports, update_many and create_or_update_many jobs, user fields."""

from connectors.helpdesk.zendesk.config import ZendeskConfig
from connectors.helpdesk.zendesk.connector import ZendeskConnector

__all__ = ["ZendeskConfig", "ZendeskConnector"]
