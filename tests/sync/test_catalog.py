"""One suite over the whole catalog: every entry is callable, parseable, keyed and typed."""

from __future__ import annotations

import pytest

from netvisor_sync.catalog import CATALOG, ENTRIES, TABLE_OWNERS, select_entries
from netvisor_sync.columns import all_declared_types, declared_types
from netvisor_sync.errors import ConfigError
from netvisor_sync.parse import SHAPES
from netvisor_sync.resources import READ_RESOURCES

TABLES = {
    "customers", "vendors", "products", "sales_invoices", "sales_invoice_lines", "sales_orders", "sales_order_lines",
    "purchase_invoices", "purchase_invoice_lines", "purchase_orders", "purchase_order_lines", "vouchers",
    "voucher_lines", "accounts", "accounting_periods", "voucher_types", "dimensions", "dimension_items",
    "payment_terms", "sales_payments", "purchase_payments", "account_balances",
}  # fmt: skip


def test_the_catalog_loads_every_required_table() -> None:
    assert set(TABLE_OWNERS) == TABLES


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.table)
def test_every_entry_calls_only_readable_parsed_resources(entry) -> None:
    for resource in entry.resources:
        assert resource in READ_RESOURCES
        assert resource in SHAPES
    shape = SHAPES[entry.detail.resource if entry.detail else entry.resource]
    for child in entry.children:
        assert child.field in shape.children, f"{entry.table}: {child.field} is not a child list of {shape.name}"
    for column in entry.key:
        assert column in SHAPES[entry.resource].columns
    if entry.window:
        assert entry.window.column in declared_types(entry)[entry.table]
    if entry.detail:
        assert entry.detail.batch_limit == (400 if entry.detail.resource == "getproduct" else 500)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.table)
def test_every_table_has_typed_columns(entry) -> None:
    types = declared_types(entry)
    assert set(types) == set(entry.tables)
    for table, columns in types.items():
        assert columns, table
        for column in columns.values():
            if column.kind == "decimal":
                assert 0 <= column.scale <= column.precision <= 38


def test_money_is_decimal_with_declared_scale() -> None:
    types = all_declared_types()
    assert types["sales_invoices"]["amount"].kind == "decimal"
    assert types["voucher_lines"]["line_sum"].kind == "decimal"
    assert types["vouchers"]["voucher_date"].kind == "date"
    assert types["dimensions"]["is_hidden"].kind == "bool"


def test_reference_tables_refresh_and_documents_change_filter() -> None:
    assert {e.table for e in ENTRIES if e.full_refresh} == {
        "accounts", "accounting_periods", "voucher_types", "dimensions", "payment_terms", "account_balances",
    }  # fmt: skip
    assert CATALOG["vouchers"].params == {"voucherstatus": "1"}
    assert CATALOG["sales_orders"].params == {"listtype": "preinvoice"}
    assert {e.table for e in ENTRIES if e.reconcilable} == {"customers", "vendors", "products", "purchase_payments"}
    assert {e.table for e in ENTRIES if e.rereads_to_reconcile} == {"purchase_payments"}


def test_selecting_a_line_table_selects_its_document() -> None:
    assert [e.table for e in select_entries(["voucher_lines", "customers"])] == ["customers", "vouchers"]
    assert len(select_entries(None)) == len(ENTRIES)


def test_unknown_table_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown table\(s\) invoices.*valid tables: account_balances"):
        select_entries(["invoices"])
