"""Faults: every way the emulator can fail, on a good share of the requests, still gives the exact result, and the
summary counts each retry; a failure that outlasts the retry budget fails the run clearly without moving its cursor.

The retry *waits* are the transport's business (tests/test_transport.py); here every answer carries
``Retry-After: 0`` so a retried run does not sleep through its backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync.emulator import FAULT_KINDS, Emulator, EmulatorServer, Fault, FaultPlan, serve
from netvisor_sync.sync import run_sync, status

from .conftest import Warehouse, assert_same, clean_sync, cli, server_env

pytestmark = pytest.mark.slow


class RetryNow(httpx.BaseTransport):
    """Wraps a transport and adds ``Retry-After: 0`` to every answer, so retries happen at once."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.headers["Retry-After"] = "0"
        return response


class RetryNowApp:
    """The emulator as seen through a proxy that adds ``Retry-After: 0`` (for a served emulator and the CLI)."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emu, name)

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "retry-after"] + [("Retry-After", "0")]
            return start_response(status, headers, exc_info)

        return self._emu.app(environ, start)


#: what the emulator's log calls each fault kind
LOGGED = {kind: kind.upper() for kind in FAULT_KINDS} | {"truncated": "TRUNCATED_BODY", "malformed": "MALFORMED_XML"}
#: a 200 answer whose envelope is fine but whose records are cut or not well-formed further down is only found by
#: the record parser, after the transport returned, and nothing retries it: the table fails (see the report)
PARSER_FOUND = {"malformed_xml", "truncated_body"}


def every_fault(kinds: Iterable[str], seed: int) -> FaultPlan:
    """Each kind at least once early in the run, plus 5 % random HTTP 503s on top."""
    faults = [Fault(kind, nth=2 + 3 * index) for index, kind in enumerate(kinds)]  # type: ignore[arg-type]
    return FaultPlan([*faults, Fault("http_503", rate=0.05)], seed=seed)


def sync_in_process(emu: Emulator, warehouse: Warehouse, pipelines: Path) -> Any:
    return run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        pipelines_dir=pipelines,
        http_transport=RetryNow(httpx.WSGITransport(app=emu.app)),
        clock=emu.clock.now,
    )


@pytest.mark.parametrize(
    "kinds",
    [
        pytest.param(sorted(set(FAULT_KINDS) - PARSER_FOUND), id="all-but-parser-found"),
        pytest.param(sorted(FAULT_KINDS), id="all"),
    ],
)
def test_every_kind_of_failure_is_retried_and_the_result_is_exact(tmp_path: Path, kinds: list[str]) -> None:
    emu = Emulator(profile="partner-test", seed=21, faults=every_fault(kinds, seed=5))
    warehouse = Warehouse(str(tmp_path / "faulty.duckdb"))
    summary = sync_in_process(emu, warehouse, tmp_path / "pipelines")
    assert summary.ok, summary.errors
    failed = emu.log.failures()
    assert {entry.code for entry in failed} == {LOGGED.get(kind, kind.upper()) for kind in kinds}
    assert len(failed) >= 0.05 * len(emu.log)
    assert summary.company(emu.organisation_ids[0]).retries == len(failed) > 0

    oracle = Warehouse(str(tmp_path / "oracle.duckdb"))
    clean_sync(emu, oracle, tmp_path / "oracle-pipelines")
    assert_same(warehouse, oracle)


def test_a_resource_failing_longer_than_the_retry_budget_fails_clearly_and_is_loaded_after(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=22)
    with serve(RetryNowApp(emu)) as server:  # type: ignore[arg-type]
        run_persistent_failure(emu, server, tmp_path)


def run_persistent_failure(emu: Emulator, server: EmulatorServer, tmp: Path) -> None:
    pipelines = tmp / "pipelines"
    warehouse = Warehouse(str(tmp / "nv.duckdb"))
    args = ["sync", "--destination", warehouse.destination, "--pipelines-dir", str(pipelines)]
    env = server_env(server)
    first = cli(args, tmp, env)
    assert first.returncode == 0, first.stdout + first.stderr
    (before,) = status(pipelines)

    store = emu.company().store
    emu.clock.advance(timedelta(minutes=10))
    voucher = next(v for v in store.vouchers if v.status == "valid")
    store.invalidate_voucher(voucher.netvisor_key)
    renamed = next(iter(store.customers))
    store.edit("customer", renamed.netvisor_key, name="Uusi Nimi Oy")
    emu.clock.advance(timedelta(minutes=10))
    emu.faults = FaultPlan([Fault("system_maintenance", rate=1.0, resources={"accountingledger"})])

    failed = cli(args, tmp, env)
    assert failed.returncode == 1
    output = failed.stdout + failed.stderr
    assert "Traceback" not in output
    assert "accountingledger" in output
    assert "SYSTEM_MAINTENANCE" in output or "maintenance" in output.lower()
    attempts = emu.log.calls("accountingledger", code="SYSTEM_MAINTENANCE")
    assert len(attempts) >= 2  # retried, then given up
    (after,) = status(pipelines)
    assert after.cursors["vouchers"] == before.cursors["vouchers"]  # what did not load did not move
    assert warehouse.query("select name from {ds}.customers where netvisor_key = ?", renamed.netvisor_key) == [
        ("Uusi Nimi Oy",)
    ]  # the other tables loaded
    assert warehouse.query("select count(*) from {ds}.vouchers where netvisor_key = ?", voucher.netvisor_key) == [(1,)]

    emu.faults = FaultPlan()
    again = cli(args, tmp, env)
    assert again.returncode == 0, again.stdout + again.stderr
    oracle = Warehouse(str(tmp / "oracle.duckdb"))
    clean_sync(emu, oracle, tmp / "oracle-pipelines", server.url)
    assert_same(warehouse, oracle)
    assert emu.log.write_attempts() == []
