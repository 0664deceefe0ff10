"""Chaos: the real ``netvisor-sync sync`` is SIGKILLed at seeded random points (extract, normalize, load), the
books change between runs, and a final run still converges to exactly what a clean sync loads.

Every kill aims at a phase on a seeded schedule (each phase at least once) and lands there by construction, not by
timing: at a random Netvisor request, or at a random dlt step boundary (``killpoint.py``); some kills come after a
random share of a run, wherever that is. The emulator is served on loopback in this process (its store is edited
directly; the CLI sees it over HTTP). ``CHAOS_ITERATIONS`` (default 14) sets the DuckDB kills,
``CHAOS_PG_ITERATIONS`` (default 6) the Postgres kills (20 in a default run); ``CHAOS_SEED`` changes the schedule.
``make chaos`` runs many more.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE
from typing import Any

import pytest

from netvisor_sync.emulator import Emulator, EmulatorServer, FaultPlan
from netvisor_sync.sync import status

from .conftest import (
    CLI_TIMEOUT,
    CURSOR_TABLES,
    Warehouse,
    assert_same,
    change_books,
    clean_sync,
    server_env,
    start_cli,
    wait_until,
)
from .killpoint import POINTS, KillPoint

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("CHAOS_SEED", "20261122"))
KILLS = int(os.environ.get("CHAOS_ITERATIONS", "14"))
PG_KILLS = int(os.environ.get("CHAOS_PG_ITERATIONS", "6"))
#: what the runs load; ``all`` in ``make chaos`` (the default keeps documents with lines, deletes, a reference table)
TABLES = os.environ.get("CHAOS_TABLES", "customers,sales_invoices,vouchers,dimensions")
#: complete a run (and check duplicates/orphans) after this many kills
KILLS_PER_ROUND = 7


class KillAtRequest:
    """WSGI middleware in front of the emulator: once armed, SIGKILLs the CLI when its ``nth`` Netvisor request
    arrives, before it is answered. The CLI is then waiting for that answer, so the kill lands in its extract however
    busy the machine is (its remaining calls are still to come)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.left = 0

    def arm(self, process: subprocess.Popen[str] | None, nth: int = 0) -> None:
        with self.lock:
            self.process, self.left = process, nth

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            if self.process is not None and not str(environ.get("PATH_INFO", "")).startswith("/_emulator"):
                self.left -= 1
                if self.left == 0:
                    self.process.kill()  # SIGKILL: no cleanup, no atexit, whatever was half-written stays so
                    self.process.wait()
                    self.process = None
                    start_response("503 Service Unavailable", [("Content-Length", "0")])
                    return [b""]
        return self.app(environ, start_response)


#: what each kill aims at; ``anywhere``: after a random share of a run's duration (counted by what it hit)
AIMS = ("extract", "normalize", "load", "anywhere")


def schedule(rng: random.Random, kills: int) -> list[str]:
    """The aim of every kill, seeded: each of extract, normalize and load at least once (given three kills)."""
    plan = list(AIMS[:3])[:kills] + [rng.choice(AIMS) for _ in range(kills - 3)]
    rng.shuffle(plan)
    return plan


def random_point(rng: random.Random, phase: str) -> KillPoint:
    """One of the dlt step boundaries of ``phase`` (``killpoint.POINTS``), with a random call or share of it."""
    point = POINTS[rng.choice([name for name, point in POINTS.items() if point.phase == phase])]
    if point.when.startswith("rmtree:"):
        return dataclasses.replace(point, when=f"rmtree:{rng.randint(0, 8)}")
    if point.target.endswith(("complete_job", "Client.send")):
        return dataclasses.replace(point, nth=rng.randint(1, 5))
    return point


class Chaos:
    """Runs the CLI against ``emu`` (served here) into ``warehouse``, killing runs on a seeded schedule.

    Each kill aims at a phase and lands there by construction, whatever the machine's load: an extract kill at a
    random Netvisor request (:class:`KillAtRequest`) or just after the extract commits its package, a normalize or
    load kill at a random dlt step boundary of that phase (``killpoint.py``: the CLI SIGKILLs itself there). The
    ``anywhere`` kills come after a random share of a complete run's duration, wherever that is.
    """

    def __init__(
        self, emu: Emulator, served: Callable[[Emulator], EmulatorServer], warehouse: Warehouse, tmp: Path
    ) -> None:
        self.killer = KillAtRequest(emu.app)
        emu.app = self.killer  # served from now on (an attribute of its own shadows the method)
        server = served(emu)
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
        #: the fewest Netvisor calls a complete run made (a first sync makes more)
        self.calls = 8
        self.phases: Counter[str] = Counter()
        self.kills: list[str] = []

    def complete(self) -> None:
        before = len(self.emu.log)
        process = start_cli(self.args, self.tmp, self.env, capture=True)
        wait_until(lambda: len(self.emu.log) > before or process.poll() is not None, CLI_TIMEOUT)
        working = time.monotonic()  # from the first call on: imports are not what kills should hit
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
        assert process.returncode == 0, stdout + stderr
        assert "Sync complete." in stdout
        self.duration = max(1.0, time.monotonic() - working)
        self.calls = min(self.calls, len(self.emu.log) - before)

    def packages(self, stage: str) -> set[str]:
        return {p.name for p in self.pipelines.glob(f"netvisor_*/{stage}/*") if p.is_dir()}

    def kill_once(self, rng: random.Random, aim: str) -> bool:
        """One run killed as ``aim`` says; False if it finished first."""
        if aim == "anywhere":
            return self._kill_after_a_while(rng)
        if aim == "extract" and rng.random() < 0.75:
            nth = rng.randint(1, max(1, self.calls - 1))
            process = start_cli(self.args, self.tmp, self.env, capture=True)
            self.killer.arm(process, nth)
            stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
            self.killer.arm(None)
            moment = f"extract: at request {nth}"
        else:
            point = random_point(rng, aim)
            process = subprocess.Popen(
                point.command(self.args), cwd=self.tmp, env=self.env, stdout=PIPE, stderr=PIPE, text=True
            )
            stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
            moment = f"{aim}: {point.when} call {point.nth} of {point.target}"
        if process.returncode == -signal.SIGKILL:
            self.phases[aim] += 1
            self.kills.append(moment)
            return True
        assert process.returncode == 0, stdout + stderr
        return False

    def _kill_after_a_while(self, rng: random.Random) -> bool:
        before = len(self.emu.log)
        extracted, normalized = self.packages("normalize/extracted"), self.packages("load/normalized")
        process = start_cli(self.args, self.tmp, self.env, capture=True)
        wait_until(lambda: len(self.emu.log) > before or process.poll() is not None, CLI_TIMEOUT)
        share = rng.uniform(0.0, 1.05)
        try:
            process.wait(timeout=share * self.duration)
        except subprocess.TimeoutExpired:
            process.kill()  # SIGKILL: no cleanup, no atexit, whatever was half-written stays so
            process.communicate(timeout=30)
            if self.packages("load/normalized") - normalized:
                phase = "load"
            elif self.packages("normalize/extracted") - extracted:
                phase = "normalize"
            else:
                phase = "extract"
            self.phases[phase] += 1
            self.kills.append(f"{phase}: after {share:.0%} of a run")
            return True
        stdout, stderr = process.communicate()
        assert process.returncode == 0, stdout + stderr
        return False

    def converge(self, kills: int, rng: random.Random, change: Callable[[], Any]) -> None:
        """Kill ``kills`` runs; books change at the start of every round and before some kills."""
        aims = schedule(rng, kills)
        done = 0
        while done < kills:
            for _ in range(KILLS_PER_ROUND):
                if done >= kills:
                    break
                if done and (rng.random() < 0.3 or done % KILLS_PER_ROUND == 0):
                    change()
                done += self.kill_once(rng, aims[done])
            self.complete()
            assert self.warehouse.duplicates() == {}, self.kills
            assert self.warehouse.orphans() == {}, self.kills

    def check_phases(self, kills: int) -> None:
        print(f"kills by phase: {dict(self.phases)}", *self.kills, sep="\n  ")  # shown with pytest -s / -rP
        assert sum(self.phases.values()) == kills, self.kills
        if kills >= 3:
            assert all(self.phases[phase] > 0 for phase in AIMS[:3]), (self.phases, self.kills)


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
    chaos = Chaos(emu, served, Warehouse(str(tmp_path / "chaos.duckdb")), tmp_path)
    chaos.converge(KILLS, rng, lambda: change_books(emu, rng))
    chaos.check_phases(KILLS)
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
    chaos = Chaos(emu, served, pg_warehouse, tmp_path)
    chaos.converge(PG_KILLS, rng, lambda: change_books(emu, rng))
    chaos.check_phases(PG_KILLS)
    check_converged(chaos, pg_oracle_warehouse, tmp_path)
