"""Netvisor's limits, end to end: detail calls take at most 400 product ids, a paged list is read page by page.

Call counts do not depend on the destination, so these run on DuckDB only.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from netvisor_sync.catalog import CATALOG
from netvisor_sync.emulator import Emulator

from ..warehouse import Warehouse
from .conftest import Syncer, paged_vendors

pytestmark = pytest.mark.slow


def batch_sizes(emu: Emulator, resource: str, param: str) -> list[int]:
    """How many keys each (successful) call of ``resource`` asked for, in call order."""
    return [len(entry.params[param].split(",")) for entry in emu.log.calls(resource, code="OK")]


def test_product_details_are_fetched_400_ids_a_call(duckdb_warehouse: Warehouse, tmp_path: Path) -> None:
    assert CATALOG["products"].detail is not None
    assert CATALOG["products"].detail.batch_limit == 400
    emu = Emulator(profile="partner-test", seed=1)
    sync = Syncer(emu, duckdb_warehouse, tmp_path / "pipelines")
    store = sync.store
    while len(store.products) < 801:  # two full batches and one id
        store.create("product")
    emu.clock.advance(timedelta(days=2))  # so the next run's one-day lookback does not reach the created ones

    assert sync(tables=["products"]).ok
    assert emu.log.counts() == Counter({"productlist": 1, "getproduct": 3})
    assert batch_sizes(emu, "getproduct", "idlist") == [400, 400, 1]
    keys = [key for (key,) in duckdb_warehouse.query("select netvisor_key from {ds}.products order by 1")]
    assert keys == sorted(p.netvisor_key for p in store.products)
    assert duckdb_warehouse.duplicates() == {}

    # 401 changed products: one full batch and one id, and nothing else is fetched again
    emu.clock.advance(timedelta(days=2))
    changed = [p.netvisor_key for p in store.products][:401]
    for key in changed:
        store.edit("product", key, name=f"Tuote {key}")
    emu.log.clear()
    assert sync(tables=["products"]).ok
    assert emu.log.counts() == Counter({"productlist": 1, "getproduct": 2})
    assert batch_sizes(emu, "getproduct", "idlist") == [400, 1]
    names = dict(duckdb_warehouse.query("select netvisor_key, name from {ds}.products"))
    assert len(names) == 801
    assert {key: names[key] for key in changed} == {key: f"Tuote {key}" for key in changed}


@pytest.mark.parametrize(("vendors", "pages"), [(12, 3), (13, 4)], ids=["last-page-full", "last-page-short"])
def test_vendors_are_read_page_by_page_each_once(
    duckdb_warehouse: Warehouse, tmp_path: Path, vendors: int, pages: int
) -> None:
    # getvendor says where the next page is (X-Netvisor-Pagination-Next-Page): a full last page costs no extra call
    emu = paged_vendors(page_size=4)
    sync = Syncer(emu, duckdb_warehouse, tmp_path / "pipelines")
    store = sync.store
    while len(store.vendors) < vendors:
        store.create("vendor")

    assert sync(tables=["vendors"]).ok
    assert emu.log.counts() == Counter({"getvendor": pages})
    assert [entry.params["page"] for entry in emu.log.calls("getvendor")] == [str(n) for n in range(1, pages + 1)]
    assert [entry.rows for entry in emu.log.calls("getvendor")] == [4] * (pages - 1) + [vendors - 4 * (pages - 1)]
    keys = [key for (key,) in duckdb_warehouse.query("select netvisor_key from {ds}.vendors order by 1")]
    assert keys == sorted(v.netvisor_key for v in store.vendors)
    assert len(keys) == vendors
