"""Shared machinery for the reliability tests: a loopback emulator, the real CLI in a subprocess, warehouse checks.

The oracle for "exact" is a clean full sync of the same emulator (same books, same moment) into a separate
database: every table, every column but dlt's bookkeeping, row by row.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.emulator import Emulator, EmulatorServer, serve
from netvisor_sync.emulator.server import export_lines
from netvisor_sync.sync import SyncSummary, run_sync

SCRIPT = shutil.which("netvisor-sync", path=str(Path(sys.executable).parent)) or "netvisor-sync"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATASET = "netvisor_data"
CLI_TIMEOUT = 120

#: (line table, parent key column, parent table) for every child table of the catalog
CHILDREN = [(child.table, child.parent_key, entry.table) for entry in ENTRIES for child in entry.children]
#: every table keeps a cursor (the window end of its last loaded run) in the pipeline state
CURSOR_TABLES = sorted(entry.table for entry in ENTRIES)


def base_env() -> dict[str, str]:
    """This environment without Netvisor/destination settings, with wide plain output and no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__NETVISOR__", "DESTINATION__"))}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "RUNTIME__DLTHUB_TELEMETRY": "false"})
    return env


def server_env(server: EmulatorServer) -> dict[str, str]:
    """``base_env`` plus the ``SOURCES__NETVISOR__*`` settings that point the CLI at ``server``."""
    env = base_env()
    for line in export_lines(server):
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0]
    return env


def cli(args: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the console script to the end."""
    return subprocess.run(
        [SCRIPT, *args], check=False, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=CLI_TIMEOUT
    )


def start_cli(args: list[str], cwd: Path, env: Mapping[str, str], *, capture: bool = False) -> subprocess.Popen[str]:
    """Start the console script without waiting (output discarded unless ``capture``: a killed run's means nothing)."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen([SCRIPT, *args], cwd=cwd, env=dict(env), stdout=out, stderr=out, text=True)


@pytest.fixture
def served() -> Iterator[Callable[[Emulator], EmulatorServer]]:
    """Serve emulators on loopback for the test; every one is shut down afterwards."""
    servers: list[EmulatorServer] = []

    def start(emu: Emulator) -> EmulatorServer:
        servers.append(serve(emu))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()


# -------------------------------------------------------------------------------------------------- warehouses


@dataclass
class Warehouse:
    """A DuckDB file or a Postgres schema, with the SQL the checks need (``{ds}`` is the dataset)."""

    destination: str
    dataset: str = DATASET
    kind: str = "duckdb"
    _connect: Callable[[], Any] = field(default=lambda: None, repr=False)

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

    def columns(self) -> dict[str, list[str]]:
        """Data tables (not dlt's own) and their columns."""
        rows = self.query(
            "select table_name, column_name from information_schema.columns where table_schema = ? "
            "order by table_name, column_name",
            self.dataset,
        )
        tables: dict[str, list[str]] = {}
        for table, column in rows:
            if not table.startswith("_dlt"):
                tables.setdefault(table, []).append(column)
        return tables

    def snapshot(self, only: Mapping[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
        """Every data table's rows (``only`` these columns, default all but dlt's bookkeeping), sorted."""
        result = {}
        for table, columns in (only or self.columns()).items():
            keep = [c for c in columns if not c.startswith("_dlt")]
            quoted = ", ".join(f'"{c}"' for c in keep)
            rows = self.query(f'select {quoted} from {{ds}}."{table}"')
            result[table] = sorted(rows, key=repr)
        return result

    def duplicates(self) -> dict[str, int]:
        """Per table: rows minus distinct keys (keys: organisation + entity key, or parent key + position)."""
        found = {}
        keys: dict[str, str] = {entry.table: ", ".join(("organisation_id", *entry.key)) for entry in ENTRIES}
        keys.update({child: f"organisation_id, {parent_key}, line_number" for child, parent_key, _ in CHILDREN})
        present = self.columns()
        for table, key in keys.items():
            if table not in present:
                continue
            total, distinct = self.query(f"select count(*), count(distinct ({key})) from {{ds}}.{table}")[0]
            if total != distinct:
                found[table] = int(total) - int(distinct)
        return found

    def orphans(self) -> dict[str, int]:
        """Per line table: lines whose parent row is missing."""
        found = {}
        present = self.columns()
        for child, parent_key, parent in CHILDREN:
            if child not in present:
                continue
            if parent not in present:
                found[child] = int(self.query(f"select count(*) from {{ds}}.{child}")[0][0])
                continue
            (count,) = self.query(
                f"select count(*) from {{ds}}.{child} c where not exists (select 1 from {{ds}}.{parent} p "
                f"where p.organisation_id = c.organisation_id and p.netvisor_key = c.{parent_key})"
            )[0]
            if count:
                found[child] = int(count)
        return found


def postgres_warehouse() -> Iterator[Warehouse]:
    """A fresh Postgres schema (skip when the server is not there); dropped with its staging schema afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    dataset = f"nv_rel_{uuid.uuid4().hex[:10]}"
    yield Warehouse(POSTGRES_URL, dataset, "postgres", lambda: psycopg2.connect(POSTGRES_URL))
    con = psycopg2.connect(POSTGRES_URL)
    con.autocommit = True
    with con.cursor() as cur:
        for schema in (dataset, f"{dataset}_staging"):
            cur.execute(f'drop schema if exists "{schema}" cascade')
    con.close()


@pytest.fixture
def pg_warehouse() -> Iterator[Warehouse]:
    yield from postgres_warehouse()


@pytest.fixture
def pg_oracle_warehouse() -> Iterator[Warehouse]:
    yield from postgres_warehouse()


def clean_sync(
    emu: Emulator, warehouse: Warehouse, pipelines: Path, base_url: str = "http://testserver", **options: Any
) -> SyncSummary:
    """The oracle: a first, uninterrupted, fault-free sync of ``emu`` in this process into ``warehouse``.

    ``base_url`` is the URL the synced run used (rows carry URLs): a served emulator's ``server.url``.
    """
    plan = emu.faults
    emu.faults = type(plan)()
    try:
        summary = run_sync(
            [emu.credentials(org) for org in emu.organisation_ids],
            base_url=base_url,
            destination=warehouse.destination,
            dataset_name=warehouse.dataset,
            pipelines_dir=pipelines,
            http_transport=httpx.WSGITransport(app=emu.app) if base_url == "http://testserver" else None,
            **options,
        )
    finally:
        emu.faults = plan
    assert summary.ok, summary.errors
    return summary


def assert_same(actual: Warehouse, expected: Warehouse) -> None:
    """Table by table, row by row; a difference names the table and a few differing rows."""
    have, need = actual.columns(), expected.columns()
    assert sorted(have) == sorted(need)
    for table, columns in need.items():
        # a hard-delete marker column appears once a run has deleted something; the oracle never deleted
        assert set(have[table]) - set(columns) <= {"_deleted"}, table
        assert set(columns) - set(have[table]) <= {"_deleted"}, table
    common = {table: [c for c in columns if c in have[table] and c != "_deleted"] for table, columns in need.items()}
    got, want = actual.snapshot(common), expected.snapshot(common)
    for table in want:
        missing = [row for row in want[table] if row not in got[table]][:3]
        extra = [row for row in got[table] if row not in want[table]][:3]
        assert got[table] == want[table], f"{table}: missing {missing}, unexpected {extra}"


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
