"""Purchase payments: paymentlist has no change filter, so new payments arrive by key and deletions from the
deleted feed, but an edited payment only with ``reconcile`` (a re-read of the whole list) or ``full_refresh``."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from .conftest import Syncer, Warehouse

pytestmark = pytest.mark.slow

TABLES = ["purchase_payments"]


def books(store: Any) -> dict[int, tuple[Decimal, str]]:
    return {p.netvisor_key: (p.home_currency_sum, p.payer_name) for p in store.purchase_payments}


def loaded(warehouse: Warehouse) -> dict[int, tuple[Decimal, str]]:
    rows = warehouse.query("select netvisor_key, amount, payer_name from {ds}.purchase_payments")
    return {key: (amount, name) for key, amount, name in rows}


def full_listing_calls(store: Any) -> int:
    return len(store.purchase_payments) // 500 + 1


def test_new_and_deleted_payments_arrive_and_edits_need_reconcile(sync: Syncer) -> None:
    store, warehouse = sync.store, sync.warehouse
    assert sync(tables=TABLES).ok
    assert loaded(warehouse) == books(store)
    payments = sorted(store.purchase_payments, key=lambda p: p.netvisor_key)
    gone, edited = payments[0].netvisor_key, payments[1]
    before_edit = (edited.home_currency_sum, edited.payer_name)
    sync.emu.clock.advance(timedelta(hours=2))
    new = store.create("purchasepayment", home_currency_sum=Decimal("123.45"))
    store.delete("purchasepayment", gone)
    store.edit("purchasepayment", edited.netvisor_key, home_currency_sum=Decimal("1.23"), payer_name="Muutettu Oy")
    sync.emu.clock.advance(timedelta(hours=1))

    sync.emu.log.clear()
    assert sync(tables=TABLES).ok
    rows = loaded(warehouse)
    assert rows[new] == (Decimal("123.45"), books(store)[new][1])
    assert gone not in rows
    assert rows[edited.netvisor_key] == before_edit  # new keys only: the edit is not seen
    assert sync.emu.log.counts() == Counter({"paymentlist": 1, "deletedpurchasepayments": 1})

    sync.emu.log.clear()
    summary = sync(tables=TABLES, reconcile=True)
    assert summary.ok, summary.errors
    assert loaded(warehouse) == books(store)
    assert loaded(warehouse)[edited.netvisor_key] == (Decimal("1.23"), "Muutettu Oy")
    # reconcile is the listing itself, from the first key: no separate key listing
    assert sync.emu.log.counts() == Counter({"paymentlist": full_listing_calls(store), "deletedpurchasepayments": 1})
    assert summary.company(sync.org).rows["purchase_payments"] == len(store.purchase_payments)

    sync.emu.log.clear()
    assert sync(tables=TABLES).ok  # and the next plain run is new keys only again
    assert sync.emu.log.counts() == Counter({"paymentlist": 1, "deletedpurchasepayments": 1})


def test_reconcile_deletes_what_the_deleted_feed_no_longer_reports(sync: Syncer) -> None:
    store, warehouse = sync.store, sync.warehouse
    assert sync(tables=TABLES).ok
    gone = sorted(p.netvisor_key for p in store.purchase_payments)[-1]
    store.delete("purchasepayment", gone)
    sync.emu.clock.advance(timedelta(days=8))  # the feed keeps deletions for 7 days

    plain = sync(tables=TABLES)
    assert plain.ok
    assert gone in loaded(warehouse)
    assert any("deletedpurchasepayments.nv keeps deletions for 7 days" in w for w in plain.company(sync.org).warnings)

    summary = sync(tables=TABLES, reconcile=True)
    assert summary.ok, summary.errors
    assert loaded(warehouse) == books(store)
    assert summary.company(sync.org).deleted["purchase_payments"] == 1


def test_full_refresh_also_brings_edits(sync: Syncer) -> None:
    store, warehouse = sync.store, sync.warehouse
    assert sync(tables=TABLES).ok
    edited = next(iter(store.purchase_payments)).netvisor_key
    sync.emu.clock.advance(timedelta(hours=1))
    store.edit("purchasepayment", edited, payer_name="Toinen Oy")
    assert sync(tables=TABLES, full_refresh=True).ok
    assert loaded(warehouse) == books(store)
    assert loaded(warehouse)[edited][1] == "Toinen Oy"
