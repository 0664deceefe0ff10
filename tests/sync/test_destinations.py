"""Destinations that cannot merge are refused before any call; the ones that merge pass the check."""

from __future__ import annotations

from pathlib import Path

import dlt
import httpx
import pytest
from typer.testing import CliRunner

from netvisor_sync.cli import app
from netvisor_sync.emulator import Emulator, serve
from netvisor_sync.errors import ConfigError
from netvisor_sync.sync import check_merges, resolve_destination, run_sync

REFUSED = (
    "cannot merge rows the way netvisor-sync needs (dlt offers only upsert, insert-only, cdc there, not delete-insert)"
)


@pytest.mark.parametrize(
    "destination",
    ["filesystem", dlt.destinations.filesystem(bucket_url="file:///tmp/netvisor-never-written")],
    ids=["name", "factory"],
)
def test_a_destination_that_cannot_merge_is_refused_before_any_call(tmp_path: Path, destination: object) -> None:
    emu = Emulator(profile="partner-test", seed=8)
    with pytest.raises(ConfigError) as raised:
        run_sync(
            [emu.credentials()],
            base_url="http://testserver",
            destination=destination,
            tables=["accounts"],
            pipelines_dir=tmp_path / "pipelines",
            http_transport=httpx.WSGITransport(app=emu.app),
            clock=emu.clock.now,
        )
    message = str(raised.value)
    assert message.startswith("--destination filesystem " + REFUSED)
    assert "Use duckdb (the default, a local file), postgres, or another SQL destination" in message
    assert emu.log.entries() == []
    assert not (tmp_path / "pipelines").exists()


def test_the_cli_refuses_it_with_exit_2_and_calls_nothing(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=8)
    with serve(emu) as server:
        env = {f"SOURCES__NETVISOR__{name.upper()}": value for name, value in server.settings().items()}
        env["SOURCES__NETVISOR__ORGANISATION_ID"] = emu.organisation_ids[0]
        args = ["sync", "--destination", "filesystem", "--full-refresh", "--pipelines-dir", str(tmp_path / "p")]
        result = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"}).invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Configuration error: --destination filesystem " + REFUSED)
    assert "Binder Error" not in result.output
    assert emu.log.entries() == []


@pytest.mark.parametrize("destination", ["duckdb", "x.duckdb", "postgresql://postgres@127.0.0.1:5432/test", "bigquery"])
def test_destinations_that_merge_pass(destination: str) -> None:
    check_merges(*resolve_destination(destination))


def test_an_unknown_destination_object_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="is not a dlt destination this installation can load into"):
        check_merges("nosuchdestination", "nosuchdestination")
