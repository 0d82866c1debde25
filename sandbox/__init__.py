"""Local HTTPS stand-ins for the vendors' APIs.

``sandbox.common`` holds what every vendor sandbox shares (TLS with a CA made at start,
the threading HTTPS server on 127.0.0.1, faults, the detached process behind
``contactpoint sandbox up|down`` and ``running_sandbox`` for tests); ``sandbox.salesforce``
is the Salesforce org. See docs/sandbox.md.
"""
