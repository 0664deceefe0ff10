"""netvisor-sync: copy Visma Netvisor accounting data into DuckDB, Postgres or any dlt destination.

The public surface: :func:`netvisor_source` (the dlt source, for your own pipeline), :func:`run_sync` (what
``netvisor-sync sync`` runs: many companies, one pipeline each), :class:`Credentials`, :func:`parse_response` and the
error tree's roots. ``netvisor_source`` and ``run_sync`` are imported on first use, so importing the package (and
``netvisor-sync --help``) does not pay for importing dlt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netvisor_sync.auth import Credentials
from netvisor_sync.errors import NetvisorError, NetvisorSyncError
from netvisor_sync.parse import parse_response

if TYPE_CHECKING:
    from netvisor_sync.source import netvisor_source
    from netvisor_sync.sync import run_sync

__version__ = "0.1.0"

__all__ = [
    "Credentials",
    "NetvisorError",
    "NetvisorSyncError",
    "__version__",
    "netvisor_source",
    "parse_response",
    "run_sync",
]

_LAZY = {"netvisor_source": "netvisor_sync.source", "run_sync": "netvisor_sync.sync"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'netvisor_sync' has no attribute {name!r}")
    import importlib  # noqa: PLC0415 - only when a lazy name is first used

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
