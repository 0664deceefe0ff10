"""Request handlers: one per read resource, from query parameters to a validated query over a company to a Reply.

:func:`handle` is the emulator app's single entry point. Each handler validates its parameters first (so a bad
request raises :class:`~netvisor_sync.emulator.reply.Rejection` before a byte is streamed), then builds a lazy
filtered iterator over the company's collections and hands it to :mod:`render`. Behaviour follows section 4 of the
API reference; where the reference leaves a choice open, the choice is stated on the handler.

The books (ledger, balances, payments, deletions, payroll) live in :mod:`ledger`, the shared request type and
filtering helpers in :mod:`query`, parameter parsing in :mod:`params`. Limits enforced as Netvisor does
(``INVALID_DATA``): ``getcustomer idlist`` 500, ``customerlist customercodelist`` 100, ``getproduct idlist/codelist``
400, every ``netvisorkeylist`` 500, ``deletedsince`` at most 7 days back, payroll batch list range 30 days. Row caps
(salesinvoicelist 500, payment lists 500, getvendor pages of 500) come from :class:`render.Quirks`, so a test can
shrink them.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import TypeVar

from netvisor_sync.emulator import ledger, render
from netvisor_sync.emulator import model as m
from netvisor_sync.emulator.lazy import Window
from netvisor_sync.emulator.list_rows import ListRows
from netvisor_sync.emulator.params import Params, invalid, one_of
from netvisor_sync.emulator.query import (
    Handler,
    Predicate,
    Request,
    between,
    by_keys,
    scan,
    select,
)
from netvisor_sync.emulator.reply import Rejection, Reply
from netvisor_sync.resources import normalize_resource

T = TypeVar("T")
PRODUCT_BATCH_LIMIT = 400
CUSTOMER_CODE_LIMIT = 100
#: invoicestatus=open also matches these states (and the same words as ``substatus``)
OPEN_FAMILY = frozenset({"open", "overdue", "reminded", "requested", "collected"})
INVOICE_STATUSES = OPEN_FAMILY | {"paid", "unsent", "creditloss", "rejected", "draft"}
_BUSINESS_ID = re.compile(r"^\d{7}-\d$")


def handle(
    company: m.CompanyView,
    resource: str,
    params: Mapping[str, str],
    *,
    now: datetime,
    language: str,
    base_url: str,
    quirks: render.Quirks | None = None,
) -> Reply:
    """Answer one read request the way Netvisor would.

    Args:
        company: the company the request is for.
        resource: resource name, with or without ``.nv``, any case.
        params: query parameters (names any case, values as sent).
        now: the emulator clock's Helsinki time (``ResponseStatus/TimeStamp``, the ``deleted*`` window).
        language: ``X-Netvisor-Interface-Language``; selects localized status texts.
        base_url: scheme and host for ``Uri`` elements, e.g. ``http://testserver``.
        quirks: naming and row-cap choices; the documented defaults when ``None``.

    Raises:
        Rejection: ``INVALID_DATA`` for a bad, missing or over-limit parameter or an unknown resource.
    """
    name = normalize_resource(resource)
    handler = HANDLERS.get(name)
    if handler is None:
        raise invalid(f"Unknown resource {name}.nv", f"Tuntematon resurssi {name}.nv")
    ctx = render.Context(base_url=base_url, language=language, quirks=quirks or render.QUIRKS)
    return handler(Request(company, Params(params), now, ctx))


# --- customers, vendors, products ---------------------------------------------------------------------------------


def customerlist(req: Request) -> Reply:
    """``keyword`` searches name, code and business id and overrides ``changedsince``; ``customercodelist`` ≤ 100."""
    p = req.params
    keyword = p.text("keyword")
    since = p.moment("changedsince")
    codes = p.words("customercodelist", CUSTOMER_CODE_LIMIT)
    preds: list[Predicate[m.Customer]] = []
    if keyword is not None:
        needle = keyword.lower()
        preds.append(lambda c: needle in c.name.lower() or needle in c.code.lower() or needle in c.business_id)
    elif since is not None:
        preds.append(lambda c: c.modified >= since)
    if codes is not None:
        wanted = set(codes)
        preds.append(lambda c: c.code in wanted)
    rows = select(req.company.customers, preds)
    return render.list_reply(req.now, "Customerlist", (render.customer_list_item(c, req.ctx) for c in rows))


def getcustomer(req: Request) -> Reply:
    """Unlike other get* resources, an unknown id is ``INVALID_DATA`` (Netvisor's own wording)."""
    terms = {t.netvisor_key: t.description for t in req.company.payment_terms}

    def missing(key: int) -> Rejection:
        return invalid(
            f"Data form incorrect:. Customer not found with Netvisor identifier: {key}",
            f"Tietomuoto virheellinen:. Asiakasta ei löydy Netvisor-tunnisteella: {key}",
        )

    return by_keys(
        req,
        req.company.customers,
        lambda c: render.customer_item(c, terms.get(c.payment_term_key, "")),
        names=("id", "idlist"),
        roots=("Customer", "Customers"),
        missing=missing,
    )


def getvendor(req: Request) -> Reply:
    """``netvisorkey`` → ``Vendor`` (empty when unknown); ``netvisorkeylist`` → ``Vendors``, every id must exist.

    Otherwise the vendors changed since ``changedsince`` (all without it) in pages of ``Quirks.vendor_page_size``,
    ``page`` defaulting to 1. The ``X-Netvisor-Pagination-*`` headers carry the paging; ``Previous-Page`` and
    ``Next-Page`` are left out when there is no such page.
    """
    p = req.params
    if "netvisorkey" in p or "netvisorkeylist" in p:

        def missing(key: int) -> Rejection:
            return invalid(f"Vendor not found, netvisorkey {key}", f"Toimittajaa ei löydy, netvisorkey {key}")

        return by_keys(
            req,
            req.company.vendors,
            render.vendor_item,
            names=("netvisorkey", "netvisorkeylist"),
            roots=("Vendor", "Vendors"),
            limit=None,
            missing=missing if "netvisorkeylist" in p else None,
        )
    since = p.moment("changedsince")
    page = p.integer("page")
    if page is None:
        page = 1
    elif page < 1:
        raise invalid(f"Invalid value for parameter page: '{page}'", f"Virheellinen arvo parametrille page: '{page}'")
    preds: list[Predicate[m.Vendor]] = []
    between(preds, lambda v: v.modified, since, None)
    size = req.ctx.quirks.vendor_page_size
    total = sum(1 for _ in select(req.company.vendors, preds))
    rows = islice(select(req.company.vendors, preds), (page - 1) * size, page * size)
    headers = {
        "X-Netvisor-Pagination-Current-Page": str(page),
        "X-Netvisor-Pagination-Limit": str(size),
        "X-Netvisor-Pagination-Total-Count": str(total),
    }
    if page > 1:
        headers["X-Netvisor-Pagination-Previous-Page"] = str(page - 1)
    if page * size < total:
        headers["X-Netvisor-Pagination-Next-Page"] = str(page + 1)
    return render.list_reply(req.now, "Vendors", (render.vendor_item(v) for v in rows), headers=headers)


def vendorlist(req: Request) -> Reply:
    """The older vendor list: every vendor (``changedsince`` honoured) in one response, no paging.

    Its shape is UNCONFIRMED; it answers the same ``Vendor`` records as getvendor under a ``VendorList`` root.
    """
    preds: list[Predicate[m.Vendor]] = []
    between(preds, lambda v: v.modified, req.params.moment("changedsince"), None)
    rows = select(req.company.vendors, preds)
    return render.list_reply(req.now, "VendorList", (render.vendor_item(v) for v in rows))


def productlist(req: Request) -> Reply:
    """Status flags ``published``/``unpublished``/``deleted`` combine; without any, deleted products are included."""
    p = req.params
    since = p.moment("changedsince")
    keyword = p.text("keyword")
    statuses = {status for status in ("published", "unpublished", "deleted") if p.flag(status)}
    preds: list[Predicate[m.Product]] = []
    between(preds, lambda r: r.modified, since, None)
    if keyword is not None:
        needle = keyword.lower()
        preds.append(lambda r: needle in r.name.lower() or needle in r.code.lower())
    if statuses:
        preds.append(lambda r: r.status in statuses)
    rows = select(req.company.products, preds)
    return render.list_reply(req.now, "ProductList", (render.product_list_item(r, req.ctx) for r in rows))


def getproduct(req: Request) -> Reply:
    """By ``id``/``idlist`` (≤ 400) or ``code``/``codelist`` (≤ 400); unknown products are left out / ``<Product />``.

    ``eancode`` is accepted but the model keeps no EAN codes, so it finds nothing.
    """
    p = req.params
    which = one_of(p, "id", "idlist", "code", "codelist", "eancode")
    if which in {"id", "idlist"}:
        return by_keys(
            req,
            req.company.products,
            render.product_item,
            names=("id", "idlist"),
            roots=("Product", "Products"),
            limit=PRODUCT_BATCH_LIMIT,
        )
    codes = [p.require(which)] if which != "codelist" else p.words("codelist", PRODUCT_BATCH_LIMIT) or []
    wanted = set(codes) if which != "eancode" else set()
    by_code = {r.code: r for r in req.company.products if r.code in wanted}
    found = [by_code[c] for c in dict.fromkeys(codes) if c in by_code]
    if which == "codelist" and not (len(codes) == 1 and req.ctx.quirks.single_id_list_singular_root):
        return render.list_reply(req.now, "Products", (render.product_item(r) for r in found))
    return render.single_reply(req.now, "Product", render.product_item(found[0]) if found else None)


# --- sales --------------------------------------------------------------------------------------------------------


def salesinvoicelist(req: Request) -> Reply:
    """Invoices (no ``listtype``), sales orders (``preinvoice``, Uri → getorder.nv) or invoices and drafts.

    At most ``Quirks.salesinvoicelist_cap`` rows in ascending NetvisorKey order: clients page with
    ``invoicesabovenetvisorkey``. ``lastmodifiedstart``/``end`` take a date or a time (a bare end date covers its whole
    day); invoice dates are inclusive. ``replyoption`` 1 adds the private comment, 2 the currency sums, 3 both; 16
    (service baskets) adds nothing, as the model has none. The other filters are in :func:`_sales_filters`.
    """
    p = req.params
    listtype = p.choice("listtype", {"preinvoice", "draftandinvoice"})
    orders = listtype == "preinvoice"
    reply_option = p.choice("replyoption", {"0", "1", "2", "3", "16"}) or "0"
    preds, narrowed = _sales_filters(p, orders=orders, drafts=listtype == "draftandinvoice")
    modified, paid = _modified_or_paid(req, orders=orders)
    if modified is not None:
        preds.append(modified)
    collection = req.company.sales_orders if orders else req.company.sales_invoices
    window = Window(
        p.day("begininvoicedate"),
        p.day("endinvoicedate"),
        modified_low=p.moment("lastmodifiedstart"),
        modified_high=p.moment("lastmodifiedend", end=True),
    )
    paid_too = paid is not None
    above, cap = p.integer("invoicesabovenetvisorkey"), req.ctx.quirks.salesinvoicelist_cap
    comment, sums = reply_option in {"1", "3"}, reply_option in {"2", "3"}

    def item(d: m.SalesDocument) -> str:
        return render.sales_list_item(d, req.ctx, private_comment=comment, currency_sums=sums)

    lister = _list_rows(req)
    if lister is not None and not (orders or narrowed or paid_too or comment or sums):
        # generated rows are tested on the window alone: the other predicates (no drafts) pass every one of them
        test = _all(preds)
        fast = lister.sales(window, above, req.ctx, lambda d: item(d) if test(d) else None)
        return render.list_reply(req.now, "SalesInvoiceList", islice(fast, cap))
    candidates = scan(collection, window, above)
    if paid:  # an old invoice also matches through a recent payment: those are looked up by key, not scanned for
        candidates = _merged_by_key(candidates, collection, paid, above)
    rows = islice(select(candidates, preds), cap)
    return render.list_reply(req.now, "SalesInvoiceList", (item(d) for d in rows))


def _merged_by_key(
    scanned: Iterator[m.SalesDocument], collection: m.Collection[m.SalesDocument], keys: set[int], above: int | None
) -> Iterator[m.SalesDocument]:
    """``scanned`` (ascending keys) and the records of ``keys`` above ``above``, ascending, each once."""
    looked_up = (d for k in sorted(keys) if above is None or k > above if (d := collection.get(k)) is not None)
    last = None
    for d in heapq.merge(scanned, looked_up, key=lambda d: d.netvisor_key):
        if d.netvisor_key != last:
            last = d.netvisor_key
            yield d


def _list_rows(req: Request) -> ListRows | None:
    """The company's cheap list-row path (:mod:`.list_rows`), when it is a generated one and the path is on."""
    lister = getattr(req.company, "list_rows", None)
    return lister if isinstance(lister, ListRows) and lister.enabled else None


def _all(preds: list[Predicate[T]]) -> Predicate[T]:
    return lambda r: all(test(r) for test in preds)


def _modified_or_paid(req: Request, *, orders: bool) -> tuple[Predicate[m.SalesDocument] | None, set[int] | None]:
    """The lastmodified window; ``includemodifiedpayments`` also admits invoices whose payments changed in it.

    Returns the predicate (``None`` when the request has no modification window: every record passes) and, with
    ``includemodifiedpayments``, the keys of the invoices whose payments changed in the window (else ``None``).

    A payment does not touch its invoice's own modification time (as on Netvisor), hence the payment scan.
    """
    p = req.params
    low, high = p.moment("lastmodifiedstart"), p.moment("lastmodifiedend", end=True)
    window: list[Predicate[m.SalesDocument]] = []
    between(window, lambda d: d.modified, low, high)
    if not p.flag("includemodifiedpayments"):
        return ((lambda d: all(test(d) for test in window)) if window else None), None
    if low is None and high is None:
        raise invalid(
            "Parameter includemodifiedpayments requires lastmodifiedstart or lastmodifiedend",
            "Parametri includemodifiedpayments vaatii parametrin lastmodifiedstart tai lastmodifiedend",
        )
    payments: list[Predicate[m.SalesPayment]] = []
    between(payments, lambda r: r.modified, low, high)
    changed = Window(modified_low=low, modified_high=high)  # only the payments that can lie in it are built
    found = () if orders else select(scan(req.company.sales_payments, changed), payments)
    paid = {r.invoice_key for r in found if r.invoice_key is not None}  # a payment may have no invoice
    return (lambda d: d.netvisor_key in paid or all(test(d) for test in window)), paid


#: the customer's country filter, as Netvisor documents it and as it would be spelled (which one the service reads is
#: UNCONFIRMED; a client library sends the second): either filters, so a filter is never silently dropped
_COUNTRY_PARAMS = ("invoicingcustomercontrycode", "invoicingcustomercountrycode")


def _sales_filters(p: Params, *, orders: bool, drafts: bool) -> tuple[list[Predicate[m.SalesDocument]], bool]:
    """Invoice dates, ``invoicestatus``, the customer (``customernetvisorkey``, ``customercode``, the invoicing country
    ``invoicingcustomercontrycode``), ``invoicenumber``, ``salesinvoicebatchid`` (the salesinvoicebatch.nv import a
    document came in: generated documents came in none, so it finds only documents created with a ``batch_id``) and
    ``secondname`` / ``secondnamenetvisorkey`` (the company's auxiliary trade name the invoice went out under:
    generated invoices use the company's own name, so these find only documents created with a ``second_name``).

    Also says whether any filter beyond the invoice dates and the exclusion of drafts was asked for (so not every
    generated invoice of a date window passes).
    """
    preds: list[Predicate[m.SalesDocument]] = []
    between(preds, lambda d: d.date, p.day("begininvoicedate"), p.day("endinvoicedate"))
    dated = len(preds)
    status = p.choice("invoicestatus", INVOICE_STATUSES) if not orders else (p.text("invoicestatus") or "").lower()
    if status:
        family = OPEN_FAMILY if status == "open" else frozenset({status})
        preds.append(lambda d: d.status in family or d.substatus in family)
    if not orders and not drafts:
        preds.insert(dated, lambda d: d.status != "draft")
        dated += 1
    customer = p.integer("customernetvisorkey")
    if customer is not None:
        preds.append(lambda d: d.customer_key == customer)
    code = p.text("customercode")
    if code is not None:
        preds.append(lambda d: d.customer_code == code)
    number = p.integer("invoicenumber")
    if number is not None:
        preds.append(lambda d: d.number == number)
    countries = {country.upper() for name in _COUNTRY_PARAMS if (country := p.text(name)) is not None}
    if countries:  # both spellings with different codes find nothing, as two filters would
        preds.append(lambda d: {d.customer_country.upper()} == countries)
    batch = p.integer("salesinvoicebatchid")
    if batch is not None:
        preds.append(lambda d: d.batch_id == batch)
    second_name = p.text("secondname")
    if second_name is not None:
        preds.append(lambda d: d.second_name.lower() == second_name.lower())
    second_key = p.integer("secondnamenetvisorkey")
    if second_key is not None:
        preds.append(lambda d: d.second_name_key == second_key)
    return preds, len(preds) > dated


#: getsalesinvoice ``replyoption`` bits: 1 events, 2 accruals, 4 factoring, 8 payment plan, 16 credited invoice,
#: 32 credit targets
_SALES_REPLY_BITS = 6
_PDF_IMAGES = frozenset({"lastsentprintservice", "pdf", "nopdf"})


def _sales_detail(req: Request, collection: m.Collection[m.SalesDocument]) -> Reply:
    """The options of getsalesinvoice and getorder (see :func:`getsalesinvoice`)."""
    p = req.params
    option = p.bits("replyoption", _SALES_REPLY_BITS)
    pdf = (p.choice("pdfimage", _PDF_IMAGES) or "lastsentprintservice") == "pdf"
    comments, attachments = p.flag("showcommentlines"), p.flag("includeattachments")
    return by_keys(
        req,
        collection,
        lambda d: render.sales_item(
            d, req.ctx, credited=bool(option & 16), comments=comments, pdf=pdf, attachments=attachments
        ),
        names=("netvisorkey", "netvisorkeylist"),
        roots=("SalesInvoice", "SalesInvoices"),
    )


def getsalesinvoice(req: Request) -> Reply:
    """``netvisorkey`` or ``netvisorkeylist`` (≤ 500, not both); unknown keys: ``<SalesInvoice />`` or left out.

    * ``showcommentlines=1`` adds the comment lines (``SalesInvoiceCommentLine/Comment``) after the product lines
      inside ``InvoiceLine``; generated credit notes carry one naming the credited invoice.
    * ``pdfimage=pdf`` adds the invoice image, a one-page PDF (``LastSentInvoicePDFBase64Data``, base64). The
      default ``lastsentprintservice`` adds it only for invoices sent through the printing service, which no
      generated invoice was, so by default (and with ``nopdf``) there is none.
    * ``includeattachments=1`` adds ``SalesInvoiceAttachments``, empty: the model keeps no attachment files.
    * ``replyoption`` bit flags 0-63: 16 adds ``CreditedInvoiceNetvisorKey`` to credit notes; 1 events, 2 accruals,
      4 factoring, 8 payment plan and 32 credit targets are accepted but add nothing, as the generated books hold
      none of these. Anything else is ``INVALID_DATA``.
    """
    return _sales_detail(req, req.company.sales_invoices)


def getorder(req: Request) -> Reply:
    """Sales orders, in the same ``SalesInvoice`` shape and with the same options as getsalesinvoice."""
    return _sales_detail(req, req.company.sales_orders)


# --- purchases ----------------------------------------------------------------------------------------------------


def purchaseinvoicelist(req: Request) -> Reply:
    """``invoicestatus`` open/approved/accepted, ``paymentstatus`` unpaid/paid, modification and invoice dates,
    ``invoicenumber`` and ``purchaseinvoicebatchid`` (the import batch an invoice came in: generated invoices came
    in none, so it finds only invoices created with a ``batch_id``)."""
    p = req.params
    window = Window(
        p.day("begininvoicedate"),
        p.day("endinvoicedate"),
        p.moment("lastmodifiedstart"),
        p.moment("lastmodifiedend", end=True),
    )
    preds: list[Predicate[m.PurchaseInvoice]] = []
    between(preds, lambda r: r.modified, window.modified_low, window.modified_high)
    between(preds, lambda r: r.date, window.date_low, window.date_high)
    status = p.choice("invoicestatus", {"open", "approved", "accepted"})
    if status is not None:
        preds.append(lambda r: r.status == status)
    payment = p.choice("paymentstatus", {"unpaid", "paid"})
    if payment is not None:
        preds.append(lambda r: (r.paid_amount >= r.amount) == (payment == "paid"))
    number = p.text("invoicenumber")
    if number is not None:
        preds.append(lambda r: r.number == number)
    batch = p.integer("purchaseinvoicebatchid")
    if batch is not None:
        preds.append(lambda r: r.batch_id == batch)
    lister = _list_rows(req)
    if lister is not None and status is None and payment is None and number is None and batch is None:
        test = _all(preds)  # only the window's bounds, which generated rows are tested on directly
        fast = lister.purchases(window, req.ctx, lambda r: render.purchase_list_item(r, req.ctx) if test(r) else None)
        return render.list_reply(req.now, "PurchaseInvoiceList", fast)
    rows = select(scan(req.company.purchase_invoices, window), preds)
    return render.list_reply(req.now, "PurchaseInvoiceList", (render.purchase_list_item(r, req.ctx) for r in rows))


def getpurchaseinvoice(req: Request) -> Reply:
    """``version`` 1 (default) puts line dimensions after each line, 2 inside it; ``omitattachments`` drops them."""
    p = req.params
    version = int(p.choice("version", {"1", "2"}) or "1")
    attachments = not p.flag("omitattachments")
    index = {d.name: (d.netvisor_key, {i.name: i.netvisor_key for i in d.items}) for d in req.company.dimensions}
    return by_keys(
        req,
        req.company.purchase_invoices,
        lambda r: render.purchase_item(r, req.ctx, index, version=version, attachments=attachments),
        names=("netvisorkey", "netvisorkeylist"),
        roots=("PurchaseInvoice", "PurchaseInvoices"),
    )


def purchaseorderlist(req: Request) -> Reply:
    """``limitvendor`` is a vendor NetvisorKey (integer), business id (``NNNNNNN-N``) or vendor code;
    ``searchcomment`` finds the orders whose comment contains the text (any case)."""
    p = req.params
    preds: list[Predicate[m.PurchaseOrder]] = []
    between(preds, lambda o: o.modified, p.moment("lastmodifiedstart"), p.moment("lastmodifiedend", end=True))
    between(preds, lambda o: o.date, p.day("limitbegindate"), p.day("limitenddate"))
    low, high = p.integer("limitstartordernumber"), p.integer("limitendordernumber")
    if low is not None:
        preds.append(lambda o: o.number >= low)
    if high is not None:
        preds.append(lambda o: o.number <= high)
    status = p.choice("limitorderstatus", {"proposal", "approved", "senttovendor", "waitinginvoice", "archived"})
    if status is not None:
        preds.append(lambda o: o.status == status)
    vendor = p.text("limitvendor")
    if vendor is not None:
        vendors = _vendor_keys(req.company, vendor)
        preds.append(lambda o: o.vendor_key in vendors)
    if p.flag("haslinktopurchaseinvoice"):
        preds.append(lambda o: bool(o.linked_invoice_keys))
    comment = p.text("searchcomment")
    if comment is not None:
        preds.append(lambda o: comment.lower() in o.comment.lower())
    rows = select(req.company.purchase_orders, preds)
    invoices = req.company.purchase_invoices

    def item(o: m.PurchaseOrder) -> str:
        numbers = {k: inv.number for k in o.linked_invoice_keys if (inv := invoices.get(k)) is not None}
        return render.purchase_order_list_item(o, req.ctx, numbers)

    return render.list_reply(req.now, "PurchaseOrderList", (item(o) for o in rows))


def _vendor_keys(company: m.CompanyView, vendor: str) -> set[int]:
    if vendor.isdigit():
        return {int(vendor)}
    if _BUSINESS_ID.match(vendor):
        return {v.netvisor_key for v in company.vendors if v.business_id == vendor}
    return {v.netvisor_key for v in company.vendors if v.code == vendor}


def getpurchaseorder(req: Request) -> Reply:
    """``netvisorkey`` or ``netvisorkeylist`` (≤ 500); ``OrderDate`` unpadded (``2017-1-1``)."""
    return by_keys(
        req,
        req.company.purchase_orders,
        render.purchase_order_item,
        names=("netvisorkey", "netvisorkeylist"),
        roots=("PurchaseOrder", "PurchaseOrders"),
    )


HANDLERS: Mapping[str, Handler] = {
    "customerlist": customerlist,
    "getcustomer": getcustomer,
    "getvendor": getvendor,
    "vendorlist": vendorlist,
    "productlist": productlist,
    "getproduct": getproduct,
    "salesinvoicelist": salesinvoicelist,
    "getsalesinvoice": getsalesinvoice,
    "getorder": getorder,
    "purchaseinvoicelist": purchaseinvoicelist,
    "getpurchaseinvoice": getpurchaseinvoice,
    "purchaseorderlist": purchaseorderlist,
    "getpurchaseorder": getpurchaseorder,
    "accountingledger": ledger.accountingledger,
    "accountlist": ledger.accountlist,
    "accountingperiodlist": ledger.accountingperiodlist,
    "vouchertypelist": ledger.vouchertypelist,
    "accountbalance": ledger.accountbalance,
    "dimensionlist": ledger.dimensionlist,
    "getaccountdimensionlist": ledger.getaccountdimensionlist,
    "paymenttermlist": ledger.paymenttermlist,
    "salespaymentlist": ledger.salespaymentlist,
    "paymentlist": ledger.paymentlist,
    "deletedsalesinvoices": ledger.deleted("salesinvoice", "DeletedSalesInvoices", "DeletedSalesInvoice"),
    "deletedsalesorders": ledger.deleted("salesorder", "DeletedSalesOrders", "DeletedSalesOrder"),
    "deletedsalespayments": ledger.deleted("salespayment", "DeletedSalesPayments", "DeletedSalesPayment"),
    "deletedvouchers": ledger.deleted("voucher", "DeletedVouchers", "DeletedVoucher"),
    "deletedpurchaseinvoices": ledger.deleted("purchaseinvoice", "DeletedPurchaseInvoices", "DeletedPurchaseInvoice"),
    "deletedpurchaseorders": ledger.deleted("purchaseorder", "DeletedPurchaseOrders", "DeletedPurchaseOrder"),
    "deletedpurchasepayments": ledger.deleted("purchasepayment", "DeletedPurchasePayments", "DeletedPurchasePayment"),
    "getpayrollpaycheckbatchlist": ledger.getpayrollpaycheckbatchlist,
    "getpayrollpaycheckbatch": ledger.getpayrollpaycheckbatch,
}
