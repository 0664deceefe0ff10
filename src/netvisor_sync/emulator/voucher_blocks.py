"""The generated vouchers: what each slot of a month's voucher block posts.

Each month's vouchers fill one block of :attr:`Documents.block` slots (see ``generate``'s docstring for the layout):
the month's sales and purchase invoices, the payments of the previous month's invoices, cost vouchers, then the
re-posts of invalidated invoice vouchers. A slot's voucher is posted from its source document by ``posting``, so a
document and its voucher always agree; an unpaid invoice's payment slot, or a re-post slot of an invoice that was
not re-posted, is empty.

:class:`BlockPostings` sums what a month's block posts (for ``accountbalance.nv``) without building its vouchers:
building every voucher of ``large`` takes many seconds, summing them this way about one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from netvisor_sync.emulator import baskets, chart, finnish, posting
from netvisor_sync.emulator.balances import Postings
from netvisor_sync.emulator.documents import REPOSTED, VOUCHER_KEYS, Documents
from netvisor_sync.emulator.model import Voucher, VoucherLine
from netvisor_sync.emulator.parties import Rng

_COST = 16  # the Rng kind of cost vouchers (``documents`` numbers the other kinds)


def voucher(docs: Documents, slot: int) -> Voucher | None:  # noqa: PLR0911 - one return per segment reads best
    """The voucher in ``slot``: decode the segment of the month block, then post its source."""
    m, off = divmod(slot, docs.block)
    key = VOUCHER_KEYS + slot
    if off < docs.off_pi:
        return _sales_voucher(docs, m * docs.si + off, key, original=True)
    if off < docs.off_sp:
        return _purchase_voucher(docs, m * docs.pi + off - docs.off_pi, key, original=True)
    if off < docs.off_pp:
        payment = docs.sales_payment((m - 1) * docs.si + off - docs.off_sp) if m else None
        return posting.sales_payment_voucher(payment, key, (m * docs.si) + off - docs.off_sp + 1) if payment else None
    if off < docs.off_cost:
        paid = docs.purchase_payment((m - 1) * docs.pi + off - docs.off_pp) if m else None
        return posting.purchase_payment_voucher(paid, key) if paid else None
    if off < docs.off_si_repost:
        return cost_voucher(docs, key, m * docs.costs + off - docs.off_cost)
    if off < docs.off_pi_repost:
        g = m * docs.si + off - docs.off_si_repost
        return _sales_voucher(docs, g, key, original=False) if docs.sales_special(g) == REPOSTED else None
    g = m * docs.pi + off - docs.off_pi_repost
    return _purchase_voucher(docs, g, key, original=False) if docs.purchase_special(g) == REPOSTED else None


def _sales_voucher(docs: Documents, g: int, key: int, *, original: bool) -> Voucher:
    doc = docs.sales_invoice(g)
    invalidated = original and docs.sales_special(g) == REPOSTED
    voucher = posting.sales_invoice_voucher(doc, key)
    if invalidated:
        voucher.status, voucher.number = "invalidated", g + 1
    return voucher


def _purchase_voucher(docs: Documents, g: int, key: int, *, original: bool) -> Voucher:
    inv = docs.purchase_invoice(g)
    voucher = posting.purchase_invoice_voucher(inv, key)
    if original and docs.purchase_special(g) == REPOSTED:
        voucher.status, voucher.number = "invalidated", g + 1
    return voucher


def cost_voucher(docs: Documents, key: int, index: int, on: date | None = None) -> Voucher:
    """A cost (rent, electricity, travel, ...) paid straight from the bank account."""
    rng, account, text, vat, net = _cost_draw(docs, index)
    if on is None:
        on = _cost_day(docs, index)
    lines = posting.post_cost(account, net, vat, text, list(baskets.draw_dims(rng)), voucher_key=key)
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
        docs.timeline.stamp(on, index * 71),
    )


def _cost_draw(docs: Documents, index: int) -> tuple[Rng, int, str, Decimal, Decimal]:
    """Cost voucher ``index``'s account, text, VAT rate and net sum; the generator goes on to its dimensions."""
    rng = Rng(docs.seed, _COST, index)
    account, text, vat = rng.pick(finnish.COSTS)
    return rng, account, text, Decimal(vat), Decimal(1000 + rng.below(150000)).scaleb(-2)


def _cost_day(docs: Documents, index: int) -> date:
    m, c = divmod(index, docs.costs)
    return docs.timeline.day(m, c, docs.costs)


#: what a voucher posts, per account: (account number, debit cents, credit cents)
Split = tuple[tuple[int, int, int], ...]


def split_cents(lines: list[VoucherLine]) -> Split:
    """A voucher's lines as debit and credit cents per account (line by line: positive is debit, else credit)."""
    sums: dict[int, list[int]] = {}
    for line in lines:
        cents = _cents(line.line_sum)
        entry = sums.setdefault(line.account_number, [0, 0])
        entry[0 if cents > 0 else 1] += abs(cents)
    return tuple((account, debit, credit) for account, (debit, credit) in sums.items())


class BlockPostings:
    """What each month's voucher block posts, as :func:`voucher` would post it, summed in cents per day and account.

    An invoice's voucher follows from its basket alone (the receivable is the basket's amount, the other lines its
    lines and VAT), so each basket's split is taken once from a real voucher posted by ``posting`` and reused for
    every invoice that draws the basket. A payment posts its sum to two accounts, so its split is ``posting``'s split
    of one cent times the sum; cost vouchers are posted by ``posting`` as :func:`cost_voucher` posts them. A
    re-posted invoice posts its basket once, on its date: its original voucher is invalidated, its re-post valid.
    Tests compare every block of the small profiles (and some of ``large``) with the sums of the real vouchers.
    """

    def __init__(self, docs: Documents) -> None:
        self._docs = docs
        #: (basket slot, negated) -> (the invoice amount in cents, what its voucher posts)
        self._sales: dict[tuple[int, bool], tuple[int, Split]] = {}
        #: (vendor region, basket index) -> (the invoice amount in cents, what its voucher posts)
        self._purchases: dict[tuple[int, int], tuple[int, Split]] = {}
        cent = posting.CENT
        self._sales_payment = split_cents(posting.post_sales_payment(cent, "", linked=True, voucher_key=VOUCHER_KEYS))
        self._purchase_payment = split_cents(
            posting.post_purchase_payment(cent, "", linked=True, voucher_key=VOUCHER_KEYS)
        )

    def month(self, m: int) -> Postings[int]:
        """The postings of month ``m``'s block (every voucher in it is dated in month ``m``)."""
        docs, out = self._docs, Postings(0)
        day = docs.timeline.day
        for i in range(docs.si):
            out.add_all(day(m, i, docs.si), self._sales_split(m * docs.si + i)[1])
        for i in range(docs.pi):
            out.add_all(day(m, i, docs.pi), self._purchase_split(m * docs.pi + i)[1])
        if m:
            self._payments(m, out)
        for index in range(m * docs.costs, (m + 1) * docs.costs):
            _, account, text, vat, net = _cost_draw(docs, index)
            lines = posting.post_cost(account, net, vat, text, [], voucher_key=VOUCHER_KEYS)
            out.add_all(_cost_day(docs, index), split_cents(lines))
        return out

    def _payments(self, m: int, out: Postings[int]) -> None:
        """The payments made in month ``m`` of month ``m - 1``'s invoices (:func:`voucher`'s payment segments)."""
        docs, day = self._docs, self._docs.timeline.day
        for i in range(docs.si):
            g = (m - 1) * docs.si + i
            share = docs.sales_share(g)
            if share:
                paid = posting.paid_part(Decimal(self._sales_split(g)[0]).scaleb(-2), share)
                out.add_all(day(m, i, docs.si), self._sales_payment, _payment_cents(_cents(paid)))
        for i in range(docs.pi):
            g = (m - 1) * docs.pi + i
            if docs.purchase_paid(g):
                out.add_all(day(m, i, docs.pi), self._purchase_payment, _payment_cents(self._purchase_split(g)[0]))

    def _sales_split(self, g: int) -> tuple[int, Split]:
        slot = self._docs.sales_basket_of(g)
        found = self._sales.get(slot)
        if found is None:
            doc = self._docs.sales_invoice(g)
            lines = posting.post_sales_invoice(doc, VOUCHER_KEYS)
            found = self._sales[slot] = (_cents(doc.amount), split_cents(lines))
        return found

    def _purchase_split(self, g: int) -> tuple[int, Split]:
        slot = self._docs.purchase_basket_of(g)
        found = self._purchases.get(slot)
        if found is None:
            inv = self._docs.purchase_invoice(g)
            lines = posting.post_purchase_invoice(inv, VOUCHER_KEYS)
            found = self._purchases[slot] = (_cents(inv.amount), split_cents(lines))
        return found


def _cents(amount: Decimal) -> int:
    exact = amount.scaleb(2)
    cents = int(exact)
    if cents != exact:
        raise ValueError(f"generated sum {amount} is not in whole cents")
    return cents


def _payment_cents(cents: int) -> int:
    """A payment's split of one cent may only be scaled by a positive sum (a negative one would swap the sides)."""
    if cents <= 0:
        raise ValueError(f"a generated payment of {cents} cents; payments are positive")
    return cents
