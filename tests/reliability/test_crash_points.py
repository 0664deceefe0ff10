"""A sync SIGKILLed at one exact point of dlt's extract, normalize or load never blocks the next run, and loses nothing.

Where ``test_chaos`` kills at random moments, these kill at the points where dlt's working dir is in between two
states (``killpoint.py`` wraps a dlt function in the CLI's own process and SIGKILLs it just before or after the call):
a package written but not committed, committed but its source not yet deleted, deleted half-way, a load with some
jobs done. After a first complete sync, each point is hit twice: in one run, and again in the run after it (which
has the first kill's leftovers to recover). Then a plain run must succeed and the warehouse must equal a clean sync
of the same books.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from netvisor_sync.emulator import Emulator, EmulatorServer
from netvisor_sync.sync import status

from .conftest import CLI_TIMEOUT, Warehouse, assert_same, change_books, clean_sync, cli, server_env
from .killpoint import EXTRACTED, NEW, NORMALIZED, POINTS, KillPoint

pytestmark = pytest.mark.slow

TABLES = ["customers", "sales_invoices", "vouchers", "dimensions"]


def packages(pipelines: Path, stage: str) -> set[str]:
    return {p.name for p in pipelines.glob(f"netvisor_*/{stage}/*") if p.is_dir()}


def killed_run(point: KillPoint, args: list[str], tmp: Path, env: dict[str, str]) -> None:
    """One CLI run killed at ``point``; fails if it was not (the point was never reached)."""
    done = subprocess.run(
        point.command(args),
        check=False,
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)


def complete_run(args: list[str], tmp: Path, env: dict[str, str]) -> None:
    done = cli(args, tmp, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Sync complete." in done.stdout


def check_leftovers(point: KillPoint, pipelines: Path) -> None:
    for stage, some in point.leaves:
        assert bool(packages(pipelines, stage)) == some, (stage, sorted(p for p in pipelines.rglob("*")))
    if point.twin:
        assert packages(pipelines, point.twin[0]) & packages(pipelines, point.twin[1])


@dataclass
class Setup:
    """One company served on loopback, syncing with the CLI into a DuckDB warehouse of its own."""

    emu: Emulator
    server: EmulatorServer
    env: dict[str, str]
    warehouse: Warehouse
    pipelines: Path
    args: list[str]

    def matches_a_clean_sync(self, tmp: Path) -> None:
        oracle = Warehouse(str(tmp / "oracle.duckdb"))
        clean_sync(self.emu, oracle, tmp / "oracle-pipelines", self.server.url, reconcile=True, tables=TABLES)
        assert_same(self.warehouse, oracle)


def set_up(seed: int, tmp: Path, served: Callable[[Emulator], EmulatorServer]) -> Setup:
    emu = Emulator(profile="partner-test", seed=seed)
    server = served(emu)
    warehouse = Warehouse(str(tmp / "crash.duckdb"))
    pipelines = tmp / "pipelines"
    args = ["sync", "--reconcile", "--tables", ",".join(TABLES), "--destination", warehouse.destination]
    args += ["--dataset", warehouse.dataset, "--pipelines-dir", str(pipelines)]
    return Setup(emu, server, server_env(server), warehouse, pipelines, args)


@pytest.mark.parametrize("name", list(POINTS))
def test_a_sync_killed_at_a_dlt_step_boundary_blocks_nothing_and_loses_nothing(
    name: str, tmp_path: Path, served: Callable[[Emulator], EmulatorServer]
) -> None:
    point = POINTS[name]
    rng = random.Random(name)
    run = set_up(21, tmp_path, served)
    emu, env, warehouse, pipelines, args = run.emu, run.env, run.warehouse, run.pipelines, run.args

    # the first sync completes: a killed first sync is no test, since dlt wipes the working dir of a pipeline whose
    # dataset does not exist yet (``sync_destination``), leftovers and all
    complete_run(args, tmp_path, env)
    change_books(emu, rng)
    killed_run(point, args, tmp_path, env)
    check_leftovers(point, pipelines)
    change_books(emu, rng)
    killed_run(point, args, tmp_path, env)  # a run that starts from the leftovers of the first kill
    check_leftovers(point, pipelines)
    change_books(emu, rng)

    complete_run(args, tmp_path, env)
    assert warehouse.duplicates() == {}
    assert warehouse.orphans() == {}
    run.matches_a_clean_sync(tmp_path)
    (company,) = status(pipelines)
    assert company.last_run_ok is True
    assert sorted(company.cursors) == sorted(TABLES)
    # nothing is left pending: every package was loaded (or, when empty, dropped)
    assert packages(pipelines, EXTRACTED) == packages(pipelines, NEW) == packages(pipelines, NORMALIZED) == set()


def test_a_sync_killed_while_it_aborts_after_a_failure_loses_nothing(
    tmp_path: Path, served: Callable[[Emulator], EmulatorServer]
) -> None:
    """A failed run aborts its pending packages: dlt deletes them, then rewinds the local state to before them. A
    kill in between left cursors that had moved past changes no package held any more; the next runs skipped them."""
    rng = random.Random("abort")
    run = set_up(22, tmp_path, served)
    emu, env, warehouse, pipelines, args = run.emu, run.env, run.warehouse, run.pipelines, run.args
    complete_run(args, tmp_path, env)
    change_books(emu, rng)
    # the extract ended (its package holds the changes, the local state the moved cursors), normalize did not
    killed_run(POINTS["normalize-written"], args, tmp_path, env)
    assert packages(pipelines, EXTRACTED)
    # the next run fails (another process holds the DuckDB file) and aborts that package: killed after the delete,
    # before the state is rewound
    rewind = KillPoint("abort", "dlt.pipeline.pipeline:Pipeline._restore_from_snapshot", "before")
    with duckdb.connect(warehouse.destination):
        killed_run(rewind, args, tmp_path, env)
    assert packages(pipelines, EXTRACTED) == set()

    complete_run(args, tmp_path, env)
    run.matches_a_clean_sync(tmp_path)
