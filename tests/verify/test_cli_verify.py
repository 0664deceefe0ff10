"""``netvisor-sync verify`` through typer's CliRunner against the emulator served on loopback: table and exit codes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from netvisor_sync.cli import app
from netvisor_sync.emulator import EmulatorServer, serve

from .conftest import Loaded

pytestmark = pytest.mark.slow

WIDE = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def served(loaded: Loaded) -> Iterator[EmulatorServer]:
    """The emulator the shared load came from, now on 127.0.0.1 (same books, so the load is complete for it)."""
    with serve(loaded.emu) as server:
        yield server


def env_for(server: EmulatorServer) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SOURCES__NETVISOR__")}
    env.update({f"SOURCES__NETVISOR__{name.upper()}": value for name, value in server.settings().items()})
    env["SOURCES__NETVISOR__ORGANISATION_ID"] = server.emulator.organisation_ids[0]
    return env


def rows_of(output: str) -> dict[tuple[str, str], list[str]]:
    """(check, table) -> the table row's cells, from rich's box drawing."""
    found = {}
    for text in output.splitlines():
        line = text.strip()
        cells = [cell.strip() for cell in line[1:-1].split("│")]
        if line.startswith("│") and len(cells) == 7:
            found[cells[1], cells[2]] = cells
    return found


def test_verify_prints_the_checks_and_exits_0_then_1_on_a_mismatch(loaded: Loaded, served: EmulatorServer) -> None:
    runner = CliRunner(env=WIDE)
    env = env_for(served)
    args = ["verify", "--destination", str(loaded.path), "--tables", "customers,vouchers"]

    clean = runner.invoke(app, args, env=env)
    assert clean.exit_code == 0, clean.output
    assert "Verified duckdb (" in clean.stdout
    rows = rows_of(clean.stdout)
    assert rows["rows", "customers"][1:] == ["rows", "customers", "10", "10", "ok", ""]
    assert rows["balance", "voucher_lines"][5] == "ok"
    assert "Verified: all 4 checks match Netvisor." in clean.stdout

    loaded.execute("DELETE FROM {ds}.customers WHERE netvisor_key = (SELECT max(netvisor_key) FROM {ds}.customers)")
    damaged = runner.invoke(app, args, env=env)
    assert damaged.exit_code == 1, damaged.output
    row = rows_of(damaged.stdout)["rows", "customers"]
    assert row[3:6] == ["10", "9", "MISMATCH"]
    assert row[6].startswith("missing ")
    assert "1 of 4 checks do not match Netvisor." in damaged.stdout


def test_verify_configuration_errors_exit_2(loaded: Loaded, served: EmulatorServer) -> None:
    runner = CliRunner(env=WIDE)
    env = env_for(served)
    missing = str(loaded.path.with_name("typo.duckdb"))
    for args in (
        ["--destination", str(loaded.path), "--tables", "voucher"],
        ["--destination", str(loaded.path), "--end-date", "31.12.2026"],
        ["--destination", str(loaded.path), "--dataset", "netvisor"],
        ["--destination", missing],
    ):
        result = runner.invoke(app, ["verify", *args], env=env)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Configuration error:")
        assert "Traceback" not in result.stderr
