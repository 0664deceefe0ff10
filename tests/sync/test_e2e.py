"""End to end: the emulator in-process -> transport -> parse -> dlt -> DuckDB (and Postgres), compared with the
emulator's own books: counts, types, balanced vouchers, minimal calls, exact changes, isolation, failure safety."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.emulator import Emulator
from netvisor_sync.fetch import month_windows
from netvisor_sync.report import ProgressEvent
from netvisor_sync.sync import status

from .conftest import Syncer, Warehouse

pytestmark = pytest.mark.slow


def expected_counts(store: Any) -> dict[str, int]:
    """Rows every table must hold, from the emulator's books (vouchers: only valid ones)."""
    valid = [v for v in store.vouchers if v.status == "valid"]

    def with_lines(name: str) -> tuple[int, int]:
        docs = list(getattr(store, name))
        return len(docs), sum(len(d.lines) for d in docs)

    counts = {"vouchers": len(valid), "voucher_lines": sum(len(v.lines) for v in valid)}
    for table, lines in [
        ("sales_invoices", "sales_invoice_lines"),
        ("sales_orders", "sales_order_lines"),
        ("purchase_invoices", "purchase_invoice_lines"),
        ("purchase_orders", "purchase_order_lines"),
    ]:
        counts[table], counts[lines] = with_lines(table)
    for table in ["customers", "vendors", "products", "accounts", "accounting_periods", "voucher_types"]:
        counts[table] = len(store.__getattribute__(table))
    for table in ["dimensions", "payment_terms", "sales_payments", "purchase_payments"]:
        counts[table] = len(store.__getattribute__(table))
    counts["dimension_items"] = sum(len(d.items) for d in store.dimensions)
    return counts


def unchanged_run_calls() -> Counter[str]:
    """What "one call per resource" means: each list once (change-filtered or reference) plus each deleted feed."""
    calls: Counter[str] = Counter()
    for entry in ENTRIES:
        calls[entry.resource] += 1
        if entry.delete_feed:
            calls[entry.delete_feed] += 1
    return calls


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    types = warehouse.column_types()
    tables = sorted({name.split(".")[0] for name in types if not name.startswith("_dlt")})
    result = {}
    for table in tables:
        columns = [c.split(".")[1] for c in types if c.startswith(f"{table}.")]
        keep = ", ".join(sorted(c for c in columns if c != "_dlt_load_id"))
        result[table] = sorted(warehouse.query(f"select {keep} from {{ds}}.{table}"), key=repr)
    return result


def check_full_sync(sync: Syncer) -> None:
    warehouse = sync.warehouse
    events: list[ProgressEvent] = []
    summary = sync(progress=events.append)
    assert summary.ok, (summary.errors, summary.skipped)
    books = expected_counts(sync.store)
    assert {table: warehouse.count(table) for table in books} == books
    company = summary.company(sync.org)
    assert {t: n for t, n in company.rows.items() if t in books} == books
    assert company.loaded["voucher_lines"] >= books["voucher_lines"]  # plus markers of invalidated vouchers
    assert Counter({r: n for r, n in company.calls.items() if n}) == sync.emu.log.counts()
    assert company.retries == 0
    assert json.loads(json.dumps(summary.to_dict()))["companies"][0]["ok"] is True
    kinds = Counter(event.kind for event in events)
    assert kinds["company_started"] == kinds["company_done"] == 1
    assert kinds["table_done"] == len(ENTRIES)
    assert sum(e.rows for e in events if e.kind == "page" and e.resource == "accountingledger") == len(
        sync.store.vouchers
    )
    assert warehouse.count("account_balances") > 0
    types = warehouse.column_types()
    assert types["sales_invoices.amount"] == "DECIMAL(18,2)"
    assert types["voucher_lines.line_sum"].startswith("DECIMAL(")
    assert types["vouchers.voucher_date"] == "DATE"
    assert types["dimensions.is_hidden"] == "BOOLEAN"
    assert types["customers.organisation_id"] in {"VARCHAR", "TEXT", "CHARACTER VARYING"}
    unbalanced = warehouse.query(
        "select voucher_key, sum(line_sum) from {ds}.voucher_lines group by voucher_key having sum(line_sum) <> 0"
    )
    assert unbalanced == []
    assert summary.company(sync.org).calls["getsalesinvoice"] == math.ceil(len(sync.store.sales_invoices) / 500)

    before = snapshot(warehouse)
    sync.emu.log.clear()
    again = sync()
    assert again.ok
    assert sync.emu.log.counts() == unchanged_run_calls()
    assert snapshot(warehouse) == before


def test_full_sync_into_duckdb_matches_the_books(sync: Syncer) -> None:
    check_full_sync(sync)


@pytest.mark.postgres
def test_full_sync_into_postgres_matches_the_books(
    partner_emulator: Emulator, postgres_warehouse: Warehouse, tmp_path: Path
) -> None:
    check_full_sync(Syncer(partner_emulator, postgres_warehouse, tmp_path / "pipelines"))


def test_edits_deletes_and_invalidations_arrive_exactly(sync: Syncer) -> None:
    store, warehouse = sync.store, sync.warehouse
    assert sync().ok
    invoices = [d for d in store.sales_invoices if len(d.lines) >= 2]
    edited, deleted = invoices[0], invoices[1]
    sync.emu.clock.advance(timedelta(hours=2))
    store.edit("salesinvoice", edited.netvisor_key, lines=edited.lines[:1])
    store.delete("salesinvoice", deleted.netvisor_key)
    voucher = next(v for v in store.vouchers if v.status == "valid" and len(v.lines) > 1)
    store.invalidate_voucher(voucher.netvisor_key)
    customer = next(iter(store.customers))
    store.delete("customer", customer.netvisor_key)
    sync.emu.clock.advance(timedelta(hours=1))

    summary = sync(reconcile=True)
    assert summary.ok, summary.errors

    db_invoices = warehouse.query("select netvisor_key, amount from {ds}.sales_invoices order by 1")
    assert db_invoices == sorted((d.netvisor_key, d.amount) for d in store.sales_invoices)
    db_lines = warehouse.query(
        "select sales_invoice_key, line_number, line_sum from {ds}.sales_invoice_lines order by 1, 2"
    )
    assert db_lines == [
        (d.netvisor_key, n, line.sum) for d in store.sales_invoices for n, line in enumerate(d.lines, start=1)
    ]
    valid = [v for v in store.vouchers if v.status == "valid"]
    assert warehouse.query("select netvisor_key from {ds}.vouchers order by 1") == [(v.netvisor_key,) for v in valid]
    db_voucher_lines = warehouse.query(
        "select voucher_key, line_number, line_sum from {ds}.voucher_lines order by 1, 2"
    )
    assert db_voucher_lines == [
        (v.netvisor_key, n, line.line_sum) for v in valid for n, line in enumerate(v.lines, start=1)
    ]
    assert (customer.netvisor_key,) not in warehouse.query("select netvisor_key from {ds}.customers")
    assert warehouse.count("customers") == len(store.customers)
    assert warehouse.count("sales_payments") == len(store.sales_payments)
    assert summary.company(sync.org).deleted["customers"] == 1


def test_payments_and_credit_notes_reach_the_invoices_they_change(sync: Syncer) -> None:
    # A payment leaves its invoice's modification time alone (only includemodifiedpayments reports the invoice);
    # deleting a credit note reopens the invoice it credited.
    store, warehouse = sync.store, sync.warehouse
    assert sync().ok
    sync.emu.clock.advance(timedelta(hours=2))
    unpaid = next(d for d in store.sales_invoices if d.open_sum > 0 and d.credited_invoice_key is None)
    store.create("salespayment", invoice_key=unpaid.netvisor_key)
    note = next(d for d in store.sales_invoices if d.credited_invoice_key is not None and d.open_sum != d.amount)
    store.delete("salesinvoice", note.netvisor_key)
    sync.emu.clock.advance(timedelta(hours=1))

    assert sync().ok
    changed = (unpaid.netvisor_key, note.credited_invoice_key)
    books = {d.netvisor_key: (d.status, d.open_sum) for d in store.sales_invoices}
    assert books[unpaid.netvisor_key] == ("paid", 0)
    assert books[note.credited_invoice_key][1] > 0
    loaded = warehouse.query("select netvisor_key, status, open_amount from {ds}.sales_invoices order by 1")
    assert [row for row in loaded if row[0] in changed] == [(key, *books[key]) for key in sorted(changed)]
    assert loaded == sorted((key, *value) for key, value in books.items())


def test_a_blocked_resource_fails_alone(sync: Syncer) -> None:
    sync.emu.block(sync.org, "getsalesinvoice")
    summary = sync(tables=["sales_invoices", "vouchers", "accounts"])
    assert not summary.ok
    [skipped] = summary.skipped
    assert (skipped.table, skipped.resource) == ("sales_invoices", "getsalesinvoice")
    assert "Rights of interface resources" in skipped.fix
    assert sync.warehouse.count("vouchers") == expected_counts(sync.store)["vouchers"]
    assert sync.warehouse.count("accounts") == len(sync.store.accounts)

    sync.emu.allow(sync.org, "getsalesinvoice")
    assert sync(tables=["sales_invoices"]).ok
    assert sync.warehouse.count("sales_invoice_lines") == expected_counts(sync.store)["sales_invoice_lines"]


def test_two_companies_stay_apart_and_excluded_columns_never_land(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=2, companies=2)
    sync = Syncer(emu, warehouse, tmp_path / "pipelines")
    tables = ["customers", "sales_invoices", "vouchers", "accounts"]
    summary = sync(tables=tables, workers=2, exclude_columns=["customers.email", "phone_number"])
    assert summary.ok, summary.errors
    assert {c.organisation_id for c in summary.companies} == set(emu.organisation_ids)
    for org in emu.organisation_ids:
        books = expected_counts(emu.companies[org].store)
        for table in ["customers", "sales_invoices", "sales_invoice_lines", "vouchers", "voucher_lines", "accounts"]:
            rows = warehouse.query(f"select count(*) from {{ds}}.{table} where organisation_id = ?", org)
            assert rows == [(books[table],)], (org, table)
    columns = warehouse.column_types()
    assert "customers.email" not in columns
    assert not [c for c in columns if c.endswith(".phone_number")]
    assert "customers.name" in columns
    assert {s.organisation_id for s in status(tmp_path / "pipelines")} == set(emu.organisation_ids)


def test_the_cursor_does_not_move_when_the_load_fails(sync: Syncer) -> None:
    warehouse, store = sync.warehouse, sync.store
    tables = ["sales_invoices", "accounts"]
    assert sync(tables=tables).ok
    [first] = status(sync.pipelines)
    invoice = next(d for d in store.sales_invoices if len(d.lines) >= 2)
    sync.emu.clock.advance(timedelta(days=2))
    store.edit("salesinvoice", invoice.netvisor_key, lines=invoice.lines[:1])

    import duckdb

    with duckdb.connect(warehouse.destination) as con:  # the load of accounts cannot write into a view
        con.execute("alter table netvisor_data.accounts rename to accounts_kept")
        con.execute("create view netvisor_data.accounts as select * from netvisor_data.accounts_kept")
    failed = sync(tables=tables)
    assert not failed.ok
    assert failed.errors
    assert status(sync.pipelines)[0].cursors == first.cursors

    with duckdb.connect(warehouse.destination) as con:
        con.execute("drop view netvisor_data.accounts")
        con.execute("alter table netvisor_data.accounts_kept rename to accounts")
    assert sync(tables=tables).ok
    lines = warehouse.query(
        "select count(*) from {ds}.sales_invoice_lines where sales_invoice_key = ?", invoice.netvisor_key
    )
    assert lines == [(1,)]
    assert status(sync.pipelines)[0].cursors["sales_invoices"] > first.cursors["sales_invoices"]


def test_a_full_sync_of_small_makes_the_fewest_calls_netvisor_allows(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="small", seed=1)
    sync = Syncer(emu, warehouse, tmp_path / "pipelines")
    store = sync.store
    tables = ["customers", "vendors", "products", "sales_invoices", "sales_orders", "purchase_invoices", "vouchers"]
    tables += ["sales_payments", "purchase_payments", "purchase_orders"]
    assert sync(tables=tables).ok

    def key_paged(n: int) -> int:  # a full page may be the last one, and only an empty answer says so
        return n // 500 + 1

    def batches(n: int, limit: int = 500) -> int:
        return math.ceil(n / limit)

    lower_bound = Counter(
        {
            "customerlist": 1,
            "getcustomer": batches(len(store.customers)),
            "getvendor": max(1, batches(len(store.vendors))),
            "productlist": 1,
            "getproduct": batches(len(store.products), 400),
            "salesinvoicelist": key_paged(len(store.sales_invoices)) + key_paged(len(store.sales_orders)),
            "getsalesinvoice": batches(len(store.sales_invoices)),
            "getorder": batches(len(store.sales_orders)),
            "purchaseinvoicelist": 1,  # unpaged: all history in one answer, spooled and streamed
            "getpurchaseinvoice": batches(len(store.purchase_invoices)),
            "purchaseorderlist": 1,
            "getpurchaseorder": batches(len(store.purchase_orders)),
            "accountingledger": 1,
            "salespaymentlist": key_paged(len(store.sales_payments)),
            "paymentlist": key_paged(len(store.purchase_payments)),
        }
    )
    assert emu.log.counts() == lower_bound
    assert warehouse.count("vouchers") == expected_counts(store)["vouchers"]


def test_start_date_bounds_history_and_backfills_month_by_month(sync: Syncer) -> None:
    store = sync.store
    dates = sorted(v.date for v in store.vouchers)
    start = dates[len(dates) // 2].replace(day=1)
    assert sync(tables=["vouchers"], start_date=start).ok
    months = list(month_windows(start, sync.emu.clock.now().date()))
    assert sync.emu.log.counts() == Counter({"accountingledger": len(months)})
    kept = sorted(v.netvisor_key for v in store.vouchers if v.status == "valid" and v.date >= start)
    assert [k for (k,) in sync.warehouse.query("select netvisor_key from {ds}.vouchers order by 1")] == kept
    assert sync.warehouse.query("select min(voucher_date) from {ds}.vouchers")[0][0] >= start


def test_full_refresh_reloads_a_company_and_drops_what_netvisor_no_longer_has(sync: Syncer) -> None:
    assert sync(tables=["customers"]).ok
    gone = next(iter(sync.store.customers)).netvisor_key
    sync.store.delete("customer", gone)
    sync.emu.log.clear()
    assert sync(tables=["customers"], full_refresh=True).ok
    assert sync.emu.log.counts() == Counter({"customerlist": 1, "getcustomer": 1})  # everything, no change filter
    keys = [k for (k,) in sync.warehouse.query("select netvisor_key from {ds}.customers order by 1")]
    assert keys == sorted(c.netvisor_key for c in sync.store.customers)
    assert gone not in keys


def test_a_failing_company_does_not_stop_the_others(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=3, companies=2)
    refused, fine = emu.organisation_ids
    emu.revoke(refused)
    summary = Syncer(emu, warehouse, tmp_path / "pipelines")(tables=["accounts"], workers=2)
    assert not summary.ok
    assert summary.company(fine).ok
    [error] = summary.company(refused).errors
    assert "AUTHENTICATION_FAILED" in error
    rows = warehouse.query("select organisation_id, count(*) from {ds}.accounts group by 1")
    assert rows == [(fine, len(emu.companies[fine].store.accounts))]
