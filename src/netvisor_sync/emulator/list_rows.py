"""The cheap path of salesinvoicelist and purchaseinvoicelist: rows of generated invoices without the invoices.

A list row carries a dozen fields of an invoice, but building a generated invoice (:mod:`.documents`: customer,
basket, dates, reference, voucher keys, status, the record itself) costs most of a row. :class:`ListRows` renders
the row of an unchanged generated invoice straight from the generator's draws (the invoice's hash, its special
case and payment fate), with the parts that repeat (a customer's or vendor's elements, a basket's sums, dates)
rendered once and kept in bounded tables. Every changed, created or deleted record (the collections' overlay)
takes the ordinary path: filtered as a record and rendered by :mod:`.render`.

The text is exactly what rendering the built invoice gives; ``tests/emulator/test_list_rows.py`` compares the two
paths byte for byte (set :attr:`ListRows.enabled` to ``False`` for the ordinary path everywhere). Only requests the
cheap path can answer take it: the handlers fall back to the ordinary path for every other filter or option.
Credit notes (one invoice in fifty) are built as records even here: their basket is the credited invoice's, negated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import TypeVar

from netvisor_sync.emulator import baskets, chart, documents, posting, render
from netvisor_sync.emulator import model as m
from netvisor_sync.emulator.documents import Documents
from netvisor_sync.emulator.finnish import reference_number
from netvisor_sync.emulator.lazy import LazyCollection, Window
from netvisor_sync.emulator.parties import hash_at

#: entries per table before it is cleared (each is a short string), so memory stays bounded
TABLE_LIMIT = 8192
_CREDIT_NOTE = documents.SALES_SPECIALS.index(documents.CREDIT_NOTE)
_CREDITED = documents.SALES_SPECIALS.index(documents.CREDITED)
_REPOSTED = documents.SALES_SPECIALS.index(documents.REPOSTED)
_FOREIGN_SALES = frozenset(documents.SALES_SPECIALS.index(s) for s in (documents.SEK, documents.USD))
_FOREIGN_VENDOR = documents.PURCHASE_SPECIALS.index(documents.FOREIGN_VENDOR)
_PURCHASE_REPOSTED = documents.PURCHASE_SPECIALS.index(documents.REPOSTED)
_BASKET_MASK = baskets.BASKETS - 1
#: how long after its date a generated sales / purchase invoice (re-posted or not) was last modified
_SALES_LAG = (timedelta(0), timedelta(days=1))
_PURCHASE_LAG = (timedelta(days=1), timedelta(days=2))
#: a credited invoice's open sum, as rendered
_NOTHING_OPEN = render.comma(posting.ZERO)

#: a request's filter on generated records: ordinal day bounds and modification bounds (``None``: unbounded)
_Bounds = tuple[int, int, datetime | None, datetime | None]


class ListRows:
    """List rows of one company's generated invoices (see the module docstring).

    Args:
        docs: the company's generator.
        sales: its sales invoices, purchases: its purchase invoices (their overlays hold the changes).
    """

    def __init__(
        self, docs: Documents, sales: LazyCollection[m.SalesDocument], purchases: LazyCollection[m.PurchaseInvoice]
    ) -> None:
        #: ``False`` sends every row through the ordinary path (what the cheap one is compared with)
        self.enabled = True
        self._docs = docs
        self._sales = sales
        self._purchases = purchases
        timeline = docs.timeline
        self._first_ordinal = timeline.starts[0].toordinal()
        #: per month: the ordinal of its first day and its length
        self._months = [(s.toordinal(), n) for s, n in zip(timeline.starts, timeline.lengths, strict=True)]
        self._today = timeline.today.toordinal()
        span = sum(timeline.lengths) + max(chart.NET_DAYS.values(), default=0) + 1
        self._iso = [date.fromordinal(self._first_ordinal + d).isoformat() for d in range(span)]
        self._customers: dict[int, tuple[str, int]] = {}
        self._sales_sums: dict[tuple[int, int], tuple[str, str, str]] = {}
        self._vendors: dict[int, tuple[str, int]] = {}
        self._purchase_sums: dict[tuple[int, int], str] = {}

    # -- sales ----------------------------------------------------------------------------------------------------
    def sales(
        self, window: Window, above: int | None, ctx: render.Context, changed: Callable[[m.SalesDocument], str | None]
    ) -> Iterator[str]:
        """salesinvoicelist rows (no ``listtype`` or ``draftandinvoice``, replyoption 0) above ``above`` whose
        invoice date and modification time lie in ``window``; ``changed`` filters and renders a changed record."""
        docs, fates = self._docs, self._docs.fates()
        specials, shares, base_hash, si = fates.sales_specials, fates.sales_shares, fates.sales_hash, docs.si
        months, iso, first_ordinal, today = self._months, self._iso, self._first_ordinal, self._today
        unsent_from, last_month = docs.si - max(1, docs.si // 10), docs.months - 1
        low, high, modified_low, modified_high = self._bounds(window)
        customer, sums = self._customer, self._sales_sum
        date_name = ctx.quirks.salesinvoicelist_date_element
        head = f'</InvoiceNumber><{date_name} format="ansi">'
        tail = f'</{date_name}><InvoiceDueDate format="ansi">'
        uri = render.key_uri(ctx, "getsalesinvoice")
        statuses = {
            (status, sub): f"</InvoiceDueDate><InvoiceStatus{f' substatus={chr(34)}{sub}{chr(34)}' if sub else ''}"
            f' isincollection="0">{status}</InvoiceStatus>'
            for status, sub in (("paid", ""), ("unsent", ""), ("open", ""), ("open", "overdue"))
        }
        key_base, number_base = documents.SALES_INVOICE_KEYS, documents.FIRST_INVOICE_NUMBER
        stamp, lags = docs.timeline.stamp, _SALES_LAG
        generated = docs.sales_invoice

        def row(g: int) -> str | None:
            special = specials[g]
            if special == _CREDIT_NOTE:  # rare: built, then filtered and rendered as a record
                return changed(generated(g))
            month, i = divmod(g, si)
            start, length = months[month]
            day = start + i * length // si
            if day < low or day > high:
                return None
            if (modified_low is not None or modified_high is not None) and _outside(
                stamp(date.fromordinal(day) + lags[special == _REPOSTED], g * 97), modified_low, modified_high
            ):
                return None
            h = hash_at(base_hash, g)
            text, net_days = customer(h, special in _FOREIGN_SALES)
            amount, open_sum, paid = sums(docs.sales_basket_slot(h, documents.SALES_SPECIALS[special]), shares[g])
            if special == _CREDITED:
                open_sum, status = _NOTHING_OPEN, statuses["paid", ""]
            elif paid:
                status = statuses["paid", ""]
            elif month == last_month and i >= unsent_from:
                status = statuses["unsent", ""]
            else:
                status = statuses["open", "overdue" if day + net_days < today else ""]
            number = number_base + g
            key = key_base + g
            return (
                f"    <SalesInvoice><NetvisorKey>{key}</NetvisorKey><InvoiceNumber>{number}{head}"
                f"{iso[day - first_ordinal]}{tail}{iso[day + net_days - first_ordinal]}{status}{text}"
                f"<ReferenceNumber>{reference_number(number)}</ReferenceNumber><InvoiceSum>{amount}</InvoiceSum>"
                f"<OpenSum>{open_sum}</OpenSum><Uri>{uri}{key}</Uri></SalesInvoice>\n"
            )

        return self._sales.map_window(window, above, row, changed)

    def _customer(self, h: int, foreign: bool) -> tuple[str, int]:
        """The row text of the customer a sales invoice drawn from ``h`` is for, and its payment term's net days."""
        docs = self._docs
        index = docs.customer_index(h, foreign=foreign)
        known = self._customers.get(index)
        if known is None:
            c = docs.customer(index)
            text = render.list_customer_text(c.netvisor_key, c.code, c.name)
            known = _kept(self._customers, index, (text, chart.NET_DAYS[c.payment_term_key]))
        return known

    def _sales_sum(self, slot: int, share: int) -> tuple[str, str, str]:
        """A sales basket's amount and, with ``share`` percent paid, its open sum as rendered, and whether nothing
        is open ("" when something is: the status rule of ``posting.set_sales_status``)."""
        known = self._sales_sums.get((slot, share))
        if known is None:
            amount = self._docs.baskets.sales_at(slot).amount
            open_sum = amount - posting.paid_part(amount, share)
            paid = "paid" if open_sum == 0 and amount != 0 else ""
            known = _kept(self._sales_sums, (slot, share), (render.comma(amount), render.comma(open_sum), paid))
        return known

    # -- purchases ------------------------------------------------------------------------------------------------
    def purchases(
        self, window: Window, ctx: render.Context, changed: Callable[[m.PurchaseInvoice], str | None]
    ) -> Iterator[str]:
        """purchaseinvoicelist rows whose invoice date and modification time lie in ``window`` (no other filter)."""
        docs, fates = self._docs, self._docs.fates()
        specials, paid_bytes, base_hash, pi = fates.purchase_specials, fates.purchase_paid, fates.purchase_hash, docs.pi
        months, iso, first_ordinal = self._months, self._iso, self._first_ordinal
        low, high, modified_low, modified_high = self._bounds(window)
        vendor, sums = self._vendor, self._purchase_sum
        uri = render.key_uri(ctx, "getpurchaseinvoice")
        key_base, number_base = documents.PURCHASE_INVOICE_KEYS, documents.FIRST_PURCHASE_NUMBER
        stamp, lags = docs.timeline.stamp, _PURCHASE_LAG

        def row(g: int) -> str | None:
            month, i = divmod(g, pi)
            start, length = months[month]
            day = start + i * length // pi
            if day < low or day > high:
                return None
            special = specials[g]
            if (modified_low is not None or modified_high is not None) and _outside(
                stamp(date.fromordinal(day) + lags[special == _PURCHASE_REPOSTED], g * 89), modified_low, modified_high
            ):
                return None
            h = hash_at(base_hash, g)
            text, region = vendor(h, special == _FOREIGN_VENDOR)
            key = key_base + g
            return (
                f"    <PurchaseInvoice><NetvisorKey>{key}</NetvisorKey><InvoiceNumber>{number_base + g}</InvoiceNumber>"
                f'<InvoiceDate format="ansi">{iso[day - first_ordinal]}</InvoiceDate>{text}'
                f"{sums(region << baskets.BASKET_BITS | (h >> 42) & _BASKET_MASK, paid_bytes[g])}"
                f"<Uri>{uri}{key}</Uri></PurchaseInvoice>\n"
            )

        return self._purchases.map_window(window, None, row, changed)

    def _vendor(self, h: int, foreign: bool) -> tuple[str, int]:
        """The row text of the vendor of a purchase invoice drawn from ``h``, and its basket region."""
        docs = self._docs
        index = docs.vendor_index(h, foreign=foreign)
        known = self._vendors.get(index)
        if known is None:
            v = docs.vendor(index)
            known = _kept(
                self._vendors, index, (render.list_vendor_text(v.name, v.business_id), baskets.region_of(v.country))
            )
        return known

    def _purchase_sum(self, slot: int, paid: int) -> str:
        """A purchase basket's ``Sum``, ``Payments`` and ``OpenSum`` elements, paid in full or not at all."""
        known = self._purchase_sums.get((slot, paid))
        if known is None:
            amount = self._docs.baskets.purchase(slot >> baskets.BASKET_BITS, slot & _BASKET_MASK).amount
            payments = amount if paid else posting.ZERO
            known = _kept(
                self._purchase_sums,
                (slot, paid),
                f"<Sum>{render.comma(amount)}</Sum><Payments>{render.comma(payments)}</Payments>"
                f"<OpenSum>{render.comma(amount - payments)}</OpenSum>",
            )
        return known

    # -- windows --------------------------------------------------------------------------------------------------
    def _bounds(self, window: Window) -> _Bounds:
        """``window``'s invoice-date bounds as ordinals (unbounded: beyond every generated day)."""
        low = window.date_low.toordinal() if window.date_low is not None else 0
        high = window.date_high.toordinal() if window.date_high is not None else 1 << 62
        return low, high, window.modified_low, window.modified_high


K = TypeVar("K")
V = TypeVar("V")


def _outside(moment: datetime, low: datetime | None, high: datetime | None) -> bool:
    """Whether ``moment`` lies outside the inclusive bounds ``low``..``high`` (``None``: unbounded)."""
    return (low is not None and moment < low) or (high is not None and moment > high)


def _kept(table: dict[K, V], key: K, value: V) -> V:
    """``value`` stored under ``key`` in one of the bounded tables of rendered texts (emptied when full)."""
    if len(table) >= TABLE_LIMIT:
        table.clear()
    table[key] = value
    return value
