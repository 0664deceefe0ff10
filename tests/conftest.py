"""Suite-wide promise: netvisor-sync is read-only. No emulator built during a test may ever see a write.

Every :class:`~netvisor_sync.emulator.Emulator` a test builds (directly, through a fixture, or served on loopback in
this process) is registered through :func:`netvisor_sync.emulator.app.on_create`; after the test, each one's request
log must hold no refused request (write or delete resource, unknown path, non-GET method). Tests that send writes
on purpose (the emulator's own refusal tests) say so with ``@pytest.mark.writes_expected``. With pytest-xdist every
worker checks the emulators of its own tests. Emulators in other processes are checked by their tests through the
admin log endpoint (``/_emulator/log``: ``write_attempts``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.emulator.app import on_create

_OWN_DLT_DATA_DIR: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    # dlt keeps pipelines it is not told where to keep in ~/.dlt, or /var/dlt for root (CI): a run of the suite
    # gets a data dir of its own (xdist workers inherit it), so no state of an earlier run is picked up again
    if "DLT_DATA_DIR" not in os.environ:
        _OWN_DLT_DATA_DIR.append(tempfile.mkdtemp(prefix="netvisor-sync-tests-dlt-"))
        os.environ["DLT_DATA_DIR"] = _OWN_DLT_DATA_DIR[0]
    config.addinivalue_line(
        "markers", "writes_expected: the test sends write/delete/non-GET requests to an emulator on purpose"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    for path in _OWN_DLT_DATA_DIR:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_writes_reach_any_emulator(request: pytest.FixtureRequest) -> Iterator[None]:
    built: list[Emulator] = []
    remove = on_create(built.append)
    try:
        yield
    finally:
        remove()
    if request.node.get_closest_marker("writes_expected"):
        return
    attempts = [(entry.method, entry.path) for emu in built for entry in emu.log.write_attempts()]
    assert attempts == [], f"the read-only client sent requests outside the read allowlist: {attempts}"
