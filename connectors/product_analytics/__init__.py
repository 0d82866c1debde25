"""Product analytics connectors: what people do in the product.

Every connector of this kind offers two streams:

    events     raw events (page views, sign-ups, feature use), incremental by day
               → canonical ``Interaction`` (kind ``product_event``): the event name,
               when, who (distinct ID, device ID, user ID), the URL and path, properties
    profiles   the user profiles the tool keeps → canonical ``Person`` with its
               identifiers (email, the tool's distinct ID); write-back sets profile
               properties (unified profile ID, enrichment, suppression)

Vendors: ``mixpanel`` (``connectors.product_analytics.mixpanel``).
"""
