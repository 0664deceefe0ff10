"""verify() on Postgres: a clean partner-test load passes, a deleted row is caught (one schema per test, dropped)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import run_sync
from netvisor_sync.verify import verify

from ..warehouse import POSTGRES_URL, drop_schemas, postgres
from .conftest import failing

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def schema() -> Iterator[tuple[Any, str]]:
    """A fresh dataset name and a connection factory; the schema (and dlt's staging schema) is dropped afterwards."""
    psycopg2 = postgres()
    dataset = f"nv_verify_{uuid.uuid4().hex[:10]}"
    yield psycopg2, dataset
    drop_schemas(dataset)


def test_verify_on_postgres(schema: tuple[Any, str], tmp_path: Path) -> None:
    psycopg2, dataset = schema
    emu = Emulator(profile="partner-test", seed=1)
    where: dict[str, Any] = {
        "base_url": "http://testserver",
        "destination": POSTGRES_URL,
        "dataset_name": dataset,
        "http_transport": httpx.WSGITransport(app=emu.app),
        "clock": emu.clock.now,
    }
    summary = run_sync([emu.credentials()], pipelines_dir=tmp_path / "pipelines", **where)
    assert summary.ok, summary.errors
    clean = verify([emu.credentials()], **where)
    assert clean.ok, clean.mismatched
    assert clean.destination.startswith("postgres (")
    assert clean.check(emu.organisation_ids[0], "balance", "voucher_lines").loaded > 100

    con = psycopg2.connect(POSTGRES_URL)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(
            f'DELETE FROM "{dataset}".vendors WHERE netvisor_key = (SELECT min(netvisor_key) FROM "{dataset}".vendors)'
        )
    con.close()
    assert failing(verify([emu.credentials()], tables=["vendors", "vouchers"], **where)) == {("rows", "vendors")}
