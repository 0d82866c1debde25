"""Marketing automation connectors: what every one of them offers.

Each marketing connector (``connectors.marketing.<vendor>``) pulls these streams, which
the shipped mappings turn into canonical models:

    contacts       people the marketing system knows          -> Person (+ Consent from a global opt-out)
                   archived and merged contacts come out ``deleted`` (merged: ``merged_into`` the winner)
    companies      the organisations they belong to           -> Account
    email_events   marketing email sent, delivered, opened,   -> Interaction (campaign_event), and Consent
                   clicked, bounced, unsubscribed                for an unsubscribe, at the time it happened
    subscriptions  each person's status per subscription type -> Consent with the time it was stated

and writes the unified profile ID, enrichment and suppression values back onto
contacts, creating (upserting by email) where the op asks for it.
"""
