"""The seeded company generator: determinism, profile sizes, consistent books and realistic Finnish content."""

from __future__ import annotations

import dataclasses
import itertools
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvisor_sync.emulator import baskets, chart, finnish, parties, posting, voucher_blocks
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import PROFILES, build_company, business_id
from netvisor_sync.emulator.model import CompanyView
from netvisor_sync.emulator.store import CompanyStore

NOW = datetime(2026, 3, 15, 12, 30)
KINDS = (
    "customers", "vendors", "products", "sales_invoices", "sales_orders", "purchase_invoices", "purchase_orders",
    "sales_payments", "purchase_payments", "vouchers", "accounts", "accounting_periods", "voucher_types",
    "dimensions", "payment_terms",
)  # fmt: skip


def build(profile: str = "partner-test", seed: int = 7, now: datetime = NOW) -> CompanyStore:
    return build_company(profile, seed=seed, organisation_id=business_id(1), clock=Clock.frozen(now))


@pytest.fixture(scope="module")
def partner() -> CompanyStore:
    return build("partner-test")


@pytest.fixture(scope="module")
def small() -> CompanyStore:
    return build("small", seed=11)


def test_store_is_a_company_view(partner: CompanyStore) -> None:
    view: CompanyView = partner
    assert view.info.organisation_id == business_id(1)
    assert view.info.name


def test_business_ids_have_valid_check_digits() -> None:
    ids = [business_id(n) for n in range(3000)]
    assert len(set(ids)) == len(ids)
    assert all(finnish.is_valid_business_id(i) for i in ids)
    assert finnish.is_valid_business_id("0112038-9")  # a real Y-tunnus
    assert not finnish.is_valid_business_id("0112038-8")
    assert not finnish.is_valid_business_id("112038-9")
    with pytest.raises(ValueError, match="out of range"):
        business_id(-1)


def test_reference_numbers_have_731_check_digits() -> None:
    assert finnish.reference_number(123) == "1232"
    assert finnish.reference_number(12345) == "123453"
    assert finnish.reference_number(1001) == "10016"


def test_same_seed_same_data_and_other_seed_differs() -> None:
    a, b, c = build(seed=5), build(seed=5), build(seed=6)
    for kind in KINDS:
        assert list(getattr(a, kind)) == list(getattr(b, kind)), kind
    assert list(a.sales_invoices) != list(c.sales_invoices)
    assert list(a.customers) != list(c.customers)


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        build("huge")


def test_partner_test_profile_has_netvisors_test_material(partner: CompanyStore) -> None:
    assert (len(partner.customers), len(partner.products), len(partner.vendors)) == (10, 10, 10)
    assert len(partner.sales_invoices) == len(partner.purchase_invoices) == 120
    per_month_sales = Counter((i.date.year, i.date.month) for i in partner.sales_invoices)
    per_month_purchases = Counter((i.date.year, i.date.month) for i in partner.purchase_invoices)
    # twelve whole months, ending with the month before the clock's
    assert sorted(per_month_sales) == sorted(per_month_purchases)
    assert len(per_month_sales) == 12
    assert set(per_month_sales.values()) == {10}
    assert set(per_month_purchases.values()) == {10}
    assert max(per_month_sales) == (2026, 2)
    assert min(per_month_sales) == (2025, 3)
    assert len(partner.sales_orders) == len(partner.purchase_orders) == 12
    assert len(partner.sales_payments) > 0
    assert len(partner.purchase_payments) > 0
    costs = [v for v in partner.vouchers if v.voucher_class == "MU Other"]
    assert len(costs) == 48
    for voucher in costs:
        accounts = {line.account_number for line in voucher.lines}
        assert chart.BANK in accounts
        assert any(7000 <= a <= 7999 for a in accounts)
    for invoice in itertools.chain(partner.sales_invoices, partner.purchase_invoices):
        voucher = partner.vouchers.get(invoice.voucher_key or 0)
        assert voucher is not None
        assert voucher.status == "valid"
        assert voucher.linked_source_key == invoice.netvisor_key


def test_small_profile_builds_fast_and_has_hundreds_of_customers() -> None:
    started = time.perf_counter()
    store = build("small")
    assert time.perf_counter() - started < 2
    assert 200 <= len(store.customers) <= 500
    assert 2000 <= len(store.sales_invoices) + len(store.purchase_invoices) <= 5000
    assert 2000 <= len(store.vouchers) <= 10000


_LARGE_BUILD_SECONDS: list[float] = []


@pytest.fixture(scope="module")
def large() -> CompanyStore:
    started = time.process_time()
    store = build("large")
    _LARGE_BUILD_SECONDS.append(time.process_time() - started)
    return store


def test_large_profile_is_lazy_and_big(large: CompanyStore) -> None:
    assert _LARGE_BUILD_SECONDS[0] < 5  # nothing is generated up front but the counts
    assert len(large.sales_invoices) >= 100_000
    spec = PROFILES["large"]
    # every month after the first has the same mix of vouchers, so one month's lines times the months estimates
    # the total without generating all of it
    docs = large._docs
    block_lines = sum(
        len(v.lines)
        for slot in range(docs.block, 2 * docs.block)
        if (v := voucher_blocks.voucher(docs, slot)) is not None
    )
    assert block_lines * (spec.months - 1) >= 1_000_000


def test_large_iteration_is_memory_bounded(large: CompanyStore) -> None:
    # Speed is measured by `python -m benchmarks.emulator_speed`, not here: a timed floor in a long-lived xdist
    # worker measured the garbage collector walking every earlier test's objects, not the generator.
    store = large
    tracemalloc.start()
    try:
        lines = sum(len(v.lines) for v in itertools.islice(store.vouchers, 3000))
        far = sum(len(v.lines) for v in itertools.islice(store.vouchers.iter_from(10_000_000), 3000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines > 9000
    assert far > 9000
    assert peak < 40 * 1024 * 1024


def test_every_voucher_balances_and_all_balances_sum_to_zero(small: CompanyStore) -> None:
    for voucher in small.vouchers:
        assert sum(line.line_sum for line in voucher.lines) == 0, voucher.netvisor_key
        assert all(line.line_sum == line.line_sum.quantize(Decimal("0.01")) for line in voucher.lines)
    balances = small.account_balances(date(2100, 1, 1))
    assert sum(balances.values()) == 0
    assert set(balances) <= set(chart.ACCOUNT_KEYS)


def _vat(net: Decimal, rate: Decimal) -> Decimal:
    return (net * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_credit_notes_are_what_posting_makes_of_the_credited_invoice(small: CompanyStore) -> None:
    """Generated credit notes negate their invoice's basket themselves; they must equal ``posting.credit_note_of``."""
    notes = [i for i in small.sales_invoices if i.credited_invoice_key is not None]
    assert notes
    for note in notes:
        original = small.sales_invoices.get(note.credited_invoice_key)
        assert original is not None
        expected = posting.credit_note_of(original, key=note.netvisor_key, number=note.number, on=note.date)
        for name in ("modified", "voucher_key", "voucher_number", "status", "open_sum"):  # set by the generator
            setattr(expected, name, getattr(note, name))
        fields = [f.name for f in dataclasses.fields(note)]
        assert [getattr(note, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert note.amount == -original.amount


def test_documents_agree_with_their_lines_and_vouchers(small: CompanyStore) -> None:
    for invoice in small.sales_invoices:
        assert invoice.amount == sum(line.sum for line in invoice.lines)
        assert invoice.vat_amount == sum(line.vat_sum for line in invoice.lines)
        for line in invoice.lines:
            assert line.sum == line.net_sum + line.vat_sum
            assert line.vat_sum == _vat(line.net_sum, line.vat_percent)
        voucher = small.vouchers.get(invoice.voucher_key or 0)
        assert voucher is not None
        receivable = [line for line in voucher.lines if line.account_number == chart.RECEIVABLES]
        assert [line.line_sum for line in receivable] == [invoice.amount]
        assert -sum(line.line_sum for line in voucher.lines if line.account_number == chart.VAT_PAYABLE) == (
            invoice.vat_amount
        )
    for purchase in small.purchase_invoices:
        assert purchase.amount == sum(line.sum for line in purchase.lines)
        voucher = small.vouchers.get(purchase.voucher_key or 0)
        assert voucher is not None
        assert [ln.line_sum for ln in voucher.lines if ln.account_number == chart.PAYABLES] == [-purchase.amount]


def test_receivables_and_payables_match_open_sums(small: CompanyStore) -> None:
    balances = small.account_balances(date(2100, 1, 1))
    assert balances[chart.RECEIVABLES] == sum(i.open_sum for i in small.sales_invoices)
    assert balances[chart.PAYABLES] == -sum(i.amount - i.paid_amount for i in small.purchase_invoices)
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for payment in small.sales_payments:
        assert payment.invoice_key is not None
        paid[payment.invoice_key] += payment.sum
        voucher = small.vouchers.get(payment.voucher_key or 0)
        assert voucher is not None
        assert voucher.linked_source_key == payment.netvisor_key
        assert payment.date >= small.sales_invoices.get(payment.invoice_key).date  # type: ignore[union-attr]
    credited = {i.credited_invoice_key for i in small.sales_invoices if i.credited_invoice_key is not None}
    for invoice in small.sales_invoices:
        if invoice.netvisor_key in credited or invoice.credited_invoice_key is not None:
            assert invoice.open_sum == 0  # a credit note and its invoice cancel out
            assert invoice.netvisor_key not in paid
        else:
            assert invoice.open_sum == invoice.amount - paid[invoice.netvisor_key]


def test_statuses_follow_payments_and_due_dates(small: CompanyStore) -> None:
    statuses = Counter((i.status, i.substatus) for i in small.sales_invoices)
    assert {("paid", ""), ("open", "overdue"), ("open", ""), ("unsent", "")} <= set(statuses)
    today = NOW.date()
    for invoice in small.sales_invoices:
        if invoice.status == "paid":
            assert invoice.open_sum == 0
        else:
            assert invoice.open_sum != 0
            assert (invoice.substatus == "overdue") == (invoice.status == "open" and invoice.due_date < today)
    assert {i.status for i in small.purchase_invoices} == {"paid", "accepted", "open"}
    for purchase in small.purchase_invoices:
        assert (purchase.status == "paid") == (purchase.paid_amount == purchase.amount)


def test_vat_rates_codes_and_finnish_letters(small: CompanyStore) -> None:
    rates = {line.vat_percent for i in small.sales_invoices for line in i.lines}
    assert {Decimal("25.5"), Decimal("14"), Decimal("10"), Decimal("0")} <= rates
    codes = {line.vat_code for v in small.vouchers for line in v.lines}
    assert {"KOMY", "KOOS", "EUMY", "EUOS", "-"} <= codes
    names = " ".join(c.name for c in small.customers) + " ".join(v.name for v in small.vendors)
    assert all(letter in names for letter in "äöå")
    for customer in small.customers:
        if customer.business_id:
            assert finnish.is_valid_business_id(customer.business_id)
    assert all(p.unit_price.as_tuple().exponent == -12 for p in small.products)


def test_foreign_currency_credit_notes_and_invalidated_vouchers(partner: CompanyStore) -> None:
    foreign = [i for i in partner.sales_invoices if i.currency != "EUR"]
    assert {i.currency for i in foreign} == {"SEK", "USD"}
    for invoice in foreign:
        assert invoice.foreign_amount == (invoice.amount * invoice.currency_rate).quantize(Decimal("0.01"))
    notes = [i for i in partner.sales_invoices if i.credited_invoice_key is not None]
    assert notes
    for note in notes:
        original = partner.sales_invoices.get(note.credited_invoice_key or 0)
        assert original is not None
        assert note.amount == -original.amount < 0
        assert note.date >= original.date
        assert note.open_sum == original.open_sum == 0
    invalidated = [v for v in partner.vouchers if v.status == "invalidated"]
    assert invalidated
    for voucher in invalidated:
        kind = voucher.linked_source_type
        source = (partner.sales_invoices if kind == "salesinvoice" else partner.purchase_invoices).get(
            voucher.linked_source_key or 0
        )
        assert source is not None
        assert source.voucher_key != voucher.netvisor_key
        repost = partner.vouchers.get(source.voucher_key or 0)
        assert repost is not None
        assert repost.status == "valid"
        assert repost.netvisor_key > voucher.netvisor_key


def test_keys_ascend_modified_in_the_past_and_near_the_document_date(small: CompanyStore) -> None:
    for kind in KINDS:
        keys = [r.netvisor_key for r in getattr(small, kind)]
        assert keys == sorted(set(keys)), kind
        assert len(keys) == len(getattr(small, kind)), kind
    line_keys = [line.netvisor_key for v in small.vouchers for line in v.lines]
    assert len(line_keys) == len(set(line_keys))
    for kind in (
        "customers",
        "vendors",
        "products",
        "sales_invoices",
        "purchase_invoices",
        "sales_payments",
        "vouchers",
    ):
        assert all(r.modified < NOW for r in getattr(small, kind)), kind
    for invoice in small.sales_invoices:
        assert timedelta(0) <= invoice.modified - datetime.combine(invoice.date, datetime.min.time()) < timedelta(3)


def test_reference_data_is_hierarchical(partner: CompanyStore) -> None:
    accounts = list(partner.accounts)
    by_key = {a.netvisor_key: a for a in accounts}
    numbers = {a.number for a in accounts if a.account_type == "account"}
    assert {1700, 1763, 1910, 2871, 2939, 3000, 4000, 7000} <= numbers
    for account in accounts:
        if account.father_key is not None:
            father = by_key[account.father_key]
            assert father.account_type == "accountgroup"
            assert father.sort < account.sort <= account.end_sort <= father.end_sort
    for dimension in partner.dimensions:
        keys = {item.netvisor_key for item in dimension.items}
        assert all(item.father_key is None or item.father_key in keys for item in dimension.items)
    assert any(item.level == 2 for d in partner.dimensions for item in d.items)
    assert [t.abbreviation for t in partner.voucher_types][:5] == ["SA", "PI", "SP", "PP", "MU"]
    periods = list(partner.accounting_periods)
    assert periods[0].begin <= min(i.date for i in partner.sales_invoices)
    assert periods[-1].end >= NOW.date()
    assert sum(1 for t in partner.payment_terms if t.is_default) == 1


@given(st.integers(0, 2**32), st.integers(0, baskets.BASKETS - 1), st.sampled_from(["partner-test", "large"]))
def test_a_basket_totals_its_lines(seed: int, index: int, profile: str) -> None:
    """Documents take their totals from the basket without building lines; the lines must add up to them."""
    spec = PROFILES[profile]
    table = baskets.Baskets(
        seed=seed,
        products=spec.products,
        max_lines=spec.max_lines,
        product=lambda i: parties.product(seed, i, NOW, NOW),
    )
    for kind, sale in enumerate(baskets.SALES_KINDS):
        basket = table.sales(kind, index)
        lines = baskets.sales_lines(basket, 1_000_000 + index)
        assert 1 <= len(lines) <= spec.max_lines
        assert basket.amount == sum((line.sum for line in lines), Decimal(0))
        assert basket.net == sum((line.net_sum for line in lines), Decimal(0))
        assert basket.vat == sum((line.vat_sum for line in lines), Decimal(0))
        for line in lines:
            assert line.sum == line.net_sum + line.vat_sum
            if sale == "normal":
                assert line.vat_code == "KOMY"
                assert line.vat_percent in chart.SALES_ACCOUNT
            else:
                assert (line.vat_code, line.vat_percent) == ({"SEK": "EUMY", "USD": "MUUL"}[sale], 0)
            assert [d.name for d in line.dimensions] in ([], ["Kustannuspaikka"], ["Kustannuspaikka", "Projekti"])
    for region in range(len(baskets.REGIONS)):
        purchase = table.purchase(region, index)
        bought = baskets.purchase_lines(purchase, 4_000_000 + index)
        assert 1 <= len(bought) <= spec.max_lines
        assert purchase.amount == sum((line.sum for line in bought), Decimal(0))
        assert purchase.description == bought[0].description
