"""Date and modification windows read only the generated months they can match, and answer exactly as a full scan.

``LazyCollection.iter_window`` skips generated slots outside a request's window (so a month of the ``large`` ledger
does not build two years of vouchers); this pins that the answers are byte for byte those of scanning everything,
edited records included, for every window shape the handlers pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company, business_id
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.store import CompanyStore

NOW = datetime(2026, 3, 15, 12, 30)


class _Scanned:
    """A collection without a known layout, so handlers scan every record (the reference answer)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get(self, key: int) -> Any:
        return self._inner.get(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inner)

    def iter_from(self, above_key: int) -> Iterator[Any]:
        return iter(self._inner.iter_from(above_key))

    def __len__(self) -> int:
        return len(self._inner)


class _ScannedCompany:
    def __init__(self, store: CompanyStore) -> None:
        self._store = store
        self.sales_invoices = _Scanned(store.sales_invoices)
        self.sales_orders = _Scanned(store.sales_orders)
        self.purchase_invoices = _Scanned(store.purchase_invoices)
        self.vouchers = _Scanned(store.vouchers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.fixture(scope="module")
def edited() -> CompanyStore:
    """A small company where some early records were moved into the last month and some late ones were deleted."""
    clock = Clock.frozen(NOW)
    store = build_company("small", seed=5, organisation_id=business_id(3), clock=clock)
    clock.advance(timedelta(days=1))
    first_invoice = next(iter(store.sales_invoices))
    store.edit("salesinvoice", first_invoice.netvisor_key, date="2026-02-20")
    store.edit("purchaseinvoice", next(iter(store.purchase_invoices)).netvisor_key, date="2026-02-21")
    store.invalidate_voucher(next(v for v in store.vouchers if v.linked_source_type is None).netvisor_key)
    store.delete("salesinvoice", max(i.netvisor_key for i in store.sales_invoices if i.status == "unsent"))
    store.create("salesinvoice", date=date(2025, 6, 3))
    # payments of early invoices changed now: includemodifiedpayments finds those invoices by their payments alone
    early = [p for p in store.sales_payments if p.invoice_key is not None][:3]
    for payment in early:
        store.edit("salespayment", payment.netvisor_key, payment_account_name="Osuuspankki yritystili")
    store.create("salespayment", sum="12.50")  # a payment without an invoice, in every modification window since
    return store


def _months() -> list[tuple[str, str]]:
    out = []
    for month in range(1, 15):
        first = date(2025 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
        out.append((first.isoformat(), last.isoformat()))
    return out


def _requests() -> Iterator[tuple[str, dict[str, str]]]:
    for start, end in _months():
        yield "accountingledger", {"startdate": start, "enddate": end, "voucherstatus": "1"}
        yield "purchaseinvoicelist", {"begininvoicedate": start, "endinvoicedate": end}
        yield "salesinvoicelist", {"begininvoicedate": start, "endinvoicedate": end, "invoicesabovenetvisorkey": "1"}
    for since in ("2025-03-30", "2025-11-01T12:00:00", "2026-02-27", "2026-03-16"):
        yield "accountingledger", {"lastmodifiedstart": since, "voucherstatus": "1"}
        yield "accountingledger", {"changedsince": since, "lastmodifiedend": "2025-12-02"}
        yield "purchaseinvoicelist", {"lastmodifiedstart": since}
        yield "purchaseinvoicelist", {"lastmodifiedend": since, "begininvoicedate": "2025-04-01"}
        yield "salesinvoicelist", {"lastmodifiedstart": since, "lastmodifiedend": "2026-03-20"}
        yield "salesinvoicelist", {"lastmodifiedstart": since, "includemodifiedpayments": "1"}
        yield "salesinvoicelist", {"lastmodifiedstart": since, "includemodifiedpayments": "1", "replyoption": "1"}
        for above in ("1", "2000", "10000000"):
            paging = {"lastmodifiedstart": since, "includemodifiedpayments": "1", "invoicesabovenetvisorkey": above}
            yield "salesinvoicelist", paging
        yield "salesinvoicelist", {"lastmodifiedstart": since, "listtype": "preinvoice"}
    # windows of days: invoices and orders are located to the day, so the first and last days of months matter
    days = [("2025-03-01", "2025-03-01"), ("2025-06-10", "2025-06-10"), ("2025-06-30", "2025-07-01")]
    days += [("2025-07-03", "2025-07-17"), ("2026-02-28", "2026-02-28"), ("2026-02-20", "2026-03-31")]
    for start, end in days:
        yield "accountingledger", {"startdate": start, "enddate": end, "voucherstatus": "1"}
        yield "purchaseinvoicelist", {"begininvoicedate": start, "endinvoicedate": end}
        yield "salesinvoicelist", {"begininvoicedate": start, "endinvoicedate": end, "listtype": "draftandinvoice"}
        yield "salesinvoicelist", {"begininvoicedate": start, "endinvoicedate": end, "listtype": "preinvoice"}
        window = {"lastmodifiedstart": f"{start}T09:30:00", "lastmodifiedend": f"{end}T14:00:00"}
        yield "salesinvoicelist", window
        yield "purchaseinvoicelist", window
        yield "accountingledger", {**window, "voucherstatus": "1"}
    yield "accountingledger", {"startdate": "2000-01-01", "enddate": "2024-12-31"}  # before the history
    yield "accountingledger", {"startdate": "2026-03-01", "enddate": "2030-12-31"}  # after it
    yield "salesinvoicelist", {"begininvoicedate": "2000-01-01", "endinvoicedate": "2025-02-28"}
    yield "purchaseinvoicelist", {"lastmodifiedstart": "2026-03-02T00:00:00"}


def test_windowed_reads_answer_exactly_as_full_scans(edited: CompanyStore) -> None:
    scanned = _ScannedCompany(edited)
    rows = 0
    for resource, params in _requests():
        answers = []
        for company in (edited, scanned):
            reply = handle(company, resource, params, now=NOW, language="EN", base_url="http://testserver")
            answers.append(b"".join(reply.chunks))
            rows += reply.rows
        assert answers[0] == answers[1], (resource, params)
    assert rows > 50_000  # the windows are not all empty
