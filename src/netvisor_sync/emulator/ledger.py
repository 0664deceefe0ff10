"""Request handlers for the books: ledger, balances, chart and dimension lists, payments, deletions and payroll.

Same contract as :mod:`handlers` (validate every parameter first, then stream lazily); :func:`handlers.handle`
dispatches here. Limits: ``netvisorkeylist`` 500, ``deletedsince`` at most 7 days back, payroll range 30 days,
``balancedates`` expanded to at most 5000 dates.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta

from netvisor_sync.emulator import model as m
from netvisor_sync.emulator import render, render_ledger
from netvisor_sync.emulator.lazy import Window
from netvisor_sync.emulator.params import check_range, invalid, missing_parameter
from netvisor_sync.emulator.query import (
    BATCH_LIMIT,
    Handler,
    Predicate,
    Request,
    ascending_from,
    between,
    capped,
    scan,
    select,
    unique,
)
from netvisor_sync.emulator.reply import Rejection, Reply

DELETED_DAYS_BACK = 7
PAYROLL_RANGE_DAYS = 30
BALANCE_DATES_LIMIT = 5000

# --- ledger -------------------------------------------------------------------------------------------------------

_VOUCHER_STATUSES: Mapping[str, frozenset[str]] = {
    "1": frozenset({"valid", "invalidated", "deleted"}),
    "2": frozenset({"valid"}),
    "3": frozenset({"invalidated", "deleted"}),
}
_LEDGER_FILTERS = ("startdate", "enddate", "changedsince", "lastmodifiedstart", "lastmodifiedend")


def accountingledger(req: Request) -> Reply:
    """Vouchers and lines; needs ``netvisorkey(list)``, ``startdate``+``enddate``, ``changedsince`` or lastmodified.

    * With ``netvisorkey``/``netvisorkeylist`` (≤ 500) only ``showgenerator`` may accompany them, and the vouchers
      come back whatever their status (a targeted re-fetch, as the doc advises for the lastmodified caveat).
    * ``startdate``/``enddate`` (each requires the other) bound the voucher date inclusively.
    * ``changedsince`` / ``lastmodifiedstart`` / ``lastmodifiedend`` filter on the voucher's last modification.
      Netvisor's documented caveat follows from that: a voucher last edited *before* the window start is left out
      even when its voucher date lies inside a requested date range, so clients overlap their windows.
    * ``voucherstatus`` 1 all, 2 valid only (default), 3 invalidated and deleted; ``vouchertype`` only together with a
      date range or lastmodified; ``accountnumberstart``/``end`` keep only lines in the account range (and only
      vouchers that still have a line).
    """
    p = req.params
    if "netvisorkey" in p or "netvisorkeylist" in p:
        return _ledger_by_keys(req)
    start, end = p.day("startdate"), p.day("enddate")
    check_range("startdate", start, "enddate", end)
    changed = p.moment("changedsince")
    modified_low, modified_high = p.moment("lastmodifiedstart"), p.moment("lastmodifiedend", end=True)
    if start is None and changed is None and modified_low is None and modified_high is None:
        raise _ledger_needs_filter()
    statuses = _VOUCHER_STATUSES[p.choice("voucherstatus", _VOUCHER_STATUSES) or "2"]
    preds: list[Predicate[m.Voucher]] = [lambda v: v.status in statuses]
    between(preds, lambda v: v.date, start, end)
    between(preds, lambda v: v.modified, changed, None)
    between(preds, lambda v: v.modified, modified_low, modified_high)
    voucher_type = p.integer("vouchertype")
    if voucher_type is not None:
        if start is None and modified_low is None and modified_high is None:
            raise invalid(
                "Parameter vouchertype requires startdate and enddate or lastmodifiedstart/lastmodifiedend",
                "Parametri vouchertype vaatii parametrit startdate ja enddate tai lastmodifiedstart/lastmodifiedend",
            )
        preds.append(lambda v: v.voucher_type_key == voucher_type)
    for name in ("showgenerator", "includetransactionhistory"):
        p.flag(name)
    accounts = (p.integer("accountnumberstart"), p.integer("accountnumberend"))
    low = max((t for t in (changed, modified_low) if t is not None), default=None)
    vouchers = scan(req.company.vouchers, Window(start, end, low, modified_high))
    return render.list_reply(req.now, "Vouchers", _voucher_items(req, select(vouchers, preds), accounts))


def _ledger_by_keys(req: Request) -> Reply:
    p = req.params
    others = p.given() - {"netvisorkey", "netvisorkeylist", "showgenerator"}
    if others or ("netvisorkey" in p and "netvisorkeylist" in p):
        raise invalid(
            "With netvisorkey or netvisorkeylist only parameter showgenerator is allowed",
            "Parametrien netvisorkey tai netvisorkeylist kanssa sallitaan vain parametri showgenerator",
        )
    p.flag("showgenerator")
    key = p.integer("netvisorkey")
    keys = [key] if key is not None else unique(p.keys("netvisorkeylist", BATCH_LIMIT) or [])
    vouchers = (v for k in keys if (v := req.company.vouchers.get(k)) is not None)
    return render.list_reply(req.now, "Vouchers", _voucher_items(req, vouchers, (None, None)))


def _ledger_needs_filter() -> Rejection:
    listed = ", ".join(("netvisorkey", "netvisorkeylist", *_LEDGER_FILTERS))
    return invalid(
        f"At least one of the parameters {listed} is required", f"Vähintään yksi parametreista {listed} on pakollinen"
    )


def _voucher_items(
    req: Request, vouchers: Iterable[m.Voucher], accounts: tuple[int | None, int | None]
) -> Iterator[str]:
    low, high = accounts
    for voucher in vouchers:
        if low is None and high is None:
            yield render_ledger.voucher_item(voucher, req.ctx, voucher.lines)
            continue
        lines = [
            line
            for line in voucher.lines
            if (low is None or line.account_number >= low) and (high is None or line.account_number <= high)
        ]
        if lines:
            yield render_ledger.voucher_item(voucher, req.ctx, lines)


def accountlist(req: Request) -> Reply:
    payload, rows = render_ledger.account_list(req.company.accounts)
    return render.static_reply(req.now, payload, rows)


def accountingperiodlist(req: Request) -> Reply:
    payload, rows = render_ledger.period_list(req.company.info, req.company.accounting_periods, req.ctx.quirks)
    return render.static_reply(req.now, payload, rows)


def vouchertypelist(req: Request) -> Reply:
    payload, rows = render_ledger.voucher_type_list(req.company.voucher_types)
    return render.static_reply(req.now, payload, rows)


def dimensionlist(req: Request) -> Reply:
    """Hidden dimensions and hidden items only with ``showhidden=1``."""
    show_hidden = req.params.flag("showhidden")
    dims = (d for d in req.company.dimensions if show_hidden or not d.is_hidden)
    quirks = req.ctx.quirks
    items = (render_ledger.dimension_item(d, quirks, show_hidden=show_hidden) for d in dims)
    return render.list_reply(req.now, "DimensionNameList", items)


def getaccountdimensionlist(req: Request) -> Reply:
    rows = (render_ledger.follow_up_item(d) for d in req.company.dimensions if not d.is_hidden)
    return render.list_reply(req.now, "AccountFollowUpObjects", rows)


def paymenttermlist(req: Request) -> Reply:
    rows = (render_ledger.payment_term_item(t) for t in req.company.payment_terms)
    return render.list_reply(req.now, "PaymentTermList", rows)


def accountbalance(req: Request) -> Reply:
    """Balances of accounts (``netvisorkey(list)`` of account keys, else all) on ``balancedates`` (required).

    ``intervaltype`` 1 day, 2 week, 3 month, 4 year adds dates from the first to the last given date (both always
    included). Debet sums the positive and Kredit the negative line sums of VALID vouchers dated up to each date.
    """
    p = req.params
    given = p.days("balancedates")
    if given is None:
        raise missing_parameter("balancedates")
    interval = int(p.choice("intervaltype", {"0", "1", "2", "3", "4"}) or "0")
    days = _balance_days(sorted(set(given)), interval)
    wanted = set(p.keys("netvisorkeylist", BATCH_LIMIT) or []) | (
        {k} if (k := p.integer("netvisorkey")) is not None else set()
    )
    accounts = [
        a for a in req.company.accounts if a.account_type == "account" and (not wanted or a.netvisor_key in wanted)
    ]
    table = req.company.account_totals({a.number for a in accounts}, days)
    items = (
        render_ledger.balance_item(a, ((day, *sums) for day, sums in zip(days, table[a.number], strict=True)))
        for a in accounts
    )
    return render.list_reply(req.now, "AccountBalances", items)


def _balance_days(days: list[date], interval: int) -> list[date]:
    if interval == 0 or len(days) < 2:
        return days
    first, last = days[0], days[-1]
    out: list[date] = []
    step = 0
    current = first
    while current < last:
        out.append(current)
        step += 1
        current = _step(first, interval, step)
        if len(out) > BALANCE_DATES_LIMIT:
            raise invalid("Too many balance dates", "Liian monta saldopäivää")
    out.append(last)
    return out


def _step(first: date, interval: int, n: int) -> date:
    if interval == 1:
        return first + timedelta(days=n)
    if interval == 2:
        return first + timedelta(weeks=n)
    months = n if interval == 3 else 12 * n
    year, month = divmod(first.month - 1 + months, 12)
    year, month = first.year + year, month + 1
    return date(year, month, min(first.day, calendar.monthrange(year, month)[1]))


# --- payments -----------------------------------------------------------------------------------------------------


def salespaymentlist(req: Request) -> Reply:
    """Customer payments above ``abovenetvisorkey``, at most ``Quirks.payment_list_cap`` per response.

    ``limitlinkedpayments=1`` keeps payments linked to an invoice; ``limitbytype=onlycreditloss`` finds nothing
    (the model has no credit-loss payments).
    """
    p = req.params
    preds: list[Predicate[m.SalesPayment]] = []
    between(preds, lambda r: r.date, p.day("begindate"), p.day("enddate"))
    between(preds, lambda r: r.modified, p.moment("lastmodifiedstart"), p.moment("lastmodifiedend", end=True))
    invoice_key, invoice_number = p.integer("invoicenetvisorkey"), p.integer("invoicenumber")
    if invoice_key is not None:
        preds.append(lambda r: r.invoice_key == invoice_key)
    if invoice_number is not None:
        preds.append(lambda r: r.invoice_number == invoice_number)
    name = p.text("searchbyname")
    if name is not None:
        preds.append(lambda r: name.lower() in r.name.lower())
    if p.flag("limitlinkedpayments"):
        preds.append(lambda r: r.invoice_key is not None)
    if p.choice("limitbytype", {"onlycreditloss", "excludecreditloss"}) == "onlycreditloss":
        preds.append(lambda r: False)
    bank = int(p.choice("replyoption", {"0", "1", "2", "3"}) or "0")
    rows = capped(select(ascending_from(req.company.sales_payments, p.integer("abovenetvisorkey")), preds), req)
    return render.list_reply(
        req.now, "SalesPaymentList", (render_ledger.sales_payment_item(r, bank=bank) for r in rows)
    )


def paymentlist(req: Request) -> Reply:
    """Outgoing payments above ``limitabovenetvisorkey``, at most ``Quirks.payment_list_cap`` per response."""
    p = req.params
    preds: list[Predicate[m.PurchasePayment]] = []
    between(preds, lambda r: r.date, p.day("limitbegindate"), p.day("limitenddate"))
    reference, invoice = p.text("limitreference"), p.integer("limitinvoiceid")
    if reference is not None:
        preds.append(lambda r: r.reference == reference)
    if invoice is not None:
        preds.append(lambda r: r.invoice_key == invoice)
    above = p.integer("limitabovenetvisorkey")
    rows = capped(select(ascending_from(req.company.purchase_payments, above), preds), req)
    return render.list_reply(req.now, "PaymentList", (render_ledger.purchase_payment_item(r, req.ctx) for r in rows))


# --- deletions and payroll ----------------------------------------------------------------------------------------


def deleted(kind: m.TombstoneKind, root: str, element: str) -> Handler:
    """A ``deleted*.nv`` handler: ``deletedsince`` (yyyy-MM-dd) is mandatory and at most 7 days back."""

    def handler(req: Request) -> Reply:
        since = req.params.required_date("deletedsince")
        if since < req.now.date() - timedelta(days=DELETED_DAYS_BACK):
            raise invalid(
                f"Parameter deletedsince can be at most {DELETED_DAYS_BACK} days in the past",
                f"Parametri deletedsince voi olla enintään {DELETED_DAYS_BACK} päivää menneisyydessä",
            )
        rows = req.company.tombstones(kind, datetime.combine(since, time()))
        return render.list_reply(req.now, root, (render_ledger.tombstone_item(t, element) for t in rows))

    handler.__doc__ = f"{root}: deletions since ``deletedsince`` (at most {DELETED_DAYS_BACK} days back)."
    return handler


def getpayrollpaycheckbatchlist(req: Request) -> Reply:
    """``startdate`` mandatory, ``enddate`` optional, range at most 30 days. The model has no payroll: always empty."""
    p = req.params
    start = p.required_date("startdate")
    end = p.day("enddate") or start
    if end < start or (end - start).days > PAYROLL_RANGE_DAYS:
        raise invalid(
            f"The date range can be at most {PAYROLL_RANGE_DAYS} days",
            f"Aikaväli voi olla enintään {PAYROLL_RANGE_DAYS} päivää",
        )
    return render.list_reply(req.now, "PayrollPaycheckBatches", ())


def getpayrollpaycheckbatch(req: Request) -> Reply:
    """``netvisorkey`` mandatory; no payroll in the model, so the OK empty (lowercase) element."""
    req.params.required_integer("netvisorkey")
    return render.single_reply(req.now, "payrollpaycheckbatch", None)
