"""A seeded, deterministic Finnish company whose books balance: every record is a pure function of its index.

``build_company(profile, seed=..., organisation_id=..., clock=...)`` returns a :class:`~.store.CompanyStore` whose
collections compute records on access, so the ``large`` profile (over 100 000 sales invoices and a million voucher
lines) costs no memory until read, and every profile goes through the same code.

Calendar: the history covers ``profile.months`` whole months ending with the month *before* the clock's current
month at build time, so everything generated lies in the past; two builds in the same calendar month (or with the
same frozen clock) are identical. Per month there are a fixed number of sales invoices, purchase invoices, sales
and purchase orders and cost vouchers; payments of month ``m``'s invoices are made during month ``m + 1`` (the
last month's invoices are still open). Special cases recur in a fixed cycle within each month: a credited invoice
followed by its credit note, a re-posted invoice (original voucher invalidated), SEK (EU sale) and USD (export)
invoices, and purchases from foreign vendors (EU reverse charge, in SEK or USD). Of the other invoices most are
paid in full, some partly and some not at all; an unpaid invoice is ``open`` with substatus ``overdue`` once its due
date has passed, and the newest ones of the last month are ``unsent``.

Voucher keys are laid out per month in blocks: sales-invoice vouchers, purchase-invoice vouchers, sales-payment and
purchase-payment vouchers (for the previous month's invoices), cost vouchers (``MU``: costs 7000-7999 paid from
1910), then the re-posts of invalidated invoice vouchers. Empty slots (unpaid invoices) hold no voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from netvisor_sync.emulator import finnish, parties
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.documents import Documents
from netvisor_sync.emulator.store import CompanyStore
from netvisor_sync.emulator.timeline import Timeline

__all__ = ["PROFILES", "Profile", "build_company", "business_id"]

business_id = finnish.business_id


@dataclass(frozen=True)
class Profile:
    """How much a generated company holds; document counts are per month."""

    name: str
    customers: int
    vendors: int
    products: int
    months: int
    sales_invoices: int
    purchase_invoices: int
    sales_orders: int
    purchase_orders: int
    cost_vouchers: int
    max_lines: int


PROFILES = {
    # Netvisor's partner test material: 10 customers, products and vendors; 10 + 10 invoices a month for a year.
    "partner-test": Profile("partner-test", 10, 10, 10, 12, 10, 10, 1, 1, 4, 3),
    "small": Profile("small", 300, 60, 120, 12, 200, 80, 15, 8, 20, 4),
    "large": Profile("large", 5000, 1500, 2000, 24, 4500, 2000, 300, 150, 1500, 5),
}


def build_company(
    profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None
) -> CompanyStore:
    """A company's books for ``profile`` (``partner-test``, ``small`` or ``large``), deterministic in ``seed``.

    Building is cheap for every profile: records are computed when read. The history ends with the month before
    ``clock``'s current month; see the module docstring.
    """
    try:
        spec = PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(PROFILES)}") from None
    today = clock.today().date()
    timeline = Timeline(today, spec.months)
    documents = Documents(
        seed=seed,
        timeline=timeline,
        customers=spec.customers,
        vendors=spec.vendors,
        products=spec.products,
        per_month=(spec.sales_invoices, spec.purchase_invoices, spec.sales_orders, spec.purchase_orders),
        cost_vouchers=spec.cost_vouchers,
        max_lines=spec.max_lines,
    )
    if name is None:
        rng = parties.Rng(seed, 99, 0)
        name = f"{rng.pick(finnish.COMPANY_STEMS)} {rng.pick(finnish.COMPANY_TRADES)} Oy"
    lock = timeline.starts[-1] - timedelta(days=1) if spec.months > 1 else None
    return CompanyStore(documents, organisation_id=organisation_id, name=name, clock=clock, lock_date=lock)
