"""Secrets: after a full sync with debug logging, neither key nor any MAC the server received appears anywhere the
run leaves traces: stdout, stderr, the log file, dlt's pipeline state and load packages, or the loaded tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from dlt.common.versioned_state import decompress_state

from netvisor_sync.emulator import Emulator, serve

from .conftest import Warehouse, cli, server_env

pytestmark = pytest.mark.slow


class MacRecorder:
    """The emulator behind a proxy that keeps every ``X-Netvisor-Authentication-MAC`` it receives."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu
        self.macs: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emu, name)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        mac = environ.get("HTTP_X_NETVISOR_AUTHENTICATION_MAC")
        if mac:
            self.macs.append(mac)
        return self._emu.app(environ, start_response)


def test_no_key_and_no_mac_leaks_anywhere(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=31)
    recorder = MacRecorder(emu)
    warehouse = Warehouse(str(tmp_path / "nv.duckdb"))
    log_file = tmp_path / "sync.log"
    with serve(recorder) as server:  # type: ignore[arg-type]
        env = {**server_env(server), "RUNTIME__LOG_LEVEL": "DEBUG", "PYTHONUNBUFFERED": "1"}
        settings = server.settings()
        args = ["--debug", "sync", "--destination", warehouse.destination, "--pipelines-dir", str(tmp_path / "p")]
        with log_file.open("w", encoding="utf-8") as log:
            result = cli(args, tmp_path, env)
            log.write(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DEBUG" in result.stdout + result.stderr or "debug" in (result.stdout + result.stderr).lower()
    secrets = {settings["customer_key"], settings["partner_key"], *recorder.macs}
    assert len(recorder.macs) >= 20
    assert all(len(secret) >= 16 for secret in secrets)

    texts = {"stdout": result.stdout, "stderr": result.stderr}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix not in {".duckdb", ".wal"}:
            texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
        if path.is_file() and path.suffix == ".parquet":  # load package files are compressed: read their values
            texts[f"{path} rows"] = repr(pq.read_table(path).to_pylist())
    for table, columns in warehouse.columns().items():
        quoted = ", ".join(f'cast("{c}" as varchar)' for c in columns)
        texts[f"table {table}"] = repr(warehouse.query(f'select {quoted} from {{ds}}."{table}"'))
    for dlt_table in ("_dlt_pipeline_state", "_dlt_loads", "_dlt_version"):
        texts[dlt_table] = repr(warehouse.query(f"select * from {{ds}}.{dlt_table}"))
    (state,) = warehouse.query("select state from {ds}._dlt_pipeline_state order by created_at desc limit 1")
    texts["state (decompressed)"] = repr(decompress_state(state[0]))
    assert any("customers" in name for name in texts)
    assert any(name.endswith(".parquet rows") for name in texts)
    leaks = [(where, secret[:6]) for where, text in texts.items() for secret in secrets if secret in text]
    assert leaks == []
