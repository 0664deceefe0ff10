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

from .conftest import failing

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def schema() -> Iterator[tuple[Any, str]]:
    """A fresh dataset name and a connection factory; the schema (and dlt's staging schema) is dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    dataset = f"nv_verify_{uuid.uuid4().hex[:10]}"
    yield psycopg2, dataset
    con = psycopg2.connect(POSTGRES_URL)
    con.autocommit = True
    with con.cursor() as cur:
        for name in (dataset, f"{dataset}_staging"):
            cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    con.close()


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
