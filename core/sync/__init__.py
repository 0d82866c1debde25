"""Sync: moving records between the systems and the store, resumably.

``ingest.py`` pulls one stream, maps it, stores source and canonical records,
parks rejects and saves the cursor after each batch: the pull half of a run.
"""

from core.sync.ingest import IngestSummary, ingest_stream

__all__ = ["IngestSummary", "ingest_stream"]
