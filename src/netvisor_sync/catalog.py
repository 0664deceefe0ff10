"""Every warehouse table netvisor-sync loads, as one declarative entry per Netvisor entity.

An :class:`Entry` says where an entity's rows come from and how to read them cheaply: the list resource and its fixed
parameters, the key, how the server filters changes (``changedsince``, ``lastmodifiedstart``, or a key cursor), how
the list pages, which detail resource completes a row and how many keys one detail call takes, which nested lists
become their own tables (lines), which ``deleted*.nv`` feed reports deletions, and which date parameters window a
first sync from ``start_date`` (see :mod:`netvisor_sync.fetch`).
:mod:`netvisor_sync.fetch` turns an entry into calls and :mod:`netvisor_sync.source` into a dlt resource; neither
knows any entity by name, so adding a resource means adding an entry here (plus its parser).

Limits follow the API reference (section 3): detail batches of 500 keys (400 for ``getproduct``), list pages of 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from netvisor_sync.errors import ConfigError

#: How the server narrows a list to what changed since the last run.
#: ``changedsince``/``lastmodified`` take a time (``lastmodified`` means ``lastmodifiedstart``); ``above_key`` re-uses
#: the paging parameter with the highest key loaded so far (new rows only: for feeds without a change filter);
#: ``None`` means the table is re-read in full on every run.
ChangeFilter = Literal["changedsince", "lastmodified", "above_key"] | None

#: How a list pages. ``page`` counts pages from 1 and reads ``X-Netvisor-Pagination-Next-Page``; the others pass the
#: highest key of the previous page; ``None`` means one response holds the whole list.
Paging = Literal["invoicesabovenetvisorkey", "abovenetvisorkey", "limitabovenetvisorkey", "page"] | None

NETVISOR_PAGE_SIZE = 500
NETVISOR_BATCH_LIMIT = 500


@dataclass(frozen=True)
class Detail:
    """A detail resource that completes list rows, called with batches of keys."""

    resource: str
    batch_param: str
    batch_limit: int = NETVISOR_BATCH_LIMIT
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Child:
    """A list inside each record that becomes its own table, with the parent's key as a column.

    ``position`` names the 1-based line position column (the parser's ``line_number``): lines are keyed by
    (organisation, parent key, position), which exists for every line even when Netvisor sends no line key, and all
    lines of a changed parent are replaced at once (``merge_key`` = organisation + parent key).
    """

    field: str
    table: str
    parent_key: str
    position: str = "line_number"


@dataclass(frozen=True)
class DateWindow:
    """Date parameters that bound a list by document date, for the first sync's backfill.

    A first run with ``start_date`` reads windows of ``months`` months from it; without it, one listing (an unpaged
    answer is spooled to disk and streamed, so no window is needed for memory). ``months`` is 1 for the ledger
    (vouchers carry all their lines) and 12 for lists whose rows are one short line per document.

    ``column`` is the record column holding that date; rows older than ``start_date`` are dropped from change-filtered
    runs too, so ``start_date`` bounds history everywhere.
    """

    start_param: str
    end_param: str
    column: str
    months: int = 1
    #: the list refuses an unfiltered call (accountingledger): with no window to start from, one spans all history
    required: bool = False


@dataclass(frozen=True)
class Entry:
    """One warehouse table (and its child tables) and everything needed to read it from Netvisor."""

    table: str
    resource: str
    description: str
    params: Mapping[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ("netvisor_key",)
    change_filter: ChangeFilter = None
    #: extra parameters of a change-filtered listing only (``includemodifiedpayments``: a payment does not change
    #: its invoice's modification time, so without it a paid invoice would keep its old status and open sum)
    since_params: Mapping[str, str] = field(default_factory=dict)
    paging: Paging = None
    page_size: int = NETVISOR_PAGE_SIZE
    detail: Detail | None = None
    children: tuple[Child, ...] = ()
    delete_feed: str | None = None
    #: values of ``status_column`` that mean the row is gone (accountingledger's invalidated/deleted vouchers)
    deleted_statuses: frozenset[str] = frozenset()
    status_column: str = "status"
    window: DateWindow | None = None
    #: a full key listing is possible (``reconcile=True`` turns missing keys into deletes). For an ``above_key``
    #: entry that listing is its whole list, rows and all, so reconcile re-reads and upserts every row: the only
    #: way an edit reaches the warehouse when the list has no change filter (:attr:`rereads_to_reconcile`)
    reconcilable: bool = False
    #: parameters computed per run (``balancedates``); see :func:`netvisor_sync.fetch.computed_params`
    computed: Literal["balancedates"] | None = None

    @property
    def full_refresh(self) -> bool:
        """Re-read in full every run and replace the company's rows (reference data: small, no change filter)."""
        return self.change_filter is None

    @property
    def rereads_to_reconcile(self) -> bool:
        """Reconcile re-reads the whole list and upserts it (new keys only otherwise: edits never arrive)."""
        return self.reconcilable and self.change_filter == "above_key"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *(child.table for child in self.children))

    @property
    def resources(self) -> tuple[str, ...]:
        """Every Netvisor resource this entry may call, in call order."""
        names = [self.resource]
        if self.detail:
            names.append(self.detail.resource)
        if self.delete_feed:
            names.append(self.delete_feed)
        return tuple(names)


def _lines(table: str, parent_key: str) -> tuple[Child, ...]:
    return (Child("lines", table, parent_key),)


ENTRIES: tuple[Entry, ...] = (
    Entry(
        table="customers",
        resource="customerlist",
        description="customers: customerlist merged with getcustomer details",
        change_filter="changedsince",
        detail=Detail("getcustomer", "idlist"),
        reconcilable=True,
    ),
    Entry(
        table="vendors",
        resource="getvendor",
        description="vendors (suppliers), paged by getvendor",
        change_filter="changedsince",
        paging="page",
        reconcilable=True,
    ),
    Entry(
        table="products",
        resource="productlist",
        description="products: productlist merged with getproduct details",
        change_filter="changedsince",
        detail=Detail("getproduct", "idlist", batch_limit=400),
        reconcilable=True,
    ),
    Entry(
        table="sales_invoices",
        resource="salesinvoicelist",
        description="sales invoices with their lines (getsalesinvoice)",
        change_filter="lastmodified",
        since_params={"includemodifiedpayments": "1"},
        paging="invoicesabovenetvisorkey",
        detail=Detail("getsalesinvoice", "netvisorkeylist"),
        children=_lines("sales_invoice_lines", "sales_invoice_key"),
        delete_feed="deletedsalesinvoices",
        window=DateWindow("begininvoicedate", "endinvoicedate", "invoice_date"),
    ),
    Entry(
        table="sales_orders",
        resource="salesinvoicelist",
        params={"listtype": "preinvoice"},
        description="sales orders with their lines (getorder)",
        change_filter="lastmodified",
        paging="invoicesabovenetvisorkey",
        detail=Detail("getorder", "netvisorkeylist"),
        children=_lines("sales_order_lines", "sales_order_key"),
        delete_feed="deletedsalesorders",
        window=DateWindow("begininvoicedate", "endinvoicedate", "invoice_date"),
    ),
    Entry(
        table="purchase_invoices",
        resource="purchaseinvoicelist",
        description="purchase invoices with their lines (getpurchaseinvoice, dimensions inside lines)",
        change_filter="lastmodified",
        detail=Detail("getpurchaseinvoice", "netvisorkeylist", params={"version": "2", "omitattachments": "true"}),
        children=_lines("purchase_invoice_lines", "purchase_invoice_key"),
        delete_feed="deletedpurchaseinvoices",
        window=DateWindow("begininvoicedate", "endinvoicedate", "invoice_date", months=12),
    ),
    Entry(
        table="purchase_orders",
        resource="purchaseorderlist",
        description="purchase orders with their lines (getpurchaseorder)",
        change_filter="lastmodified",
        detail=Detail("getpurchaseorder", "netvisorkeylist"),
        children=_lines("purchase_order_lines", "purchase_order_key"),
        delete_feed="deletedpurchaseorders",
        window=DateWindow("limitbegindate", "limitenddate", "order_date", months=12),
    ),
    Entry(
        table="vouchers",
        resource="accountingledger",
        params={"voucherstatus": "1"},
        description="vouchers and voucher lines (accountingledger, invalidated and deleted ones become deletes)",
        change_filter="lastmodified",
        children=_lines("voucher_lines", "voucher_key"),
        delete_feed="deletedvouchers",
        deleted_statuses=frozenset({"invalidated", "deleted"}),
        window=DateWindow("startdate", "enddate", "voucher_date", required=True),
    ),
    Entry(
        table="sales_payments",
        resource="salespaymentlist",
        description="customer payments",
        change_filter="lastmodified",
        paging="abovenetvisorkey",
        delete_feed="deletedsalespayments",
        window=DateWindow("begindate", "enddate", "payment_date"),
    ),
    Entry(
        table="purchase_payments",
        resource="paymentlist",
        description=(
            "outgoing (purchase) payments; paymentlist has no change filter, so new ones arrive by key and deletions "
            "from the deleted feed, while an edited payment arrives only with reconcile (which re-reads the whole "
            "list) or full_refresh"
        ),
        change_filter="above_key",
        paging="limitabovenetvisorkey",
        delete_feed="deletedpurchasepayments",
        window=DateWindow("limitbegindate", "limitenddate", "payment_date"),
        reconcilable=True,
    ),
    Entry(table="accounts", resource="accountlist", description="chart of accounts"),
    Entry(table="accounting_periods", resource="accountingperiodlist", description="accounting periods"),
    Entry(table="voucher_types", resource="vouchertypelist", description="voucher types"),
    Entry(
        table="dimensions",
        resource="dimensionlist",
        params={"showhidden": "1"},
        description="dimensions (cost centres, projects) and their items, hidden ones included",
        children=(Child("items", "dimension_items", "dimension_key"),),
    ),
    Entry(table="payment_terms", resource="paymenttermlist", description="payment terms"),
    Entry(
        table="account_balances",
        resource="accountbalance",
        description="monthly account balances (trial balance) from start_date (default: start of last year) to today",
        key=("netvisor_key", "balance_date"),
        computed="balancedates",
    ),
)

CATALOG: Mapping[str, Entry] = MappingProxyType({entry.table: entry for entry in ENTRIES})

#: every table name (entries and their child tables) -> the entry that loads it
TABLE_OWNERS: Mapping[str, Entry] = MappingProxyType({table: entry for entry in ENTRIES for table in entry.tables})


def select_entries(tables: list[str] | tuple[str, ...] | None = None) -> list[Entry]:
    """The entries that load ``tables`` (any table name, child tables included), in catalog order.

    Selecting a child table (``voucher_lines``) selects its entry, which loads the parent too: lines are only
    exact together with their documents.

    Raises:
        ConfigError: a name is not a table netvisor-sync loads; the message lists the valid ones.
    """
    if not tables:
        return list(ENTRIES)
    unknown = sorted(set(tables) - set(TABLE_OWNERS))
    if unknown:
        raise ConfigError(
            f"unknown table(s) {', '.join(unknown)} in setting 'tables' ([sources.netvisor] tables or --tables); "
            f"valid tables: {', '.join(sorted(TABLE_OWNERS))}"
        )
    wanted = {TABLE_OWNERS[name].table for name in tables}
    return [entry for entry in ENTRIES if entry.table in wanted]
