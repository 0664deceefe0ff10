"""Memory of a sync's load step: freed memory goes back to the OS first, then DuckDB loads with a buffer pool sized to
the load and one thread, unless the user's own dlt config says otherwise.

The settings are checked where they take effect: on the connection dlt opens for the destination, not on a dict.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dlt
import pytest

from netvisor_sync.sync import _malloc_trim, duckdb_load_settings, resolve_destination

from .conftest import Syncer

USER_CONFIG = "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"


def settings_in_effect(destination: object, tmp_path: Path) -> dict[str, str]:
    pipeline = dlt.pipeline(
        pipeline_name="settings", destination=destination, dataset_name="d", pipelines_dir=str(tmp_path / "p")
    )
    names = ("memory_limit", "threads", "preserve_insertion_order", "arrow_large_buffer_size")
    with pipeline.sql_client() as client:
        rows = client.execute_sql(f"select {', '.join(f'current_setting({n!r})' for n in names)}")
    assert rows is not None
    return dict(zip(names, map(str, rows[0]), strict=True))


def test_a_sync_loads_duckdb_with_a_bounded_buffer_pool_and_one_thread(tmp_path: Path) -> None:
    destination, _ = resolve_destination(str(tmp_path / "w.duckdb"), load_rows=1000)

    settings = settings_in_effect(destination, tmp_path)

    assert settings["memory_limit"] == "122.0 MiB"  # the floor, 128MB, in DuckDB's MiB
    assert settings["threads"] == "1"
    assert settings["preserve_insertion_order"] == "False"


@pytest.mark.parametrize(
    ("rows", "limit"), [(0, "128MB"), (1_000_000, "128MB"), (2_000_000, "192MB"), (10**7, "704MB")]
)
def test_the_memory_limit_grows_with_the_largest_table_of_a_load(rows: int, limit: str) -> None:
    # part of a merge cannot spill and grows with its rows: a fixed limit would fail big first syncs
    assert duckdb_load_settings(rows)["memory_limit"] == limit


def test_without_load_duckdb_keeps_its_own_defaults(tmp_path: Path) -> None:
    destination, _ = resolve_destination(str(tmp_path / "w.duckdb"))

    settings = settings_in_effect(destination, tmp_path)

    assert settings["memory_limit"] != "122.0 MiB"
    assert settings["preserve_insertion_order"] == "True"


def test_the_users_own_duckdb_settings_win_key_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_CONFIG, '{"Memory_Limit": "1GB", "arrow_large_buffer_size": true}')
    destination, _ = resolve_destination(str(tmp_path / "w.duckdb"), load_rows=0)

    settings = settings_in_effect(destination, tmp_path)

    assert settings["memory_limit"] == "953.6 MiB"  # the user's 1GB, under the spelling they chose
    assert settings["threads"] == "1"  # not set by the user: the sync's default
    assert settings["arrow_large_buffer_size"] == "True"  # a setting the sync does not know passes through


def test_an_alias_counts_as_the_setting_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER_CONFIG, '{"max_memory": "2GB", "worker_threads": 2}')

    settings = duckdb_load_settings()

    assert settings == {"max_memory": "2GB", "worker_threads": 2, "preserve_insertion_order": False}


def test_run_sync_loads_with_the_users_memory_limit(duckdb_sync: Syncer, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = duckdb_sync
    # a limit no load fits in: if the sync used anything but the user's setting, it would succeed
    monkeypatch.setenv(USER_CONFIG, '{"memory_limit": "1MB"}')

    summary = sync(tables=["accounts"], workers=1)

    assert not summary.ok
    assert any("Out of Memory" in error for error in summary.errors), summary.errors
    monkeypatch.delenv(USER_CONFIG)
    assert sync(tables=["accounts"], workers=1).ok  # the same sync with the sync's own settings


#: run in a fresh interpreter: in a process that ran other tests first, freed pages often land in heaps that were
#: already there, and RSS says little about what release_memory() gave back
_RELEASE_PROBE = """
import pyarrow
from netvisor_sync.sync import release_memory

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

release_memory()
before = rss_mb()
arrays = [pyarrow.array([f"row {i}" for i in range(100_000)]) for _ in range(20)]  # Arrow and Python heap
grown = rss_mb() - before
del arrays
release_memory()
print(grown, rss_mb() - before)
"""


@pytest.mark.skipif(_malloc_trim() is None, reason="no malloc_trim in this C library")
def test_memory_freed_before_the_load_goes_back_to_the_os() -> None:
    probe = subprocess.run([sys.executable, "-c", _RELEASE_PROBE], capture_output=True, text=True, check=True)
    grown, kept = map(float, probe.stdout.split())
    assert grown > 50
    assert kept < grown / 2
