"""netvisor-sync: copy Visma Netvisor accounting data into DuckDB, Postgres or any dlt destination."""

from __future__ import annotations

from netvisor_sync.errors import NetvisorError, NetvisorSyncError

__version__ = "0.1.0"

__all__ = ["NetvisorError", "NetvisorSyncError", "__version__"]
