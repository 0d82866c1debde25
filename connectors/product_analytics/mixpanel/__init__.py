"""Mixpanel: raw event export by day, engage profile query, profile ``$set`` write-back."""

from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.connector import MixpanelConnector

__all__ = ["MixpanelConfig", "MixpanelConnector"]
