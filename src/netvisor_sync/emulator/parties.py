"""Seeded customers, vendors and products: the master data ``generate`` builds documents from.

Each record is a pure function of ``(seed, index)`` through :class:`Rng`, a cheap counter-based generator (one
64-bit mix to seed, one multiply-add per draw), so the lazy collections can rebuild any record at any time.
Index ``i`` of a kind always yields the same party; every tenth customer and vendor is foreign (Swedish, Estonian,
German, US or Danish), every fifth customer a private person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from netvisor_sync.emulator import finnish
from netvisor_sync.emulator.model import Customer, Product, Vendor

T = TypeVar("T")
_M64 = (1 << 64) - 1
CUSTOMER_KEYS = 10_000
VENDOR_KEYS = 20_000
PRODUCT_KEYS = 30_000
#: Business-id index ranges, so customers, vendors and the company itself never share a Y-tunnus.
CUSTOMER_IDS, VENDOR_IDS = 100_000, 200_000
_TWELVE = Decimal("1E-12")
_CENT = Decimal("0.01")


def mix(value: int) -> int:
    """SplitMix64's finaliser: a well-spread 64-bit hash of ``value``."""
    z = (value + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def hash3(seed: int, kind: int, index: int) -> int:
    """A 64-bit hash of ``(seed, kind, index)``; use it for one-off decisions without building an :class:`Rng`."""
    return mix((seed * 0x2545F4914F6CDD1D + kind * 0x9E3779B97F4A7C15 + index) & _M64)


def hash_base(seed: int, kind: int) -> int:
    """What :func:`hash3` computes from ``(seed, kind)`` alone; ``hash_at(hash_base(s, k), i) == hash3(s, k, i)``.

    For code that hashes many indexes of one kind: it saves two of the five big-integer multiplications.
    """
    return seed * 0x2545F4914F6CDD1D + kind * 0x9E3779B97F4A7C15


def hash_at(base: int, index: int) -> int:
    """:func:`hash3` of index ``index`` from a :func:`hash_base`."""
    return mix((base + index) & _M64)


#: the linear congruential step of :class:`Rng`: ``state = (state * LCG_MUL + LCG_ADD) & 2**64 - 1``
LCG_MUL, LCG_ADD = 6364136223846793005, 1442695040888963407


class Rng:
    """Deterministic draws for one record, seeded by ``(seed, kind, index)``.

    Far cheaper to create than ``random.Random`` (which costs microseconds to seed), which matters when every
    record of a million-line ledger gets its own generator. A hot loop may take :attr:`state`, step it inline with
    :data:`LCG_MUL` / :data:`LCG_ADD` exactly as :meth:`below` does, and store it back: the draws are the same.
    """

    __slots__ = ("state",)

    def __init__(self, seed: int, kind: int, index: int) -> None:
        self.state = hash3(seed, kind, index)

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``."""
        state = self.state = (self.state * LCG_MUL + LCG_ADD) & 0xFFFFFFFFFFFFFFFF
        return ((state >> 32) * n) >> 32

    def pick(self, items: Sequence[T]) -> T:
        state = self.state = (self.state * LCG_MUL + LCG_ADD) & 0xFFFFFFFFFFFFFFFF
        return items[((state >> 32) * len(items)) >> 32]


def _person(rng: Rng) -> str:
    return f"{rng.pick(finnish.FIRST_NAMES)} {rng.pick(finnish.SURNAMES)}"


def _company(rng: Rng) -> str:
    return f"{rng.pick(finnish.COMPANY_STEMS)} {rng.pick(finnish.COMPANY_TRADES)} {rng.pick(finnish.COMPANY_FORMS)}"


def _modified(rng: Rng, created: datetime, until: datetime) -> datetime:
    """Created at ``created``; one in five was edited again later, before ``until``."""
    if rng.below(5) == 0 and until > created:
        span = int((until - created).total_seconds())
        return created + timedelta(seconds=rng.below(span))
    return created


def iban(rng: Rng) -> str:
    """A Finnish IBAN with a correct check number."""
    bban = "".join(str(rng.below(10)) for _ in range(14))
    check = 98 - int(bban + "151800") % 97
    return f"FI{check:02d}{bban}"


def customer(seed: int, i: int, created: datetime, until: datetime) -> Customer:
    """Customer number ``i`` (key ``CUSTOMER_KEYS + i``), created at ``created``."""
    rng = Rng(seed, 1, i)
    town, post = rng.pick(finnish.TOWNS)
    street = f"{rng.pick(finnish.STREETS)} {1 + rng.below(60)}"
    private = i % 5 == 3
    name = _person(rng) if private else _company(rng)
    country, group_key, group = "FI", 1, "Kotimaan yritysasiakkaat"
    if i % 10 == 9:
        name, street, post, town, country = finnish.FOREIGN[(i // 10) % len(finnish.FOREIGN)]
        group_key, group = 3, "Ulkomaiset asiakkaat"
    elif private:
        group_key, group = 2, "Yksityisasiakkaat"
    code = f"{1001 + i}"
    return Customer(
        netvisor_key=CUSTOMER_KEYS + i,
        code=code,
        name=name,
        business_id="" if private or country != "FI" else finnish.business_id(CUSTOMER_IDS + i),
        group_key=group_key,
        group_name=group,
        street=street,
        city=town,
        post_number=post,
        country=country,
        phone=f"+358 40 {rng.below(1000):03d} {rng.below(10000):04d}",
        email=f"laskut.{code}@example.fi",
        email_invoicing="" if private else f"0037{rng.below(10**8):08d}",
        is_active=rng.below(20) != 0,
        is_private=private,
        payment_term_key=(1, 1, 1, 2, 3, 4)[rng.below(6)],
        balance_limit=Decimal(rng.below(10) * 1000),
        contact_person=_person(rng),
        name_extension="" if rng.below(8) else "Talousosasto",
        comment="" if rng.below(6) else "Laskut sähköpostilla, kiitos.",
        modified=_modified(rng, created, until),
    )


def vendor(seed: int, i: int, created: datetime, until: datetime) -> Vendor:
    """Vendor number ``i`` (key ``VENDOR_KEYS + i``)."""
    rng = Rng(seed, 2, i)
    town, post = rng.pick(finnish.TOWNS)
    address = f"{rng.pick(finnish.STREETS)} {1 + rng.below(60)}"
    name, country = _company(rng), "FI"
    if i % 10 == 9:
        name, address, post, town, country = finnish.FOREIGN[(i // 10) % len(finnish.FOREIGN)]
    return Vendor(
        netvisor_key=VENDOR_KEYS + i,
        code=f"T{101 + i}",
        name=name,
        address=address,
        post_code=post,
        city=town,
        country=country,
        business_id=finnish.business_id(VENDOR_IDS + i) if country == "FI" else "",
        group_name="Kotimaiset toimittajat" if country == "FI" else "Ulkomaiset toimittajat",
        iban=iban(rng),
        email=f"myynti.t{101 + i}@example.fi",
        phone=f"+358 9 {rng.below(10**6):06d}",
        contact_person=_person(rng),
        is_active=rng.below(25) != 0,
        modified=_modified(rng, created, until),
    )


def product(seed: int, i: int, created: datetime, until: datetime) -> Product:
    """Product number ``i`` (key ``PRODUCT_KEYS + i``); unit prices carry Netvisor's 12 decimals."""
    rng = Rng(seed, 3, i)
    name, group, unit, cents, vat = finnish.PRODUCTS[i % len(finnish.PRODUCTS)]
    if i >= len(finnish.PRODUCTS):
        name = f"{name} ({i // len(finnish.PRODUCTS) + 1})"
    vat_percent = Decimal(vat)
    net = (Decimal(cents * (90 + rng.below(21))) / 10000).quantize(_TWELVE)
    return Product(
        netvisor_key=PRODUCT_KEYS + i,
        code=f"P{100 + i}",
        group=group,
        name=name,
        description=f"{name}, {group.lower()}",
        unit_price=net,
        unit_gross_price=(net * (100 + vat_percent) / 100).quantize(_TWELVE),
        unit=unit,
        purchase_price=(net * Decimal("0.6")).quantize(_CENT),
        vat_percent=vat_percent,
        status="unpublished" if rng.below(15) == 0 else "published",
        modified=_modified(rng, created, until),
    )
