"""Fixtures for verify tests: one partner-test load shared by the session, copied per test so each may damage it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import run_sync
from netvisor_sync.verify import VerifyReport, verify

DATASET = "netvisor_data"


@dataclass
class Loaded:
    """A DuckDB file the sync loaded from ``emu``, SQL over it, and :func:`verify` against the same emulator."""

    emu: Emulator
    path: Path

    @property
    def org(self) -> str:
        return self.emu.organisation_ids[0]

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.path)) as con:
            return con.execute(sql.replace("{ds}", DATASET)).fetchall()

    def sync(self, pipelines: Path, **options: Any) -> None:
        summary = run_sync(
            [self.emu.credentials()],
            base_url="http://testserver",
            destination=str(self.path),
            dataset_name=DATASET,
            pipelines_dir=pipelines,
            http_transport=httpx.WSGITransport(app=self.emu.app),
            clock=self.emu.clock.now,
            **options,
        )
        assert summary.ok, (summary.errors, summary.skipped)

    def verify(self, **options: Any) -> VerifyReport:
        return verify(
            [self.emu.credentials()],
            destination=str(self.path),
            dataset_name=DATASET,
            base_url="http://testserver",
            http_transport=httpx.WSGITransport(app=self.emu.app),
            clock=self.emu.clock.now,
            **options,
        )


@pytest.fixture(scope="session")
def shared_load(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """partner-test (seed 1) loaded once per session; tests get copies (:func:`loaded`), never this file."""
    base = tmp_path_factory.mktemp("verify-base")
    loaded = Loaded(Emulator(profile="partner-test", seed=1), base / "netvisor.duckdb")
    loaded.sync(base / "pipelines")
    return loaded


@pytest.fixture
def loaded(shared_load: Loaded, tmp_path: Path) -> Loaded:
    path = tmp_path / "netvisor.duckdb"
    shutil.copyfile(shared_load.path, path)
    return Loaded(shared_load.emu, path)


def failing(report: VerifyReport) -> set[tuple[str, str]]:
    """(check, table) of every mismatch."""
    return {(check.check, check.table) for check in report.mismatched}
