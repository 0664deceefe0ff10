"""Companies in worker processes (``netvisor_sync.parallel``): the same load as threads, with progress, logs and
failures coming back, one writer at a time, and the caller's settings as they are when the run starts.

The emulator is served on loopback: a worker process cannot reach an in-process transport.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync import sync as sync_module
from netvisor_sync.emulator import Emulator, EmulatorServer, FaultPlan, serve
from netvisor_sync.parallel import _result
from netvisor_sync.report import ProgressEvent
from netvisor_sync.sync import SyncSummary, run_sync

from ..warehouse import Warehouse

pytestmark = pytest.mark.slow

TABLES = ["customers", "sales_invoices", "vouchers", "accounts"]


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    with serve(Emulator(profile="partner-test", seed=3, companies=3)) as server:
        yield server


def _run(server: EmulatorServer, warehouse: Warehouse, tmp_path: Path, **options: Any) -> SyncSummary:
    emu = server.emulator
    companies = options.pop("companies", [emu.credentials(org) for org in emu.organisation_ids])
    return run_sync(
        companies,
        base_url=server.url,
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        pipelines_dir=tmp_path / options.pop("pipelines", "pipelines"),
        tables=TABLES,
        **options,
    )


def _counts(warehouse: Warehouse) -> dict[tuple[str, str], int]:
    counts = {}
    for table in ("customers", "sales_invoices", "sales_invoice_lines", "vouchers", "voucher_lines", "accounts"):
        for org, n in warehouse.query(f"select organisation_id, count(*) from {{ds}}.{table} group by 1"):
            counts[(table, org)] = n
    return counts


def test_companies_in_processes_load_what_threads_load(
    served: EmulatorServer, duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    events: list[ProgressEvent] = []
    in_processes = _run(served, duckdb_warehouse, tmp_path, workers=3, processes=True, progress=events.append)
    threads = Warehouse(str(tmp_path / "threads.duckdb"), "netvisor_data", "duckdb")
    in_threads = _run(served, threads, tmp_path, workers=3, processes=False, pipelines="threads")

    assert in_processes.ok, in_processes.errors
    assert in_threads.ok, in_threads.errors
    orgs = served.emulator.organisation_ids
    assert [c.organisation_id for c in in_processes.companies] == orgs  # in the order given
    assert [c.rows for c in in_processes.companies] == [c.rows for c in in_threads.companies]
    assert [c.calls for c in in_processes.companies] == [c.calls for c in in_threads.companies]
    assert _counts(duckdb_warehouse) == _counts(threads)
    assert {org for _, org in _counts(duckdb_warehouse)} == set(orgs)
    # every company's progress came back to this process, from its start to its end
    for org in orgs:
        kinds = [e.kind for e in events if e.organisation_id == org]
        assert kinds[0] == "company_started"
        assert kinds[-1] == "company_done"
        assert {"page", "table_done", "loading"} <= set(kinds)


def test_worker_logs_reach_the_callers_loggers(
    served: EmulatorServer, duckdb_warehouse: Warehouse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    served.emulator.faults = FaultPlan.from_dict({"faults": [{"kind": "technical_error", "nth": 2}]})
    with caplog.at_level(logging.WARNING, logger="netvisor_sync"):
        summary = _run(served, duckdb_warehouse, tmp_path, workers=2, processes=True)
    assert summary.ok, summary.errors
    assert summary.companies[0].retries + summary.companies[1].retries + summary.companies[2].retries == 1
    retries = [r for r in caplog.records if r.name == "netvisor_sync.transport" and "TECHNICAL_ERROR" in r.getMessage()]
    assert retries, [r.getMessage() for r in caplog.records]
    assert all(record.process != os.getpid() for record in retries)  # logged in a worker, handled here


def test_a_failing_company_fails_alone(served: EmulatorServer, duckdb_warehouse: Warehouse, tmp_path: Path) -> None:
    emu = served.emulator
    first, second, third = (emu.credentials(org) for org in emu.organisation_ids)
    wrong = dataclasses.replace(second, customer_key="not-the-key")

    summary = _run(served, duckdb_warehouse, tmp_path, workers=2, processes=True, companies=[first, wrong, third])

    assert [c.ok for c in summary.companies] == [True, False, True]
    assert any("AUTHENTICATION_FAILED" in error for error in summary.companies[1].errors)
    loaded = {org for _, org in _counts(duckdb_warehouse)}
    assert loaded == {first.organisation_id, third.organisation_id}


def test_workers_take_the_callers_settings_as_they_are_when_the_run_starts(
    served: EmulatorServer, duckdb_warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(served, duckdb_warehouse, tmp_path, workers=2, processes=True).ok  # the fork server is running now
    # a DuckDB memory limit no load fits in, set after the fork server started: the workers must still see it
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG", '{"memory_limit": "1MB"}')
    fresh = Warehouse(str(tmp_path / "fresh.duckdb"), "netvisor_data", "duckdb")

    summary = _run(served, fresh, tmp_path, workers=2, processes=True, pipelines="fresh")

    assert not any(company.ok for company in summary.companies)
    assert all("Out of Memory" in " ".join(company.errors) for company in summary.companies)


@pytest.mark.postgres
def test_companies_in_processes_load_into_postgres(
    served: EmulatorServer, postgres_warehouse: Warehouse, tmp_path: Path
) -> None:
    summary = _run(served, postgres_warehouse, tmp_path, workers=3, processes=True)
    assert summary.ok, summary.errors
    counts = _counts(postgres_warehouse)
    for company in summary.companies:
        assert counts[("vouchers", company.organisation_id)] == company.rows["vouchers"]


def test_a_worker_that_died_fails_its_company_only() -> None:
    died: Future[Any] = Future()
    died.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly"))
    emu = Emulator(profile="partner-test", seed=3)
    summary = _result(died, emu.credentials(emu.organisation_ids[0]))
    assert not summary.ok
    assert summary.errors == [f"{summary.organisation_id}: the worker process failed: {died.exception()!r}"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, True),
        ({"workers": 1}, False),
        ({"http_transport": object()}, False),
        ({"clock": lambda: None}, False),
        ({"processes": False}, False),
    ],
    ids=["default", "one-worker", "transport", "clock", "asked-for-threads"],
)
def test_processes_are_the_default_for_many_companies_unless_something_lives_in_this_process(
    options: dict[str, Any], expected: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[bool] = []

    def processes(job: Any, companies: Any, workers: int, progress: Any) -> list[Any]:
        chosen.append(True)
        return []

    def threads(job: Any, credentials: Any, **_: Any) -> Any:
        chosen.append(False)
        return sync_module.CompanySummary(credentials.organisation_id, "p")

    monkeypatch.setattr(sync_module, "run_in_processes", processes)
    monkeypatch.setattr(sync_module, "run_company", threads)
    emu = Emulator(profile="partner-test", seed=3, companies=2)
    run_sync(
        [emu.credentials(org) for org in emu.organisation_ids],
        base_url="http://testserver",
        destination=str(tmp_path / "x.duckdb"),
        pipelines_dir=tmp_path / "p",
        **{"workers": 2, **options},
    )
    assert set(chosen) == {expected}
