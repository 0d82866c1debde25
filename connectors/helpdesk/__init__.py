"""Helpdesk connectors: the people who write in, their companies, and what they wrote about.

Every helpdesk connector offers three streams and writes back to the first:

    users           requesters (end users), agents and shared mailboxes  -> Person
                    (identifiers: email, phone, the helpdesk's own user ID, an external ID);
                    a deleted user is a record with ``deleted=True``
    organizations   the companies requesters belong to                   -> Account
    tickets         conversations, linked to their requester by user ID  -> Interaction
                    (kind ``ticket``: status, priority, type, channel, subject, tags,
                    created / updated / solved times, satisfaction)

Write-back sets user fields (profile ID, enrichment, suppression) on ``users``;
``provision`` creates the custom user fields the mapping names.

Vendors: ``connectors.helpdesk.zendesk`` (Zendesk Support).
"""
