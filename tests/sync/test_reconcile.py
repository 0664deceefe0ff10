"""``reconcile``: vendors and products have no deleted-record feed, so a full key listing finds the ones Netvisor no
longer has (customers: ``test_e2e.test_edits_deletes_and_invalidations_arrive_exactly``). On DuckDB and Postgres."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from ..warehouse import Warehouse
from .conftest import Syncer, paged_vendors

pytestmark = pytest.mark.slow


def keys(warehouse: Warehouse, table: str) -> list[int]:
    return [key for (key,) in warehouse.query(f"select netvisor_key from {{ds}}.{table} order by 1")]


def test_reconcile_deletes_vendors_netvisor_no_longer_has(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = paged_vendors(page_size=4)  # the key listing pages too: 10 vendors are 3 pages, 9 still 3
    sync = Syncer(emu, warehouse, tmp_path / "pipelines")
    store = sync.store
    assert sync(tables=["vendors"]).ok
    assert emu.log.counts() == Counter({"getvendor": 3})
    gone, renamed = [v.netvisor_key for v in store.vendors][3:5]
    emu.clock.advance(timedelta(hours=2))
    store.delete("vendor", gone)
    store.edit("vendor", renamed, name="Uusi Toimittaja Oy")

    # without reconcile nothing says the vendor is gone: only the change arrives
    emu.log.clear()
    plain = sync(tables=["vendors"])
    assert plain.ok
    assert emu.log.counts() == Counter({"getvendor": 1})
    assert gone in keys(warehouse, "vendors")
    assert "vendors" not in plain.company(sync.org).deleted

    emu.clock.advance(timedelta(hours=1))
    emu.log.clear()
    reconciled = sync(tables=["vendors"], reconcile=True)
    assert reconciled.ok, reconciled.errors
    # the full key listing (3 pages) and the change-filtered listing (the renamed vendor, inside the lookback)
    assert emu.log.counts() == Counter({"getvendor": 4})
    assert reconciled.company(sync.org).deleted == {"vendors": 1}
    assert keys(warehouse, "vendors") == sorted(v.netvisor_key for v in store.vendors)
    assert warehouse.query("select name from {ds}.vendors where netvisor_key = ?", renamed) == [("Uusi Toimittaja Oy",)]

    emu.clock.advance(timedelta(hours=1))
    again = sync(tables=["vendors"], reconcile=True)
    assert again.ok
    assert "vendors" not in again.company(sync.org).deleted
    assert keys(warehouse, "vendors") == sorted(v.netvisor_key for v in store.vendors)


def test_reconcile_deletes_products_no_longer_listed_and_keeps_deleted_ones_listed(sync: Syncer) -> None:
    emu, store, warehouse = sync.emu, sync.store, sync.warehouse
    assert sync(tables=["products"]).ok
    deleted, vanished = [p.netvisor_key for p in store.products][2:4]
    emu.clock.advance(timedelta(hours=2))
    # Netvisor keeps a deleted product in productlist (status deleted, inactive), as the emulator's change API does
    store.delete("product", deleted)
    # a product productlist no longer has at all: the change API cannot do that, so it leaves the books directly
    store.products.remove(vanished)
    emu.clock.advance(timedelta(hours=1))

    emu.log.clear()
    summary = sync(tables=["products"], reconcile=True)
    assert summary.ok, summary.errors
    # the key listing, the change-filtered listing and the details of the one changed product
    assert emu.log.counts() == Counter({"productlist": 2, "getproduct": 1})
    assert summary.company(sync.org).deleted == {"products": 1}
    assert keys(warehouse, "products") == sorted(p.netvisor_key for p in store.products)
    assert vanished not in keys(warehouse, "products")
    assert warehouse.query("select is_active from {ds}.products where netvisor_key = ?", deleted) == [(False,)]
