"""A small, hand-shaped company for handler and render tests: every model kind, every status, hostile text.

Built from the model dataclasses alone, so the resource layer is tested independently of the data generator.
Keys are grouped by kind (customers 101.., invoices 1001.., vouchers 9001..), modification times are spread over
January 2026 and the emulator's "now" is :data:`NOW`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from netvisor_sync.emulator import balances
from netvisor_sync.emulator import model as m

NOW = datetime(2026, 3, 15, 12, 0, 0)
MODIFIED_BASE = datetime(2026, 1, 1)
HOSTILE = 'Åke & Söner <Ab> "quoted"'


class Keyed(Protocol):
    @property
    def netvisor_key(self) -> int: ...


K = TypeVar("K", bound=Keyed)


class FakeCollection(Generic[K]):
    """An in-memory ``model.Collection``: a dict ordered by key."""

    def __init__(self, records: Iterable[K]) -> None:
        self._by_key = {r.netvisor_key: r for r in sorted(records, key=lambda r: r.netvisor_key)}

    def get(self, key: int) -> K | None:
        return self._by_key.get(key)

    def __iter__(self) -> Iterator[K]:
        return iter(self._by_key.values())

    def iter_from(self, above_key: int) -> Iterator[K]:
        return (r for k, r in self._by_key.items() if k > above_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def replace(self, record: K) -> None:
        """Swap in a changed record (tests that need one odd record)."""
        self._by_key[record.netvisor_key] = record


@dataclass
class FakeCompany:
    info: m.CompanyInfo
    customers: FakeCollection[m.Customer]
    vendors: FakeCollection[m.Vendor]
    products: FakeCollection[m.Product]
    sales_invoices: FakeCollection[m.SalesDocument]
    sales_orders: FakeCollection[m.SalesDocument]
    purchase_invoices: FakeCollection[m.PurchaseInvoice]
    purchase_orders: FakeCollection[m.PurchaseOrder]
    vouchers: FakeCollection[m.Voucher]
    accounts: FakeCollection[m.Account]
    accounting_periods: FakeCollection[m.AccountingPeriod]
    voucher_types: FakeCollection[m.VoucherType]
    dimensions: FakeCollection[m.Dimension]
    payment_terms: FakeCollection[m.PaymentTerm]
    sales_payments: FakeCollection[m.SalesPayment]
    purchase_payments: FakeCollection[m.PurchasePayment]
    deleted: list[m.Tombstone] = field(default_factory=list)

    def tombstones(self, kind: m.TombstoneKind, since: datetime) -> Iterator[m.Tombstone]:
        return iter(sorted((t for t in self.deleted if t.kind == kind and t.deleted_at >= since), key=_deleted_at))

    def account_totals(self, numbers: Iterable[int], days: Sequence[date]) -> dict[int, list[tuple[Decimal, Decimal]]]:
        return balances.of_vouchers(self.vouchers, set(numbers), days)


def _deleted_at(t: m.Tombstone) -> datetime:
    return t.deleted_at


def modified(i: int) -> datetime:
    """Record ``i`` of a kind was last modified ``12 * i`` hours into 2026."""
    return MODIFIED_BASE + timedelta(hours=12 * i)


D = Decimal
DIMS = [m.DimensionRef("Project", "P-1"), m.DimensionRef("Cost centre", "Sales")]
INVOICE_STATES = [("unsent", ""), ("open", ""), ("open", "overdue"), ("paid", ""), ("creditloss", ""), ("draft", "")]


def customers(n: int = 12) -> list[m.Customer]:
    return [
        m.Customer(
            netvisor_key=101 + i,
            code=f"C{i:03d}",
            name=HOSTILE if i == 0 else f"Customer {i} Oy",
            business_id=f"{1234560 + i}-{i % 10}",
            group_key=1 + i % 2,
            group_name="Domestic" if i % 2 == 0 else "Export",
            street=f"Katu {i}",
            city="Helsinki",
            post_number="00100",
            country="FI",
            phone="040 123",
            email=f"c{i}@example.fi",
            email_invoicing="",
            is_active=i != 3,
            is_private=i == 4,
            payment_term_key=1,
            balance_limit=D("1000.50"),
            contact_person="Matti",
            modified=modified(i),
        )
        for i in range(n)
    ]


def vendors(n: int = 11) -> list[m.Vendor]:
    return [
        m.Vendor(
            netvisor_key=201 + i,
            code=f"V{i:03d}",
            name=f"Vendor {i} Oy",
            address="Tie 1",
            post_code="00200",
            city="Espoo",
            country="FI",
            business_id=f"{7654320 + i}-{i % 10}",
            group_name="Suppliers",
            iban="FI2112345600000785",
            email=f"v{i}@example.fi",
            phone="050 1",
            contact_person="Liisa",
            modified=modified(i),
        )
        for i in range(n)
    ]


def products() -> list[m.Product]:
    statuses: list[m.ProductStatus] = ["published", "unpublished", "deleted"]
    return [
        m.Product(
            netvisor_key=301 + i,
            code=f"P{i}",
            group="Books" if i % 2 else "Tools",
            name=f"Product {i}",
            description="",
            unit_price=D("1.96") + i,
            unit_gross_price=(D("1.96") + i) * D("1.255"),
            unit="kpl",
            purchase_price=D("1.00"),
            vat_percent=D("25.5"),
            status=statuses[i % 3],
            modified=modified(i),
        )
        for i in range(9)
    ]


def sales_line(key: int, quantity: int, dims: bool) -> m.SalesLine:
    net = D("6.90") * quantity
    vat = (net * D("0.255")).quantize(D("0.01"))
    return m.SalesLine(
        netvisor_key=key,
        product_key=301,
        product_code="P0",
        product_name="Omena & päärynä",
        unit_price=D("6.90"),
        vat_percent=D("25.5"),
        vat_code="KOMY",
        quantity=D(quantity),
        discount_percent=D(0),
        vat_sum=vat,
        net_sum=net,
        sum=net + vat,
        account_number=3000,
        dimensions=list(DIMS) if dims else [],
    )


def sales_document(i: int, kind: m.DocumentKind) -> m.SalesDocument:
    base = 1001 if kind == "invoice" else 5001
    status, substatus = INVOICE_STATES[i % len(INVOICE_STATES)] if kind == "invoice" else ("undelivered", "")
    lines = [sales_line(100 * (base + i) + j, j + 1, dims=j == 0) for j in range(1 + i % 3)]
    amount = sum((line.sum for line in lines), D(0))
    foreign = i == 5
    day = date(2025, 1, 1) + timedelta(days=7 * i)
    return m.SalesDocument(
        netvisor_key=base + i,
        kind=kind,
        number=1 + i,
        date=day,
        due_date=day + timedelta(days=14),
        delivery_date=day,
        value_date=day,
        reference=f"10{i:02d}",
        status=status,
        substatus=substatus,
        customer_key=101 + i % 12,
        customer_code=f"C{i % 12:03d}",
        customer_name=HOSTILE if i % 12 == 0 else f"Customer {i % 12} Oy",
        customer_business_id="1234560-0",
        customer_address="Katu 1",
        customer_post_number="00100",
        customer_town="Helsinki",
        customer_country="FI",
        amount=amount,
        net_amount=sum((line.net_sum for line in lines), D(0)),
        vat_amount=sum((line.vat_sum for line in lines), D(0)),
        open_sum=D(0) if status == "paid" else amount,
        currency="SEK" if foreign else "EUR",
        currency_rate=D("11.5") if foreign else D(1),
        foreign_amount=amount * D("11.5") if foreign else None,
        payment_term_net_days=14,
        our_reference="",
        your_reference="PO-1",
        private_comment="internal <note>",
        lines=lines,
        voucher_key=9001 + i if kind == "invoice" and i < 30 else None,
        voucher_number=1 + i if kind == "invoice" and i < 30 else None,
        credited_invoice_key=1001 if kind == "invoice" and i == 7 else None,
        modified=modified(i),
    )


def purchase_invoice(i: int) -> m.PurchaseInvoice:
    statuses = ["open", "approved", "accepted", "paid"]
    line = m.PurchaseLine(
        netvisor_key=70000 + i,
        product_code="",
        product_name="",
        description="Office supplies",
        quantity=D(2),
        unit="kpl",
        unit_price=D("5.48"),
        vat_percent=D("25.5"),
        vat_code="KOOS",
        net_sum=D("10.96"),
        sum=D("13.75"),
        account_number=4000,
        account_key=40,
        dimensions=[DIMS[0]] if i % 2 == 0 else [],
    )
    day = date(2025, 6, 1) + timedelta(days=10 * i)
    return m.PurchaseInvoice(
        netvisor_key=7001 + i,
        number=f"PI-{i}",
        date=day,
        delivery_date=day,
        due_date=day + timedelta(days=30),
        value_date=day,
        reference="1009",
        vendor_key=201 + i % 11,
        vendor_code=f"V{i % 11:03d}",
        vendor_name=f"Vendor {i % 11} Oy",
        vendor_business_id=f"{7654320 + i % 11}-{i % 11 % 10}",
        vendor_address="Tie 1",
        vendor_post_number="00200",
        vendor_town="Espoo",
        vendor_country="FI",
        vendor_iban="FI2112345600000785",
        amount=D("13.75"),
        paid_amount=D("13.75") if statuses[i % 4] == "paid" else D(0),
        currency="EUR",
        foreign_amount=None,
        status=statuses[i % 4],
        approval_status="approved",
        description="",
        lines=[line],
        modified=modified(i),
    )


def purchase_order(i: int) -> m.PurchaseOrder:
    statuses = ["proposal", "approved", "senttovendor", "waitinginvoice", "archived"]
    line = m.PurchaseOrderLine(
        80000 + i, "P1", "Product 1", D(3), D(1), "kpl", D("2.50"), D("25.5"), D("7.50"), D("9.41")
    )
    return m.PurchaseOrder(
        netvisor_key=8001 + i,
        number=1 + i,
        date=date(2025, 1, 1) + timedelta(days=40 * i),
        status=statuses[i % 5],
        delivery_status="partiallydelivered",
        vendor_key=201 + i % 3,
        vendor_name=f"Vendor {i % 3} Oy",
        vendor_address="Tie 1",
        vendor_post_number="00200",
        vendor_city="Espoo",
        vendor_country="FI",
        amount=D("9.41"),
        currency="EUR",
        comment="",
        our_reference="",
        payment_term="14 days net",
        lines=[line],
        linked_invoice_keys=[7001 + i] if i % 2 == 0 else [],
        modified=modified(i),
    )


def voucher(i: int) -> m.Voucher:
    statuses: list[m.VoucherStatus] = ["valid", "valid", "valid", "invalidated", "valid", "deleted"]
    amount = D(100 + 10 * i) + D("0.25")
    vat = (amount * D("0.255") / D("1.255")).quantize(D("0.01"))
    lines = [
        m.VoucherLine(90000 + 3 * i, amount, "Receivable", 1701, D(0), "-"),
        m.VoucherLine(90001 + 3 * i, -(amount - vat), "Sales", 3000, D("25.5"), "KOMY", dimensions=list(DIMS)),
        m.VoucherLine(90002 + 3 * i, -vat, "VAT", 2939, D(0), "-"),
    ]
    return m.Voucher(
        netvisor_key=9001 + i,
        number=1 + i,
        date=date(2025, 1, 1) + timedelta(days=7 * i),
        description=f"Invoice {i + 1}",
        voucher_type_key=1 if i % 2 == 0 else 2,
        voucher_class="SA Sales Invoice" if i % 2 == 0 else "MU Muistiotosite",
        status=statuses[i % len(statuses)],
        linked_source_type="salesinvoice" if i % 2 == 0 else None,
        linked_source_key=1001 + i if i % 2 == 0 else None,
        lines=lines,
        modified=modified(i),
    )


def accounts() -> list[m.Account]:
    rows = [
        (10, 1000, "Vastaavaa", "Assets", "accountgroup", None),
        (17, 1701, "Myyntisaamiset", "Trade receivables", "account", 10),
        (29, 2939, "ALV-velka", "VAT payable", "account", 10),
        (30, 3000, "Myynti", "Sales", "account", None),
        (40, 4000, "Ostot", "Purchases", "account", None),
    ]
    return [
        m.Account(key, number, name, en, kind, father, True, False, i, i, number >= 2000)  # type: ignore[arg-type]
        for i, (key, number, name, en, kind, father) in enumerate(rows)
    ]


def dimensions() -> list[m.Dimension]:
    items = [
        m.DimensionItem(501, "P-1", "", False, 1, 0, 1, None),
        m.DimensionItem(502, "P-1a", "01", False, 2, 1, 1, 501),
        m.DimensionItem(503, "Old project", "", True, 1, 2, 2, None),
    ]
    return [
        m.Dimension(51, "Project", False, items),
        m.Dimension(52, "Cost centre", False, [m.DimensionItem(504, "Sales", "", False, 1, 0, 0, None)]),
        m.Dimension(53, "Hidden dimension", True, [m.DimensionItem(505, "X", "", False, 1, 0, 0, None)]),
    ]


def sales_payment(i: int) -> m.SalesPayment:
    return m.SalesPayment(
        netvisor_key=11001 + i,
        name=f"Payer {i}",
        date=date(2025, 2, 1) + timedelta(days=3 * i),
        sum=D("249.90"),
        reference="1094",
        foreign_currency_amount=None,
        invoice_key=1001 + i if i % 3 else None,
        invoice_number=1 + i if i % 3 else None,
        payment_account_name="Nordea",
        payment_account_number="FI2112345600000785",
        voucher_key=None,
        bank_status="FAILED" if i == 1 else "OK",
        modified=modified(i),
    )


def purchase_payment(i: int) -> m.PurchasePayment:
    return m.PurchasePayment(
        netvisor_key=12001 + i,
        payer_name=f"Vendor {i % 11} Oy",
        date=date(2025, 3, 1) + timedelta(days=2 * i),
        home_currency_sum=D("13.75"),
        foreign_currency_sum=None,
        reference="1009",
        invoice_key=7001 + i % 15,
        invoice_number=f"PI-{i % 15}",
        voucher_key=None,
        voucher_number=None,
        modified=modified(i),
    )


def tombstones() -> list[m.Tombstone]:
    kinds: list[m.TombstoneKind] = [
        "salesinvoice",
        "salesorder",
        "salespayment",
        "voucher",
        "purchaseinvoice",
        "purchaseorder",
        "purchasepayment",
    ]
    out = []
    for index, kind in enumerate(kinds):
        out.append(m.Tombstone(kind, 60000 + index, NOW - timedelta(days=2, minutes=index)))
        out.append(m.Tombstone(kind, 61000 + index, NOW - timedelta(days=12)))
    return out


def fake_company(
    *, invoices: int = 40, vendor_count: int = 11, sales_payments: int = 25, purchase_payments: int = 20
) -> FakeCompany:
    """The test company; counts are adjustable for paging tests."""
    return FakeCompany(
        info=m.CompanyInfo("1234567-8", "Testi Oy", accounting_lock_date=date(2024, 12, 31)),
        customers=FakeCollection(customers()),
        vendors=FakeCollection(vendors(vendor_count)),
        products=FakeCollection(products()),
        sales_invoices=FakeCollection(sales_document(i, "invoice") for i in range(invoices)),
        sales_orders=FakeCollection(sales_document(i, "order") for i in range(10)),
        purchase_invoices=FakeCollection(purchase_invoice(i) for i in range(15)),
        purchase_orders=FakeCollection(purchase_order(i) for i in range(8)),
        vouchers=FakeCollection(voucher(i) for i in range(30)),
        accounts=FakeCollection(accounts()),
        accounting_periods=FakeCollection(
            [
                m.AccountingPeriod(1, "2025", date(2025, 1, 1), date(2025, 12, 31)),
                m.AccountingPeriod(2, "2026", date(2026, 1, 1), date(2026, 12, 31)),
            ]
        ),
        voucher_types=FakeCollection(
            [m.VoucherType(1, "SA", "Myyntilasku", "Sales invoice"), m.VoucherType(2, "MU", "Muistio", "Memo")]
        ),
        dimensions=FakeCollection(dimensions()),
        payment_terms=FakeCollection(
            [m.PaymentTerm(1, "14 pv netto", 14, 0, D(0), True), m.PaymentTerm(2, "7 pv -2 %", 30, 7, D(2), False)]
        ),
        sales_payments=FakeCollection(sales_payment(i) for i in range(sales_payments)),
        purchase_payments=FakeCollection(purchase_payment(i) for i in range(purchase_payments)),
        deleted=tombstones(),
    )
