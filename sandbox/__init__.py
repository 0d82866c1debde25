"""Local HTTPS stand-ins for the vendors' APIs."""
