"""Every missing or malformed setting through ``netvisor-sync sync``: one paragraph naming the setting and where to
set it, exit 2, no traceback, and nothing half-written (no DuckDB file, no pipelines directory).

The checks themselves are unit-tested in tests/cli/test_config.py; this is the same through the command.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netvisor_sync.cli import app

GOOD = {
    "CUSTOMER_ID": "ACME_12345",
    "CUSTOMER_KEY": "CUSTKEY0123456789abcdef",
    "PARTNER_ID": "Acm_Partner",
    "PARTNER_KEY": "PARTKEY9876543210fedcba",
    "ORGANISATION_ID": "1967543-8",
    "BASE_URL": "http://127.0.0.1:9",
}

CASES = [
    # (setting changes, extra CLI args, words the message must contain)
    ({"CUSTOMER_KEY": None}, [], ["customer_key", "secrets.toml"]),
    ({"PARTNER_KEY": None}, [], ["partner_key", "secrets.toml"]),
    ({"CUSTOMER_ID": None}, [], ["customer_id"]),
    ({"ORGANISATION_ID": None}, [], ["organisation_id"]),
    ({"ORGANISATION_ID": "12345678"}, [], ["organisation_id"]),
    ({"ORGANISATION_ID": "1234567-8"}, [], ["organisation_id", "check digit"]),
    ({"BASE_URL": "ftp://integration.netvisor.fi"}, [], ["base_url"]),
    ({"BASE_URL": "http://integration.netvisor.fi"}, [], ["base_url", "https"]),
    ({"START_DATE": "2024-13-01"}, [], ["start_date"]),
    ({}, ["--start-date", "01.01.2024"], ["start"]),
    ({}, ["--tables", "voucher"], ["--tables", "vouchers"]),
    ({}, ["--destination", "nosuchdatabase"], ["destination"]),
]


@pytest.mark.parametrize(("changes", "args", "words"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_a_bad_setting_is_one_clear_paragraph_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], args: list[str], words: list[str]
) -> None:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SOURCES__NETVISOR__")}
    env.update({f"SOURCES__NETVISOR__{name}": value for name, value in {**GOOD, **changes}.items()})
    env.update({"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb", "RUNTIME__DLTHUB_TELEMETRY": "false"})
    pipelines = tmp_path / "pipelines"
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)  # the default destination is ./netvisor.duckdb: it must not appear
    result = CliRunner(env=env).invoke(app, ["sync", "--pipelines-dir", str(pipelines), *args])
    written = sorted(p.name for p in work.iterdir())
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert message.startswith("Configuration error: ")
    assert "\n" not in message.strip(), "one paragraph"
    assert "Traceback" not in result.output
    for word in words:
        assert word in message, (word, message)
    assert GOOD["CUSTOMER_KEY"] not in result.output
    assert GOOD["PARTNER_KEY"] not in result.output
    assert written == []
    assert not pipelines.exists()
