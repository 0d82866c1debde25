"""Command groups of the ``contactpoint`` CLI, one module per group."""
