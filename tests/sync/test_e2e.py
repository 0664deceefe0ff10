"""End to end: the emulator in-process -> transport -> parse -> dlt -> DuckDB and Postgres, compared with the
emulator's own books: counts, types, balances, balanced vouchers, minimal calls, exact changes, isolation, failure
safety.

Tests that take the ``warehouse`` (or ``sync``) fixture run once on DuckDB and once on Postgres (issue #4's "Done
when"); ``duckdb_*`` ones check what does not depend on the destination (calls), on DuckDB only.
"""

from __future__ import annotations

import calendar
import json
import math
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.common.storages.load_package import ParsedLoadJobFileName

from netvisor_sync.arrow import BIGINT, BOOL, TEXT, ColumnType
from netvisor_sync.catalog import ENTRIES
from netvisor_sync.columns import all_declared_types
from netvisor_sync.emulator import Emulator
from netvisor_sync.fetch import month_windows
from netvisor_sync.report import ProgressEvent
from netvisor_sync.sync import pipeline_name, resolve_destination, status

from ..warehouse import Warehouse
from .conftest import Syncer

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
    """What "one call per resource" means: each list once (change-filtered or reference) plus each deleted feed.

    23 calls for the whole catalog: 16 list calls (``salesinvoicelist`` twice, as sales orders are its
    ``listtype=preinvoice`` listing) and 7 ``deleted*.nv`` feeds; no detail call, since nothing changed.
    """
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


#: the load file format of data tables per destination (``sql`` jobs are dlt's merge statements, no rows)
DATA_FILE_FORMAT = {"duckdb": "parquet", "postgres": "csv"}


def spelled(column: ColumnType) -> str:
    """A declared type in :meth:`Warehouse.kinds` spelling (JSON columns are text in the warehouse)."""
    if column.kind == "decimal":
        return f"decimal({column.precision},{column.scale})"
    return "text" if column.kind == "json" else column.kind


def declared_kinds(warehouse: Warehouse) -> dict[str, dict[str, str]]:
    """Every table's columns with their declared types, named as the destination names them.

    The declarations of ``netvisor_sync.columns`` (docs/TABLES.md), plus what docs/TABLES.md says every row carries:
    ``organisation_id``, the entry's key (a bigint unless declared), a line's parent key and position, the
    ``_deleted`` hard-delete flag and dlt's ``_dlt_load_id``.
    """
    declared = all_declared_types()
    tables: dict[str, dict[str, ColumnType]] = {}
    for entry in ENTRIES:
        tables[entry.table] = {"organisation_id": TEXT, **dict.fromkeys(entry.key, BIGINT), **declared[entry.table]}
        for child in entry.children:
            own = declared.get(child.table, {})
            tables[child.table] = {"organisation_id": TEXT, child.parent_key: BIGINT, child.position: BIGINT, **own}
    bookkeeping = {"_deleted": BOOL, "_dlt_load_id": TEXT}
    return {
        table: {warehouse.column_name(name): spelled(kind) for name, kind in {**columns, **bookkeeping}.items()}
        for table, columns in tables.items()
    }


def type_differences(warehouse: Warehouse) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """``(table, column) -> (loaded type, declared type)`` wherever they differ; ``None`` = no such column."""
    loaded, declared = warehouse.kinds(), declared_kinds(warehouse)
    differences = {}
    for table in sorted(set(loaded) | set(declared)):
        have, want = loaded.get(table, {}), declared.get(table, {})
        for column in sorted(set(have) | set(want)):
            if have.get(column) != want.get(column):
                differences[table, column] = (have.get(column), want.get(column))
    return differences


def balance_dates(today: date) -> list[date]:
    """The dates ``account_balances`` holds: every month end from January of last year before today, and today."""
    dates, year, month = [], today.year - 1, 1
    while (end := date(year, month, calendar.monthrange(year, month)[1])) < today:
        dates.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [*dates, today]


def check_balances(warehouse: Warehouse, store: Any, today: date) -> None:
    """``account_balances`` against the books: every posting account on every date, balance = Σ valid voucher lines
    up to that date (the store's own ledger), debit - credit = balance."""
    accounts = sorted(a.number for a in store.accounts if a.account_type == "account")
    dates = balance_dates(today)
    loaded = warehouse.query("select account_number, balance_date, debit, credit, balance from {ds}.account_balances")
    assert sorted((number, day) for number, day, *_ in loaded) == [(n, d) for n in accounts for d in dates]
    books = {day: store.account_balances(day) for day in dates}
    wrong = [row for row in loaded if row[4] != books[row[1]].get(row[0], 0) or row[2] - row[3] != row[4]]
    assert wrong == []
    assert any(balance != 0 for *_, balance in loaded)


def load_file_formats(pipelines: Path) -> dict[str, set[str]]:
    """Per table, the file formats of every load job dlt completed (all runs, all companies); no job may have failed."""
    assert list(pipelines.glob("*/load/loaded/*/failed_jobs/*")) == []
    formats: dict[str, set[str]] = {}
    for job in pipelines.glob("*/load/loaded/*/completed_jobs/*"):
        parsed = ParsedLoadJobFileName.parse(job.name)
        formats.setdefault(parsed.table_name, set()).add(parsed.file_format)
    return formats


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
    check_balances(warehouse, sync.store, sync.emu.clock.now().date())
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
    assert sum(unchanged_run_calls().values()) == 23
    assert snapshot(warehouse) == before

    # nothing went through dlt's row-by-row insert_values path (only dlt's own state table does)
    formats = load_file_formats(sync.pipelines)
    data_tables = {table for table in formats if not table.startswith("_dlt")}
    assert data_tables == set(books) | {"account_balances"}
    data_formats = {table: formats[table] - {"sql"} for table in data_tables}
    assert data_formats == {table: {DATA_FILE_FORMAT[warehouse.kind]} for table in data_tables}

    # every column of every table has its declared type, and no table holds an undeclared column
    assert type_differences(warehouse) == {}


def test_full_sync_matches_the_books_and_an_unchanged_rerun_changes_nothing(sync: Syncer) -> None:
    check_full_sync(sync)


def test_changes_inside_the_lookback_are_read_again_and_merge_without_duplicates(sync: Syncer) -> None:
    """Every generated record was last modified days before "now", so the unchanged rerun above re-reads nothing.
    Here records change just before the first run: the second run's change filter starts a day (the lookback)
    before the first run's cursor, so it lists them again and fetches their details once more; merge keeps one row.
    """
    store, warehouse = sync.store, sync.warehouse
    # start early on a morning: the 3 h 10 min this test advances must not cross midnight (a new "today" is a new
    # account_balances date, so the warehouse would rightly change)
    now = sync.emu.clock.now()
    sync.emu.clock.advance(now.replace(hour=6, minute=0, second=0, microsecond=0) + timedelta(days=1) - now)
    reread = {
        "customer": next(iter(store.customers)).netvisor_key,
        "vendor": next(iter(store.vendors)).netvisor_key,
        "product": next(iter(store.products)).netvisor_key,
        "salesinvoice": next(d for d in store.sales_invoices if len(d.lines) >= 2).netvisor_key,
        "salesorder": next(iter(store.sales_orders)).netvisor_key,
        "purchaseinvoice": next(iter(store.purchase_invoices)).netvisor_key,
        "purchaseorder": next(iter(store.purchase_orders)).netvisor_key,
    }
    sync.emu.clock.advance(timedelta(minutes=5))
    for kind in ("customer", "vendor", "product"):
        store.edit(kind, reread[kind], name=f"Muutettu {kind}")
    invoice = store.sales_invoices.get(reread["salesinvoice"])
    store.edit("salesinvoice", invoice.netvisor_key, lines=invoice.lines[:1])  # re-posts its voucher too
    store.edit("salesorder", reread["salesorder"], our_reference="muutettu")
    store.edit("purchaseinvoice", reread["purchaseinvoice"], description="muutettu")
    store.edit("purchaseorder", reread["purchaseorder"], comment="muutettu")
    sync.emu.clock.advance(timedelta(minutes=5))
    assert sync().ok
    before = snapshot(warehouse)

    sync.emu.clock.advance(timedelta(hours=3))  # well inside the one-day lookback of every cursor
    sync.emu.log.clear()
    again = sync()
    assert again.ok, again.errors
    details = ["getcustomer", "getproduct", "getsalesinvoice", "getorder", "getpurchaseinvoice", "getpurchaseorder"]
    assert sync.emu.log.counts() == unchanged_run_calls() + Counter(details)
    # read again: each changed record once, and the voucher the invoice edit re-posted; nothing else changed
    changed = {entry.table for entry in ENTRIES if entry.change_filter in ("changedsince", "lastmodified")}
    rows = again.company(sync.org).rows
    once = ["customers", "vendors", "products", "sales_invoices", "sales_orders", "purchase_invoices"]
    once += ["purchase_orders", "vouchers"]
    assert {table: rows[table] for table in changed} == dict.fromkeys(changed, 0) | dict.fromkeys(once, 1)
    assert warehouse.duplicates() == {}
    assert warehouse.orphans() == {}
    assert snapshot(warehouse) == before


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

    # the load of accounts cannot write into a view (DISTINCT keeps Postgres from updating through it)
    warehouse.execute(
        "alter table {ds}.accounts rename to accounts_kept",
        "create view {ds}.accounts as select distinct * from {ds}.accounts_kept",
    )
    failed = sync(tables=tables)
    assert not failed.ok
    assert failed.errors
    assert status(sync.pipelines)[0].cursors == first.cursors
    # nor in the destination, where a later run (or another machine) restores the state from
    assert restored_cursors(sync, sync.pipelines.parent / "elsewhere") == first.cursors

    warehouse.execute("drop view {ds}.accounts", "alter table {ds}.accounts_kept rename to accounts")
    assert sync(tables=tables).ok
    lines = warehouse.query(
        "select count(*) from {ds}.sales_invoice_lines where sales_invoice_key = ?", invoice.netvisor_key
    )
    assert lines == [(1,)]
    moved = status(sync.pipelines)[0].cursors
    assert moved["sales_invoices"] > first.cursors["sales_invoices"]
    assert restored_cursors(sync, sync.pipelines.parent / "later") == moved


def restored_cursors(sync: Syncer, pipelines: Path) -> dict[str, str]:
    """The cursors a machine without local state restores from the destination (``sync_destination``)."""
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name(sync.org),
        destination=resolve_destination(sync.warehouse.destination)[0],
        dataset_name=sync.warehouse.dataset,
        pipelines_dir=str(pipelines),
    )
    pipeline.sync_destination()
    [restored] = status(pipelines)
    return restored.cursors


def test_a_full_sync_of_small_makes_the_fewest_calls_netvisor_allows(
    duckdb_warehouse: Warehouse, tmp_path: Path
) -> None:
    emu = Emulator(profile="small", seed=1)
    sync = Syncer(emu, duckdb_warehouse, tmp_path / "pipelines")
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
    assert duckdb_warehouse.count("vouchers") == expected_counts(store)["vouchers"]


def test_start_date_bounds_history_and_backfills_month_by_month(duckdb_sync: Syncer) -> None:
    sync = duckdb_sync
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
