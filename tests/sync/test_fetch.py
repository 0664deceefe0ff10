"""The request planner against a fake Netvisor: paging, detail batching, windows, delete feeds, call counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from netvisor_sync.catalog import CATALOG, Entry
from netvisor_sync.fetch import (
    HISTORY_START,
    STREAM_CHUNK,
    Batch,
    Page,
    Window,
    balance_params,
    merge_rows,
    month_windows,
    read_entry,
)

from .fakes import NOW, FakeNetvisor, invoice


def _read(entry: Entry, fake: FakeNetvisor, window: Window) -> list[Batch]:
    return list(read_entry(entry, fake, window))


@pytest.mark.parametrize(
    ("invoices", "list_calls", "detail_calls"), [(0, 1, 0), (499, 1, 1), (500, 2, 1), (1202, 3, 3)]
)
def test_key_paging_and_detail_batches_make_the_minimum_calls(
    invoices: int, list_calls: int, detail_calls: int
) -> None:
    fake = FakeNetvisor(invoices={k: invoice(k, 2) for k in range(1, invoices + 1)})
    batches = _read(CATALOG["sales_invoices"], fake, Window(today=NOW.date()))
    assert fake.calls["salesinvoicelist"] == list_calls
    assert fake.calls["getsalesinvoice"] == detail_calls
    assert fake.calls["deletedsalesinvoices"] == 0  # a first run has nothing to delete
    rows = [row for batch in batches for row in batch.rows]
    assert [row["netvisor_key"] for row in rows] == list(range(1, invoices + 1))
    assert all(len(row["lines"]) == 2 and row["amount"] is not None for row in rows)
    assert [p["invoicesabovenetvisorkey"] for r, p in fake.params if "invoicesabovenetvisorkey" in p] == [
        str(500 * n) for n in range(1, list_calls)
    ]


def test_detail_batches_span_list_pages() -> None:
    """With list pages of 300 and a detail limit of 500, 900 rows take 2 detail calls, not 3."""
    fake = FakeNetvisor(invoices={k: invoice(k, 1) for k in range(1, 901)}, page_size=300)
    entry = CATALOG["sales_invoices"]
    entry = Entry(**{**entry.__dict__, "page_size": 300})
    _read(entry, fake, Window(today=NOW.date()))
    assert fake.calls["salesinvoicelist"] == 4
    assert fake.calls["getsalesinvoice"] == 2


def test_incremental_run_uses_the_change_filter_and_the_deleted_feed() -> None:
    fake = FakeNetvisor(invoices={1: invoice(1, 1), 2: invoice(2, 3, modified=NOW)}, deleted_invoices={3: NOW})
    since = NOW - timedelta(hours=30)
    batches = _read(CATALOG["sales_invoices"], fake, Window(today=NOW.date(), since=since))
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S")
    assert fake.params[0] == ("salesinvoicelist", {"lastmodifiedstart": stamp, "includemodifiedpayments": "1"})
    assert [row["netvisor_key"] for b in batches for row in b.rows] == [2]
    assert [key for b in batches for key in b.deleted] == [(3,)]
    assert fake.params[-1] == ("deletedsalesinvoices", {"deletedsince": since.date().isoformat()})


def test_deleted_feed_never_reaches_back_more_than_seven_days() -> None:
    fake = FakeNetvisor()
    window = Window(today=NOW.date(), since=NOW - timedelta(days=30))
    _read(CATALOG["sales_invoices"], fake, window)
    assert fake.params[-1] == ("deletedsalesinvoices", {"deletedsince": (NOW.date() - timedelta(days=7)).isoformat()})
    assert "full_refresh" in window.warnings[0]


def test_invalidated_vouchers_become_deletes() -> None:
    fake = FakeNetvisor()
    fake.vouchers = {
        1: {"netvisor_key": 1, "status": "valid", "modified": NOW, "lines": []},
        2: {"netvisor_key": 2, "status": "Invalidated", "modified": NOW, "lines": []},
    }
    batches = _read(CATALOG["vouchers"], fake, Window(today=NOW.date()))
    assert [row["netvisor_key"] for b in batches for row in b.rows] == [1]
    assert [key for b in batches for key in b.deleted] == [(2,)]
    # no start_date: the ledger still needs a date range, so one window spans all history
    assert fake.params == [
        ("accountingledger", {**CATALOG["vouchers"].params, "startdate": "1990-01-01", "enddate": "2031-12-31"})
    ]


def _voucher(key: int, day: date) -> dict[str, object]:
    return {"netvisor_key": key, "status": "valid", "voucher_date": day, "modified": NOW, "lines": []}


def test_a_first_sync_without_start_date_lists_each_unpaged_list_once() -> None:
    """No start_date: one ledger call for all of history, however long, and no accounting period lookup."""
    days = [date(1995, 6, 30), date(2024, 12, 31), date(2025, 7, 15), date(2026, 3, 1), date(2027, 5, 1)]
    fake = FakeNetvisor(periods=[date(2026, 1, 1), date(2025, 1, 1)])
    fake.vouchers = {key: _voucher(key, day) for key, day in enumerate(days, start=1)}
    batches = _read(CATALOG["vouchers"], fake, Window(today=NOW.date()))
    assert fake.calls == {"accountingledger": 1}
    # documents dated long ago (migrated history) and ahead of today are inside the one window
    assert [(p["startdate"], p["enddate"]) for _, p in fake.params] == [(HISTORY_START.isoformat(), "2031-12-31")]
    assert sorted(row["netvisor_key"] for b in batches for row in b.rows) == [1, 2, 3, 4, 5]
    # key-paged lists and incremental runs are not windowed either
    invoices = FakeNetvisor(invoices={1: invoice(1, 1)})
    _read(CATALOG["sales_invoices"], invoices, Window(today=NOW.date()))
    assert invoices.params == [("salesinvoicelist", {}), ("getsalesinvoice", {"netvisorkeylist": "1"})]
    incremental = FakeNetvisor()
    _read(CATALOG["vouchers"], incremental, Window(today=NOW.date(), since=NOW))
    assert [r for r, _ in incremental.params] == ["accountingledger", "deletedvouchers"]
    assert "startdate" not in incremental.params[0][1]


def test_each_start_date_window_is_handed_on_before_the_next_call() -> None:
    """Backfill from start_date: a window's rows leave as a batch before the next window is requested."""
    fake = FakeNetvisor()
    fake.vouchers = {n: _voucher(n, date(2025, 10 + n, 5) if n < 3 else date(2026, n - 2, 5)) for n in range(1, 7)}
    events: list[str] = []

    def fetch(resource: str, params: dict[str, str]) -> Page:
        events.append(f"call {params.get('startdate', resource)}")
        return fake(resource, params)

    for batch in read_entry(CATALOG["vouchers"], fetch, Window(today=NOW.date(), start_date=date(2025, 11, 1))):
        events.extend(f"row {row['voucher_date']}" for row in batch.rows)
    assert events == [
        "call 2025-11-01",
        "row 2025-11-05",
        "call 2025-12-01",
        "row 2025-12-05",
        "call 2026-01-01",
        "row 2026-01-05",
        "call 2026-02-01",
        "row 2026-02-05",
        "call 2026-03-01",
        "row 2026-03-05",
        "row 2026-04-05",
    ]


def test_start_date_backfills_in_monthly_windows_and_bounds_history() -> None:
    fake = FakeNetvisor(invoices={k: invoice(k, 1) for k in range(1, 40)})
    window = Window(today=date(2026, 3, 15), start_date=date(2026, 1, 10))
    batches = _read(CATALOG["sales_invoices"], fake, window)
    spans = [(p["begininvoicedate"], p["endinvoicedate"]) for r, p in fake.params if r == "salesinvoicelist"]
    assert spans == [("2026-01-10", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2031-12-31")]
    # the fake ignores the date parameters; start_date still drops older documents
    assert all(row["invoice_date"] >= date(2026, 1, 10) for b in batches for row in b.rows)


def test_month_windows_cover_every_day_once() -> None:
    windows = list(month_windows(date(2025, 1, 31), date(2025, 6, 1)))
    days = [windows[0][0] + timedelta(days=n) for n in range((date(2025, 6, 1) - windows[0][0]).days)]
    assert all(sum(first <= day <= last for first, last in windows) == 1 for day in days)


def test_page_headers_end_vendor_paging_without_an_empty_call() -> None:
    pages = iter(
        [
            Page([{"netvisor_key": k} for k in range(500)], {"X-Netvisor-Pagination-Next-Page": "2"}),
            Page([{"netvisor_key": k} for k in range(500, 510)], {"x-netvisor-pagination-current-page": "2"}),
        ]
    )
    calls: list[dict[str, str]] = []

    def fetch(resource: str, params: dict[str, str]) -> Page:
        calls.append(params)
        return next(pages)

    rows = [row for b in read_entry(CATALOG["vendors"], fetch, Window(today=NOW.date())) for row in b.rows]
    assert len(rows) == 510
    assert calls == [{"page": "1"}, {"page": "2"}]


@pytest.mark.parametrize("total", [1000, 1500])
def test_a_full_last_vendor_page_without_a_next_page_header_is_the_last(total: int) -> None:
    """Netvisor's own page size (500), a last page that is full: its headers name no next page, so no empty call."""
    calls: list[str] = []

    def fetch(resource: str, params: dict[str, str]) -> Page:
        number = int(params["page"])
        calls.append(params["page"])
        rows = [{"netvisor_key": k} for k in range((number - 1) * 500, min(number * 500, total))]
        headers = {"X-Netvisor-Pagination-Current-Page": str(number), "X-Netvisor-Pagination-Total-Count": str(total)}
        if number * 500 < total:
            headers["X-Netvisor-Pagination-Next-Page"] = str(number + 1)
        return Page(rows, headers)

    rows = [row for b in read_entry(CATALOG["vendors"], fetch, Window(today=NOW.date())) for row in b.rows]
    assert len(rows) == total
    assert calls == [str(n) for n in range(1, total // 500 + 1)]


def test_a_full_vendor_page_without_paging_headers_asks_for_the_next() -> None:
    """No paging headers at all (as a proxy might strip them): only a short or empty page ends the listing."""
    pages = iter([Page([{"netvisor_key": k} for k in range(500)], {}), Page([], {})])
    calls: list[str] = []

    def fetch(resource: str, params: dict[str, str]) -> Page:
        calls.append(params["page"])
        return next(pages)

    rows = [row for b in read_entry(CATALOG["vendors"], fetch, Window(today=NOW.date())) for row in b.rows]
    assert len(rows) == 500
    assert calls == ["1", "2"]


def test_server_time_becomes_the_window_end() -> None:
    fake = FakeNetvisor(now=datetime(2026, 3, 15, 9, 30))
    window = Window(today=NOW.date())
    _read(CATALOG["accounts"], fake, window)
    assert window.end == datetime(2026, 3, 15, 9, 30)


def test_detail_values_win_but_missing_ones_keep_the_list_value() -> None:
    assert merge_rows({"a": 1, "b": 2}, {"a": 3, "b": None, "c": 4}) == {"a": 3, "b": 2, "c": 4}
    assert merge_rows({"a": 1}, None) == {"a": 1}


def test_balance_dates_run_monthly_to_today() -> None:
    assert balance_params(None, date(2026, 3, 15)) == {"balancedates": "2025-01-31,2026-03-15", "intervaltype": "3"}


def test_an_unpaged_answer_is_streamed_in_chunks() -> None:
    """The ledger has no paging: its records arrive as a stream and leave as batches of STREAM_CHUNK rows."""
    consumed: list[int] = []

    def stream(n: int):  # type: ignore[no-untyped-def]
        for key in range(1, n + 1):
            consumed.append(key)
            yield {"netvisor_key": key, "status": "valid", "lines": []}

    def fetch(resource: str, params: dict[str, str]) -> Page:
        return Page(stream(2500) if resource == "accountingledger" else [])

    sizes = []
    for batch in read_entry(CATALOG["vouchers"], fetch, Window(today=NOW.date())):
        sizes.append(len(batch.rows))
        assert len(consumed) <= sum(sizes) + 1  # nothing read far ahead of what was handed on
    assert sizes == [STREAM_CHUNK, STREAM_CHUNK, 500]
