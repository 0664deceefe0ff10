"""The generated history of one company: documents, payments and vouchers as pure functions of their slot.

:class:`Documents` answers "what is sales invoice number ``g``" (or purchase invoice, order, payment, voucher)
from ``(seed, g)`` alone, plus the calendar in :class:`Timeline`; ``books`` wraps each kind in a lazy collection.
Which invoices are credited, re-posted, foreign or paid is decided by cheap per-index rules (see ``generate``'s
docstring), so counts are known without building records, and a payment, its invoice and their vouchers always
agree because each is derived from the same invoice.

Speed matters here (a ``large`` list request builds every record it answers), and memory must stay bounded, so
three small caches hold what records share: line sums per product, quantity, discount and kind of sale or vendor
country; the last :data:`_RECENT_LIMIT` invoices of each kind (a list page, its details, their vouchers and
payments read the same ones); and payment summaries. Each is cleared or trimmed when full, and none changes a value:
a record is the same whether it was cached or rebuilt. Every invoice's payment fate (a hash per invoice) is decided
once when the company is built, into a byte per invoice, and line draws step :class:`~.parties.Rng` inline.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import itertools
from collections import OrderedDict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from netvisor_sync.emulator import chart, finnish, parties, posting
from netvisor_sync.emulator.lazy import Locate, Window
from netvisor_sync.emulator.model import (
    Customer,
    DimensionRef,
    Product,
    PurchaseInvoice,
    PurchaseLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasePayment,
    SalesDocument,
    SalesLine,
    SalesPayment,
    Vendor,
    Voucher,
)
from netvisor_sync.emulator.parties import Rng, hash3

ZERO = posting.ZERO
ONE = Decimal(1)
_QUANTITIES = tuple(Decimal(n) for n in ("1", "1", "1", "2", "2", "3", "4", "5", "10", "12", "0.5", "2.5"))
_TEN = Decimal(10)
_EU_VAT = Decimal("25.5")  # Finnish VAT a buyer posts on a reverse-charge EU purchase
_SELLERS = ("Päivi Mäkinen", "Jyrki Öhman", "Åsa Lindström", "Tuomas Kärkkäinen")
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

# Kinds for Rng seeds.
_SI, _SI_PAY, _SO, _PI, _PI_PAY, _PO, _COST, _DRAFT = 10, 11, 12, 13, 14, 15, 16, 17
_DAY = timedelta(days=1)
#: a generated record is modified on its own date or at most this long after it (see ``Timeline.stamp`` callers)
MODIFIED_LAG = timedelta(days=3)


_SUMMARY_LIMIT = 20_000
#: most remembered line-sum combinations (per product, quantity, discount and kind of sale or vendor country)
_TERMS_LIMIT = 16_384
#: invoices of each kind kept after they are built (about 4 kB each with their lines)
_RECENT_LIMIT = 4096


class _Summary(NamedTuple):
    key: int
    number: int | str
    name: str
    reference: str
    amount: Decimal
    currency: str
    rate: Decimal
    foreign_amount: Decimal | None


class Timeline:
    """The generated months: ``months`` whole months ending the month before ``today``'s."""

    def __init__(self, today: date, months: int) -> None:
        first = today.replace(day=1)
        self.today = today
        self.end = datetime(first.year, first.month, 1)  # nothing generated is modified at or after this
        starts = [_add_months(first, m - months) for m in range(months + 1)]
        self.starts = starts[:-1]
        self.lengths = [(b - a).days for a, b in itertools.pairwise(starts)]
        self._dates = [
            [s + timedelta(days=d) for d in range(n)] for s, n in zip(self.starts, self.lengths, strict=True)
        ]
        self._latest = self.end - timedelta(minutes=1)
        self._mornings: dict[date, datetime] = {}  # at most one entry per day of the history, plus a few

    def day(self, month: int, i: int, per_month: int) -> date:
        """The date of item ``i`` of ``per_month`` spread evenly over ``month``."""
        return self._dates[month][i * self.lengths[month] // per_month]

    def month_of(self, on: date) -> int:
        """Index of the generated month holding ``on``: -1 before the first, the last month after the end."""
        return bisect.bisect_right(self.starts, on) - 1

    def stamp(self, on: date, seconds: int) -> datetime:
        """A modification time on ``on`` during office hours, never at or after :attr:`end`."""
        morning = self._mornings.get(on)
        if morning is None:
            morning = self._mornings[on] = datetime(on.year, on.month, on.day, 8)
        at = morning + timedelta(seconds=seconds % 32400)
        return at if at < self._latest else self._latest


def _remember(recent: OrderedDict[int, Any], g: int, record: Any) -> None:
    """Keep ``record`` among the last :data:`_RECENT_LIMIT` built, forgetting the oldest."""
    if len(recent) >= _RECENT_LIMIT:
        with contextlib.suppress(KeyError):  # another thread (overlap="allow") emptied it meanwhile
            recent.popitem(last=False)
    recent[g] = record


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_MUL, _ADD, _M64 = parties.LCG_MUL, parties.LCG_ADD, 0xFFFFFFFFFFFFFFFF
#: one shared, never-mutated reference per dimension item (records are replaced, never changed in place)
_COST_CENTRE_REFS = tuple(DimensionRef(name, item) for name, item in chart.COST_CENTRES)
_PROJECT_REFS = tuple(DimensionRef(name, item) for name, item in chart.PROJECTS)


def _draw_dims(s: int) -> tuple[list[DimensionRef], int]:
    """A line's dimensions drawn from :class:`Rng` state ``s`` (as ``below(10)``, then ``pick``s); the new state.

    No dimension (3 in 10), a cost centre (5 in 10) or a cost centre and a project (2 in 10).
    """
    s = (s * _MUL + _ADD) & _M64
    r = ((s >> 32) * 10) >> 32
    if r >= 7:
        return [], s
    s = (s * _MUL + _ADD) & _M64
    centre = _COST_CENTRE_REFS[((s >> 32) * len(_COST_CENTRE_REFS)) >> 32]
    if r < 5:
        return [centre], s
    s = (s * _MUL + _ADD) & _M64
    return [centre, _PROJECT_REFS[((s >> 32) * len(_PROJECT_REFS)) >> 32]], s


def _rate(currency: str, on: date) -> Decimal:
    """EUR → ``currency`` rate for ``on``'s month; varies a little month to month."""
    wobble = Decimal((on.year * 12 + on.month) % 9) / 100
    return (Decimal("11.2") if currency == "SEK" else Decimal("1.05")) + wobble


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
        # What payments need of their invoice, remembered while vouchers are iterated so a payment's voucher
        # does not rebuild the invoice; cleared when full, so memory stays bounded.
        self._sales_summaries: dict[int, _Summary] = {}
        self._purchase_summaries: dict[int, _Summary] = {}
        self._recent_sales: OrderedDict[int, SalesDocument] = OrderedDict()
        self._recent_purchases: OrderedDict[int, PurchaseInvoice] = OrderedDict()
        self._purchase_terms: dict[tuple[int, int, str], tuple[int, Decimal, str, Decimal, Decimal, int]] = {}
        self._sales_terms: dict[tuple[int, int, bool, str], tuple[Decimal, str, int, Decimal, Decimal, Decimal]] = {}
        self.counts = self._count()

    # -- counts -----------------------------------------------------------------------------------------------
    def _count(self) -> dict[str, int]:
        n_si, n_pi = self.months * self.si, self.months * self.pi
        # Every invoice's payment fate, decided once here (a hash per invoice) and looked up by every record built.
        self._shares = bytes(self._sales_share_of(g) for g in range(n_si))
        self._paid = bytes(self._purchase_paid_of(g) for g in range(n_pi))
        sales_paid = n_si - self._shares.count(0)
        purchases_paid = self._paid.count(1)
        si_reposts = sum(1 for g in range(n_si) if self.sales_special(g) == REPOSTED)
        pi_reposts = sum(1 for g in range(n_pi) if self.purchase_special(g) == REPOSTED)
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

    def locator(self, per_month: int) -> Locate:
        """Where the records of a window lie, for a kind laid out ``per_month`` slots per month in date order.

        Sales and purchase invoices, sales orders and vouchers are (each month's vouchers fill one block); a record's
        modification time lies between its date and :data:`MODIFIED_LAG` later, so a modified window bounds dates too.
        """

        def locate(window: Window) -> tuple[int, int]:
            low, high = window.date_low, window.date_high
            if window.modified_low is not None:
                earliest = (window.modified_low - MODIFIED_LAG).date()
                low = earliest if low is None else max(low, earliest)
            if window.modified_high is not None:
                latest = window.modified_high.date()
                high = latest if high is None else min(high, latest)
            first = 0 if low is None else max(0, self.timeline.month_of(low))
            stop = self.months if high is None else self.timeline.month_of(high) + 1
            return first * per_month, stop * per_month

        return locate

    # -- fates --------------------------------------------------------------------------------------------------
    def sales_special(self, g: int) -> str:
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
        u = hash3(self.seed, _SI_PAY, g) % 100
        return 100 if u < 85 else 30 + (u - 85) * 8 if u < 90 else 0

    def purchase_special(self, g: int) -> str:
        m, i = divmod(g, self.pi)
        r = (i + 3 * m + self.seed) % self._pi_cycle
        return FOREIGN_VENDOR if r == 0 else REPOSTED if r == 1 else NORMAL

    def purchase_paid(self, g: int) -> bool:
        """Whether purchase invoice ``g`` is paid (in full) during the next month."""
        return self._paid[g] == 1 if 0 <= g < len(self._paid) else self._purchase_paid_of(g)

    def _purchase_paid_of(self, g: int) -> bool:
        return g // self.pi < self.months - 1 and hash3(self.seed, _PI_PAY, g) % 100 < 85

    # -- shared pieces ------------------------------------------------------------------------------------------
    @staticmethod
    def _dims(rng: Rng) -> list[DimensionRef]:
        """No dimension (3 in 10), a cost centre (5 in 10) or a cost centre and a project; see :func:`_draw_dims`."""
        dims, rng.state = _draw_dims(rng.state)
        return dims

    def _customer_index(self, rng: Rng, foreign: bool) -> int:
        if foreign and self.customers >= 10:
            return 9 + 10 * rng.below(self.customers // 10)
        return rng.below(self.customers)

    def sales_lines(self, rng: Rng, doc_key: int, special: str = NORMAL) -> list[SalesLine]:
        """1..max_lines product lines: domestic VAT from the product, or 0 % EU sale / export for SEK / USD.

        The sums of a line depend only on its product, quantity, discount and the sale's kind, so they are computed
        once per combination (:meth:`_sales_terms`); the draws are the same as building each line from scratch.
        """
        product, terms = self.product, self._sales_terms
        n_products, n_quantities = self.products, len(_QUANTITIES)
        sale = special if special in (SEK, USD) else NORMAL  # the only distinction the terms depend on
        out = []
        base = doc_key * LINE_KEYS
        # Rng.below inlined (same steps, same draws): a list request draws about fifteen times per invoice.
        s = (rng.state * _MUL + _ADD) & _M64
        for j in range(1, 2 + (((s >> 32) * self.max_lines) >> 32)):
            s = (s * _MUL + _ADD) & _M64
            index = ((s >> 32) * n_products) >> 32
            s = (s * _MUL + _ADD) & _M64
            q = ((s >> 32) * n_quantities) >> 32
            s = (s * _MUL + _ADD) & _M64
            discounted = (((s >> 32) * 10) >> 32) == 0
            line_dims, s = _draw_dims(s)
            p: Product = product(index)
            key = (index, q, discounted, sale)
            vat, code, account, net, vat_sum, gross = terms.get(key) or self._sales_terms_of(key, p)
            out.append(
                SalesLine(
                    base + j, p.netvisor_key, p.code, p.name, p.unit_price, vat, code, _QUANTITIES[q],
                    _TEN if discounted else ZERO, vat_sum, net, gross, account, p.unit, "", line_dims,
                )
            )  # fmt: skip
        rng.state = s
        return out

    def _sales_terms_of(
        self, key: tuple[int, int, bool, str], p: Product
    ) -> tuple[Decimal, str, int, Decimal, Decimal, Decimal]:
        """VAT rate, VAT code, account and ``posting.line_amounts`` of one product sold as ``key`` describes."""
        _, q, discounted, special = key
        if special == SEK:
            vat, code, account = ZERO, "EUMY", chart.SALES_EU
        elif special == USD:
            vat, code, account = ZERO, "MUUL", chart.SALES_OUTSIDE_EU
        else:
            vat, code, account = p.vat_percent, "KOMY", chart.SALES_ACCOUNT[p.vat_percent]
        discount = _TEN if discounted else ZERO
        net, vat_sum, gross = posting.line_amounts(_QUANTITIES[q], p.unit_price, vat, discount, vat_code=code)
        if len(self._sales_terms) >= _TERMS_LIMIT:
            self._sales_terms.clear()
        terms = self._sales_terms[key] = (vat, code, account, net, vat_sum, gross)
        return terms

    def sales_document(
        self, rng: Rng, *, key: int, kind: str, number: int, on: date, special: str = NORMAL
    ) -> SalesDocument:
        """A sales invoice or order for a random customer, open for its full amount, without a voucher."""
        c: Customer = self.customer(self._customer_index(rng, special in (SEK, USD)))
        net_days = chart.NET_DAYS[c.payment_term_key]
        seller = rng.pick(_SELLERS)
        comment = "" if rng.below(4) else "Asiakas toivoi laskun sähköpostiin."
        lines = self.sales_lines(rng, key, special)
        foreign = special in (SEK, USD)
        amount, net, vat = posting.totals(lines)
        rate = _rate(special, on) if foreign else ONE
        # positional, in the field order of SalesDocument: this runs for every invoice a list request reads
        return SalesDocument(
            key, "invoice" if kind == "invoice" else "order", number, on, on + net_days * _DAY, on, on,
            finnish.reference_number(number) if kind == "invoice" else "", "open", "", c.netvisor_key, c.code, c.name,
            c.business_id, c.street, c.post_number, c.city, c.country, amount, net, vat, amount,
            special if foreign else "EUR", rate, posting.money(amount * rate) if foreign else None, net_days,
            seller, c.contact_person, comment, lines,
        )  # fmt: skip

    # -- sales ------------------------------------------------------------------------------------------------
    def sales_invoice(self, g: int) -> SalesDocument:
        """Sales invoice ``g``; the most recently built are kept, as a list page, its details, their vouchers and
        payments all read the same invoices (records are replaced, never changed in place, so sharing is safe)."""
        doc = self._recent_sales.get(g)
        if doc is None:
            doc = self._sales_invoice(g)
            _remember(self._recent_sales, g, doc)
        return doc

    def _sales_invoice(self, g: int) -> SalesDocument:
        m, i = divmod(g, self.si)
        special = self.sales_special(g)
        if special == CREDIT_NOTE:
            return self._credit_note(g)
        on = self.timeline.day(m, i, self.si)
        doc = self.sales_document(
            Rng(self.seed, _SI, g), key=SALES_INVOICE_KEYS + g, kind="invoice", number=FIRST_INVOICE_NUMBER + g,
            on=on, special=special,
        )  # fmt: skip
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
            doc.open_sum = doc.amount - posting.paid_part(doc.amount, self.sales_share(g))
            last = m == self.months - 1 and i >= self.si - max(1, self.si // 10)
            posting.set_sales_status(doc, self.timeline.today, unsent=last)
        self._summarise(doc)
        return doc

    def _summarise(self, doc: SalesDocument | PurchaseInvoice) -> _Summary:
        if isinstance(doc, SalesDocument):
            cache, g = self._sales_summaries, doc.netvisor_key - SALES_INVOICE_KEYS
            name, rate = doc.customer_name, doc.currency_rate
        else:
            cache, g = self._purchase_summaries, doc.netvisor_key - PURCHASE_INVOICE_KEYS
            name, rate = doc.vendor_name, ONE
        summary = _Summary(doc.netvisor_key, doc.number, name, doc.reference, doc.amount, doc.currency, rate,
                           doc.foreign_amount)  # fmt: skip
        if len(cache) >= _SUMMARY_LIMIT:
            cache.clear()
        cache[g] = summary
        return summary

    def _credit_note(self, g: int) -> SalesDocument:
        m, i = divmod(g, self.si)
        original = self.sales_invoice(g - 1)
        key, number, on = SALES_INVOICE_KEYS + g, FIRST_INVOICE_NUMBER + g, self.timeline.day(m, i, self.si)
        doc = posting.credit_note_of(original, key=key, number=number, on=on)
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
        invoice = self._sales_summaries.get(g) or self._summarise(self.sales_invoice(g))
        paid = posting.paid_part(invoice.amount, share)
        on = self.timeline.day(m + 1, i, self.si)
        return SalesPayment(
            netvisor_key=SALES_PAYMENT_KEYS + g, name=invoice.name, date=on, sum=paid, reference=invoice.reference,
            foreign_currency_amount=posting.money(paid * invoice.rate) if invoice.currency != "EUR" else None,
            invoice_key=invoice.key, invoice_number=int(invoice.number),
            payment_account_name="Nordea yritystili", payment_account_number="FI2112345600000785",
            voucher_key=VOUCHER_KEYS + (m + 1) * self.block + self.off_sp + i,
            modified=self.timeline.stamp(on, g * 61),
        )  # fmt: skip

    def sales_order(self, g: int) -> SalesDocument:
        m, q = divmod(g, self.so)
        on = self.timeline.day(m, q, self.so)
        doc = self.sales_document(Rng(self.seed, _SO, g), key=SALES_ORDER_KEYS + g, kind="order", number=1 + g, on=on)
        doc.status = "delivered" if m < self.months - 1 else "undelivered"
        doc.modified = self.timeline.stamp(on, g * 53)
        return doc

    # -- purchases -------------------------------------------------------------------------------------------
    def purchase_lines(self, rng: Rng, doc_key: int, country: str) -> list[PurchaseLine]:
        """Goods and services from the product list (4000 / 4500) or other costs (7000-7999).

        As with :meth:`sales_lines`, a product line's terms are computed once per product, quantity and vendor
        country (:meth:`_purchase_terms_of`); the draws are the same as building each line from scratch.
        """
        below, product, terms, dims = rng.below, self.product, self._purchase_terms, self._dims
        region = country if country in ("FI", "US") else "EU"
        out = []
        base = doc_key * LINE_KEYS
        for j in range(1, 2 + below(self.max_lines)):
            if below(3) == 0:
                account, name, vat_text = rng.pick(finnish.COSTS)
                price = Decimal(2000 + below(78000)).scaleb(-2)
                code, qty, unit, vat = "", ONE, "kpl", Decimal(vat_text)
                vat_code = "KOOS" if vat else "NONE"
                if region == "US":
                    vat, vat_code = ZERO, "EVTO"
                elif region == "EU":
                    vat, vat_code, account = _EU_VAT, "EUOS", chart.PURCHASES_EU
                net, _, gross = posting.line_amounts(qty, price, vat, vat_code=vat_code)
                account_key = chart.ACCOUNT_KEYS.get(account, 0)
            else:
                index = below(self.products)
                p: Product = product(index)
                q = below(len(_QUANTITIES))
                key = (index, q, region)
                code, name, qty, unit, price = p.code, p.name, _QUANTITIES[q], p.unit, p.purchase_price
                account, vat, vat_code, net, gross, account_key = terms.get(key) or self._purchase_terms_of(key, p)
            out.append(
                PurchaseLine(
                    base + j, code, name, name, qty, unit, price, vat, vat_code, net, gross, account, account_key,
                    dims(rng),
                )
            )  # fmt: skip
        return out

    def _purchase_terms_of(
        self, key: tuple[int, int, str], p: Product
    ) -> tuple[int, Decimal, str, Decimal, Decimal, int]:
        """Account, VAT rate and code, net and gross sums and account key of a product bought as ``key`` says."""
        _, q, region = key
        account = 4500 if p.group == "Palvelut" else chart.PURCHASES
        vat = p.vat_percent
        vat_code = "KOOS" if vat else "NONE"
        if region == "US":
            vat, vat_code = ZERO, "EVTO"
        elif region == "EU":
            vat, vat_code, account = _EU_VAT, "EUOS", chart.PURCHASES_EU
        net, _, gross = posting.line_amounts(_QUANTITIES[q], p.purchase_price, vat, vat_code=vat_code)
        if len(self._purchase_terms) >= _TERMS_LIMIT:
            self._purchase_terms.clear()
        terms = self._purchase_terms[key] = (account, vat, vat_code, net, gross, chart.ACCOUNT_KEYS.get(account, 0))
        return terms

    def purchase_document(self, rng: Rng, *, key: int, number: int, on: date, foreign: bool = False) -> PurchaseInvoice:
        """An approved, unpaid purchase invoice from a random (or a foreign) vendor, without a voucher."""
        index = 9 + 10 * rng.below(self.vendors // 10) if foreign and self.vendors >= 10 else rng.below(self.vendors)
        v: Vendor = self.vendor(index)
        lines = self.purchase_lines(rng, key, v.country)
        amount = sum((line.sum for line in lines), ZERO)
        currency = {"SE": "SEK", "US": "USD"}.get(v.country, "EUR")
        rate = _rate(currency, on) if currency != "EUR" else ONE
        return PurchaseInvoice(  # positional, in field order: this runs for every purchase invoice read
            key, str(number), on, on, on + 14 * _DAY, on, finnish.reference_number(number), v.netvisor_key, v.code,
            v.name, v.business_id, v.address, v.post_code, v.city, v.country, v.iban, amount, ZERO, currency,
            posting.money(amount * rate) if currency != "EUR" else None, "accepted", "approved", lines[0].description,
            lines,
        )  # fmt: skip

    def purchase_invoice(self, g: int) -> PurchaseInvoice:
        """Purchase invoice ``g``; recently built ones are kept, as for :meth:`sales_invoice`."""
        inv = self._recent_purchases.get(g)
        if inv is None:
            inv = self._purchase_invoice(g)
            _remember(self._recent_purchases, g, inv)
        return inv

    def _purchase_invoice(self, g: int) -> PurchaseInvoice:
        m, i = divmod(g, self.pi)
        special = self.purchase_special(g)
        on = self.timeline.day(m, i, self.pi)
        inv = self.purchase_document(
            Rng(self.seed, _PI, g), key=PURCHASE_INVOICE_KEYS + g, number=FIRST_PURCHASE_NUMBER + g, on=on,
            foreign=special == FOREIGN_VENDOR,
        )  # fmt: skip
        inv.modified = self.timeline.stamp(on + (2 * _DAY if special == REPOSTED else _DAY), g * 89)
        inv.voucher_key, inv.voucher_number = self.purchase_voucher_key(g), g + 1
        if special == REPOSTED:
            inv.voucher_number = self.months * self.pi + g + 1
        if self.purchase_paid(g):
            inv.paid_amount, inv.status = inv.amount, "paid"
        elif m == self.months - 1 and i >= self.pi - max(1, self.pi // 5):
            inv.status, inv.approval_status = "open", "notapproved"
        self._summarise(inv)
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
        inv = self._purchase_summaries.get(g) or self._summarise(self.purchase_invoice(g))
        on = self.timeline.day(m + 1, i, self.pi)
        return PurchasePayment(
            netvisor_key=PURCHASE_PAYMENT_KEYS + g, payer_name=inv.name, date=on,
            home_currency_sum=inv.amount, foreign_currency_sum=inv.foreign_amount, reference=inv.reference,
            invoice_key=inv.key, invoice_number=str(inv.number),
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
            lines = self.purchase_lines(rng, PURCHASE_ORDER_KEYS + g, vendor.country)
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

    # -- vouchers --------------------------------------------------------------------------------------------
    def voucher(self, slot: int) -> Voucher | None:  # noqa: PLR0911 - one return per segment reads best
        """The voucher in ``slot``: decode the segment of the month block, then post its source."""
        m, off = divmod(slot, self.block)
        key = VOUCHER_KEYS + slot
        if off < self.off_pi:
            return self._sales_voucher(m * self.si + off, key, original=True)
        if off < self.off_sp:
            return self._purchase_voucher(m * self.pi + off - self.off_pi, key, original=True)
        if off < self.off_pp:
            payment = self.sales_payment((m - 1) * self.si + off - self.off_sp) if m else None
            return (
                posting.sales_payment_voucher(payment, key, (m * self.si) + off - self.off_sp + 1) if payment else None
            )
        if off < self.off_cost:
            paid = self.purchase_payment((m - 1) * self.pi + off - self.off_pp) if m else None
            return posting.purchase_payment_voucher(paid, key) if paid else None
        if off < self.off_si_repost:
            return self.cost_voucher(key, m * self.costs + off - self.off_cost)
        if off < self.off_pi_repost:
            g = m * self.si + off - self.off_si_repost
            return self._sales_voucher(g, key, original=False) if self.sales_special(g) == REPOSTED else None
        g = m * self.pi + off - self.off_pi_repost
        return self._purchase_voucher(g, key, original=False) if self.purchase_special(g) == REPOSTED else None

    def _sales_voucher(self, g: int, key: int, *, original: bool) -> Voucher:
        doc = self.sales_invoice(g)
        invalidated = original and self.sales_special(g) == REPOSTED
        voucher = posting.sales_invoice_voucher(doc, key)
        if invalidated:
            voucher.status, voucher.number = "invalidated", g + 1
        return voucher

    def _purchase_voucher(self, g: int, key: int, *, original: bool) -> Voucher:
        inv = self.purchase_invoice(g)
        voucher = posting.purchase_invoice_voucher(inv, key)
        if original and self.purchase_special(g) == REPOSTED:
            voucher.status, voucher.number = "invalidated", g + 1
        return voucher

    def cost_voucher(self, key: int, index: int, on: date | None = None) -> Voucher:
        """A cost (rent, electricity, travel, ...) paid straight from the bank account."""
        rng = Rng(self.seed, _COST, index)
        if on is None:
            m, c = divmod(index, self.costs)
            on = self.timeline.day(m, c, self.costs)
        account, text, vat = rng.pick(finnish.COSTS)
        net = Decimal(1000 + rng.below(150000)).scaleb(-2)
        lines = posting.post_cost(account, net, Decimal(vat), text, self._dims(rng), voucher_key=key)
        return Voucher(
            key,
            index + 1,
            on,
            text,
            chart.OTHER_TYPE,
            chart.voucher_class(chart.OTHER_TYPE),
            "valid",
            None,
            None,
            lines,
            self.timeline.stamp(on, index * 71),
        )

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
        rng = Rng(self.seed, _DRAFT, key)
        if kind in ("salesinvoice", "salesorder"):
            return self.sales_document(rng, key=key, kind=kind[5:], number=number, on=on)
        if kind == "purchaseinvoice":
            return self.purchase_document(rng, key=key, number=number, on=on)
        order = self.purchase_order(min(key - PURCHASE_ORDER_KEYS, self.months * self.po - 1))
        return dataclasses.replace(
            order, netvisor_key=key, number=number, date=on, status="approved", delivery_status="undelivered",
            linked_invoice_keys=[],
            lines=[dataclasses.replace(line, netvisor_key=key * LINE_KEYS + j, delivered_quantity=ZERO)
                   for j, line in enumerate(order.lines, start=1)],
        )  # fmt: skip
