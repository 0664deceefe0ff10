"""netvisor-sync: copy Visma Netvisor accounting data into DuckDB, Postgres or any dlt destination."""

from __future__ import annotations

from netvisor_sync.auth import Credentials
from netvisor_sync.errors import NetvisorError, NetvisorSyncError
from netvisor_sync.parse import parse_response

__version__ = "0.1.0"

__all__ = ["Credentials", "NetvisorError", "NetvisorSyncError", "__version__", "parse_response"]
