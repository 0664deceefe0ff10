"""``netvisor-sync emulator serve`` options: refused values exit 2 before anything starts, accepted ones reach the
emulator (in this process through ``serve_forever_cli``, and through the real console script), and the ``export``
lines stay exactly what they were without options."""

from __future__ import annotations

import io
import json
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from netvisor_sync import auth
from netvisor_sync.cli import app
from netvisor_sync.emulator import Emulator
from netvisor_sync.emulator.server import describe, emulator_options, serve_forever_cli

from .test_end_to_end import SCRIPT, base_env

EXPORTED = [
    "BASE_URL",
    "SENDER",
    "CUSTOMER_ID",
    "CUSTOMER_KEY",
    "PARTNER_ID",
    "PARTNER_KEY",
    "ORGANISATION_ID",
    "LANGUAGE",
]
PLAN_TOML = """seed = 3

[[faults]]
kind = "system_maintenance"
nth = 1
resources = ["accountlist"]
code = "SYSTEM_MAINTANANCE"
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--today", "2025-13-01"], "--today '2025-13-01': give a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SS"),
        (["--skew", "-5"], "--skew '-5': seconds cannot be negative"),
        (["--skew", "soon"], "--skew 'soon': give seconds (e.g. 300) or off"),
        (["--overlap", "sometimes"], "--overlap 'sometimes': choose one of reject, allow"),
        (["--quirks", "newest"], "--quirks 'newest': choose one of documented, fixture-era"),
        (["--transaction-ids", "global"], "--transaction-ids 'global': choose one of partner, customer"),
        (["--overlap-code", "no such code"], "overlap_code must be a Netvisor code"),
        (["--faults", "missing.json"], "fault plan missing.json: cannot read it"),
        (["--faults", "plan.yaml"], "fault plan plan.yaml: name it *.json or *.toml"),
        (["--faults", "bad.toml"], "fault plan bad.toml: unknown fault kind 'meteor'"),
    ],
)
def test_unusable_options_exit_2_with_the_option_named(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plan.yaml").write_text("faults: []\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[[faults]]\nkind = 'meteor'\nnth = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["emulator", "serve", *args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Configuration error: The emulator could not start: ")
    assert message in result.stderr
    assert "export" not in result.stdout


def test_option_values_become_emulator_arguments(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text(PLAN_TOML, encoding="utf-8")
    options = emulator_options(
        today="2025-06-10",
        skew="off",
        overlap="Allow",
        overlap_code="service_access_error",
        faults=tmp_path / "plan.toml",
        quirks="fixture-era",
        transaction_ids="customer",
    )
    assert options["today"] == datetime(2025, 6, 10).date()
    assert options["skew_seconds"] is None
    assert options["overlap"] == "allow"
    assert options["overlap_code"] == "SERVICE_ACCESS_ERROR"
    assert options["faults"].faults[0].code == "SYSTEM_MAINTANANCE"
    assert options["quirks"] == "fixture-era"
    assert options["transaction_id_scope"] == "customer"
    assert emulator_options() == {}
    assert emulator_options(skew="45")["skew_seconds"] == 45.0
    assert emulator_options(today="2025-06-10T08:30")["today"] == datetime(2025, 6, 10, 8, 30)
    assert describe(options) == (
        "# clock frozen at 2025-06-10 12:00:00; timestamp skew not checked; overlapping requests allowed; "
        "overlap answered SERVICE_ACCESS_ERROR; fault plan with 1 fault(s), latency 0 ms; quirks fixture-era; "
        "TransactionIds unique per customer"
    )
    assert describe({}) == ""
    emu = Emulator(**options)
    assert emu.clock.now() == datetime(2025, 6, 10, 12)
    assert emu.verifier.policy.skew_seconds is None
    assert emu.verifier.policy.transaction_id_scope == "customer"
    assert (emu.overlap, emu.overlap_code) == ("allow", "SERVICE_ACCESS_ERROR")
    assert emu.quirks.salesinvoicelist_date_element == "Invoicedate"


def parse_exports(text: str) -> dict[str, str]:
    exports = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            (exports[name],) = shlex.split(value)
    return exports


@contextmanager
def serving(**options: Any) -> Iterator[tuple[str, Callable[[], str]]]:
    """``serve_forever_cli`` in a thread: (what it printed once ready, a function giving everything printed)."""
    out, stop = io.StringIO(), threading.Event()
    thread = threading.Thread(target=serve_forever_cli, kwargs={"seed": 5, "out": out, "stop": stop, **options})
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while "LANGUAGE=" not in out.getvalue() and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        yield out.getvalue(), out.getvalue
    finally:
        stop.set()
        thread.join(10)


def signed_get(exports: dict[str, str], path: str, *, now: datetime | None = None) -> httpx.Response:
    credentials = auth.Credentials(
        sender=exports["SOURCES__NETVISOR__SENDER"],
        customer_id=exports["SOURCES__NETVISOR__CUSTOMER_ID"],
        customer_key=exports["SOURCES__NETVISOR__CUSTOMER_KEY"],
        partner_id=exports["SOURCES__NETVISOR__PARTNER_ID"],
        partner_key=exports["SOURCES__NETVISOR__PARTNER_KEY"],
        organisation_id=exports["SOURCES__NETVISOR__ORGANISATION_ID"],
        language=exports["SOURCES__NETVISOR__LANGUAGE"],
    )
    url = exports["SOURCES__NETVISOR__BASE_URL"] + path
    return httpx.get(url, headers=auth.sign(credentials, url, now=now), timeout=30)


def test_export_lines_are_the_same_with_options(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text(PLAN_TOML, encoding="utf-8")
    with serving() as (plain, _):
        pass
    options = emulator_options(today="2025-06-10", quirks="fixture-era", faults=tmp_path / "plan.toml", skew="off")
    with serving(options=options) as (configured, _):
        pass
    plain_lines, configured_lines = plain.splitlines(), configured.splitlines()
    assert configured_lines[1] == describe(options)
    assert [line for line in configured_lines if not line.startswith("#")][1:] == [
        line for line in plain_lines if not line.startswith("#")
    ][1:]  # everything but BASE_URL (another free port)
    assert [line.partition("=")[0] for line in configured_lines[2:]] == [
        f"export SOURCES__NETVISOR__{name}" for name in EXPORTED
    ]
    assert len(plain_lines) == 1 + len(EXPORTED)  # no options, no extra comment


def test_the_console_script_serves_with_every_option(tmp_path: Path) -> None:
    (tmp_path / "plan.toml").write_text(PLAN_TOML, encoding="utf-8")
    args = [
        SCRIPT, "emulator", "serve", "--seed", "5", "--today", "2025-06-10", "--skew", "off",
        "--overlap", "reject", "--overlap-code", "TECHNICAL_ERROR", "--faults", "plan.toml",
        "--quirks", "fixture-era", "--transaction-ids", "customer",
    ]  # fmt: skip
    with subprocess.Popen(
        args, cwd=tmp_path, env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        watchdog = threading.Timer(60, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2 + len(EXPORTED))]
            assert lines[1].startswith("# clock frozen at 2025-06-10 12:00:00; timestamp skew not checked"), lines
            exports = parse_exports("".join(lines))
            assert sorted(exports) == sorted(f"SOURCES__NETVISOR__{name}" for name in EXPORTED)

            maintenance = signed_get(exports, "/accountlist.nv")  # the plan's first fault
            assert b"SYSTEM_MAINTANANCE :: " in maintenance.content
            late = datetime.now(UTC) - timedelta(hours=2)  # skew off: a two-hour-old timestamp is accepted
            listing = etree.fromstring(signed_get(exports, "/salesinvoicelist.nv", now=late).content)
            assert listing.findtext("ResponseStatus/TimeStamp") == "10.6.2025 12:00:00"
            assert listing.find("SalesInvoiceList/SalesInvoice/Invoicedate") is not None  # fixture-era quirks
            base = exports["SOURCES__NETVISOR__BASE_URL"]
            plan = httpx.get(f"{base}/_emulator/faults", timeout=10).json()
            assert plan["faults"] == [
                {"kind": "system_maintenance", "nth": 1, "resources": ["accountlist"], "code": "SYSTEM_MAINTANANCE"}
            ]
            assert json.loads(httpx.get(f"{base}/_emulator/clock", timeout=10).text)["now"] == "2025-06-10T12:00:00"
            process.send_signal(signal.SIGINT)
            assert process.wait(20) == 0
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()


def test_python_dash_m_takes_the_same_options(capsys: pytest.CaptureFixture[str]) -> None:
    from netvisor_sync.emulator.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["--skew", "soon"])
    assert exited.value.code == 2
    assert "the emulator could not start: --skew 'soon': give seconds (e.g. 300) or off" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["--quirks", "newest"])
    assert exited.value.code == 2
