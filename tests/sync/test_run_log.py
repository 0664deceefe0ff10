"""Every run of every company is logged, whatever its outcome, and ``status`` reads the last runs back."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from netvisor_sync import runlog
from netvisor_sync.config import pipeline_name
from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import status

from .conftest import Syncer, Warehouse

TABLES = ["accounts", "payment_terms"]


def test_a_run_that_skipped_a_table_is_incomplete_not_succeeded(sync: Syncer) -> None:
    sync.emu.block(sync.org, "paymenttermlist")
    summary = sync(tables=TABLES)
    assert not summary.ok
    [company] = status(sync.pipelines)
    assert company.last_run_ok is False
    [run] = company.runs
    assert run.outcome == "incomplete"
    assert (run.ok, run.errors) == (False, [])
    [skipped] = run.skipped
    assert (skipped.table, skipped.resource) == ("payment_terms", "paymenttermlist")
    assert skipped.reason.startswith("SERVICE_ACCESS_ERROR")
    assert skipped.fix == "allow paymenttermlist.nv in Netvisor: Company menu → Rights of interface resources"
    assert run.rows == {"accounts": len(sync.store.accounts)}
    assert run.calls == {"accountlist": 1, "paymenttermlist": 0}  # a refused call is not counted as made
    assert run.tables == TABLES
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert company.cursors.keys() == {"accounts"}


def test_a_failed_company_is_logged_beside_the_one_that_succeeded(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=3, companies=2)
    refused, fine = emu.organisation_ids
    emu.revoke(refused)
    assert not Syncer(emu, warehouse, tmp_path / "pipelines")(tables=["accounts"], workers=2).ok
    companies = {c.organisation_id: c for c in status(tmp_path / "pipelines")}
    assert companies.keys() == {refused, fine}
    [failed] = companies[refused].runs
    assert failed.outcome == "failed"
    assert companies[refused].last_run_ok is False
    [error] = failed.errors
    assert "AUTHENTICATION_FAILED" in error
    assert companies[refused].cursors == {}
    assert companies[fine].runs[0].outcome == "succeeded"
    assert companies[fine].last_run_ok is True


def test_several_runs_newest_first_including_a_failed_load(duckdb_sync: Syncer) -> None:
    sync = duckdb_sync  # the failed load is made by a view DuckDB cannot write into
    assert sync(tables=TABLES).ok
    sync.emu.block(sync.org, "paymenttermlist")
    assert not sync(tables=TABLES).ok
    sync.emu.allow(sync.org, "paymenttermlist")
    sync.emu.clock.advance(timedelta(hours=1))
    [before] = status(sync.pipelines)
    with duckdb.connect(sync.warehouse.destination) as con:  # the load cannot write into a view
        con.execute("alter table netvisor_data.accounts rename to accounts_kept")
        con.execute("create view netvisor_data.accounts as select * from netvisor_data.accounts_kept")
    assert not sync(tables=TABLES, reconcile=True).ok

    [company] = status(sync.pipelines)
    assert [run.outcome for run in company.runs] == ["failed", "incomplete", "succeeded"]
    assert company.runs[0].reconcile is True
    assert company.runs[0].errors
    assert company.runs[0].load_id is None
    assert company.runs[2].load_id is not None
    assert company.cursors == before.cursors  # what did not load did not move
    assert [run.outcome for run in status(sync.pipelines, runs=2)[0].runs] == ["failed", "incomplete"]
    [cut] = status(sync.pipelines, runs=0)
    assert cut.runs == []
    assert cut.latest is not None
    assert cut.latest.outcome == "failed"


def test_the_log_outlives_the_pipeline_directory_dlt_may_wipe(sync: Syncer) -> None:
    assert sync(tables=["accounts"]).ok
    shutil.rmtree(sync.pipelines / pipeline_name(sync.org))  # as dlt does when it restores state or drops it
    [company] = status(sync.pipelines)
    assert company.organisation_id == sync.org
    assert [run.outcome for run in company.runs] == ["succeeded"]
    assert company.cursors == {}


def test_a_run_without_an_end_did_not_finish_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    path = runlog.log_path(tmp_path, "netvisor_1234567_8")
    done = runlog.start_run(path, "1234567-8", tables=["accounts"], full_refresh=False, reconcile=False)
    done.ok = True
    runlog.finish_run(path, done)
    runlog.start_run(path, "1234567-8", tables=["accounts"], full_refresh=True, reconcile=False)
    with path.open("a", encoding="utf-8") as file:
        file.write('{"run_id": "cut sho')  # the process was killed while writing
    [company] = status(tmp_path)
    assert [run.outcome for run in company.runs] == ["did not finish", "succeeded"]
    assert company.last_run_ok is None
    assert company.runs[0].full_refresh is True


def test_the_log_keeps_the_latest_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runlog, "KEEP_RUNS", 3)
    path = runlog.log_path(tmp_path, "netvisor_1234567_8")
    for n in range(14):
        record = runlog.start_run(path, "1234567-8", tables=[f"t{n}"], full_refresh=False, reconcile=False)
        record.ok = True
        runlog.finish_run(path, record)
    runs = runlog.read_runs(path)
    assert 3 <= len(runs) <= 6
    assert runs[0].tables == ["t13"]
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2 * len(runs)


def test_a_run_log_that_cannot_be_written_costs_a_warning_not_the_sync(sync: Syncer) -> None:
    runlog.log_path(sync.pipelines, pipeline_name(sync.org)).mkdir(parents=True)  # a directory where the file goes
    summary = sync(tables=["accounts"])
    assert summary.ok, summary.errors
    [warning] = summary.company(sync.org).warnings
    assert "cannot be written" in warning
    assert sync.warehouse.count("accounts") == len(sync.store.accounts)
