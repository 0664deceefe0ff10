"""Shared machinery for the reliability tests: a loopback emulator, the real CLI in a subprocess, warehouse checks.

The oracle for "exact" is a clean full sync of the same emulator (same books, same moment) into a separate
database: every table, every column but dlt's bookkeeping, row by row.
"""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.emulator import Emulator, EmulatorServer, serve
from netvisor_sync.emulator.server import export_lines
from netvisor_sync.sync import SyncSummary, run_sync

from ..warehouse import CHILDREN, DATASET, POSTGRES_URL, Warehouse, postgres_warehouse

__all__ = ["CHILDREN", "DATASET", "POSTGRES_URL", "Warehouse"]  # the tests import them from here too

SCRIPT = shutil.which("netvisor-sync", path=str(Path(sys.executable).parent)) or "netvisor-sync"
CLI_TIMEOUT = 120

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


@pytest.fixture
def pg_warehouse() -> Iterator[Warehouse]:
    yield from postgres_warehouse("nv_rel")


@pytest.fixture
def pg_oracle_warehouse() -> Iterator[Warehouse]:
    yield from postgres_warehouse("nv_rel")


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


def change_books(emu: Emulator, rng: random.Random) -> list[str]:
    """Edit, delete, create and invalidate a few records, the way users do between syncs; returns what was done."""
    store = emu.company().store
    emu.clock.advance(timedelta(minutes=5))
    done = []
    invoices = [d for d in store.sales_invoices if len(d.lines) >= 2]
    edited = rng.choice(invoices)
    store.edit("salesinvoice", edited.netvisor_key, lines=edited.lines[: rng.randint(1, len(edited.lines) - 1)])
    done.append(f"edited invoice {edited.netvisor_key}")
    candidates = [d for d in store.sales_invoices if d.netvisor_key != edited.netvisor_key]
    for deleted in rng.sample(candidates, len(candidates)):
        try:
            store.delete("salesinvoice", deleted.netvisor_key)
        except ValueError:  # it has a credit note: Netvisor wants that deleted first
            continue
        done.append(f"deleted invoice {deleted.netvisor_key}")
        break
    voucher = rng.choice([v for v in store.vouchers if v.status == "valid" and len(v.lines) > 1])
    store.invalidate_voucher(voucher.netvisor_key)
    done.append(f"invalidated voucher {voucher.netvisor_key}")
    customers = list(store.customers)
    gone = rng.choice(customers)
    store.delete("customer", gone.netvisor_key)
    renamed = rng.choice([c for c in customers if c.netvisor_key != gone.netvisor_key])
    store.edit("customer", renamed.netvisor_key, name=f"{renamed.name} Oy Äöå € {rng.randint(1, 999)}")
    done.append(f"deleted customer {gone.netvisor_key}, renamed {renamed.netvisor_key}")
    done.append(f"created customer {store.create('customer')}")
    emu.clock.advance(timedelta(minutes=5))
    return done
