"""Ctrl-C stops a sync promptly, in threads (one company) and in worker processes (several), whether the signal
reaches the whole process group (a terminal) or only the command; no cursor moves, and the next run loads it all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from netvisor_sync.emulator import Emulator, EmulatorServer, FaultPlan, serve

from .test_end_to_end import SCRIPT, base_env

pytestmark = pytest.mark.slow

#: a call this slow makes a whole sync of one partner-test company take about 10 s
LATENCY_MS = 400


@pytest.fixture
def slow_server() -> Iterator[EmulatorServer]:
    emu = Emulator(profile="partner-test", seed=4, companies=2)
    emu.faults = FaultPlan.from_dict({"latency_ms": LATENCY_MS})
    with serve(emu) as server:
        yield server


def _env(server: EmulatorServer, organisations: list[str]) -> dict[str, str]:
    env = base_env()
    settings = server.settings(organisations[0])
    for name in ("customer_id", "customer_key", "partner_id", "partner_key", "sender", "language"):
        env[f"SOURCES__NETVISOR__{name.upper()}"] = settings[name]
    env["SOURCES__NETVISOR__BASE_URL"] = server.url
    env["SOURCES__NETVISOR__ORGANISATION_ID"] = ",".join(organisations)
    return env


def _sync(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [SCRIPT, "sync", "--destination", str(tmp_path / "nv.duckdb"), "--pipelines-dir", str(tmp_path / "p")]
    return subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _calls(server: EmulatorServer) -> int:
    return len(server.emulator.log.entries())


@pytest.mark.parametrize(
    ("companies", "to_group"),
    [(1, True), (2, True), (2, False)],
    ids=["threads", "processes-terminal", "processes-command-only"],
)
def test_ctrl_c_stops_the_sync_and_the_next_run_loads_everything(
    slow_server: EmulatorServer, tmp_path: Path, companies: int, to_group: bool
) -> None:
    organisations = slow_server.emulator.organisation_ids[:companies]
    env = _env(slow_server, organisations)
    process = _sync(tmp_path, env)
    deadline = time.monotonic() + 60
    while _calls(slow_server) < 3 * companies and time.monotonic() < deadline:  # every company under way
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    interrupted_at = time.monotonic()
    if to_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    stopped_after = time.monotonic() - interrupted_at

    assert process.returncode == 130, stderr
    assert "Interrupted." in stderr
    assert stopped_after < 8, stderr  # a full sync would take another ~10 s per company
    calls = _calls(slow_server)
    time.sleep(2 * LATENCY_MS / 1000)
    assert _calls(slow_server) == calls  # nothing of the sync goes on calling Netvisor
    assert calls < 18 * companies  # a whole sync makes 22 calls per company
    assert not (tmp_path / "nv.duckdb").exists() or _voucher_count(tmp_path) == 0

    slow_server.emulator.faults = FaultPlan()
    again = subprocess.run(
        [SCRIPT, "sync", "--destination", str(tmp_path / "nv.duckdb"), "--pipelines-dir", str(tmp_path / "p")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    stores = [slow_server.emulator.companies[org].store for org in organisations]
    assert _voucher_count(tmp_path) == sum(1 for store in stores for v in store.vouchers if v.status == "valid")


def _voucher_count(tmp_path: Path) -> int:
    with duckdb.connect(str(tmp_path / "nv.duckdb"), read_only=True) as connection:
        tables = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'netvisor_data' and table_name = 'vouchers'"
        ).fetchone()
        if not tables or not tables[0]:
            return 0
        row = connection.execute("select count(*) from netvisor_data.vouchers").fetchone()
    return int(row[0]) if row else 0
