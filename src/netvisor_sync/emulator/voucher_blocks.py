"""The generated vouchers: what each slot of a month's voucher block posts.

Each month's vouchers fill one block of :attr:`Documents.block` slots (see ``generate``'s docstring for the layout):
the month's sales and purchase invoices, the payments of the previous month's invoices, cost vouchers, then the
re-posts of invalidated invoice vouchers. A slot's voucher is posted from its source document by ``posting``, so a
document and its voucher always agree; an unpaid invoice's payment slot, or a re-post slot of an invoice that was
not re-posted, is empty.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from netvisor_sync.emulator import baskets, chart, finnish, posting
from netvisor_sync.emulator.documents import REPOSTED, VOUCHER_KEYS, Documents
from netvisor_sync.emulator.model import Voucher
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
    rng = Rng(docs.seed, _COST, index)
    if on is None:
        m, c = divmod(index, docs.costs)
        on = docs.timeline.day(m, c, docs.costs)
    account, text, vat = rng.pick(finnish.COSTS)
    net = Decimal(1000 + rng.below(150000)).scaleb(-2)
    lines = posting.post_cost(account, net, Decimal(vat), text, list(baskets.draw_dims(rng)), voucher_key=key)
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
