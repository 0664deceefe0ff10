"""The company store's change API: create, edit, delete, invalidate, with modification times, tombstones and
balanced books after every change; the lazy overlay; thread safety."""

from __future__ import annotations

import dataclasses
import random
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import pytest

from netvisor_sync.emulator import chart
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company, business_id
from netvisor_sync.emulator.lazy import RECENT_LIMIT, LazyCollection, Recent
from netvisor_sync.emulator.model import SalesDocument
from netvisor_sync.emulator.store import CompanyStore

NOW = datetime(2026, 3, 15, 12, 30)
EVER = date(2100, 1, 1)


def build(profile: str = "partner-test", seed: int = 3) -> tuple[CompanyStore, Clock]:
    clock = Clock.frozen(NOW)
    return build_company(profile, seed=seed, organisation_id=business_id(2), clock=clock), clock


def assert_books_balance(store: CompanyStore) -> None:
    for voucher in store.vouchers:
        assert sum(line.line_sum for line in voucher.lines) == 0, voucher.netvisor_key
    balances = store.account_balances(EVER)
    assert sum(balances.values()) == 0
    assert balances.get(chart.RECEIVABLES, 0) == sum(i.open_sum for i in store.sales_invoices)
    assert balances.get(chart.PAYABLES, 0) == -sum(i.amount - i.paid_amount for i in store.purchase_invoices)


def open_invoice(store: CompanyStore) -> SalesDocument:
    return next(i for i in store.sales_invoices if i.status == "open" and i.open_sum > 0)


def test_lazy_collection_overlays_generated_slots() -> None:
    made: list[int] = []

    def make(slot: int) -> str | None:
        made.append(slot)
        return None if slot % 3 == 2 else f"record {slot}"  # every third slot is empty

    collection = LazyCollection(100, 9, make, count=6)
    assert made == []  # nothing is built up front
    assert len(collection) == 6
    assert list(collection) == [f"record {s}" for s in (0, 1, 3, 4, 6, 7)]
    assert collection.get(102) is None
    assert collection.get(99) is None
    assert collection.get(109) is None
    collection.replace(101, "edited")
    collection.remove(103)
    key = collection.next_key()
    collection.add(key, "created")
    assert key == 109
    assert collection.next_key() == 110
    assert list(collection.iter_from(100)) == ["edited", "record 4", "record 6", "record 7", "created"]
    assert len(collection) == 6
    assert collection.generated(101) == "record 1"
    assert collection.changed_keys() == [101, 103, 109]


def test_recent_keeps_between_one_and_two_generations() -> None:
    recent: Recent[str] = Recent()
    for g in range(3 * RECENT_LIMIT):
        recent.put(g, f"record {g}")
        assert recent.get(g) == f"record {g}"
    kept = [g for g in range(3 * RECENT_LIMIT) if recent.get(g) is not None]
    assert RECENT_LIMIT <= len(kept) <= 2 * RECENT_LIMIT
    assert kept == list(range(3 * RECENT_LIMIT - len(kept), 3 * RECENT_LIMIT))  # the newest, none older


def test_generated_documents_build_their_lines_when_read() -> None:
    """A generated invoice's lines come from its basket on first read; a copy or an edit carries real lines."""
    store, _ = build("small")
    twin, _ = build("small")
    for kind in ("sales_invoices", "purchase_invoices"):
        doc = next(iter(getattr(store, kind)))
        assert doc.lines == next(iter(getattr(twin, kind))).lines  # deterministic, built independently
        assert doc.lines is doc.lines  # built once
        assert [line.netvisor_key // 1000 for line in doc.lines] == [doc.netvisor_key] * len(doc.lines)
        copy = dataclasses.replace(doc, lines=doc.lines[:1])
        assert len(copy.lines) == 1
        assert doc == dataclasses.replace(doc)
    invoice = open_invoice(store)
    store.edit("salesinvoice", invoice.netvisor_key, lines=[{"quantity": 3}])
    edited = store.sales_invoices.get(invoice.netvisor_key)
    assert edited is not None
    assert [line.quantity for line in edited.lines] == [3]
    assert edited.amount == edited.lines[0].sum


def test_create_every_kind_gets_a_new_key_and_modified_now() -> None:
    store, clock = build()
    clock.advance(timedelta(minutes=5))
    invoice = open_invoice(store)
    purchase = next(iter(store.purchase_invoices))
    fields: dict[str, dict[str, object]] = {
        "customer": {"name": "Äänekosken Sähkö Oy"},
        "vendor": {"name": "Öljy-Åberg Ky"},
        "product": {"name": "Uusi tuote", "unit_price": Decimal("12.5")},
        "salesinvoice": {},
        "salesorder": {},
        "purchaseinvoice": {},
        "purchaseorder": {"linked_invoice_keys": [purchase.netvisor_key]},
        "voucher": {},
        "salespayment": {"invoice_key": invoice.netvisor_key},
        "purchasepayment": {},
    }
    collections = {
        "customer": store.customers, "vendor": store.vendors, "product": store.products,
        "salesinvoice": store.sales_invoices, "salesorder": store.sales_orders,
        "purchaseinvoice": store.purchase_invoices, "purchaseorder": store.purchase_orders, "voucher": store.vouchers,
        "salespayment": store.sales_payments, "purchasepayment": store.purchase_payments,
    }  # fmt: skip
    for kind, extra in fields.items():
        collection = collections[kind]
        before = len(collection)
        last_key = max(r.netvisor_key for r in collection)
        key = store.create(kind, **extra)  # type: ignore[arg-type]
        assert key > last_key
        record = collection.get(key)
        assert record is not None, kind
        assert record.modified == clock.now(), kind
        assert len(collection) == before + 1
        assert list(collection)[-1].netvisor_key == key
        for name, value in extra.items():
            assert getattr(record, name) == value
    assert_books_balance(store)


def test_created_invoice_posts_its_voucher_and_payment_settles_it() -> None:
    store, clock = build()
    customer = next(iter(store.customers))
    key = store.create(
        "salesinvoice",
        customer_key=customer.netvisor_key,
        lines=[{"quantity": 3, "unit_price": "10.00", "vat_percent": "25.5"}, {"quantity": "1", "unit_price": 99.9}],
    )
    invoice = store.sales_invoices.get(key)
    assert invoice is not None
    assert invoice.customer_name == customer.name
    assert invoice.amount == Decimal("37.65") + invoice.lines[1].sum
    assert invoice.open_sum == invoice.amount
    assert invoice.status == "open"
    voucher = store.vouchers.get(invoice.voucher_key or 0)
    assert voucher is not None
    assert voucher.linked_source_key == key
    assert voucher.modified == clock.now()
    assert voucher.lines[0].account_number == chart.RECEIVABLES
    assert voucher.lines[0].line_sum == invoice.amount
    clock.advance(timedelta(days=2))
    payment_key = store.create("salespayment", invoice_key=key)
    paid = store.sales_invoices.get(key)
    assert paid is not None
    assert paid.open_sum == 0
    assert paid.status == "paid"
    assert paid.modified == invoice.modified  # payments show through includemodifiedpayments, not modified
    payment = store.sales_payments.get(payment_key)
    assert payment is not None
    assert payment.sum == invoice.amount
    assert payment.invoice_number == invoice.number
    assert_books_balance(store)


def test_credit_note_offsets_the_credited_invoice() -> None:
    store, _ = build()
    invoice = open_invoice(store)
    note_key = store.create("salesinvoice", credited_invoice_key=invoice.netvisor_key)
    note = store.sales_invoices.get(note_key)
    credited = store.sales_invoices.get(invoice.netvisor_key)
    assert note is not None
    assert credited is not None
    assert note.amount == -invoice.amount
    assert note.credited_invoice_key == invoice.netvisor_key
    assert credited.open_sum == note.open_sum == 0
    assert credited.status == "paid"
    assert_books_balance(store)
    with pytest.raises(ValueError, match="credit note"):
        store.delete("salesinvoice", invoice.netvisor_key)
    store.delete("salesinvoice", note_key)
    reopened = store.sales_invoices.get(invoice.netvisor_key)
    assert reopened is not None
    assert reopened.open_sum == invoice.open_sum
    assert_books_balance(store)


def test_product_prices_stay_consistent() -> None:
    store, _ = build()
    key = store.create("product", name="Sauna-istuin", unit_price="100", vat_percent="25.5")
    product = store.products.get(key)
    assert product is not None
    assert (product.unit_price, product.unit_gross_price) == (Decimal("100.000000000000"), Decimal("125.500000000000"))
    store.edit("product", key, vat_percent=Decimal(14))
    edited = store.products.get(key)
    assert edited is not None
    assert edited.unit_gross_price == Decimal("114.000000000000")


def test_changing_customer_or_date_moves_the_due_date() -> None:
    store, _ = build()
    customer = next(c for c in store.customers if c.payment_term_key == 3)  # 30 days net
    key = store.create("salesinvoice", customer_key=customer.netvisor_key, date=date(2026, 3, 2))
    invoice = store.sales_invoices.get(key)
    assert invoice is not None
    assert (invoice.payment_term_net_days, invoice.due_date) == (30, date(2026, 4, 1))
    store.edit("salesinvoice", key, date="2026-03-10")
    moved = store.sales_invoices.get(key)
    assert moved is not None
    assert moved.due_date == date(2026, 4, 9)
    voucher = store.vouchers.get(moved.voucher_key or 0)
    assert voucher is not None
    assert voucher.date == date(2026, 3, 10)


def test_edit_sets_fields_and_bumps_modified() -> None:
    store, clock = build()
    customer = next(iter(store.customers))
    clock.advance(timedelta(hours=1))
    store.edit("customer", customer.netvisor_key, name="Pöyhösen Kahvila Oy", balance_limit="2500")
    edited = store.customers.get(customer.netvisor_key)
    assert edited is not None
    assert edited.name == "Pöyhösen Kahvila Oy"
    assert edited.modified == clock.now()
    assert edited.balance_limit == Decimal("2500")
    with pytest.raises(ValueError, match="unknown field"):
        store.edit("customer", customer.netvisor_key, colour="red")
    with pytest.raises(ValueError, match="derived"):
        store.edit("salesinvoice", next(iter(store.sales_invoices)).netvisor_key, amount=Decimal(1))
    with pytest.raises(KeyError, match="no customer with netvisor key 1"):
        store.edit("customer", 1, name="x")
    with pytest.raises(ValueError, match="unknown kind 'invoice'"):
        store.edit("invoice", 1, name="x")


def test_editing_invoice_lines_reposts_the_same_voucher() -> None:
    store, clock = build()
    invoice = open_invoice(store)
    paid_before = invoice.amount - invoice.open_sum
    clock.advance(timedelta(days=1))
    store.edit("salesinvoice", invoice.netvisor_key, lines=[{"quantity": 2, "unit_price": "50", "vat_percent": 14}])
    edited = store.sales_invoices.get(invoice.netvisor_key)
    assert edited is not None
    assert edited.amount == Decimal("114.00")
    assert edited.vat_amount == Decimal("14.00")
    assert edited.open_sum == edited.amount - paid_before
    assert edited.voucher_key == invoice.voucher_key
    assert edited.modified == clock.now()
    voucher = store.vouchers.get(edited.voucher_key or 0)
    assert voucher is not None
    assert voucher.modified == clock.now()
    assert sorted(line.line_sum for line in voucher.lines) == [Decimal("-100.00"), Decimal("-14.00"), Decimal("114.00")]
    purchase = next(iter(store.purchase_invoices))
    store.edit("purchaseinvoice", purchase.netvisor_key, lines=[{"unit_price": "80", "vat_percent": "25.5"}])
    edited_purchase = store.purchase_invoices.get(purchase.netvisor_key)
    assert edited_purchase is not None
    assert edited_purchase.amount == Decimal("100.40")
    assert_books_balance(store)


def test_delete_writes_tombstones_and_cascades() -> None:
    store, clock = build()
    paid = next(p for p in store.sales_payments)
    invoice = store.sales_invoices.get(paid.invoice_key or 0)
    assert invoice is not None
    since = clock.now()
    clock.advance(timedelta(minutes=1))
    store.delete("salesinvoice", invoice.netvisor_key)
    assert store.sales_invoices.get(invoice.netvisor_key) is None
    assert store.vouchers.get(invoice.voucher_key or 0) is None
    assert store.sales_payments.get(paid.netvisor_key) is None
    assert [t.netvisor_key for t in store.tombstones("salesinvoice", since)] == [invoice.netvisor_key]
    assert [t.netvisor_key for t in store.tombstones("salespayment", since)] == [paid.netvisor_key]
    deleted_vouchers = {t.netvisor_key for t in store.tombstones("voucher", since)}
    assert {invoice.voucher_key, paid.voucher_key} <= deleted_vouchers
    assert all(t.deleted_at == clock.now() for t in store.tombstones("voucher", since))
    assert list(store.tombstones("voucher", clock.now() + timedelta(seconds=1))) == []
    assert_books_balance(store)

    customer = next(iter(store.customers))
    count = len(store.customers)
    store.delete("customer", customer.netvisor_key)
    assert len(store.customers) == count - 1
    assert customer.netvisor_key not in {c.netvisor_key for c in store.customers}
    product = next(iter(store.products))
    store.delete("product", product.netvisor_key)
    deleted = store.products.get(product.netvisor_key)
    assert deleted is not None
    assert deleted.status == "deleted"
    assert deleted.modified == clock.now()
    with pytest.raises(ValueError, match="no deleted feed"):
        list(store.tombstones("customer", since))  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        store.delete("salesinvoice", invoice.netvisor_key)


def test_deleting_a_payment_reopens_its_invoice() -> None:
    store, clock = build()
    payment = next(iter(store.purchase_payments))
    clock.advance(timedelta(minutes=1))
    store.delete("purchasepayment", payment.netvisor_key)
    purchase = store.purchase_invoices.get(payment.invoice_key or 0)
    assert purchase is not None
    assert purchase.paid_amount == 0
    assert purchase.status != "paid"
    assert [t.netvisor_key for t in store.tombstones("purchasepayment", NOW)] == [payment.netvisor_key]
    assert_books_balance(store)


def test_invalidate_voucher_stops_it_counting() -> None:
    store, clock = build()
    voucher = next(v for v in store.vouchers if v.voucher_class == "MU Other")
    before = store.account_balances(EVER)
    clock.advance(timedelta(minutes=3))
    store.invalidate_voucher(voucher.netvisor_key)
    invalidated = store.vouchers.get(voucher.netvisor_key)
    assert invalidated is not None
    assert invalidated.status == "invalidated"
    assert invalidated.modified == clock.now()
    after = store.account_balances(EVER)
    assert after[chart.BANK] == before[chart.BANK] - sum(
        ln.line_sum for ln in voucher.lines if ln.account_number == chart.BANK
    )
    assert sum(after.values()) == 0


def test_vouchers_must_balance() -> None:
    store, _ = build()
    unbalanced = [{"account_number": 7000, "line_sum": "10"}, {"account_number": 1910, "line_sum": "-9"}]
    with pytest.raises(ValueError, match=r"sum to 0\.00"):
        store.create("voucher", lines=unbalanced)
    key = store.create(
        "voucher",
        date="2026-03-01",
        description="Vuokra maaliskuu",
        lines=[
            {"account_number": 7000, "line_sum": "1000.00",
             "dimensions": [{"name": "Kustannuspaikka", "item": "100 Hallinto"}]},
            {"account_number": 1910, "line_sum": "-1000.00"},
        ],
    )  # fmt: skip
    voucher = store.vouchers.get(key)
    assert voucher is not None
    assert voucher.date == date(2026, 3, 1)
    assert voucher.lines[0].dimensions[0].name == "Kustannuspaikka"
    assert store.account_balances(date(2026, 2, 28)).get(7000) == store.account_balances(date(2026, 3, 1))[7000] - 1000


def test_account_balances_cut_off_by_date() -> None:
    store, _ = build()
    day = date(2025, 9, 30)
    expected: dict[int, Decimal] = {}
    for voucher in store.vouchers:
        if voucher.status == "valid" and voucher.date <= day:
            for line in voucher.lines:
                expected[line.account_number] = expected.get(line.account_number, Decimal(0)) + line.line_sum
    assert store.account_balances(day) == dict(sorted(expected.items()))
    assert store.account_balances(date(2000, 1, 1)) == {}


def test_random_changes_keep_the_books_balanced() -> None:
    store, clock = build("small", seed=9)
    rng = random.Random(42)
    refusals: list[str] = []
    for _ in range(120):
        clock.advance(timedelta(minutes=rng.randint(1, 90)))
        action = rng.randrange(8)
        invoices = [i.netvisor_key for i in islice(store.sales_invoices.iter_from(1_000_000 + rng.randrange(2300)), 20)]
        purchases = [
            i.netvisor_key for i in islice(store.purchase_invoices.iter_from(4_000_000 + rng.randrange(900)), 20)
        ]
        try:
            if action == 0:
                store.create("salesinvoice", lines=[{"quantity": rng.randint(1, 5)}] * rng.randint(1, 3))
            elif action == 1:
                store.create("salespayment", invoice_key=rng.choice(invoices))
            elif action == 2:
                store.edit("salesinvoice", rng.choice(invoices), lines=[{"unit_price": rng.randint(1, 500)}])
            elif action == 3:
                store.delete("salesinvoice", rng.choice(invoices))
            elif action == 4:
                store.create("purchasepayment", invoice_key=rng.choice(purchases), home_currency_sum="10.00")
            elif action == 5:
                store.delete("purchaseinvoice", rng.choice(purchases))
            elif action == 6:
                store.delete(
                    "salespayment",
                    next(iter(store.sales_payments.iter_from(7_000_000 + rng.randrange(2300)))).netvisor_key,
                )
            else:
                store.create("salesinvoice", credited_invoice_key=rng.choice(invoices))
        except ValueError as refused:  # deleting a credited invoice is refused, as in Netvisor
            refusals.append(str(refused))
    assert all("credit note" in refusal for refusal in refusals)
    assert_books_balance(store)
    assert len(list(store.vouchers)) == len(store.vouchers)
    assert len(list(store.sales_invoices)) == len(store.sales_invoices)


def test_lazy_overlay_on_the_large_profile() -> None:
    store, clock = build("large", seed=1)
    key = 1_000_000 + 77_777
    original = store.sales_invoices.get(key)
    assert original is not None
    clock.advance(timedelta(seconds=30))
    store.edit("salesinvoice", key, our_reference="Sävel Åkerlund")
    edited = store.sales_invoices.get(key)
    assert edited is not None
    assert edited.our_reference == "Sävel Åkerlund"
    assert edited.modified == clock.now()
    assert next(store.sales_invoices.iter_from(key - 1)).our_reference == "Sävel Åkerlund"
    assert next(store.sales_invoices.iter_from(key)).netvisor_key == key + 1
    count = len(store.sales_invoices)
    store.delete("salesinvoice", key + 1)
    assert len(store.sales_invoices) == count - 1
    assert next(store.sales_invoices.iter_from(key)).netvisor_key == key + 2


def test_concurrent_changes_and_reads() -> None:
    store, _ = build("small", seed=4)
    errors: list[BaseException] = []
    created: list[int] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                key = store.create("salesinvoice", lines=[{"quantity": 1 + (n + i) % 4}])
                created.append(key)
                store.create("salespayment", invoice_key=key)
                store.edit("customer", 10_000 + n, comment=f"muutos {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(3):
                for voucher in store.vouchers.iter_from(10_000_000 + 70_000):
                    assert voucher.lines
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)] + [
        threading.Thread(target=reader) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(created)) == 60
    assert all((i := store.sales_invoices.get(k)) is not None and i.status == "paid" for k in created)
    assert_books_balance(store)
