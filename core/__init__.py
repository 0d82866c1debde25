"""Contactpoint's core: canonical model, mappings, store, identity, policy, sync.

Nothing in ``core`` imports a vendor client; connectors live in ``connectors``.
"""

__version__ = "0.1.0"
