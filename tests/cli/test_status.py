"""``netvisor-sync status``: the last runs of each company (incomplete ones too) and every table's cursor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvisor_sync.cli import app
from netvisor_sync.emulator import Emulator, EmulatorServer, serve

from .test_cli import emulator_env

WIDE = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def books() -> Iterator[EmulatorServer]:
    with serve(Emulator(profile="partner-test", seed=5)) as server:
        yield server


def lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines()]


def test_status_shows_the_last_runs_and_that_a_skipped_table_made_one_incomplete(
    books: EmulatorServer, tmp_path: Path
) -> None:
    runner = CliRunner(env=WIDE)
    org = books.emulator.organisation_ids[0]
    pipelines = ["--pipelines-dir", str(tmp_path / "pipelines")]
    sync = ["sync", "--tables", "accounts,payment_terms", "--destination", str(tmp_path / "nv.duckdb"), *pipelines]
    assert runner.invoke(app, sync, env=emulator_env(books)).exit_code == 0
    books.emulator.block(org, "paymenttermlist")
    assert runner.invoke(app, [*sync, "--reconcile"], env=emulator_env(books)).exit_code == 1

    result = runner.invoke(app, ["status", *pipelines], env=emulator_env(books))
    assert result.exit_code == 0, result.output
    shown = lines(result.stdout)
    assert shown[0].startswith(f"Company {org} (pipeline netvisor_{org.replace('-', '_')}): last run ")
    assert shown[0].endswith(" UTC, incomplete")
    assert shown[1] == "last 2 runs"
    accounts = len(books.emulator.company(org).store.accounts)
    terms = len(books.emulator.company(org).store.payment_terms)
    runs = [line for line in shown if line.startswith("│ 20")]
    assert len(runs) == 2
    newest, oldest = runs
    assert "│ incomplete │" in newest
    assert f"│ {accounts} │ 1 │ accounts, payment_terms + reconcile │ skipped payment_terms: allow" in newest
    assert "paymenttermlist.nv in Netvisor: Company menu → Rights of interface resources │" in newest
    assert f"│ succeeded │ {accounts + terms} │ 2 │ accounts, payment_terms │ │" in oldest
    assert any(line.startswith("│ accounts │ 20") for line in shown)
    assert any(line.startswith("│ payment_terms │ 20") for line in shown)  # the first run's cursor stays

    one = lines(runner.invoke(app, ["status", *pipelines, "--runs", "1"], env=emulator_env(books)).stdout)
    assert one[1] == "last 1 run"
    assert len([line for line in one if line.startswith("│ 20")]) == 1
    none = lines(runner.invoke(app, ["status", *pipelines, "--runs", "0"], env=emulator_env(books)).stdout)
    assert none[0].endswith(" UTC, incomplete")
    assert "last" not in none[1]


def test_status_help_names_the_runs_option() -> None:
    result = CliRunner(env=WIDE).invoke(app, ["status", "--help"])
    assert result.exit_code == 0
    assert "--runs" in result.stdout
    assert "How many of each company's latest runs to show." in " ".join(result.stdout.split())
