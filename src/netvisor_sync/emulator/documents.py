"""The generated history of one company: documents, payments and vouchers as pure functions of their slot.

:class:`Documents` answers "what is sales invoice number ``g``" (or purchase invoice, order, payment) from
``(seed, g)`` alone, plus the calendar in :class:`~.timeline.Timeline`, and lays out the voucher keys;
``voucher_blocks`` posts the voucher in each slot and ``books`` wraps each kind in a lazy collection.
Which invoices are credited, re-posted, foreign or paid is decided by cheap per-index rules (see ``generate``'s
docstring), so counts are known without building records, and a payment, its invoice and their vouchers always
agree because each is derived from the same invoice.

Speed matters here (a ``large`` detail request builds every record it answers; list rows of unchanged invoices
are derived from :meth:`Documents.fates` without one, see :mod:`.list_rows`), and memory must stay bounded. A
document draws everything from one 64-bit hash of its slot and takes its lines and totals from a basket
(:mod:`.baskets`), building line objects only when they are read; the invoices built most recently are kept
(:class:`~.lazy.Recent`: a detail batch, its vouchers and payments read the same ones). Every cache is
bounded and none changes a value: a record is the same whether it was cached or rebuilt. Every invoice's payment fate
(a hash per invoice) is decided once when the company is built, into a byte per invoice.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from netvisor_sync.emulator import baskets, chart, finnish, parties, posting
from netvisor_sync.emulator.baskets import Baskets, GeneratedPurchaseInvoice, GeneratedSalesDocument
from netvisor_sync.emulator.lazy import Locate, Recent, Window
from netvisor_sync.emulator.model import (
    Customer,
    PurchaseInvoice,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasePayment,
    SalesDocument,
    SalesPayment,
    Vendor,
)
from netvisor_sync.emulator.parties import Rng, hash3, hash_at, hash_base
from netvisor_sync.emulator.timeline import Timeline

ZERO = posting.ZERO
ONE = Decimal(1)
_SELLERS = ("Päivi Mäkinen", "Jyrki Öhman", "Åsa Lindström", "Tuomas Kärkkäinen")
#: the seller a sales document draws, by the byte of its hash that draws it
_SELLER_BY_BYTE = tuple(_SELLERS[b % len(_SELLERS)] for b in range(256))
LINE_KEYS = posting.LINE_KEY_SPACE

# Key bases per kind; keys are base + slot.
SALES_INVOICE_KEYS = 1_000_000
SALES_ORDER_KEYS = 3_000_000
PURCHASE_INVOICE_KEYS = 4_000_000
PURCHASE_ORDER_KEYS = 6_000_000
SALES_PAYMENT_KEYS = 7_000_000
PURCHASE_PAYMENT_KEYS = 8_000_000
VOUCHER_KEYS = 10_000_000
FIRST_INVOICE_NUMBER = 1001
FIRST_PURCHASE_NUMBER = 50001

# Special cases of a sales invoice, by its position in the monthly cycle.
NORMAL, CREDITED, CREDIT_NOTE, REPOSTED, SEK, USD = "normal", "credited", "creditnote", "reposted", "SEK", "USD"
# Purchase invoices: position 0 of the cycle buys from a foreign vendor, position 1 is re-posted.
FOREIGN_VENDOR = "foreign"
#: payment term key -> (net days, as a timedelta)
_NET_TERMS = {term: (net, timedelta(days=net)) for term, net in chart.NET_DAYS.items()}
#: the invoicing currency of a vendor by country (others: EUR)
_VENDOR_CURRENCIES = {"SE": "SEK", "US": "USD"}
#: the special cases by the byte ``Documents`` keeps per invoice
SALES_SPECIALS = (NORMAL, CREDITED, CREDIT_NOTE, REPOSTED, SEK, USD)
PURCHASE_SPECIALS = (NORMAL, FOREIGN_VENDOR, REPOSTED)

# Kinds for Rng seeds and hash3 draws (16 draws cost vouchers, in ``voucher_blocks``).
_SI, _SI_PAY, _SO, _PI, _PI_PAY, _PO, _DRAFT = 10, 11, 12, 13, 14, 15, 17
_DAY, _TWO_DAYS, _FORTNIGHT = timedelta(days=1), timedelta(days=2), timedelta(days=14)
_BASKET_MASK = baskets.BASKETS - 1
#: ``lines`` of a generated document: built from its basket when first read (see :mod:`.baskets`)
_LAZY: Any = None
#: a generated record is modified on its own date or at most this long after it (see ``Timeline.stamp`` callers)
MODIFIED_LAG = timedelta(days=3)


def _rate(currency: str, on: date) -> Decimal:
    """EUR → ``currency`` rate for ``on``'s month; varies a little month to month."""
    wobble = Decimal((on.year * 12 + on.month) % 9) / 100
    return (Decimal("11.2") if currency == "SEK" else Decimal("1.05")) + wobble


class Fates(NamedTuple):
    """What :meth:`Documents.fates` returns: per invoice a byte (special case, paid share) and the hash bases."""

    #: sales invoice ``g``'s special case, as its position in :data:`SALES_SPECIALS`
    sales_specials: bytes
    #: percent of sales invoice ``g`` paid (see :meth:`Documents.sales_share`)
    sales_shares: bytes
    sales_hash: int
    #: purchase invoice ``g``'s special case, as its position in :data:`PURCHASE_SPECIALS`
    purchase_specials: bytes
    #: 1 when purchase invoice ``g`` is paid
    purchase_paid: bytes
    purchase_hash: int


class Documents:
    """Every generated record of one company, addressed by slot; see the module docstring.

    Args:
        per_month: sales invoices, purchase invoices, sales orders and purchase orders per month.
    """

    def __init__(
        self,
        *,
        seed: int,
        timeline: Timeline,
        customers: int,
        vendors: int,
        products: int,
        per_month: tuple[int, int, int, int],
        cost_vouchers: int,
        max_lines: int,
    ) -> None:
        self.seed = seed
        self.timeline = timeline
        self.months = len(timeline.starts)
        self.customers, self.vendors, self.products = customers, vendors, products
        self.si, self.pi, self.so, self.po = per_month
        self.costs = cost_vouchers
        self.max_lines = max_lines
        self._si_cycle = min(max(self.si, 20), 50)
        self._pi_cycle = min(max(self.pi, 20), 50)
        s, p, c = self.si, self.pi, self.costs
        # Offsets of the voucher segments inside one month's block.
        self.off_pi, self.off_sp, self.off_pp = s, s + p, 2 * s + p
        self.off_cost, self.off_si_repost, self.off_pi_repost = 2 * s + 2 * p, 2 * s + 2 * p + c, 3 * s + 2 * p + c
        self.block = 3 * s + 3 * p + c
        start = datetime.combine(timeline.starts[0], datetime.min.time()) - timedelta(days=60)
        end = timeline.end - timedelta(hours=1)
        self.customer = lru_cache(maxsize=8192)(lambda i: parties.customer(seed, i, start + timedelta(hours=i), end))
        self.vendor = lru_cache(maxsize=4096)(lambda i: parties.vendor(seed, i, start + timedelta(hours=i), end))
        self.product = lru_cache(maxsize=4096)(lambda i: parties.product(seed, i, start + timedelta(minutes=i), end))
        self._si_hash, self._pi_hash = hash_base(seed, _SI), hash_base(seed, _PI)  # hash_at(., g): invoice g's draws
        self._si_pay_hash, self._pi_pay_hash = hash_base(seed, _SI_PAY), hash_base(seed, _PI_PAY)
        self._recent_sales: Recent[SalesDocument] = Recent()
        self._recent_purchases: Recent[PurchaseInvoice] = Recent()
        self.baskets = Baskets(seed=seed, products=products, max_lines=max_lines, product=self.product)
        self.counts = self._count()

    # -- counts -----------------------------------------------------------------------------------------------
    def _count(self) -> dict[str, int]:
        n_si, n_pi = self.months * self.si, self.months * self.pi
        # Every invoice's special case and payment fate, decided once here (a hash per invoice) and looked up by
        # every record built: a byte per invoice.
        self._sales_specials = bytes(SALES_SPECIALS.index(self._sales_special_of(g)) for g in range(n_si))
        self._purchase_specials = bytes(PURCHASE_SPECIALS.index(self._purchase_special_of(g)) for g in range(n_pi))
        self._shares = bytes(self._sales_share_of(g) for g in range(n_si))
        self._paid = bytes(self._purchase_paid_of(g) for g in range(n_pi))
        sales_paid = n_si - self._shares.count(0)
        purchases_paid = self._paid.count(1)
        si_reposts = self._sales_specials.count(SALES_SPECIALS.index(REPOSTED))
        pi_reposts = self._purchase_specials.count(PURCHASE_SPECIALS.index(REPOSTED))
        return {
            "customer": self.customers,
            "vendor": self.vendors,
            "product": self.products,
            "salesinvoice": n_si,
            "salesorder": self.months * self.so,
            "purchaseinvoice": n_pi,
            "purchaseorder": self.months * self.po,
            "salespayment": sales_paid,
            "purchasepayment": purchases_paid,
            "voucher": n_si + n_pi + sales_paid + purchases_paid + self.months * self.costs + si_reposts + pi_reposts,
        }

    def slots(self, kind: str) -> int:
        """Number of key slots of ``kind`` (payments and vouchers have empty slots)."""
        return {
            "salesinvoice": self.months * self.si,
            "salesorder": self.months * self.so,
            "purchaseinvoice": self.months * self.pi,
            "purchaseorder": self.months * self.po,
            "salespayment": self.months * self.si,
            "purchasepayment": self.months * self.pi,
            "voucher": self.months * self.block,
        }.get(kind, self.counts.get(kind, 0))

    def locator(self, per_month: int, *, by_day: bool = True, months_late: int = 0) -> Locate:
        """Where the records of a window lie, for a kind laid out ``per_month`` slots per month.

        ``months_late``: the records of a month's slots are dated that many months later (a sales payment pays an
        invoice of the previous month, in the same slot, spread over its own month as invoices are).

        Sales and purchase invoices and sales orders are spread over their month in date order, so a window finds
        its first and last slot to the day (``by_day``); each month's vouchers fill one block, in date order only
        segment by segment, so for them a window finds whole months. A record's modification time lies between its
        date and :data:`MODIFIED_LAG` later, so a modified window bounds dates too. A window wholly before or after
        the history finds nothing.
        """
        timeline = self.timeline
        first_day, last_day = timeline.starts[0], timeline.starts[-1] + timedelta(days=timeline.lengths[-1] - 1)
        every = self.months * per_month
        shift = months_late * per_month

        def locate(window: Window) -> tuple[int, int]:
            low, high = window.date_low, window.date_high
            if window.modified_low is not None:
                earliest = (window.modified_low - MODIFIED_LAG).date()
                low = earliest if low is None else max(low, earliest)
            if window.modified_high is not None:
                latest = window.modified_high.date()
                high = latest if high is None else min(high, latest)
            if (low is not None and low > last_day) or (high is not None and high < first_day):
                return 0, 0
            first = 0 if low is None or low < first_day else max(0, self._slot_from(low, per_month, by_day) - shift)
            stop = every if high is None or high > last_day else self._slot_to(high, per_month, by_day) - shift
            return first, max(first, stop)

        return locate

    def _slot_from(self, low: date, per_month: int, by_day: bool) -> int:
        """The first slot dated on or after ``low`` (a day of the history)."""
        m = self.timeline.month_of(low)
        if not by_day:
            return m * per_month
        d = (low - self.timeline.starts[m]).days
        return m * per_month - (-d * per_month // self.timeline.lengths[m])  # item i is dated day i * length // per

    def _slot_to(self, high: date, per_month: int, by_day: bool) -> int:
        """The slot after the last one dated on or before ``high`` (a day of the history)."""
        m = self.timeline.month_of(high)
        if not by_day:
            return (m + 1) * per_month
        d = (high - self.timeline.starts[m]).days
        return m * per_month - (-(d + 1) * per_month // self.timeline.lengths[m])

    # -- fates --------------------------------------------------------------------------------------------------
    def sales_special(self, g: int) -> str:
        """Invoice ``g``'s place in the monthly cycle of special cases (see ``generate``'s docstring)."""
        specials = self._sales_specials
        return SALES_SPECIALS[specials[g]] if 0 <= g < len(specials) else self._sales_special_of(g)

    def _sales_special_of(self, g: int) -> str:
        m, i = divmod(g, self.si)
        r = (i + 7 * m + self.seed) % self._si_cycle
        if r == 0:
            return CREDITED if i < self.si - 1 else NORMAL
        if r == 1:
            return CREDIT_NOTE if i >= 1 else NORMAL
        return (NORMAL, NORMAL, REPOSTED, SEK, USD)[r] if r < 5 else NORMAL

    def sales_share(self, g: int) -> int:
        """Percent of invoice ``g`` paid during the next month: 100, a partial 30-62, or 0."""
        return self._shares[g] if 0 <= g < len(self._shares) else self._sales_share_of(g)

    def _sales_share_of(self, g: int) -> int:
        if g // self.si >= self.months - 1 or self.sales_special(g) in (CREDITED, CREDIT_NOTE):
            return 0
        u = hash_at(self._si_pay_hash, g) % 100
        return 100 if u < 85 else 30 + (u - 85) * 8 if u < 90 else 0

    def purchase_special(self, g: int) -> str:
        specials = self._purchase_specials
        return PURCHASE_SPECIALS[specials[g]] if 0 <= g < len(specials) else self._purchase_special_of(g)

    def _purchase_special_of(self, g: int) -> str:
        m, i = divmod(g, self.pi)
        r = (i + 3 * m + self.seed) % self._pi_cycle
        return FOREIGN_VENDOR if r == 0 else REPOSTED if r == 1 else NORMAL

    def purchase_paid(self, g: int) -> bool:
        """Whether purchase invoice ``g`` is paid (in full) during the next month."""
        return self._paid[g] == 1 if 0 <= g < len(self._paid) else self._purchase_paid_of(g)

    def _purchase_paid_of(self, g: int) -> bool:
        return g // self.pi < self.months - 1 and hash_at(self._pi_pay_hash, g) % 100 < 85

    @staticmethod
    def sales_basket_slot(h: int, special: str = NORMAL) -> int:
        """The basket (``Baskets.sales_at``) a sales document drawn from the hash ``h`` takes its lines from."""
        return (1 if special == SEK else 2 if special == USD else 0) << baskets.BASKET_BITS | (h >> 42) & _BASKET_MASK

    def sales_basket_of(self, g: int) -> tuple[int, bool]:
        """Which basket sales invoice ``g`` posts, and whether negated: a credit note posts its invoice's negated.

        What ``_sales_invoice`` draws, without building the invoice (``books`` sums the ledger with it).
        """
        special = self.sales_special(g)
        if special == CREDIT_NOTE:
            return self.sales_basket_slot(hash_at(self._si_hash, g - 1)), True
        return self.sales_basket_slot(hash_at(self._si_hash, g), special), False

    def sales_document(
        self, h: int, *, key: int, kind: str, number: int, on: date, special: str = NORMAL
    ) -> GeneratedSalesDocument:
        """A sales invoice or order for a random customer, open for its full amount, without a voucher.

        Every draw comes from the 64-bit hash ``h``: the customer from its low 32 bits, then seller, comment and
        basket (see :mod:`.baskets`) from the high ones.
        """
        return self._sales_document(h, key, kind, number, on, special)

    def customer_index(self, h: int, *, foreign: bool) -> int:
        """The customer a sales document drawn from the hash ``h`` is for (foreign sales: every tenth customer)."""
        low = h & 0xFFFFFFFF
        if foreign and self.customers >= 10:
            return 9 + 10 * ((low * (self.customers // 10)) >> 32)
        return (low * self.customers) >> 32

    def fates(self) -> Fates:
        """Every invoice's special case and payment fate and the hash bases of their draws, for code that derives
        a few fields of many generated invoices without building them (``list_rows``)."""
        return Fates(
            self._sales_specials, self._shares, self._si_hash, self._purchase_specials, self._paid, self._pi_hash
        )

    def _sales_document(  # noqa: PLR0917 - positional: this runs for every invoice a list request reads
        self, h: int, key: int, kind: str, number: int, on: date, special: str
    ) -> GeneratedSalesDocument:
        foreign = special in (SEK, USD)
        c: Customer = self.customer(self.customer_index(h, foreign=foreign))
        net_days, due_in = _NET_TERMS[c.payment_term_key]
        seller = _SELLER_BY_BYTE[(h >> 32) & 0xFF]
        comment = "" if (h >> 40) & 3 else "Asiakas toivoi laskun sähköpostiin."
        basket = self.baskets.sales_at(self.sales_basket_slot(h, special))
        amount = basket.amount
        rate = _rate(special, on) if foreign else ONE
        # positional, in the field order of SalesDocument: this runs for every invoice a list request reads
        doc = GeneratedSalesDocument(
            key, "invoice" if kind == "invoice" else "order", number, on, on + due_in, on, on,
            finnish.reference_number(number) if kind == "invoice" else "", "open", "", c.netvisor_key, c.code, c.name,
            c.business_id, c.street, c.post_number, c.city, c.country, amount, basket.net, basket.vat, amount,
            special if foreign else "EUR", rate, posting.money(amount * rate) if foreign else None, net_days,
            seller, c.contact_person, comment, _LAZY,
        )  # fmt: skip
        doc.basket = basket
        return doc

    # -- sales ------------------------------------------------------------------------------------------------
    def sales_invoice(self, g: int) -> SalesDocument:
        """Sales invoice ``g``; the most recently built are kept, as a list page, its details, their vouchers and
        payments all read the same invoices (records are replaced, never changed in place, so sharing is safe)."""
        doc = self._recent_sales.get(g)
        if doc is None:
            doc = self._sales_invoice(g)
            self._recent_sales.put(g, doc)
        return doc

    def _sales_invoice(self, g: int) -> SalesDocument:
        m = g // self.si
        i = g - m * self.si
        special = SALES_SPECIALS[self._sales_specials[g]]  # sales_special, for a generated invoice
        if special == CREDIT_NOTE:
            return self._credit_note(g)
        on = self.timeline.day(m, i, self.si)
        doc = self._sales_document(
            hash_at(self._si_hash, g), SALES_INVOICE_KEYS + g, "invoice", FIRST_INVOICE_NUMBER + g, on, special
        )
        if special == REPOSTED:
            doc.modified = self.timeline.stamp(on + _DAY, g * 97)
            doc.voucher_key = VOUCHER_KEYS + m * self.block + self.off_si_repost + i
            doc.voucher_number = self.months * self.si + g + 1
        else:
            doc.modified = self.timeline.stamp(on, g * 97)
            doc.voucher_key, doc.voucher_number = VOUCHER_KEYS + m * self.block + i, g + 1
        if special == CREDITED:
            doc.status, doc.open_sum = "paid", ZERO
        else:
            doc.open_sum = doc.amount - posting.paid_part(doc.amount, self._shares[g])  # sales_share of a generated one
            last = m == self.months - 1 and i >= self.si - max(1, self.si // 10)
            posting.set_sales_status(doc, self.timeline.today, unsent=last)
        return doc

    def _credit_note(self, g: int) -> SalesDocument:
        """The credit note for the whole of invoice ``g - 1`` (always a domestic ``CREDITED`` one, see
        :meth:`sales_special`), as ``posting.credit_note_of`` makes it, but with lines still built only when read:
        the invoice's own draws (customer, seller, comment, basket) dated ``on``, then the basket negated."""
        m, i = divmod(g, self.si)
        key, number, on = SALES_INVOICE_KEYS + g, FIRST_INVOICE_NUMBER + g, self.timeline.day(m, i, self.si)
        doc = self._sales_document(hash_at(self._si_hash, g - 1), key, "invoice", number, on, NORMAL)
        basket = doc.basket = baskets.credit_basket(doc.basket, f"Hyvitys laskulle {number - 1}")
        doc.amount, doc.net_amount, doc.vat_amount = basket.amount, basket.net, basket.vat
        doc.due_date, doc.credited_invoice_key = on, key - 1
        doc.comment_lines = (posting.credit_note_comment(number - 1),)
        doc.modified = self.timeline.stamp(on, g * 97)
        doc.voucher_key, doc.voucher_number = self.sales_voucher_key(g), g + 1
        doc.status, doc.open_sum = "paid", ZERO
        return doc

    def sales_voucher_key(self, g: int) -> int:
        m, i = divmod(g, self.si)
        offset = self.off_si_repost if self.sales_special(g) == REPOSTED else 0
        return VOUCHER_KEYS + m * self.block + offset + i

    def sales_payment(self, g: int) -> SalesPayment | None:
        share = self.sales_share(g)
        if not share:
            return None
        m, i = divmod(g, self.si)
        invoice = self.sales_invoice(g)
        paid = posting.paid_part(invoice.amount, share)
        on = self.timeline.day(m + 1, i, self.si)
        return SalesPayment(
            netvisor_key=SALES_PAYMENT_KEYS + g, name=invoice.customer_name, date=on, sum=paid,
            reference=invoice.reference,
            foreign_currency_amount=posting.money(paid * invoice.currency_rate) if invoice.currency != "EUR" else None,
            invoice_key=invoice.netvisor_key, invoice_number=int(invoice.number),
            payment_account_name="Nordea yritystili", payment_account_number="FI2112345600000785",
            voucher_key=VOUCHER_KEYS + (m + 1) * self.block + self.off_sp + i,
            modified=self.timeline.stamp(on, g * 61),
        )  # fmt: skip

    def sales_order(self, g: int) -> SalesDocument:
        m, q = divmod(g, self.so)
        on = self.timeline.day(m, q, self.so)
        doc = self.sales_document(hash3(self.seed, _SO, g), key=SALES_ORDER_KEYS + g, kind="order", number=1 + g, on=on)
        doc.status = "delivered" if m < self.months - 1 else "undelivered"
        doc.modified = self.timeline.stamp(on, g * 53)
        return doc

    def purchase_document(self, h: int, *, key: int, number: int, on: date, foreign: bool = False) -> PurchaseInvoice:
        """An approved, unpaid purchase invoice from a random (or a foreign) vendor, without a voucher.

        The vendor comes from the low 32 bits of the hash ``h``, the basket (see :mod:`.baskets`) from high ones.
        """
        v = self._purchase_vendor(h, foreign=foreign)
        basket = self.baskets.purchase(baskets.region_of(v.country), (h >> 42) & _BASKET_MASK)
        amount = basket.amount
        currency = _VENDOR_CURRENCIES.get(v.country, "EUR")
        rate = _rate(currency, on) if currency != "EUR" else ONE
        inv = GeneratedPurchaseInvoice(  # positional, in field order: this runs for every purchase invoice read
            key, str(number), on, on, on + _FORTNIGHT, on, finnish.reference_number(number), v.netvisor_key, v.code,
            v.name, v.business_id, v.address, v.post_code, v.city, v.country, v.iban, amount, ZERO, currency,
            posting.money(amount * rate) if currency != "EUR" else None, "accepted", "approved", basket.description,
            _LAZY,
        )  # fmt: skip
        inv.basket = basket
        return inv

    def _purchase_vendor(self, h: int, *, foreign: bool) -> Vendor:
        return self.vendor(self.vendor_index(h, foreign=foreign))

    def vendor_index(self, h: int, *, foreign: bool) -> int:
        """The vendor a purchase invoice drawn from the hash ``h`` is from (foreign ones: every tenth vendor)."""
        low = h & 0xFFFFFFFF
        if foreign and self.vendors >= 10:
            return 9 + 10 * ((low * (self.vendors // 10)) >> 32)
        return (low * self.vendors) >> 32

    def purchase_basket_of(self, g: int) -> tuple[int, int]:
        """Which basket (vendor region, index) purchase invoice ``g`` posts, without building the invoice."""
        h = hash_at(self._pi_hash, g)
        v = self._purchase_vendor(h, foreign=self.purchase_special(g) == FOREIGN_VENDOR)
        return baskets.region_of(v.country), (h >> 42) & _BASKET_MASK

    def purchase_invoice(self, g: int) -> PurchaseInvoice:
        """Purchase invoice ``g``; recently built ones are kept, as for :meth:`sales_invoice`."""
        inv = self._recent_purchases.get(g)
        if inv is None:
            inv = self._purchase_invoice(g)
            self._recent_purchases.put(g, inv)
        return inv

    def _purchase_invoice(self, g: int) -> PurchaseInvoice:
        m = g // self.pi
        i = g - m * self.pi
        special = self.purchase_special(g)
        on = self.timeline.day(m, i, self.pi)
        inv = self.purchase_document(
            hash_at(self._pi_hash, g), key=PURCHASE_INVOICE_KEYS + g, number=FIRST_PURCHASE_NUMBER + g, on=on,
            foreign=special == FOREIGN_VENDOR,
        )  # fmt: skip
        inv.modified = self.timeline.stamp(on + (_TWO_DAYS if special == REPOSTED else _DAY), g * 89)
        if special == REPOSTED:  # as purchase_voucher_key, whose special case is known here
            inv.voucher_key = VOUCHER_KEYS + m * self.block + self.off_pi_repost + i
            inv.voucher_number = self.months * self.pi + g + 1
        else:
            inv.voucher_key, inv.voucher_number = VOUCHER_KEYS + m * self.block + self.off_pi + i, g + 1
        if self._paid[g]:  # purchase_paid, for a generated invoice
            inv.paid_amount, inv.status = inv.amount, "paid"
        elif m == self.months - 1 and i >= self.pi - max(1, self.pi // 5):
            inv.status, inv.approval_status = "open", "notapproved"
        return inv

    def purchase_voucher_key(self, g: int) -> int:
        m, i = divmod(g, self.pi)
        offset = self.off_pi_repost if self.purchase_special(g) == REPOSTED else self.off_pi
        return VOUCHER_KEYS + m * self.block + offset + i

    def original_voucher_key(self, kind: str, g: int) -> int:
        """The key of the first voucher posted for invoice ``g`` (the invalidated one, when it was re-posted)."""
        per_month, offset = (self.si, 0) if kind == "salesinvoice" else (self.pi, self.off_pi)
        m, i = divmod(g, per_month)
        return VOUCHER_KEYS + m * self.block + offset + i

    def purchase_payment(self, g: int) -> PurchasePayment | None:
        if not self.purchase_paid(g):
            return None
        m, i = divmod(g, self.pi)
        inv = self.purchase_invoice(g)
        on = self.timeline.day(m + 1, i, self.pi)
        return PurchasePayment(
            netvisor_key=PURCHASE_PAYMENT_KEYS + g, payer_name=inv.vendor_name, date=on,
            home_currency_sum=inv.amount, foreign_currency_sum=inv.foreign_amount, reference=inv.reference,
            invoice_key=inv.netvisor_key, invoice_number=inv.number,
            voucher_key=VOUCHER_KEYS + (m + 1) * self.block + self.off_pp + i,
            voucher_number=(m + 1) * self.pi + i + 1, modified=self.timeline.stamp(on, g * 43),
        )  # fmt: skip

    def purchase_order(self, g: int) -> PurchaseOrder:
        """Orders of past months are archived with their invoice linked; the last month's are still in progress."""
        m, q = divmod(g, self.po)
        rng = Rng(self.seed, _PO, g)
        if m < self.months - 1:
            inv = self.purchase_invoice(m * self.pi + q * self.pi // self.po)
            on, status, delivery, linked = inv.date - 7 * _DAY, "archived", "fullydelivered", [inv.netvisor_key]
            lines, vendor, modified = inv.lines, self.vendor(inv.vendor_key - parties.VENDOR_KEYS), inv.modified
        else:
            on = self.timeline.day(m, q, self.po)
            status = rng.pick(("proposal", "approved", "senttovendor", "waitinginvoice"))
            delivery, linked, modified = "undelivered", [], self.timeline.stamp(on, g * 31)
            vendor = self.vendor(rng.below(self.vendors))
            basket = self.baskets.purchase(baskets.region_of(vendor.country), rng.below(baskets.BASKETS))
            lines = baskets.purchase_lines(basket, PURCHASE_ORDER_KEYS + g)
        key = PURCHASE_ORDER_KEYS + g
        order_lines = [
            PurchaseOrderLine(
                key * LINE_KEYS + j, line.product_code, line.product_name, line.quantity,
                line.quantity if delivery == "fullydelivered" else ZERO, line.unit, line.unit_price, line.vat_percent,
                line.net_sum, line.sum,
            )
            for j, line in enumerate(lines, start=1)
        ]  # fmt: skip
        return PurchaseOrder(
            netvisor_key=key, number=1 + g, date=on, status=status, delivery_status=delivery,
            vendor_key=vendor.netvisor_key, vendor_name=vendor.name, vendor_address=vendor.address,
            vendor_post_number=vendor.post_code, vendor_city=vendor.city, vendor_country=vendor.country,
            amount=sum((line.sum for line in order_lines), ZERO), currency="EUR",
            comment=rng.pick(("", "Kiireellinen")),
            our_reference=rng.pick(_SELLERS), payment_term="14 päivää netto", lines=order_lines,
            linked_invoice_keys=linked, modified=modified,
        )  # fmt: skip

    def next_numbers(self) -> dict[str, int]:
        """The first free document number per kind and voucher number per voucher type (``voucher:<type key>``)."""
        return {
            "salesinvoice": FIRST_INVOICE_NUMBER + self.months * self.si,
            "salesorder": 1 + self.months * self.so,
            "purchaseinvoice": FIRST_PURCHASE_NUMBER + self.months * self.pi,
            "purchaseorder": 1 + self.months * self.po,
            f"voucher:{chart.SALES_INVOICE_TYPE}": 2 * self.months * self.si + 1,
            f"voucher:{chart.PURCHASE_INVOICE_TYPE}": 2 * self.months * self.pi + 1,
            f"voucher:{chart.SALES_PAYMENT_TYPE}": (self.months + 1) * self.si + 1,
            f"voucher:{chart.PURCHASE_PAYMENT_TYPE}": (self.months + 1) * self.pi + 1,
            f"voucher:{chart.OTHER_TYPE}": self.months * self.costs + 1,
        }

    def draft(self, kind: str, key: int, number: int, on: date) -> SalesDocument | PurchaseInvoice | PurchaseOrder:
        """Realistic defaults for a record created through the change API (``store.create``)."""
        h = hash3(self.seed, _DRAFT, key)
        if kind in ("salesinvoice", "salesorder"):
            return self.sales_document(h, key=key, kind=kind[5:], number=number, on=on)
        if kind == "purchaseinvoice":
            return self.purchase_document(h, key=key, number=number, on=on)
        order = self.purchase_order(min(key - PURCHASE_ORDER_KEYS, self.months * self.po - 1))
        return dataclasses.replace(
            order, netvisor_key=key, number=number, date=on, status="approved", delivery_status="undelivered",
            linked_invoice_keys=[],
            lines=[dataclasses.replace(line, netvisor_key=key * LINE_KEYS + j, delivered_quantity=ZERO)
                   for j, line in enumerate(order.lines, start=1)],
        )  # fmt: skip
