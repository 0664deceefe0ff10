"""The emulator's books: plain dataclasses for every entity a Netvisor company holds.

These are the emulator's own truth, independent of the client's parser: ``generate`` creates them, ``store`` keeps
them (with modification times and tombstones), ``handlers`` filter them per request and ``render`` writes them
as Netvisor XML. Money is always ``Decimal``; times are naive Europe/Helsinki wall-clock ``datetime`` values,
as Netvisor reports them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, Protocol, TypeVar

VoucherStatus = Literal["valid", "invalidated", "deleted"]
DocumentKind = Literal["invoice", "order"]
ProductStatus = Literal["published", "unpublished", "deleted"]
T_co = TypeVar("T_co", covariant=True)


@dataclass(slots=True)
class DimensionRef:
    """A dimension as documents and voucher lines refer to it: by names."""

    name: str
    item: str


@dataclass(slots=True)
class Customer:
    netvisor_key: int
    code: str
    name: str
    business_id: str
    group_key: int
    group_name: str
    street: str
    city: str
    post_number: str
    country: str
    phone: str
    email: str
    email_invoicing: str
    is_active: bool
    is_private: bool
    payment_term_key: int
    balance_limit: Decimal
    contact_person: str
    name_extension: str = ""
    comment: str = ""
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class Vendor:
    netvisor_key: int
    code: str
    name: str
    address: str
    post_code: str
    city: str
    country: str
    business_id: str
    group_name: str
    iban: str
    email: str
    phone: str
    contact_person: str
    is_active: bool = True
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class Product:
    netvisor_key: int
    code: str
    group: str
    name: str
    description: str
    unit_price: Decimal  # net, 12 decimals as Netvisor reports it
    unit_gross_price: Decimal
    unit: str
    purchase_price: Decimal
    vat_percent: Decimal
    status: ProductStatus = "published"
    is_active: bool = True
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class SalesLine:
    netvisor_key: int
    product_key: int
    product_code: str
    product_name: str
    unit_price: Decimal  # net unit price
    vat_percent: Decimal
    vat_code: str
    quantity: Decimal
    discount_percent: Decimal
    vat_sum: Decimal
    net_sum: Decimal
    sum: Decimal  # gross line sum = net_sum + vat_sum
    account_number: int
    unit: str = "kpl"
    free_text: str = ""
    dimensions: list[DimensionRef] = field(default_factory=list)


@dataclass(slots=True)
class SalesDocument:
    """A sales invoice (``kind="invoice"``) or a sales order (``kind="order"``, Netvisor's preinvoice)."""

    netvisor_key: int
    kind: DocumentKind
    number: int
    date: date
    due_date: dt.date
    delivery_date: dt.date
    value_date: dt.date
    reference: str
    status: str  # invoices: unsent/open/paid/overdue/creditloss; orders: undelivered/delivered/...
    substatus: str
    customer_key: int
    customer_code: str
    customer_name: str
    customer_business_id: str
    customer_address: str
    customer_post_number: str
    customer_town: str
    customer_country: str
    amount: Decimal  # gross, in home currency (EUR)
    net_amount: Decimal
    vat_amount: Decimal
    open_sum: Decimal
    currency: str
    currency_rate: Decimal
    foreign_amount: Decimal | None
    payment_term_net_days: int
    our_reference: str
    your_reference: str
    private_comment: str
    lines: list[SalesLine] = field(default_factory=list)
    voucher_key: int | None = None
    voucher_number: int | None = None
    credited_invoice_key: int | None = None  # set on credit notes
    modified: datetime = datetime(2000, 1, 1)
    #: free-text comment rows of the document (getsalesinvoice ``showcommentlines``), after the product lines
    comment_lines: tuple[str, ...] = ()
    #: the salesinvoicebatch.nv import batch the invoice came in (``salesinvoicebatchid``); generated ones: none
    batch_id: int | None = None
    #: the company's auxiliary trade name (aputoiminimi) the invoice was sent under, and its key; "" / None: the
    #: company's own name (every generated invoice)
    second_name: str = ""
    second_name_key: int | None = None


@dataclass(slots=True)
class PurchaseLine:
    netvisor_key: int
    product_code: str
    product_name: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_percent: Decimal
    vat_code: str
    net_sum: Decimal
    sum: Decimal  # gross
    account_number: int
    account_key: int
    dimensions: list[DimensionRef] = field(default_factory=list)


@dataclass(slots=True)
class PurchaseInvoice:
    netvisor_key: int
    number: str
    date: date
    delivery_date: dt.date
    due_date: dt.date
    value_date: dt.date
    reference: str
    vendor_key: int
    vendor_code: str
    vendor_name: str
    vendor_business_id: str
    vendor_address: str
    vendor_post_number: str
    vendor_town: str
    vendor_country: str
    vendor_iban: str
    amount: Decimal  # gross, home currency
    paid_amount: Decimal
    currency: str
    foreign_amount: Decimal | None
    status: str  # open / approved / accepted / paid
    approval_status: str
    description: str
    lines: list[PurchaseLine] = field(default_factory=list)
    voucher_key: int | None = None
    voucher_number: int | None = None
    is_accounted: bool = True
    modified: datetime = datetime(2000, 1, 1)
    #: the import batch the invoice came in (``purchaseinvoicebatchid``); generated ones: none
    batch_id: int | None = None


@dataclass(slots=True)
class PurchaseOrderLine:
    netvisor_key: int
    product_code: str
    product_name: str
    quantity: Decimal
    delivered_quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_percent: Decimal
    net_sum: Decimal
    sum: Decimal


@dataclass(slots=True)
class PurchaseOrder:
    netvisor_key: int
    number: int
    date: date
    status: str  # proposal / approved / senttovendor / waitinginvoice / archived
    delivery_status: str  # undelivered / partiallydelivered / fullydelivered / overdelivered
    vendor_key: int
    vendor_name: str
    vendor_address: str
    vendor_post_number: str
    vendor_city: str
    vendor_country: str
    amount: Decimal
    currency: str
    comment: str
    our_reference: str
    payment_term: str
    lines: list[PurchaseOrderLine] = field(default_factory=list)
    linked_invoice_keys: list[int] = field(default_factory=list)
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class VoucherLine:
    netvisor_key: int
    line_sum: Decimal  # debit positive, credit negative; a voucher's lines sum to 0.00
    description: str
    account_number: int
    vat_percent: Decimal
    vat_code: str  # "-" means no VAT, as accountingledger writes it
    dimensions: list[DimensionRef] = field(default_factory=list)


@dataclass(slots=True)
class Voucher:
    netvisor_key: int
    number: int
    date: date
    description: str
    voucher_type_key: int
    voucher_class: str  # e.g. "SA Sales Invoice" (type abbreviation + name)
    status: VoucherStatus
    linked_source_type: str | None  # salesinvoice / purchaseinvoice / salespayment / purchasepayment / None
    linked_source_key: int | None
    lines: list[VoucherLine] = field(default_factory=list)
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class Account:
    netvisor_key: int
    number: int
    name: str
    name_en: str
    account_type: Literal["account", "accountgroup"]
    father_key: int | None
    is_active: bool
    is_cumulative: bool
    sort: int
    end_sort: int
    is_natural_negative: bool


@dataclass(slots=True)
class AccountingPeriod:
    netvisor_key: int
    name: str
    begin: date
    end: date


@dataclass(slots=True)
class VoucherType:
    netvisor_key: int
    abbreviation: str
    name: str
    name_en: str


@dataclass(slots=True)
class DimensionItem:
    netvisor_key: int
    name: str
    code: str
    is_hidden: bool
    level: int
    sort: int
    end_sort: int
    father_key: int | None


@dataclass(slots=True)
class Dimension:
    netvisor_key: int
    name: str
    is_hidden: bool
    items: list[DimensionItem] = field(default_factory=list)


@dataclass(slots=True)
class PaymentTerm:
    netvisor_key: int
    description: str
    net_days: int
    discount_days: int
    discount_percent: Decimal
    is_default: bool


@dataclass(slots=True)
class SalesPayment:
    netvisor_key: int
    name: str  # payer
    date: date
    sum: Decimal
    reference: str
    foreign_currency_amount: Decimal | None
    invoice_key: int | None
    invoice_number: int | None
    payment_account_name: str
    payment_account_number: str
    voucher_key: int | None
    payment_source: int = 1  # 1 = reference payment
    bank_status: str = "OK"
    modified: datetime = datetime(2000, 1, 1)


@dataclass(slots=True)
class PurchasePayment:
    netvisor_key: int
    payer_name: str  # the vendor paid, as Netvisor's paymentlist calls it
    date: date
    home_currency_sum: Decimal
    foreign_currency_sum: Decimal | None
    reference: str
    invoice_key: int | None
    invoice_number: str
    voucher_key: int | None
    voucher_number: int | None
    modified: datetime = datetime(2000, 1, 1)


TombstoneKind = Literal[
    "salesinvoice", "salesorder", "salespayment", "voucher", "purchaseinvoice", "purchaseorder", "purchasepayment"
]


@dataclass(slots=True, frozen=True)
class Tombstone:
    """One row of a ``deleted*.nv`` feed."""

    kind: TombstoneKind
    netvisor_key: int
    deleted_at: datetime


@dataclass(slots=True)
class CompanyInfo:
    organisation_id: str  # Finnish business id NNNNNNN-N
    name: str
    accounting_lock_date: date | None = None
    vat_lock_date: date | None = None
    purchase_lock_date: date | None = None


class Collection(Protocol[T_co]):
    """Read access to one kind of record, keyed and ordered by ``netvisor_key``.

    Implementations may generate records lazily (the ``large`` profile), so callers iterate instead of
    materialising, and ``get`` is cheap.
    """

    def get(self, key: int) -> T_co | None: ...

    def __iter__(self) -> Iterator[T_co]: ...

    def iter_from(self, above_key: int) -> Iterator[T_co]:
        """Records whose key is strictly greater than ``above_key``, ascending."""
        ...

    def __len__(self) -> int: ...


class CompanyView(Protocol):
    """What request handlers may read of one company. ``store.CompanyStore`` implements it."""

    @property
    def info(self) -> CompanyInfo: ...

    @property
    def customers(self) -> Collection[Customer]: ...

    @property
    def vendors(self) -> Collection[Vendor]: ...

    @property
    def products(self) -> Collection[Product]: ...

    @property
    def sales_invoices(self) -> Collection[SalesDocument]: ...

    @property
    def sales_orders(self) -> Collection[SalesDocument]: ...

    @property
    def purchase_invoices(self) -> Collection[PurchaseInvoice]: ...

    @property
    def purchase_orders(self) -> Collection[PurchaseOrder]: ...

    @property
    def vouchers(self) -> Collection[Voucher]: ...

    @property
    def accounts(self) -> Collection[Account]: ...

    @property
    def accounting_periods(self) -> Collection[AccountingPeriod]: ...

    @property
    def voucher_types(self) -> Collection[VoucherType]: ...

    @property
    def dimensions(self) -> Collection[Dimension]: ...

    @property
    def payment_terms(self) -> Collection[PaymentTerm]: ...

    @property
    def sales_payments(self) -> Collection[SalesPayment]: ...

    @property
    def purchase_payments(self) -> Collection[PurchasePayment]: ...

    def tombstones(self, kind: TombstoneKind, since: datetime) -> Iterator[Tombstone]:
        """Deletions of ``kind`` at or after ``since``, oldest first."""
        ...

    def account_totals(self, numbers: Iterable[int], days: Sequence[date]) -> dict[int, list[tuple[Decimal, Decimal]]]:
        """Per account number in ``numbers``: the debit and the credit sums of valid vouchers dated up to each of
        ``days`` (``accountbalance.nv``); ``balances.of_vouchers`` computes it from the vouchers."""
        ...
