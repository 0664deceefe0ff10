"""The read side of one emulated company: lazy collections, tombstones and account balances.

:class:`CompanyBooks` implements ``model.CompanyView`` over :class:`~.lazy.LazyCollection` s whose records the
generator (:class:`~.documents.Documents`) computes on access; ``store.CompanyStore`` extends it with the change
API, which writes into the collections' overlays under the one lock created here.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from netvisor_sync.emulator import balances, chart, documents, parties, voucher_blocks
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.documents import Documents
from netvisor_sync.emulator.lazy import LazyCollection
from netvisor_sync.emulator.list_rows import ListRows
from netvisor_sync.emulator.model import (
    Account,
    AccountingPeriod,
    CompanyInfo,
    Customer,
    Dimension,
    PaymentTerm,
    Product,
    PurchaseInvoice,
    PurchaseOrder,
    PurchasePayment,
    SalesDocument,
    SalesPayment,
    Tombstone,
    TombstoneKind,
    Vendor,
    Voucher,
    VoucherType,
)

KINDS = (
    "customer", "vendor", "product", "salesinvoice", "salesorder", "purchaseinvoice", "purchaseorder", "voucher",
    "salespayment", "purchasepayment",
)  # fmt: skip
TOMBSTONE_KINDS: frozenset[str] = frozenset(
    {"salesinvoice", "salesorder", "salespayment", "voucher", "purchaseinvoice", "purchaseorder", "purchasepayment"}
)


def _static(items: list[Any]) -> LazyCollection[Any]:
    return LazyCollection(items[0].netvisor_key if items else 1, len(items), items.__getitem__, len(items))


class CompanyBooks:
    """The read side of one company's books: ``model.CompanyView`` plus balances; ``CompanyStore`` adds changes."""

    def __init__(
        self, docs: Documents, *, organisation_id: str, name: str, clock: Clock, lock_date: date | None = None
    ) -> None:
        self._docs = docs
        self._clock = clock
        self._lock = threading.RLock()
        self._info = CompanyInfo(organisation_id, name, lock_date, lock_date, lock_date)
        n = docs.counts
        self._collections: dict[str, LazyCollection[Any]] = {
            "customer": LazyCollection(parties.CUSTOMER_KEYS, n["customer"], docs.customer, n["customer"]),
            "vendor": LazyCollection(parties.VENDOR_KEYS, n["vendor"], docs.vendor, n["vendor"]),
            "product": LazyCollection(parties.PRODUCT_KEYS, n["product"], docs.product, n["product"]),
        }
        dated = {
            "salesinvoice": docs.locator(docs.si),
            "salesorder": docs.locator(docs.so),
            "purchaseinvoice": docs.locator(docs.pi),
            "voucher": docs.locator(docs.block, by_day=False),
            "salespayment": docs.locator(docs.si, months_late=1),
        }
        for kind, base, make in (
            ("salesinvoice", documents.SALES_INVOICE_KEYS, docs.sales_invoice),
            ("salesorder", documents.SALES_ORDER_KEYS, docs.sales_order),
            ("purchaseinvoice", documents.PURCHASE_INVOICE_KEYS, docs.purchase_invoice),
            ("purchaseorder", documents.PURCHASE_ORDER_KEYS, docs.purchase_order),
            ("salespayment", documents.SALES_PAYMENT_KEYS, docs.sales_payment),
            ("purchasepayment", documents.PURCHASE_PAYMENT_KEYS, docs.purchase_payment),
            ("voucher", documents.VOUCHER_KEYS, functools.partial(voucher_blocks.voucher, docs)),
        ):
            maker = cast(Callable[[int], Any], make)
            self._collections[kind] = LazyCollection(base, docs.slots(kind), maker, n[kind], dated.get(kind))
        #: rows of list resources straight from the generator's draws (``list_rows``)
        self.list_rows = ListRows(docs, self._collections["salesinvoice"], self._collections["purchaseinvoice"])
        periods = chart.accounting_periods(docs.timeline.starts[0], docs.timeline.today)
        self._accounts = _static(chart.accounts())
        self._periods = _static(periods)
        self._voucher_types = _static(chart.voucher_types())
        self._dimensions = _static(chart.dimensions())
        self._payment_terms = _static(chart.payment_terms())
        self._numbers = docs.next_numbers()
        self._tombstones: dict[str, list[Tombstone]] = {kind: [] for kind in TOMBSTONE_KINDS}
        self._children: dict[tuple[str, int], set[int]] = defaultdict(set)  # created payments / credit notes
        self._block_postings = voucher_blocks.BlockPostings(docs)
        self._generated: balances.Totals[int] = balances.Totals(0)  # months [0, _summed_months) summed
        self._summed_months = 0

    # -- CompanyView ------------------------------------------------------------------------------------------
    @property
    def info(self) -> CompanyInfo:
        return self._info

    @property
    def customers(self) -> LazyCollection[Customer]:
        return self._collections["customer"]

    @property
    def vendors(self) -> LazyCollection[Vendor]:
        return self._collections["vendor"]

    @property
    def products(self) -> LazyCollection[Product]:
        return self._collections["product"]

    @property
    def sales_invoices(self) -> LazyCollection[SalesDocument]:
        return self._collections["salesinvoice"]

    @property
    def sales_orders(self) -> LazyCollection[SalesDocument]:
        return self._collections["salesorder"]

    @property
    def purchase_invoices(self) -> LazyCollection[PurchaseInvoice]:
        return self._collections["purchaseinvoice"]

    @property
    def purchase_orders(self) -> LazyCollection[PurchaseOrder]:
        return self._collections["purchaseorder"]

    @property
    def vouchers(self) -> LazyCollection[Voucher]:
        return self._collections["voucher"]

    @property
    def sales_payments(self) -> LazyCollection[SalesPayment]:
        return self._collections["salespayment"]

    @property
    def purchase_payments(self) -> LazyCollection[PurchasePayment]:
        return self._collections["purchasepayment"]

    @property
    def accounts(self) -> LazyCollection[Account]:
        return self._accounts

    @property
    def accounting_periods(self) -> LazyCollection[AccountingPeriod]:
        return self._periods

    @property
    def voucher_types(self) -> LazyCollection[VoucherType]:
        return self._voucher_types

    @property
    def dimensions(self) -> LazyCollection[Dimension]:
        return self._dimensions

    @property
    def payment_terms(self) -> LazyCollection[PaymentTerm]:
        return self._payment_terms

    def tombstones(self, kind: TombstoneKind, since: datetime) -> Iterator[Tombstone]:
        """Deletions of ``kind`` at or after ``since``, oldest first."""
        if kind not in self._tombstones:
            raise ValueError(f"no deleted feed for kind {kind!r}; expected one of {sorted(TOMBSTONE_KINDS)}")
        return iter([t for t in list(self._tombstones[kind]) if t.deleted_at >= since])

    # -- lookups ---------------------------------------------------------------------------------------------
    def _collection(self, kind: str) -> LazyCollection[Any]:
        try:
            return self._collections[kind]
        except KeyError:
            raise ValueError(f"unknown kind {kind!r}; expected one of {list(KINDS)}") from None

    def _get(self, kind: str, key: int) -> Any:
        record = self._collection(kind).get(key)
        if record is None:
            raise KeyError(f"no {kind} with netvisor key {key}")
        return record

    def _product(self, key: int | None) -> Product:
        product = self.products.get(int(key)) if key is not None else next(iter(self.products), None)
        if product is None:
            raise KeyError(f"no product with netvisor key {key}")
        return product

    def _next_number(self, name: str) -> int:
        number = self._numbers[name]
        self._numbers[name] = number + 1
        return number

    def _remove(self, kind: str, key: int, now: datetime) -> None:
        self._collection(kind).remove(key)
        if kind in TOMBSTONE_KINDS:
            self._tombstones[kind].append(Tombstone(cast(TombstoneKind, kind), key, now))

    def _payments_of(self, kind: str, invoice_key: int) -> list[int]:
        base = documents.SALES_PAYMENT_KEYS if kind == "salespayment" else documents.PURCHASE_PAYMENT_KEYS
        invoice_base = documents.SALES_INVOICE_KEYS if kind == "salespayment" else documents.PURCHASE_INVOICE_KEYS
        keys = {base + invoice_key - invoice_base} | self._children[kind, invoice_key]
        payments = self._collection(kind)
        return sorted(k for k in keys if (p := payments.get(k)) is not None and p.invoice_key == invoice_key)

    # -- balances --------------------------------------------------------------------------------------------
    def account_totals(self, numbers: Iterable[int], days: Sequence[date]) -> balances.Table:
        """Debit and credit totals per account on each of ``days``, as ``accountbalance.nv`` reports them.

        The generated history is summed once per store, month block by month block up to the latest day asked for
        (``voucher_blocks.BlockPostings``: memory per account and day, about a second for all of ``large``); the
        vouchers changed since are re-read on every call (their generated version out, their current one in).
        """
        wanted = list(numbers)
        if not days:
            return {n: [] for n in wanted}
        with self._lock:
            generated = self._generated_totals(max(days))
            vouchers = self.vouchers
            changed = balances.Totals.of(
                balances.voucher_postings(
                    (voucher, sign)
                    for key in vouchers.changed_keys()
                    for voucher, sign in ((vouchers.generated(key), -1), (vouchers.get(key), 1))
                    if voucher is not None
                )
            )
        table: balances.Table = {}
        for number in wanted:
            row = []
            for day in days:
                debit, credit = generated.on(number, day)
                more_debit, more_credit = changed.on(number, day)
                row.append((Decimal(debit).scaleb(-2) + more_debit, Decimal(credit).scaleb(-2) + more_credit))
            table[number] = row
        return table

    def account_balances(self, on: date) -> dict[int, Decimal]:
        """Σ line sums of valid vouchers dated up to and including ``on``, per account number (debit positive).

        Only accounts with a posting up to ``on`` are listed; see :meth:`account_totals` for the cost.
        """
        with self._lock:
            generated = self._generated_totals(on)
            vouchers = self.vouchers
            numbers = {n for n in generated.accounts() if (first := generated.first_day(n)) is not None and first <= on}
            numbers |= {
                line.account_number
                for key in vouchers.changed_keys()
                for v in (vouchers.generated(key), vouchers.get(key))
                if v is not None and v.status == "valid" and v.date <= on
                for line in v.lines
            }
            table = self.account_totals(numbers, [on])
        return {number: table[number][0][0] - table[number][0][1] for number in sorted(numbers)}

    def _generated_totals(self, last: date) -> balances.Totals[int]:
        """The generated books summed up to the month holding ``last`` (extended lazily; the caller holds the lock)."""
        docs = self._docs
        wanted = min(docs.timeline.month_of(last), docs.months - 1)
        while self._summed_months <= wanted:
            self._generated.extend(self._block_postings.month(self._summed_months))
            self._summed_months += 1
        return self._generated
