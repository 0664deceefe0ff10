"""The cheap list-row path (``list_rows``) answers salesinvoicelist and purchaseinvoicelist byte for byte as building
every invoice does: over profiles, seeds, paging keys, date and modification windows, every option that falls back,
both quirk sets, and after edits, creations, payments and deletions made through the change API.

Each answer is computed twice on the same company, with ``store.list_rows.enabled`` on and off; any differing byte
fails. The tests also check that the cheap path was really taken (otherwise a comparison proves nothing).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from netvisor_sync.emulator import documents, render
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.reply import Rejection
from netvisor_sync.emulator.store import CompanyStore

NOW = datetime(2026, 3, 15, 12, 0, 0)
BASE_URL = "http://emulator.test/a&b"  # escaped in every Uri


def _company(profile: str, seed: int) -> tuple[CompanyStore, Clock]:
    clock = Clock.frozen(NOW)
    return build_company(profile, seed=seed, organisation_id="1234567-8", clock=clock), clock


def _answer(store: CompanyStore, clock: Clock, name: str, params: dict[str, str], quirks: Any) -> bytes:
    try:
        reply = handle(store, name, params, now=clock.now(), language="EN", base_url=BASE_URL, quirks=quirks)
        return b"".join(reply.chunks) + f"\nrows={reply.rows}".encode()
    except Rejection as rejection:
        return f"rejected: {rejection}".encode()


def _windows(store: CompanyStore) -> list[dict[str, str]]:
    """Date and modification windows: whole history, inside, across month ends, outside, one day, by time."""
    starts = store._docs.timeline.starts
    first, mid, last = starts[0], starts[len(starts) // 2], starts[-1]

    def day(on: date, shift: int = 0) -> str:
        return (on + timedelta(days=shift)).isoformat()

    return [
        {},
        {"begininvoicedate": day(first), "endinvoicedate": day(first, 20)},
        {"begininvoicedate": day(mid), "endinvoicedate": day(mid)},
        {"begininvoicedate": day(mid, 3), "endinvoicedate": day(mid, 40)},
        {"begininvoicedate": "2010-01-01", "endinvoicedate": "2011-01-01"},
        {"begininvoicedate": day(last)},
        {"endinvoicedate": day(first, 35)},
        {"lastmodifiedstart": day(mid)},
        {"lastmodifiedend": day(mid)},
        {"lastmodifiedstart": day(mid, 2), "lastmodifiedend": day(mid, 9)},
        {"lastmodifiedstart": f"{day(mid)}T10:30:00", "lastmodifiedend": f"{day(mid, 1)}T12:00:00"},
        {"lastmodifiedstart": day(last, -1), "lastmodifiedend": "2026-03-31"},
        {"lastmodifiedstart": "2026-03-15T11:00:00"},
        {"lastmodifiedstart": day(mid), "begininvoicedate": day(mid, -10), "endinvoicedate": day(mid, 5)},
    ]


def _narrow_windows(store: CompanyStore) -> list[dict[str, str]]:
    """Half-hour modification windows over two working days: a row whose modification time is wrong shows."""
    mid = store._docs.timeline.starts[len(store._docs.timeline.starts) // 2]
    return [
        {
            "lastmodifiedstart": f"{on}T{hour:02d}:{minute:02d}:00",
            "lastmodifiedend": f"{on}T{hour:02d}:{minute + 29}:59",
        }
        for on in (mid + timedelta(days=1), mid + timedelta(days=2))
        for hour in range(8, 17)
        for minute in (0, 30)
    ]


def _exact_windows(records: Any, count: int) -> list[dict[str, str]]:
    """A modification window of one second per sampled record, at its modification time: only a row modified at
    exactly the same second can be in the answer (a wrong time on the cheap path loses the row)."""
    every = list(records)
    sample = every[:: max(1, len(every) // count)]
    return [
        {"lastmodifiedstart": r.modified.isoformat(timespec="seconds"), "lastmodifiedend": r.modified.isoformat()}
        for r in sample
    ]


def _sales_requests(store: CompanyStore) -> Iterator[dict[str, str]]:
    slots = store._docs.slots("salesinvoice")
    base = documents.SALES_INVOICE_KEYS
    aboves = [None, base - 5, base + 3, base + slots // 2, base + slots - 7, base + slots + 10]
    options: list[dict[str, str]] = [
        {}, {"listtype": "draftandinvoice"}, {"listtype": "preinvoice"}, {"replyoption": "0"}, {"replyoption": "3"},
        {"invoicestatus": "open"}, {"invoicestatus": "unsent"}, {"customercode": "C0003"},
        {"invoicenumber": str(documents.FIRST_INVOICE_NUMBER + 5)}, {"includemodifiedpayments": "1"},
    ]  # fmt: skip
    for window in _windows(store):
        for option in options:
            for above in aboves if len(option) == 0 or "listtype" in option else aboves[:2]:
                params = {**window, **option}
                if above is not None:
                    params["invoicesabovenetvisorkey"] = str(above)
                yield params
    yield from _narrow_windows(store)
    yield from _exact_windows(store.sales_invoices, 60)


def _purchase_requests(store: CompanyStore) -> Iterator[dict[str, str]]:
    options: list[dict[str, str]] = [{}, {"invoicestatus": "open"}, {"paymentstatus": "unpaid"}]
    for window in _windows(store):
        for option in options:
            yield {**window, **option}
    yield from _narrow_windows(store)
    yield from _exact_windows(store.purchase_invoices, 60)


def _edit(store: CompanyStore, clock: Clock) -> None:
    """Changes of every kind that touch invoices a list answers, some after the clock moved on."""
    sales, purchases = documents.SALES_INVOICE_KEYS, documents.PURCHASE_INVOICE_KEYS
    mid_sales, mid_purchases = store._docs.slots("salesinvoice") // 2, store._docs.slots("purchaseinvoice") // 2
    clock.advance(timedelta(days=2))
    store.edit("salesinvoice", sales + mid_sales, private_comment="Muutettu & <tarkistettu>")
    store.edit("salesinvoice", sales + mid_sales + 2, date=store._docs.timeline.starts[0] + timedelta(days=3))
    store.edit("customer", next(iter(store.customers)).netvisor_key, name="Uusi & Nimi")  # generated rows keep theirs
    store.create("salespayment", invoice_key=sales + 1, sum=Decimal("10.00"))
    store.create("salesinvoice")
    note = sales + mid_sales + 4
    while store.sales_invoices.get(note + 1) is not None and store.sales_invoices.get(note + 1).credited_invoice_key:
        note += 1  # a generated credited invoice: its note must go first
    store.create("salesinvoice", credited_invoice_key=note)
    clock.advance(timedelta(days=1))
    victim = sales + mid_sales + 9
    following = store.sales_invoices.get(victim + 1)
    if following is None or following.credited_invoice_key != victim:
        store.delete("salesinvoice", victim)
    store.edit("purchaseinvoice", purchases + mid_purchases, description="Muutettu")
    store.create("purchasepayment", invoice_key=purchases + mid_purchases + 1)
    store.create("purchaseinvoice")
    store.delete("purchaseinvoice", purchases + mid_purchases + 3)
    store.edit("vendor", next(iter(store.vendors)).netvisor_key, name="Toimittaja & Co")


def _compare(store: CompanyStore, clock: Clock, name: str, requests: Iterator[dict[str, str]], quirks: Any) -> int:
    """Every answer on both paths; returns how many were non-empty (so a test sees it compared rows)."""
    rows = 0
    for params in requests:
        store.list_rows.enabled = True
        fast = _answer(store, clock, name, params, quirks)
        store.list_rows.enabled = False
        full = _answer(store, clock, name, params, quirks)
        store.list_rows.enabled = True
        assert fast == full, f"{name} {params}: the cheap path differs"
        rows += fast.count(b"<NetvisorKey>")
    return rows


@pytest.mark.parametrize(("profile", "seed"), [("partner-test", 1), ("partner-test", 7), ("small", 2), ("small", 5)])
@pytest.mark.parametrize("edited", [False, True], ids=["generated", "edited"])
def test_list_rows_match_full_records(profile: str, seed: int, edited: bool) -> None:
    store, clock = _company(profile, seed)
    if edited:
        _edit(store, clock)
    for quirks in (None, render.FIXTURE_ERA_QUIRKS):
        assert _compare(store, clock, "salesinvoicelist", _sales_requests(store), quirks) > 0
    assert _compare(store, clock, "purchaseinvoicelist", _purchase_requests(store), None) > 0


def test_list_rows_match_on_large_pages() -> None:
    """The ``large`` profile (special cases at every position of their cycle), page by page after edits."""
    store, clock = _company("large", 3)
    _edit(store, clock)
    base, slots = documents.SALES_INVOICE_KEYS, store._docs.slots("salesinvoice")
    pages = [
        {"invoicesabovenetvisorkey": str(base + above)} for above in range(slots // 2 - 1200, slots // 2 + 1200, 500)
    ]
    pages += [{"invoicesabovenetvisorkey": str(base + slots - 300)}]
    assert _compare(store, clock, "salesinvoicelist", iter(pages), None) > 2000
    starts = store._docs.timeline.starts
    months = [
        {"begininvoicedate": s.isoformat(), "endinvoicedate": (s + timedelta(days=31)).isoformat()}
        for s in starts[10:13]
    ]
    assert _compare(store, clock, "purchaseinvoicelist", iter(months), None) > 4000


def test_cheap_path_is_taken_and_builds_no_invoice() -> None:
    """A page of the cheap path builds no invoice record but its credit notes (so it is the path compared above)."""
    store, clock = _company("small", 1)
    built: list[int] = []
    docs = store._docs
    plain = docs.sales_invoice

    def counting(g: int) -> Any:
        built.append(g)
        return plain(g)

    store.sales_invoices._make = counting  # type: ignore[attr-defined]
    docs.sales_invoice = counting  # type: ignore[method-assign]
    body = _answer(store, clock, "salesinvoicelist", {}, None)
    notes = {g for g in range(500) if docs.sales_special(g) == documents.CREDIT_NOTE}
    assert body.count(b"<NetvisorKey>") == 500
    assert set(built) == notes
    store.list_rows.enabled = False
    _answer(store, clock, "salesinvoicelist", {}, None)
    assert len(built) > 500
