"""Chaos: the real ``netvisor-sync sync`` is SIGKILLed at seeded random moments (extract, normalize, load), the
books change between runs, and a final run still converges to exactly what a clean sync loads.

The emulator is served on loopback in this process (its store is edited directly; the CLI sees it over HTTP).
``CHAOS_ITERATIONS`` (default 14) sets the DuckDB kills, ``CHAOS_PG_ITERATIONS`` (default 6) the Postgres kills
(20 in a default run);
``CHAOS_SEED`` changes the schedule. ``make chaos`` runs many more.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync.emulator import Emulator, EmulatorServer, FaultPlan
from netvisor_sync.sync import status

from .conftest import (
    CLI_TIMEOUT,
    CURSOR_TABLES,
    Warehouse,
    assert_same,
    clean_sync,
    server_env,
    start_cli,
    wait_until,
)

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CHAOS_SEED", "20261122"))
KILLS = int(os.environ.get("CHAOS_ITERATIONS", "14"))
PG_KILLS = int(os.environ.get("CHAOS_PG_ITERATIONS", "6"))
#: what the runs load; ``all`` in ``make chaos`` (the default keeps documents with lines, deletes, a reference table)
TABLES = os.environ.get("CHAOS_TABLES", "customers,sales_invoices,vouchers,dimensions")
#: complete a run (and check duplicates/orphans) after this many kills
KILLS_PER_ROUND = 7


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


class Chaos:
    """Runs the CLI against ``server`` into ``warehouse``, killing it after seeded random delays."""

    def __init__(self, emu: Emulator, server: EmulatorServer, warehouse: Warehouse, tmp: Path) -> None:
        self.emu, self.warehouse, self.tmp, self.url = emu, warehouse, tmp, server.url
        self.env = server_env(server)
        self.pipelines = tmp / "pipelines"
        self.args = [
            "sync",
            "--reconcile",
            *([] if TABLES == "all" else ["--tables", TABLES]),
            "--destination",
            warehouse.destination,
            "--dataset",
            warehouse.dataset,
            "--pipelines-dir",
            str(self.pipelines),
        ]
        self.duration = 5.0
        self.phases: Counter[str] = Counter()

    def complete(self) -> None:
        before = len(self.emu.log)
        process = start_cli(self.args, self.tmp, self.env, capture=True)
        wait_until(lambda: len(self.emu.log) > before or process.poll() is not None, CLI_TIMEOUT)
        working = time.monotonic()  # from the first call on: imports are not what kills should hit
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
        assert process.returncode == 0, stdout + stderr
        assert "Sync complete." in stdout
        self.duration = max(1.0, time.monotonic() - working)

    def packages(self, stage: str) -> set[str]:
        return {p.name for p in self.pipelines.glob(f"netvisor_*/{stage}/*") if p.is_dir()}

    def kill_once(self, rng: random.Random) -> bool:
        """One run killed at a random point of its work; False if it finished first."""
        before = len(self.emu.log)
        extracted, normalized = self.packages("normalize/extracted"), self.packages("load/normalized")
        process = start_cli(self.args, self.tmp, self.env, capture=True)
        wait_until(lambda: len(self.emu.log) > before or process.poll() is not None, CLI_TIMEOUT)
        try:
            # half the kills in the whole run, half in its last third (normalize and load are short)
            share = rng.uniform(0.0, 1.05) if rng.random() < 0.5 else rng.uniform(0.65, 1.05)
            process.wait(timeout=share * self.duration)
        except subprocess.TimeoutExpired:
            process.kill()  # SIGKILL: no cleanup, no atexit, whatever was half-written stays so
            process.communicate(timeout=30)
            if self.packages("load/normalized") - normalized:
                self.phases["load"] += 1
            elif self.packages("normalize/extracted") - extracted:
                self.phases["normalize"] += 1
            else:
                self.phases["extract"] += 1
            return True
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stdout + stderr
        return False

    def converge(self, kills: int, rng: random.Random, change: Callable[[], Any]) -> None:
        """Kill ``kills`` runs; books change at the start of every round and before some kills."""
        done = 0
        while done < kills:
            for _ in range(KILLS_PER_ROUND):
                if done >= kills:
                    break
                if done and (rng.random() < 0.3 or done % KILLS_PER_ROUND == 0):
                    change()
                done += self.kill_once(rng)
            self.complete()
            assert self.warehouse.duplicates() == {}
            assert self.warehouse.orphans() == {}


def check_converged(chaos: Chaos, oracle: Warehouse, tmp: Path) -> None:
    assert chaos.warehouse.duplicates() == {}
    assert chaos.warehouse.orphans() == {}
    tables = None if TABLES == "all" else TABLES.split(",")
    clean_sync(chaos.emu, oracle, tmp / "oracle-pipelines", chaos.url, reconcile=True, tables=tables)
    assert_same(chaos.warehouse, oracle)
    (company,) = status(chaos.pipelines)
    assert company.last_run_ok is True
    assert sorted(company.cursors) == sorted(tables or CURSOR_TABLES)
    assert chaos.emu.log.write_attempts() == []


def test_sigkill_at_random_points_converges_to_the_books_in_duckdb(
    tmp_path: Path, served: Callable[[Emulator], EmulatorServer]
) -> None:
    rng = random.Random(SEED)
    emu = Emulator(profile="partner-test", seed=11, faults=FaultPlan(latency_ms=10))
    chaos = Chaos(emu, served(emu), Warehouse(str(tmp_path / "chaos.duckdb")), tmp_path)
    chaos.converge(KILLS, rng, lambda: change_books(emu, rng))
    assert sum(chaos.phases.values()) == KILLS
    if KILLS >= 10:
        assert chaos.phases["extract"] > 0, chaos.phases
        assert chaos.phases["normalize"] + chaos.phases["load"] > 0, chaos.phases
    check_converged(chaos, Warehouse(str(tmp_path / "oracle.duckdb")), tmp_path)


@pytest.mark.postgres
def test_sigkill_at_random_points_converges_to_the_books_in_postgres(
    tmp_path: Path,
    served: Callable[[Emulator], EmulatorServer],
    pg_warehouse: Warehouse,
    pg_oracle_warehouse: Warehouse,
) -> None:
    rng = random.Random(SEED + 1)
    emu = Emulator(profile="partner-test", seed=12, faults=FaultPlan(latency_ms=10))
    chaos = Chaos(emu, served(emu), pg_warehouse, tmp_path)
    chaos.converge(PG_KILLS, rng, lambda: change_books(emu, rng))
    check_converged(chaos, pg_oracle_warehouse, tmp_path)
