"""Alembic migrations of the store (``versions/0001_...``, ``0002_...``, one linear chain)."""
