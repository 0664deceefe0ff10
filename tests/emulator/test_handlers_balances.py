"""``accountbalance.nv`` over generated companies: the summed books agree with the vouchers, stay small and fast.

The store sums the generated ledger per month block without building vouchers (``voucher_blocks.BlockPostings``);
these tests hold that shortcut to the real vouchers, block by block and through the handler (also after changes),
and check that ``large`` answers in bounded memory and time in a fresh process.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from tests.emulator.resource_calls import call

from netvisor_sync.emulator import balances, chart, voucher_blocks
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.render import comma
from netvisor_sync.emulator.store import CompanyStore

NOW = datetime(2026, 3, 15, 12, 30)


def build(profile: str, seed: int) -> CompanyStore:
    return build_company(profile, seed=seed, organisation_id="1234567-8", clock=Clock.frozen(NOW))


def block_from_vouchers(store: CompanyStore, m: int) -> dict[date, dict[int, list[int]]]:
    """Month ``m``'s block summed from its real vouchers, in cents per day and account."""
    docs = store._docs
    postings: balances.Postings[int] = balances.Postings(0)
    for slot in range(m * docs.block, (m + 1) * docs.block):
        voucher = voucher_blocks.voucher(docs, slot)
        if voucher is not None and voucher.status == "valid":
            postings.add_all(voucher.date, voucher_blocks.split_cents(voucher.lines))
    return postings.days


@pytest.mark.parametrize(("profile", "seed"), [("partner-test", 1), ("partner-test", 8), ("small", 2), ("small", 5)])
def test_every_summed_block_equals_its_vouchers(profile: str, seed: int) -> None:
    store = build(profile, seed)
    summed = voucher_blocks.BlockPostings(store._docs)
    for m in range(store._docs.months):
        assert summed.month(m).days == block_from_vouchers(store, m), f"month {m}"


def test_summed_large_blocks_equal_their_vouchers() -> None:
    store = build("large", 4)
    summed = voucher_blocks.BlockPostings(store._docs)
    for m in (0, 1, store._docs.months - 1):  # no payments yet, the first payments, the open last month
        assert summed.month(m).days == block_from_vouchers(store, m), f"month {m}"


def every_day_and_some(store: CompanyStore) -> list[date]:
    first = min(v.date for v in store.vouchers)
    last = max(v.date for v in store.vouchers)
    return [first - timedelta(days=1), *(first + timedelta(days=n) for n in range((last - first).days + 1)),
            date(2100, 1, 1)]  # fmt: skip


def assert_totals_match_vouchers(store: CompanyStore, days: list[date]) -> None:
    numbers = {a.number for a in store.accounts}
    expected = balances.of_vouchers(store.vouchers, numbers, days)
    assert store.account_totals(numbers, days) == expected
    answer = call(store, "accountbalance", {"balancedates": ",".join(d.isoformat() for d in days)})
    by_number = {int(a.findtext("Number") or 0): a for a in answer.payload}
    for number in numbers & set(by_number):
        rows = by_number[number].findall("AccountBalance")
        assert [(r.get("Date"), r.findtext("Debet"), r.findtext("Kredit")) for r in rows] == [
            (day.isoformat(), comma(debit), comma(credit))
            for day, (debit, credit) in zip(days, expected[number], strict=True)
        ]


def test_account_totals_equal_the_vouchers_on_every_day() -> None:
    store = build("partner-test", 3)
    assert_totals_match_vouchers(store, every_day_and_some(store))


def test_account_totals_follow_changes() -> None:
    store = build("small", 6)
    some_days = every_day_and_some(store)[::5]
    rng = random.Random(11)
    invoices = [i.netvisor_key for i in store.sales_invoices if i.credited_invoice_key is None]
    vouchers = [v.netvisor_key for v in store.vouchers if v.status == "valid"]
    store.edit("salesinvoice", invoices[3], date=date(2025, 6, 3))
    store.create("salesinvoice", date=date(2025, 7, 4))
    store.create("salespayment", invoice_key=invoices[20], date=date(2025, 8, 1))
    store.invalidate_voucher(rng.choice(vouchers))
    store.delete("purchaseinvoice", next(iter(store.purchase_invoices)).netvisor_key)
    store.create(
        "voucher",
        date="2025-05-05",
        lines=[{"account_number": 7000, "line_sum": "10.125"}, {"account_number": 1910, "line_sum": "-10.125"}],
    )
    assert_totals_match_vouchers(store, some_days)
    net: dict[int, Decimal] = {}
    for voucher in store.vouchers:
        if voucher.status == "valid":
            for line in voucher.lines:
                net[line.account_number] = net.get(line.account_number, Decimal(0)) + line.line_sum
    assert store.account_balances(date(2100, 1, 1)) == dict(sorted(net.items()))


def test_an_early_date_sums_only_the_months_it_needs() -> None:
    store = build("small", 2)
    first = min(v.date for v in store.vouchers)
    call(store, "accountbalance", {"balancedates": first.isoformat()})
    assert store._summed_months == 1
    call(store, "accountbalance", {"balancedates": "2100-01-01"})
    assert store._summed_months == store._docs.months


_LARGE_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import datetime
    from netvisor_sync.emulator.clock import Clock
    from netvisor_sync.emulator.generate import build_company
    from netvisor_sync.emulator.handlers import handle

    now = datetime(2026, 3, 15, 12)
    company = build_company("large", seed=1, organisation_id="1234567-8", clock=Clock.frozen(now))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    params = {"balancedates": "2023-01-31,2026-02-28", "intervaltype": "3"}
    body = b"".join(handle(company, "accountbalance", params, now=now, language="EN", base_url="http://t").chunks)
    cpu = time.process_time() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    json.dump({"cpu": cpu, "grown_kib": grown, "accounts": body.count(b"<Account "),
               "dates": body.count(b"<AccountBalance ")}, sys.stdout)
    """
)


def test_large_accountbalance_over_the_whole_history_is_small_and_fast() -> None:
    """Every month end of ``large``'s two years (over a million voucher lines) in one call, in a fresh process (so
    the peak RSS and CPU time are the call's own, not a long-lived test worker's): once 528 MiB and 24 CPU s."""
    done = subprocess.run([sys.executable, "-c", _LARGE_PROBE], capture_output=True, text=True, check=True, timeout=300)
    probe = json.loads(done.stdout)
    assert probe["accounts"] == sum(1 for a in chart.accounts() if a.account_type == "account")
    assert probe["dates"] == probe["accounts"] * 38  # month ends from January 2023 to February 2026
    assert probe["grown_kib"] < 64 * 1024, probe
    assert probe["cpu"] < 10, probe
