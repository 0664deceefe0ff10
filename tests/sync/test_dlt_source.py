"""``netvisor_source`` in a user's own dlt pipeline, configured the dlt way (environment / TOML)."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.errors import ConfigError
from netvisor_sync.options import make_options, parse_lookback
from netvisor_sync.source import netvisor_source


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, partner_emulator: Emulator) -> Emulator:
    """``[sources.netvisor]`` from environment variables, as a deployment would set them."""
    for name, value in partner_emulator.settings().items():
        monkeypatch.setenv(f"SOURCES__NETVISOR__{name.upper()}", value)
    return partner_emulator


def test_netvisor_source_runs_in_any_dlt_pipeline(configured: Emulator, tmp_path: Path) -> None:
    source = netvisor_source(tables=["accounts", "vouchers"], http_transport=httpx.WSGITransport(app=configured.app))
    assert source.name == "netvisor"
    assert set(source.resources) == {"accounts", "vouchers"}
    pipeline = dlt.pipeline(
        "own_pipeline",
        destination=dlt.destinations.duckdb(str(tmp_path / "own.duckdb")),
        dataset_name="books",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run(source, loader_file_format="parquet")
    store = configured.companies[configured.organisation_ids[0]].store
    with duckdb.connect(str(tmp_path / "own.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from books.accounts").fetchall() == [(len(store.accounts),)]
        org = con.sql("select distinct organisation_id from books.vouchers").fetchall()
    assert org == [(configured.organisation_ids[0],)]


def test_unknown_tables_are_a_config_error(configured: Emulator) -> None:
    with pytest.raises(ConfigError, match="valid tables"):
        netvisor_source(tables=["ledger"])


@pytest.mark.parametrize(
    ("exclude", "message"),
    [(["netvisor_key"], "key column"), (["voucher_lines.voucher_key"], "key column"), (["nope.x"], "does not load")],
)
def test_key_columns_cannot_be_excluded(exclude: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_options(exclude_columns=exclude)


def test_lookback_reads_hours_and_durations() -> None:
    assert parse_lookback(None).total_seconds() == 86400
    assert parse_lookback("36h").total_seconds() == 36 * 3600
    assert parse_lookback(2).total_seconds() == 7200
    with pytest.raises(ConfigError, match="lookback"):
        parse_lookback("soon")
