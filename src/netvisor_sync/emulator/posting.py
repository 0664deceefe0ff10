"""The money rules of the emulated books: line amounts, VAT rounding, and how documents post to vouchers.

Defined once and used by both ``generate`` (the seeded history) and ``store`` (changes made through the admin API),
so a document and its voucher always agree: a line's net sum is ``quantity × unit price × (1 − discount)`` and its
VAT is ``net × rate``, each rounded to cents half-up; the line sum is net + VAT, and a document's amount is the sum
of its line sums. Voucher lines are debit-positive and every voucher this module builds sums to exactly 0.00.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from netvisor_sync.emulator import chart, finnish
from netvisor_sync.emulator.model import (
    DimensionRef,
    PurchaseInvoice,
    PurchaseLine,
    PurchasePayment,
    SalesDocument,
    SalesLine,
    SalesPayment,
    Voucher,
    VoucherLine,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_HUNDRED = Decimal(100)
NO_VAT = "-"
#: Reverse-charge codes: the seller charges no VAT, the buyer posts it both as receivable and payable.
REVERSE_CHARGE = frozenset({"EUOS"})
#: Most lines a voucher may have; voucher line keys are ``voucher key × LINE_KEY_SPACE + position``.
LINE_KEY_SPACE = 1000


def money(value: Decimal) -> Decimal:
    """Round to cents half-up (away from zero on ties), so a credit note is exactly the negated invoice."""
    return value.quantize(CENT, ROUND_HALF_UP)


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    vat_percent: Decimal,
    discount_percent: Decimal = ZERO,
    *,
    vat_code: str = "",
) -> tuple[Decimal, Decimal, Decimal]:
    """``(net, vat, gross)`` of one document line; reverse-charge lines carry no VAT on the document."""
    gross_price = quantity * unit_price
    net = money(gross_price if not discount_percent else gross_price * (_HUNDRED - discount_percent) / _HUNDRED)
    vat = ZERO if vat_code in REVERSE_CHARGE else money(net * vat_percent / _HUNDRED)
    return net, vat, net + vat


def sales_line(
    key: int,
    *,
    product_key: int,
    product_code: str,
    product_name: str,
    unit_price: Decimal,
    vat_percent: Decimal,
    vat_code: str,
    quantity: Decimal,
    account_number: int,
    discount_percent: Decimal = ZERO,
    unit: str = "kpl",
    free_text: str = "",
    dimensions: list[DimensionRef] | None = None,
) -> SalesLine:
    """A sales invoice/order line with its sums computed by :func:`line_amounts`."""
    net, vat, gross = line_amounts(quantity, unit_price, vat_percent, discount_percent, vat_code=vat_code)
    return SalesLine(
        key, product_key, product_code, product_name, unit_price, vat_percent, vat_code, quantity, discount_percent,
        vat, net, gross, account_number, unit, free_text, dimensions if dimensions is not None else [],
    )  # fmt: skip


def purchase_line(
    key: int,
    *,
    product_code: str,
    product_name: str,
    description: str,
    quantity: Decimal,
    unit: str,
    unit_price: Decimal,
    vat_percent: Decimal,
    vat_code: str,
    account_number: int,
    dimensions: list[DimensionRef] | None = None,
) -> PurchaseLine:
    """A purchase invoice line with its sums computed by :func:`line_amounts`."""
    net, _, gross = line_amounts(quantity, unit_price, vat_percent, vat_code=vat_code)
    return PurchaseLine(
        key, product_code, product_name, description, quantity, unit, unit_price, vat_percent, vat_code, net, gross,
        account_number, chart.ACCOUNT_KEYS.get(account_number, 0), dimensions if dimensions is not None else [],
    )  # fmt: skip


def totals(lines: Iterable[SalesLine]) -> tuple[Decimal, Decimal, Decimal]:
    """``(amount, net, vat)`` of a sales document: plain sums of its lines."""
    amount = net = vat = ZERO
    for line in lines:
        amount += line.sum
        net += line.net_sum
        vat += line.vat_sum
    return amount, net, vat


def _numbered(voucher_key: int, lines: list[VoucherLine]) -> list[VoucherLine]:
    if len(lines) >= LINE_KEY_SPACE:
        raise ValueError(f"a voucher may have at most {LINE_KEY_SPACE - 1} lines, got {len(lines)}")
    base = voucher_key * LINE_KEY_SPACE
    for position, line in enumerate(lines, start=1):
        line.netvisor_key = base + position
    return lines


def _vat_lines(by_rate: dict[Decimal, Decimal], account: int, sign: int, description: str) -> list[VoucherLine]:
    return [
        VoucherLine(0, amount if sign > 0 else -amount, description, account, rate, NO_VAT)
        for rate, amount in by_rate.items()
        if amount
    ]


def post_sales_invoice(doc: SalesDocument, voucher_key: int) -> list[VoucherLine]:
    """Receivables +gross against sales −net per line and VAT payable −VAT per rate (a credit note mirrors it)."""
    text = f"{doc.number} {doc.customer_name}"
    out = [VoucherLine(0, doc.amount, text, chart.RECEIVABLES, ZERO, NO_VAT)]
    vat_by_rate: dict[Decimal, Decimal] = {}
    for line in doc.lines:
        out.append(
            VoucherLine(0, -line.net_sum, line.product_name, line.account_number, line.vat_percent, line.vat_code,
                        list(line.dimensions))
        )  # fmt: skip
        if line.vat_sum:
            vat_by_rate[line.vat_percent] = vat_by_rate.get(line.vat_percent, ZERO) + line.vat_sum
    out += _vat_lines(vat_by_rate, chart.VAT_PAYABLE, -1, text)
    return _numbered(voucher_key, out)


def post_purchase_invoice(inv: PurchaseInvoice, voucher_key: int) -> list[VoucherLine]:
    """Costs +net per line and VAT receivable +VAT per rate against payables −gross.

    Reverse-charge lines (``EUOS``) have no VAT on the invoice; their VAT is posted both as receivable and as payable.
    """
    text = f"{inv.number} {inv.vendor_name}"
    out: list[VoucherLine] = []
    receivable: dict[Decimal, Decimal] = {}
    payable: dict[Decimal, Decimal] = {}
    for line in inv.lines:
        out.append(
            VoucherLine(0, line.net_sum, line.description or line.product_name, line.account_number, line.vat_percent,
                        line.vat_code, list(line.dimensions))
        )  # fmt: skip
        vat = line.sum - line.net_sum
        if line.vat_code in REVERSE_CHARGE:
            vat = money(line.net_sum * line.vat_percent / _HUNDRED)
            payable[line.vat_percent] = payable.get(line.vat_percent, ZERO) + vat
        if vat:
            receivable[line.vat_percent] = receivable.get(line.vat_percent, ZERO) + vat
    out += _vat_lines(receivable, chart.VAT_RECEIVABLE, 1, text)
    out += _vat_lines(payable, chart.VAT_PAYABLE, -1, text)
    out.append(VoucherLine(0, -inv.amount, text, chart.PAYABLES, ZERO, NO_VAT))
    return _numbered(voucher_key, out)


def post_sales_payment(total: Decimal, text: str, *, linked: bool, voucher_key: int) -> list[VoucherLine]:
    """Bank +sum against receivables (or advances received, for a payment that matches no invoice)."""
    counter = chart.RECEIVABLES if linked else chart.ADVANCES_RECEIVED
    return _numbered(
        voucher_key,
        [VoucherLine(0, total, text, chart.BANK, ZERO, NO_VAT), VoucherLine(0, -total, text, counter, ZERO, NO_VAT)],
    )


def post_purchase_payment(total: Decimal, text: str, *, linked: bool, voucher_key: int) -> list[VoucherLine]:
    """Payables +sum (or advance payments given, when no invoice is linked) against bank −sum."""
    counter = chart.PAYABLES if linked else chart.PREPAYMENTS_GIVEN
    return _numbered(
        voucher_key,
        [VoucherLine(0, total, text, counter, ZERO, NO_VAT), VoucherLine(0, -total, text, chart.BANK, ZERO, NO_VAT)],
    )


def post_cost(
    account: int, net: Decimal, vat_percent: Decimal, text: str, dims: list[DimensionRef], *, voucher_key: int
) -> list[VoucherLine]:
    """A cost paid straight from the bank: cost +net and VAT receivable +VAT against bank −gross."""
    vat = money(net * vat_percent / _HUNDRED)
    out = [VoucherLine(0, net, text, account, vat_percent, "KOOS" if vat else NO_VAT, dims)]
    if vat:
        out.append(VoucherLine(0, vat, text, chart.VAT_RECEIVABLE, vat_percent, NO_VAT))
    out.append(VoucherLine(0, -(net + vat), text, chart.BANK, ZERO, NO_VAT))
    return _numbered(voucher_key, out)


def renumber(voucher_key: int, lines: Sequence[VoucherLine]) -> list[VoucherLine]:
    """Give hand-made voucher lines their keys; raises ``ValueError`` unless they sum to exactly 0.00."""
    total = sum((line.line_sum for line in lines), ZERO)
    if total != 0:
        raise ValueError(f"voucher lines must sum to 0.00, got {total}")
    return _numbered(voucher_key, list(lines))


def paid_part(amount: Decimal, share: int) -> Decimal:
    """What a payment of ``share`` percent of ``amount`` pays, in cents."""
    return amount if share == 100 else money(amount * share / 100) if share else ZERO


def refresh_sales_totals(doc: SalesDocument) -> None:
    """Set amount, net, VAT and the foreign amount from the lines (the one rule for documents and vouchers)."""
    doc.amount, doc.net_amount, doc.vat_amount = totals(doc.lines)
    doc.foreign_amount = money(doc.amount * doc.currency_rate) if doc.currency != "EUR" else None


def set_sales_status(doc: SalesDocument, today: date, *, unsent: bool = False) -> None:
    """Status from the open sum: ``paid`` when nothing is open, else ``unsent`` or ``open`` (substatus overdue)."""
    if doc.open_sum == 0 and doc.amount != 0:
        doc.status, doc.substatus = "paid", ""
    elif unsent:
        doc.status, doc.substatus = "unsent", ""
    else:
        doc.status, doc.substatus = "open", "overdue" if doc.due_date < today else ""


def credit_note_comment(credited_number: int) -> str:
    """The comment line a credit note carries (getsalesinvoice ``showcommentlines``)."""
    return f"Hyvityslasku laskulle {credited_number}"


def credit_note_of(original: SalesDocument, *, key: int, number: int, on: date) -> SalesDocument:
    """A credit note for the whole of ``original``: the same lines with negated quantities, and a comment line
    naming the credited invoice."""
    lines = [
        sales_line(
            key * LINE_KEY_SPACE + j, product_key=line.product_key, product_code=line.product_code,
            product_name=line.product_name, unit_price=line.unit_price, vat_percent=line.vat_percent,
            vat_code=line.vat_code, quantity=-line.quantity, account_number=line.account_number,
            discount_percent=line.discount_percent, unit=line.unit, free_text=f"Hyvitys laskulle {original.number}",
            dimensions=list(line.dimensions),
        )
        for j, line in enumerate(original.lines, start=1)
    ]  # fmt: skip
    doc = dataclasses.replace(
        original, netvisor_key=key, number=number, date=on, due_date=on, delivery_date=on, value_date=on,
        reference=finnish.reference_number(number), lines=lines, credited_invoice_key=original.netvisor_key,
        voucher_key=None, voucher_number=None, comment_lines=(credit_note_comment(original.number),), batch_id=None,
    )  # fmt: skip
    refresh_sales_totals(doc)
    return doc


def sales_invoice_voucher(doc: SalesDocument, key: int) -> Voucher:
    return Voucher(
        key, doc.voucher_number or 0, doc.date, f"Myyntilasku {doc.number}", chart.SALES_INVOICE_TYPE,
        chart.voucher_class(chart.SALES_INVOICE_TYPE), "valid", "salesinvoice", doc.netvisor_key,
        post_sales_invoice(doc, key), doc.modified,
    )  # fmt: skip


def purchase_invoice_voucher(inv: PurchaseInvoice, key: int) -> Voucher:
    return Voucher(
        key, inv.voucher_number or 0, inv.date, f"Ostolasku {inv.number} {inv.vendor_name}",
        chart.PURCHASE_INVOICE_TYPE, chart.voucher_class(chart.PURCHASE_INVOICE_TYPE), "valid", "purchaseinvoice",
        inv.netvisor_key, post_purchase_invoice(inv, key), inv.modified,
    )  # fmt: skip


def sales_payment_voucher(payment: SalesPayment, key: int, number: int) -> Voucher:
    text = f"Suoritus {payment.name}"
    return Voucher(
        key, number, payment.date, text, chart.SALES_PAYMENT_TYPE, chart.voucher_class(chart.SALES_PAYMENT_TYPE),
        "valid", "salespayment", payment.netvisor_key,
        post_sales_payment(payment.sum, text, linked=payment.invoice_key is not None, voucher_key=key),
        payment.modified,
    )  # fmt: skip


def purchase_payment_voucher(payment: PurchasePayment, key: int) -> Voucher:
    text = f"Maksu {payment.payer_name}"
    return Voucher(
        key, payment.voucher_number or 0, payment.date, text, chart.PURCHASE_PAYMENT_TYPE,
        chart.voucher_class(chart.PURCHASE_PAYMENT_TYPE), "valid", "purchasepayment", payment.netvisor_key,
        post_purchase_payment(
            payment.home_currency_sum, text, linked=payment.invoice_key is not None, voucher_key=key
        ),
        payment.modified,
    )  # fmt: skip
