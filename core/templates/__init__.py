"""Packaged templates, such as the commented contactpoint.yaml that `init` writes."""
