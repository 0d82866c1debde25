"""Migration scripts, named ``NNNN_description.py`` with ``revision = "NNNN"``."""
