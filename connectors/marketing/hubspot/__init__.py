"""HubSpot: CRM search by modified time, archived and merged contacts, email events, subscriptions, batch upsert."""

from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.connector import HubSpotConnector

__all__ = ["HubSpotConfig", "HubSpotConnector"]
