"""The real console script in subprocesses against a real loopback emulator: `emulator serve` + `sync`, and `demo`."""

from __future__ import annotations

import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from netvisor_sync.cli import DEMO_QUERY

SCRIPT = shutil.which("netvisor-sync", path=str(Path(sys.executable).parent)) or "netvisor-sync"
TIMEOUT = 60


def base_env() -> dict[str, str]:
    """The current environment without any Netvisor settings, with wide, plain output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__NETVISOR__", "DESTINATION__"))}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "RUNTIME__DLTHUB_TELEMETRY": "false"})
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [SCRIPT, *args]
    return subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


REQUIRED = {f"SOURCES__NETVISOR__{name}" for name in ("BASE_URL", "CUSTOMER_ID", "CUSTOMER_KEY", "ORGANISATION_ID")}


def read_exports(process: subprocess.Popen[str]) -> dict[str, str]:
    """Parse the server's ``export NAME=value`` lines (shell-quoted values), all printed at once after it binds."""
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True).start()
    exports: dict[str, str] = {}
    deadline = time.monotonic() + TIMEOUT
    while True:
        wait = 0.5 if exports.keys() >= REQUIRED else deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(wait, 0.0))
        except queue.Empty:
            assert exports.keys() >= REQUIRED, f"the emulator printed only {sorted(exports)} in {TIMEOUT} s"
            return exports
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = shlex.split(value)[0]


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[dict[str, str]]:
    with (
        (tmp_path / "emulator.log").open("w", encoding="utf-8") as log,
        subprocess.Popen(
            [SCRIPT, "emulator", "serve", "--port", "0", "--seed", "3"],
            cwd=tmp_path,
            env=base_env(),
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        ) as process,
    ):
        try:
            exports = read_exports(process)
            yield exports
            assert_read_only(exports["SOURCES__NETVISOR__BASE_URL"])
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                assert process.wait(timeout=10) == 0
            finally:
                process.kill()


def assert_read_only(base_url: str) -> None:
    """The served emulator saw only GETs of read resources (the suite-wide check cannot see other processes)."""
    entries = httpx.get(f"{base_url}/_emulator/log/entries", timeout=10).json()
    assert entries, "the emulator served nothing"
    assert [e for e in entries if e["refused"] or e["method"] != "GET"] == []


def duckdb_tables(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'netvisor_data'"
        )
        return {name for (name,) in rows.fetchall()}


@pytest.mark.slow
def test_sync_against_a_served_emulator(tmp_path: Path, emulator_process: dict[str, str]) -> None:
    assert emulator_process["SOURCES__NETVISOR__BASE_URL"].startswith("http://127.0.0.1:")
    env = {**base_env(), **emulator_process}
    pipelines = tmp_path / "pipelines"

    first = run(["sync", "--pipelines-dir", str(pipelines)], tmp_path, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Synced into duckdb (netvisor.duckdb), dataset netvisor_data" in first.stdout
    assert "Sync complete." in first.stdout
    assert "Netvisor API calls (0 retried)" in first.stdout
    organisation_id = emulator_process["SOURCES__NETVISOR__ORGANISATION_ID"]
    assert any(line.split()[1:4] == [organisation_id, "│", "vouchers"] for line in first.stdout.splitlines())
    assert {"vouchers", "voucher_lines", "accounts", "sales_invoices", "customers"} <= duckdb_tables(
        tmp_path / "netvisor.duckdb"
    )

    state = run(["status", "--pipelines-dir", str(pipelines)], tmp_path, env)
    assert state.returncode == 0, state.stdout + state.stderr
    assert f"Company {organisation_id}" in state.stdout
    assert "succeeded" in state.stdout
    assert "vouchers" in state.stdout


@pytest.mark.slow
def test_config_errors_print_one_message_without_a_traceback(tmp_path: Path) -> None:
    settings = {"CUSTOMER_ID": "C", "CUSTOMER_KEY": "K" * 16, "PARTNER_ID": "P", "PARTNER_KEY": "Q" * 16}
    env = {**base_env(), **{f"SOURCES__NETVISOR__{name}": value for name, value in settings.items()}}
    env["SOURCES__NETVISOR__ORGANISATION_ID"] = "1234567-8"
    result = run(["sync", "--pipelines-dir", str(tmp_path / "pipelines")], tmp_path, env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Configuration error: organisation_id '1234567-8' is not a valid business ID: its check digit does not match."
    )
    assert "Traceback" not in result.stderr
    assert "K" * 16 not in result.stderr


@pytest.mark.slow
def test_demo_needs_no_configuration_and_ignores_the_users(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.netvisor]\nbase_url = "https://netvisor.invalid"\n', encoding="utf-8"
    )
    env = {**base_env(), "SOURCES__NETVISOR__BASE_URL": "https://netvisor.invalid"}
    result = run(["demo"], tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Netvisor emulator (partner-test, seed 1) running at http://127.0.0.1:" in result.stdout
    assert "Emulator stopped." in result.stdout
    assert "Sync complete." in result.stdout
    assert "Trial balance from the loaded ledger" in result.stdout
    assert "SELECT a.account_number AS account" in result.stdout
    database = tmp_path / "netvisor_demo.duckdb"
    assert {"vouchers", "voucher_lines", "accounts"} <= duckdb_tables(database)
    after_query = result.stdout.split("Trial balance from the loaded ledger", 1)[1].splitlines()
    cells = [[cell.strip() for cell in line.strip("│").split("│")] for line in after_query if line.startswith("│")]
    printed = [row for row in cells if len(row) == 4]  # the trial balance's body rows
    with duckdb.connect(str(database), read_only=True) as connection:
        sql = DEMO_QUERY.format(dataset="netvisor_data")
        expected = [[str(value) for value in row] for row in connection.execute(sql).fetchall()]
    assert len(expected) == 12
    assert printed == expected
    assert "│  0.00 │" in result.stdout  # debits minus credits: the ledger balances
    assert not (tmp_path / "netvisor.duckdb").exists()
