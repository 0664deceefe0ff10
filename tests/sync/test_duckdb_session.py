"""A DuckDB file stays open for a whole load step: dlt's jobs reuse the open database instead of reopening the file
and checkpointing it once per job (``sync.held_open``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from netvisor_sync.sync import held_open

from .conftest import Syncer

USER_CONFIG = "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"


def _memory_limit(path: Path) -> str:
    with duckdb.connect(str(path)) as connection:
        row = connection.execute("select current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


def test_the_database_stays_open_between_the_steps_connections(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with held_open(str(path)):
        with duckdb.connect(str(path)) as first:
            first.execute("SET GLOBAL memory_limit = '100MB'")
        # a global setting lives as long as the database: a second connection sees it only if the first close
        # did not close the database
        assert _memory_limit(path) == "95.3 MiB"
    assert _memory_limit(path) != "95.3 MiB"  # closed at the end: the next connection opens it afresh


def test_the_file_is_free_for_other_processes_after_the_step(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with held_open(str(path)), duckdb.connect(str(path)) as connection:
        connection.execute("create table t as select 42 as answer")
    probe = "import duckdb, sys; print(duckdb.connect(sys.argv[1]).execute('select answer from t').fetchone()[0])"
    shown = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "42"  # written and checkpointed: another process reads it


def test_other_destinations_are_left_alone(tmp_path: Path) -> None:
    with held_open("postgresql://postgres@127.0.0.1:5432/test"):
        pass
    assert not list(tmp_path.iterdir())


def test_a_sync_works_with_a_setting_duckdb_fixes_when_it_opens_the_file(
    duckdb_sync: Syncer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dlt passes custom_user_agent to duckdb.connect; a database held open without it would refuse dlt's connection
    monkeypatch.setenv(USER_CONFIG, '{"custom_user_agent": "netvisor-sync-test"}')
    summary = duckdb_sync(tables=["accounts", "vouchers"], workers=1)
    assert summary.ok, summary.errors
    assert duckdb_sync.warehouse.count("accounts") > 0
