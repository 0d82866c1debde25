"""CSV and JSONL files as a system: admins really do start from exports."""

from connectors.files.connector import FilesConnector

__all__ = ["FilesConnector"]
