"""Fixtures for sync tests: an emulator, a warehouse (DuckDB file or a Postgres schema) and a sync runner.

``warehouse`` (and ``sync`` over it) runs a test once on DuckDB and once on Postgres; ``duckdb_warehouse`` and
``duckdb_sync`` are for tests whose subject does not depend on the destination (call counts, request timing).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.render import Quirks
from netvisor_sync.sync import SyncSummary, run_sync

from ..warehouse import Warehouse, postgres_warehouse


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(str(tmp_path / "netvisor.duckdb"), "netvisor_data", "duckdb")


@pytest.fixture(name="postgres_warehouse")
def postgres_schema() -> Iterator[Warehouse]:
    yield from postgres_warehouse("nv_test")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """DuckDB, then Postgres (skipped, or failed under NETVISOR_SYNC_REQUIRE_POSTGRES, when the server is down)."""
    fixture = "duckdb_warehouse" if request.param == "duckdb" else "postgres_warehouse"
    found: Warehouse = request.getfixturevalue(fixture)
    return found


@dataclass
class Syncer:
    """Runs :func:`run_sync` for every company of ``emu`` into ``warehouse``, keeping pipelines in ``tmp``.

    ``app`` is the WSGI application the client talks to (default the emulator's; tests wrap it to watch requests).
    """

    emu: Emulator
    warehouse: Warehouse
    pipelines: Path
    app: Any = None

    def __call__(self, **options: Any) -> SyncSummary:
        orgs = options.pop("organisation_ids", self.emu.organisation_ids)
        return run_sync(
            [self.emu.credentials(org) for org in orgs],
            base_url="http://testserver",
            destination=self.warehouse.destination,
            dataset_name=self.warehouse.dataset,
            pipelines_dir=self.pipelines,
            http_transport=httpx.WSGITransport(app=self.app or self.emu.app),
            clock=self.emu.clock.now,
            **options,
        )

    @property
    def org(self) -> str:
        return self.emu.organisation_ids[0]

    @property
    def store(self) -> Any:
        return self.emu.companies[self.org].store


def paged_vendors(page_size: int) -> Emulator:
    """partner-test whose getvendor answers ``page_size`` vendors a page (Netvisor's is 500), so paging shows."""
    quirks = Quirks(vendor_page_size=page_size)
    return Emulator(profile="partner-test", seed=1, handler=functools.partial(handle, quirks=quirks))


@pytest.fixture
def partner_emulator() -> Emulator:
    return Emulator(profile="partner-test", seed=1)


@pytest.fixture
def sync(partner_emulator: Emulator, warehouse: Warehouse, tmp_path: Path) -> Syncer:
    return Syncer(partner_emulator, warehouse, tmp_path / "pipelines")


@pytest.fixture
def duckdb_sync(partner_emulator: Emulator, duckdb_warehouse: Warehouse, tmp_path: Path) -> Syncer:
    return Syncer(partner_emulator, duckdb_warehouse, tmp_path / "pipelines")
