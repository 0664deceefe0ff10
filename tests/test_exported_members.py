"""The package's public surface is what ``__all__`` says, every name resolves, and importing the package stays cheap
(dlt is imported only when ``netvisor_source`` or ``run_sync`` is first used)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import netvisor_sync


def test_every_exported_name_resolves() -> None:
    assert sorted(netvisor_sync.__all__) == [
        "Credentials",
        "NetvisorError",
        "NetvisorSyncError",
        "__version__",
        "netvisor_source",
        "parse_response",
        "run_sync",
    ]
    for name in netvisor_sync.__all__:
        assert getattr(netvisor_sync, name) is not None
    from netvisor_sync.source import netvisor_source
    from netvisor_sync.sync import run_sync

    assert netvisor_sync.netvisor_source is netvisor_source
    assert netvisor_sync.run_sync is run_sync


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = netvisor_sync.no_such_thing  # type: ignore[attr-defined]


def test_importing_the_package_does_not_import_dlt() -> None:
    probe = "import sys, netvisor_sync; print('dlt' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
