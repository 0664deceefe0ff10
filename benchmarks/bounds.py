"""The fewest Netvisor calls a sync can make, from the emulator's own books and Netvisor's documented limits.

Deliberately independent of ``netvisor_sync.catalog``: this table is the benchmark's own reading of the API
reference (section 3), so a catalog entry that pages or batches worse than Netvisor allows shows up as a ratio > 1.

Rules (n = records the call must deliver):

* detail batches: ``ceil(n / 500)`` (``getproduct``: 400); none when n = 0.
* key-paged lists (``salesinvoicelist``, ``salespaymentlist``, ``paymentlist``; 500 rows a page):
  ``n // 500 + 1``: a full page may be the last one, and only a short or empty answer says so.
* ``getvendor`` pages with ``X-Netvisor-Pagination-Next-Page`` headers: ``max(1, ceil(n / 500))``.
* unpaged lists (``customerlist``, ``productlist``, ``purchaseinvoicelist``, ``purchaseorderlist``,
  ``accountingledger``) and every reference table: one call.
* ``deleted*.nv`` feeds: one call each on an incremental run, none on the first (nothing is loaded yet).
* ``paymentlist`` has no change filter: an incremental run asks for keys above the highest loaded one (one call).
* an incremental ``salesinvoicelist`` must deliver the invoices whose payments changed as well as the changed ones
  (``includemodifiedpayments``: on Netvisor a payment does not touch its invoice's modification time, yet changes
  its open sum and status), and so must ``getsalesinvoice``: n is :data:`PAID_TOO` where the records give it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

PAGE = 500
#: records key: sales invoices changed or with a changed payment (what an incremental sync must read again)
PAID_TOO = "salesinvoice or a payment of it"
BATCH = 500
PRODUCT_BATCH = 400

#: detail resource -> (change-API kind, batch limit); the list that feeds it is in LISTS
DETAILS = {
    "getcustomer": ("customer", BATCH),
    "getproduct": ("product", PRODUCT_BATCH),
    "getsalesinvoice": ("salesinvoice", BATCH),
    "getorder": ("salesorder", BATCH),
    "getpurchaseinvoice": ("purchaseinvoice", BATCH),
    "getpurchaseorder": ("purchaseorder", BATCH),
}
#: list resource -> (kind or kinds it lists, paging: "key" | "page" | None)
LISTS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "customerlist": (("customer",), None),
    "getvendor": (("vendor",), "page"),
    "productlist": (("product",), None),
    "salesinvoicelist": (("salesinvoice", "salesorder"), "key"),  # two listings: invoices, then preinvoices
    "purchaseinvoicelist": (("purchaseinvoice",), None),
    "purchaseorderlist": (("purchaseorder",), None),
    "accountingledger": (("voucher",), None),
    "salespaymentlist": (("salespayment",), "key"),
    "paymentlist": (("purchasepayment",), "key"),
}
REFERENCE = (
    "accountlist",
    "accountingperiodlist",
    "vouchertypelist",
    "dimensionlist",
    "paymenttermlist",
    "accountbalance",
)
DELETED_FEEDS = (
    "deletedsalesinvoices",
    "deletedsalesorders",
    "deletedpurchaseinvoices",
    "deletedpurchaseorders",
    "deletedvouchers",
    "deletedsalespayments",
    "deletedpurchasepayments",
)
#: change-API kind -> store collection (``facts`` from the emulator are keyed by collection)
COLLECTION = {
    "customer": "customers",
    "vendor": "vendors",
    "product": "products",
    "salesinvoice": "sales_invoices",
    "salesorder": "sales_orders",
    "purchaseinvoice": "purchase_invoices",
    "purchaseorder": "purchase_orders",
    "voucher": "valid_vouchers",
    "salespayment": "sales_payments",
    "purchasepayment": "purchase_payments",
}


def _listing(n: int, paging: str | None) -> int:
    if paging == "key":
        return n // PAGE + 1
    if paging == "page":
        return max(1, math.ceil(n / PAGE))
    return 1


def lower_bound(records: Mapping[str, int], *, first_run: bool) -> Counter[str]:
    """Calls per resource for a sync that must deliver ``records`` (change-API kind -> count).

    ``first_run``: a full sync (``records`` = everything); otherwise an incremental one (``records`` = what changed).
    """
    bound: Counter[str] = Counter()
    if not first_run and PAID_TOO in records:
        records = {**records, "salesinvoice": records[PAID_TOO]}
    for resource, (kinds, paging) in LISTS.items():
        if resource == "paymentlist" and not first_run:
            bound[resource] = 1  # no change filter: keys above the last one, nothing new here
            continue
        bound[resource] = sum(_listing(records.get(kind, 0), paging) for kind in kinds)
    for resource, (kind, limit) in DETAILS.items():
        calls = math.ceil(records.get(kind, 0) / limit)
        if calls:
            bound[resource] = calls
    for resource in REFERENCE:
        bound[resource] = 1
    if not first_run:
        for resource in DELETED_FEEDS:
            bound[resource] = 1
    return bound


def records_in_books(facts: Mapping[str, list[int]]) -> dict[str, int]:
    """Change-API kind -> records, from one company's ``facts`` (the emulator's collection sizes)."""
    return {kind: facts[collection][0] for kind, collection in COLLECTION.items()}


def rows_in_books(facts: Mapping[str, list[int]]) -> int:
    """Every row a full sync must land: documents, their lines and the reference tables (balances excluded)."""
    skip = {"vouchers"}  # counted through valid_vouchers: invalidated ones are not loaded
    return sum(records + lines for name, (records, lines) in facts.items() if name not in skip) + facts["vouchers"][1]
