"""Fixtures for sync tests: an emulator, a warehouse (DuckDB file or a Postgres schema) and a sync runner."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import SyncSummary, run_sync

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Warehouse:
    """Where a test syncs to, and SQL over it (``{ds}`` in a query is the dataset)."""

    destination: Any
    dataset: str
    kind: str
    _connect: Callable[[], Any] = field(repr=False)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.replace("{ds}", self.dataset)
        if self.kind == "duckdb":
            with duckdb.connect(self.destination, read_only=True) as con:
                return con.execute(sql, list(params)).fetchall()
        con = self._connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                return list(cur.fetchall())
        finally:
            con.close()

    def count(self, table: str) -> int:
        return int(self.query(f"select count(*) from {{ds}}.{table}")[0][0])

    def column_types(self) -> dict[str, str]:
        """``table.column -> DECIMAL(p,s) | DATE | BOOLEAN | BIGINT | ...`` in one spelling for both databases."""
        rows = self.query(
            "select table_name, column_name, upper(data_type), numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = ?",
            self.dataset,
        )
        types = {}
        for table, column, data_type, precision, scale in rows:
            decimal = data_type in {"NUMERIC", "DECIMAL"} or data_type.startswith("DECIMAL(")
            types[f"{table}.{column}"] = f"DECIMAL({precision},{scale})" if decimal else data_type
        return types


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(str(tmp_path / "netvisor.duckdb"), "netvisor_data", "duckdb", lambda: None)


@pytest.fixture
def postgres_warehouse() -> Iterator[Warehouse]:
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    dataset = f"nv_test_{uuid.uuid4().hex[:10]}"
    yield Warehouse(POSTGRES_URL, dataset, "postgres", lambda: psycopg2.connect(POSTGRES_URL))
    con = psycopg2.connect(POSTGRES_URL)
    con.autocommit = True
    with con.cursor() as cur:
        for schema in (dataset, f"{dataset}_staging"):
            cur.execute(f'drop schema if exists "{schema}" cascade')
    con.close()


@pytest.fixture
def warehouse(duckdb_warehouse: Warehouse) -> Warehouse:
    return duckdb_warehouse


@dataclass
class Syncer:
    """Runs :func:`run_sync` for every company of ``emu`` into ``warehouse``, keeping pipelines in ``tmp``."""

    emu: Emulator
    warehouse: Warehouse
    pipelines: Path

    def __call__(self, **options: Any) -> SyncSummary:
        orgs = options.pop("organisation_ids", self.emu.organisation_ids)
        return run_sync(
            [self.emu.credentials(org) for org in orgs],
            base_url="http://testserver",
            destination=self.warehouse.destination,
            dataset_name=self.warehouse.dataset,
            pipelines_dir=self.pipelines,
            http_transport=httpx.WSGITransport(app=self.emu.app),
            clock=self.emu.clock.now,
            **options,
        )

    @property
    def org(self) -> str:
        return self.emu.organisation_ids[0]

    @property
    def store(self) -> Any:
        return self.emu.companies[self.org].store


@pytest.fixture
def partner_emulator() -> Emulator:
    return Emulator(profile="partner-test", seed=1)


@pytest.fixture
def sync(partner_emulator: Emulator, warehouse: Warehouse, tmp_path: Path) -> Syncer:
    return Syncer(partner_emulator, warehouse, tmp_path / "pipelines")
