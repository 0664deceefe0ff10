"""fetch.full_listing, what verify compares with: first-run listing calls only, deleted and older rows left out."""

from __future__ import annotations

from datetime import date

from netvisor_sync.catalog import CATALOG
from netvisor_sync.fetch import Window, full_listing

from ..sync.fakes import NOW, FakeNetvisor, invoice


def test_a_paged_list_is_read_in_pages_without_details() -> None:
    netvisor = FakeNetvisor(invoices={key: invoice(key, 2) for key in range(1, 1002)})
    keys = [row["netvisor_key"] for row in full_listing(CATALOG["sales_invoices"], netvisor, Window(today=NOW.date()))]
    assert keys == list(range(1, 1002))
    assert netvisor.calls == {"salesinvoicelist": 3}  # 1001 // 500 + 1, and no getsalesinvoice


def test_change_filters_are_ignored_and_start_date_bounds_history() -> None:
    netvisor = FakeNetvisor(invoices={key: invoice(key, 1) for key in range(1, 29)})
    window = Window(today=NOW.date(), since=NOW, start_date=date(2026, 1, 15))
    rows = list(full_listing(CATALOG["sales_invoices"], netvisor, window))
    assert {row["invoice_date"] for row in rows} == {date(2026, 1, day) for day in range(15, 29)}
    assert all("lastmodifiedstart" not in params for _, params in netvisor.params)


def test_invalidated_vouchers_are_not_expected() -> None:
    vouchers = {
        1: {"netvisor_key": 1, "status": "valid", "voucher_date": date(2026, 1, 2), "lines": []},
        2: {"netvisor_key": 2, "status": "Invalidated", "voucher_date": date(2026, 1, 3), "lines": []},
    }
    netvisor = FakeNetvisor(vouchers=vouchers, periods=[date(2026, 1, 1)])
    window = Window(today=NOW.date())
    assert [row["netvisor_key"] for row in full_listing(CATALOG["vouchers"], netvisor, window)] == [1]
    assert netvisor.calls == {"accountingledger": 1}  # one listing of all history, as a sync makes
