"""verify() against the emulator: a clean load passes; each kind of damage is caught by the check meant for it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.emulator import Emulator
from netvisor_sync.errors import ConfigError
from netvisor_sync.verify import verify

from .conftest import Loaded, failing

pytestmark = pytest.mark.slow


def test_a_clean_load_passes_every_check(loaded: Loaded) -> None:
    report = loaded.verify()
    assert report.ok, [c for c in report.checks if not c.ok]
    store = loaded.emu.companies[loaded.org].store
    valid = [v for v in store.vouchers if v.status == "valid"]
    assert report.check(loaded.org, "rows", "vouchers").expected == len(valid)
    assert report.check(loaded.org, "lines", "voucher_lines").expected == sum(len(v.lines) for v in valid)
    assert report.check(loaded.org, "rows", "sales_invoices").loaded == len(store.sales_invoices)
    balance = report.check(loaded.org, "balance", "voucher_lines")
    assert balance.expected == balance.loaded > 100  # accounts x month ends, all equal
    checked = {(c.check, c.table) for c in report.checks}
    assert {("rows", entry.table) for entry in ENTRIES} <= checked
    assert {("lines", child.table) for entry in ENTRIES for child in entry.children} <= checked
    # without --deep, invoice lines cost no call: lists, the ledger's windows, and accountbalance twice
    assert not {"getsalesinvoice", "getorder", "getpurchaseinvoice", "getpurchaseorder"} & set(report.calls)
    assert report.calls["accountbalance"] == 2
    assert report.check(loaded.org, "lines", "sales_invoice_lines").expected is None


def test_deep_compares_invoice_lines_with_detail_calls(loaded: Loaded) -> None:
    loaded.execute(
        "DELETE FROM {ds}.sales_invoice_lines WHERE (sales_invoice_key, line_number) = "
        "(SELECT (sales_invoice_key, line_number) FROM {ds}.sales_invoice_lines ORDER BY 1 LIMIT 1)"
    )
    shallow = loaded.verify(tables=["sales_invoices"])
    assert shallow.ok  # documented: without --deep only orphan lines are seen
    deep = loaded.verify(tables=["sales_invoices"], deep=True)
    assert failing(deep) == {("lines", "sales_invoice_lines")}
    lines = deep.check(loaded.org, "lines", "sales_invoice_lines")
    assert (
        lines.expected
        == lines.loaded + 1
        == sum(len(d.lines) for d in loaded.emu.companies[loaded.org].store.sales_invoices)
    )
    assert lines.differences[0].startswith("missing ")
    assert deep.calls["getsalesinvoice"] == 1  # 120 invoices: one batch of keys


def test_orphan_lines_are_caught_without_deep(loaded: Loaded) -> None:
    loaded.execute(
        "INSERT INTO {ds}.purchase_invoice_lines SELECT * REPLACE (987654321 AS purchase_invoice_key, "
        "1 AS line_number) FROM {ds}.purchase_invoice_lines LIMIT 1"
    )
    report = loaded.verify(tables=["purchase_invoices"])
    assert failing(report) == {("lines", "purchase_invoice_lines")}
    assert report.check(loaded.org, "lines", "purchase_invoice_lines").differences == ("orphan 987654321/1",)


def first_key(loaded: Loaded, table: str) -> int:
    return int(loaded.execute(f"SELECT min(netvisor_key) FROM {{ds}}.{table}")[0][0])


def test_a_deleted_row_is_caught_by_its_rows_check(loaded: Loaded) -> None:
    key = first_key(loaded, "customers")
    loaded.execute(f"DELETE FROM {{ds}}.customers WHERE netvisor_key = {key}")
    report = loaded.verify()
    assert failing(report) == {("rows", "customers")}
    check = report.check(loaded.org, "rows", "customers")
    assert (check.expected, check.loaded, check.differences) == (10, 9, (f"missing {key}",))


def test_an_extra_row_is_caught_by_its_rows_check(loaded: Loaded) -> None:
    loaded.execute(
        "INSERT INTO {ds}.sales_invoices SELECT * REPLACE (999999 AS netvisor_key) FROM {ds}.sales_invoices LIMIT 1"
    )
    report = loaded.verify()
    assert failing(report) == {("rows", "sales_invoices")}
    assert report.check(loaded.org, "rows", "sales_invoices").differences == ("extra 999999",)


def nonzero_line(loaded: Loaded) -> tuple[int, int, int, Decimal]:
    voucher, line, account, amount = loaded.execute(
        "SELECT voucher_key, line_number, account_number, line_sum FROM {ds}.voucher_lines "
        "WHERE line_sum <> 0 ORDER BY voucher_key, line_number LIMIT 1"
    )[0]
    return voucher, line, account, amount


def test_an_altered_amount_is_caught_by_the_trial_balance(loaded: Loaded) -> None:
    voucher, line, account, _ = nonzero_line(loaded)
    loaded.execute(
        f"UPDATE {{ds}}.voucher_lines SET line_sum = line_sum + 0.01 "
        f"WHERE voucher_key = {voucher} AND line_number = {line}"
    )
    report = loaded.verify()
    assert failing(report) == {("balance", "voucher_lines")}
    balance = report.check(loaded.org, "balance", "voucher_lines")
    assert balance.mismatches >= 1
    assert all(difference.startswith(f"{account} @ ") for difference in balance.differences)
    netvisor, mine = balance.differences[0].split(": netvisor ")[1].split(", loaded ")
    assert Decimal(mine) - Decimal(netvisor) == Decimal("0.01")  # exact: one cent is a mismatch


def test_a_deleted_voucher_line_is_caught_by_lines_and_balance(loaded: Loaded) -> None:
    voucher, line, account, _ = nonzero_line(loaded)
    loaded.execute(f"DELETE FROM {{ds}}.voucher_lines WHERE voucher_key = {voucher} AND line_number = {line}")
    report = loaded.verify(tables=["vouchers"])
    assert failing(report) == {("lines", "voucher_lines"), ("balance", "voucher_lines")}
    assert report.check(loaded.org, "lines", "voucher_lines").differences == (f"missing {voucher}/{line}",)
    assert report.check(loaded.org, "balance", "voucher_lines").differences[0].startswith(f"{account} @ ")


def test_a_change_in_netvisor_is_a_mismatch_until_the_next_sync(tmp_path: Path) -> None:
    loaded = Loaded(Emulator(profile="partner-test", seed=2), tmp_path / "netvisor.duckdb")
    tables = ["sales_invoices"]
    loaded.sync(tmp_path / "pipelines", tables=tables)
    assert loaded.verify(tables=tables).ok
    key = loaded.emu.companies[loaded.org].store.create("salesinvoice")
    stale = loaded.verify(tables=tables)
    assert failing(stale) == {("rows", "sales_invoices")}
    assert f"missing {key}" in stale.check(loaded.org, "rows", "sales_invoices").differences
    loaded.sync(tmp_path / "pipelines", tables=tables)
    assert loaded.verify(tables=tables).ok


def test_start_date_bounds_rows_and_compares_the_balance_movement(tmp_path: Path, shared_load: Loaded) -> None:
    loaded = Loaded(shared_load.emu, tmp_path / "netvisor.duckdb")
    start = shared_load.emu.clock.now().date().replace(month=1, day=1)
    loaded.sync(tmp_path / "pipelines", tables=["vouchers"], start_date=start)
    report = loaded.verify(tables=["vouchers"], start_date=start)
    assert report.ok, report.mismatched
    balance = report.check(loaded.org, "balance", "voucher_lines")
    assert balance.note == f"movement since {start.replace(year=start.year - 1, month=12, day=31)}"
    # the same load judged as if it held all history: the opening balances are missing
    assert ("balance", "voucher_lines") in failing(loaded.verify(tables=["vouchers"]))


def test_a_blocked_resource_is_a_mismatch_with_the_fix(loaded: Loaded) -> None:
    loaded.emu.block(loaded.org, "paymenttermlist")
    try:
        report = loaded.verify(tables=["payment_terms", "customers"])
    finally:
        loaded.emu.allow(loaded.org, "paymenttermlist")
    assert failing(report) == {("rows", "payment_terms")}
    check = report.check(loaded.org, "rows", "payment_terms")
    assert (check.expected, check.loaded) == (None, 4)
    assert (
        check.note == "not verified: allow paymenttermlist.nv in Netvisor: Company menu → Rights of interface resources"
    )


def test_unknown_tables_and_no_companies_are_config_errors(loaded: Loaded) -> None:
    with pytest.raises(ConfigError, match="unknown table"):
        loaded.verify(tables=["voucher"])
    with pytest.raises(ConfigError, match="no company"):
        verify([], destination=str(loaded.path))
