"""What a generated invoice or order buys: a bounded table of line baskets per kind of sale or purchase.

Drawing every line of every invoice (product, quantity, discount, dimensions, then the sums in ``Decimal``) was most
of the cost of a list request, which prints only an invoice's totals. So a document draws one of :data:`BASKETS`
baskets for its kind of sale (domestic, EU sale in SEK, export in USD) or its vendor's region (Finland, EU, outside
the EU) and takes the basket's lines and totals: a basket is drawn from ``(seed, kind, index)`` the first time any
document uses it and remembered, so the table is bounded by construction (at most ``3 × BASKETS`` per direction).
Invoices of a kind share the same thousand-odd baskets, as a business's usual orders recur; the customer, dates,
numbers and payment fate still differ from document to document.
Every document still gets its own line keys (``document key × LINE_KEYS + position``) and its own line objects,
built from its basket the first time its ``lines`` are read (:class:`GeneratedSalesDocument`,
:class:`GeneratedPurchaseInvoice`): a list row, its filters and the totals never build them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from netvisor_sync.emulator import chart, finnish, posting
from netvisor_sync.emulator.model import DimensionRef, Product, PurchaseInvoice, PurchaseLine, SalesDocument, SalesLine
from netvisor_sync.emulator.parties import Rng

#: baskets per kind of sale or purchase region; a power of two, so a document takes its basket from hash bits
BASKETS = 1024
BASKET_BITS = BASKETS.bit_length() - 1
ZERO = posting.ZERO
ONE = Decimal(1)
TEN = Decimal(10)
QUANTITIES = tuple(Decimal(n) for n in ("1", "1", "1", "2", "2", "3", "4", "5", "10", "12", "0.5", "2.5"))
EU_VAT = Decimal("25.5")  # Finnish VAT a buyer posts on a reverse-charge EU purchase
#: the kinds of sale whose lines differ: domestic (``normal``), EU sale (``SEK``), export (``USD``)
SALES_KINDS = ("normal", "SEK", "USD")
#: vendor regions whose purchase lines differ
REGIONS = ("FI", "EU", "US")
_SALES_SEED, _PURCHASE_SEED = 30, 31
#: one shared, never-mutated reference per dimension item (records are replaced, never changed in place)
_COST_CENTRE_REFS = tuple(DimensionRef(name, item) for name, item in chart.COST_CENTRES)
_PROJECT_REFS = tuple(DimensionRef(name, item) for name, item in chart.PROJECTS)


def draw_dims(rng: Rng) -> tuple[DimensionRef, ...]:
    """No dimension (3 in 10), a cost centre (5 in 10) or a cost centre and a project (2 in 10)."""
    r = rng.below(10)
    if r >= 7:
        return ()
    centre = rng.pick(_COST_CENTRE_REFS)
    return (centre,) if r < 5 else (centre, rng.pick(_PROJECT_REFS))


class SalesBasket(NamedTuple):
    #: per line, the :class:`SalesLine` fields between ``netvisor_key`` and the dimensions, and the dimensions
    lines: tuple[tuple[tuple[Any, ...], tuple[DimensionRef, ...]], ...]
    amount: Decimal
    net: Decimal
    vat: Decimal


class PurchaseBasket(NamedTuple):
    #: per line, the :class:`PurchaseLine` fields between ``netvisor_key`` and the dimensions, and the dimensions
    lines: tuple[tuple[tuple[Any, ...], tuple[DimensionRef, ...]], ...]
    amount: Decimal
    description: str


class Baskets:
    """The basket tables of one company; see the module docstring.

    Args:
        product: product number ``i`` of the generated master data.
    """

    def __init__(self, *, seed: int, products: int, max_lines: int, product: Callable[[int], Product]) -> None:
        self.seed, self.products, self.max_lines = seed, products, max_lines
        self._product = product
        self._sales: dict[int, SalesBasket] = {}
        self._purchases: dict[int, PurchaseBasket] = {}

    def sales(self, kind: int, index: int) -> SalesBasket:
        """Basket ``index`` of sale kind ``kind`` (a position in :data:`SALES_KINDS`)."""
        return self.sales_at(kind << BASKET_BITS | index)

    def sales_at(self, slot: int) -> SalesBasket:
        """The sales basket ``kind << BASKET_BITS | index`` (see :meth:`sales`)."""
        basket = self._sales.get(slot)
        if basket is None:
            basket = self._draw_sales(SALES_KINDS[slot >> BASKET_BITS], Rng(self.seed, _SALES_SEED, slot))
            self._sales[slot] = basket
        return basket

    def purchase(self, region: int, index: int) -> PurchaseBasket:
        """Basket ``index`` for vendors of region ``region`` (a position in :data:`REGIONS`)."""
        slot = region << BASKET_BITS | index
        basket = self._purchases.get(slot)
        if basket is None:
            basket = self._purchases[slot] = self._draw_purchase(REGIONS[region], Rng(self.seed, _PURCHASE_SEED, slot))
        return basket

    def _draw_sales(self, sale: str, rng: Rng) -> SalesBasket:
        """1..max_lines product lines: domestic VAT from the product, or 0 % EU sale / export for SEK / USD."""
        lines = []
        amount = net_total = vat_total = ZERO
        for _ in range(1 + rng.below(self.max_lines)):
            p = self._product(rng.below(self.products))
            quantity = rng.pick(QUANTITIES)
            discount = TEN if rng.below(10) == 0 else ZERO
            if sale == "SEK":
                vat, code, account = ZERO, "EUMY", chart.SALES_EU
            elif sale == "USD":
                vat, code, account = ZERO, "MUUL", chart.SALES_OUTSIDE_EU
            else:
                vat, code, account = p.vat_percent, "KOMY", chart.SALES_ACCOUNT[p.vat_percent]
            net, vat_sum, gross = posting.line_amounts(quantity, p.unit_price, vat, discount, vat_code=code)
            fields = (p.netvisor_key, p.code, p.name, p.unit_price, vat, code, quantity, discount, vat_sum, net, gross,
                      account, p.unit, "")  # fmt: skip
            lines.append((fields, draw_dims(rng)))
            amount, net_total, vat_total = amount + gross, net_total + net, vat_total + vat_sum
        return SalesBasket(tuple(lines), amount, net_total, vat_total)

    def _draw_purchase(self, region: str, rng: Rng) -> PurchaseBasket:
        """Goods and services from the product list (4000 / 4500) or other costs (7000-7999)."""
        lines = []
        amount = ZERO
        for _ in range(1 + rng.below(self.max_lines)):
            if rng.below(3) == 0:
                account, name, vat_text = rng.pick(finnish.COSTS)
                price = Decimal(2000 + rng.below(78000)).scaleb(-2)
                code, quantity, unit, vat = "", ONE, "kpl", Decimal(vat_text)
                vat_code = "KOOS" if vat else "NONE"
            else:
                p = self._product(rng.below(self.products))
                code, name, quantity, unit, price = p.code, p.name, rng.pick(QUANTITIES), p.unit, p.purchase_price
                account, vat = 4500 if p.group == "Palvelut" else chart.PURCHASES, p.vat_percent
                vat_code = "KOOS" if vat else "NONE"
            if region == "US":
                vat, vat_code = ZERO, "EVTO"
            elif region == "EU":
                vat, vat_code, account = EU_VAT, "EUOS", chart.PURCHASES_EU
            net, _, gross = posting.line_amounts(quantity, price, vat, vat_code=vat_code)
            fields = (code, name, name, quantity, unit, price, vat, vat_code, net, gross, account,
                      chart.ACCOUNT_KEYS.get(account, 0))  # fmt: skip
            lines.append((fields, draw_dims(rng)))
            amount += gross
        return PurchaseBasket(tuple(lines), amount, str(lines[0][0][2]))


# Untyped aliases: the field tuples are splatted positionally (a keyword after ``*fields`` costs six times as
# much per line), which mypy cannot count against the dataclass signatures.
_SALES_LINE: Any = SalesLine
_PURCHASE_LINE: Any = PurchaseLine


def credit_basket(basket: SalesBasket, text: str) -> SalesBasket:
    """What a credit note for a whole document of ``basket`` holds: every quantity and sum negated, each line saying
    ``text``; the lines ``posting.credit_note_of`` would build (half-up cents round negated values to negated cents).
    """
    lines = tuple(
        ((*fields[:6], -fields[6], fields[7], -fields[8], -fields[9], -fields[10], *fields[11:13], text), dims)
        for fields, dims in basket.lines
    )
    return SalesBasket(lines, -basket.amount, -basket.net, -basket.vat)


def sales_lines(basket: SalesBasket, doc_key: int) -> list[SalesLine]:
    """The basket's lines as a document's own lines, keyed under ``doc_key``."""
    base = doc_key * posting.LINE_KEY_SPACE
    return [_SALES_LINE(base + j, *fields, list(dims)) for j, (fields, dims) in enumerate(basket.lines, start=1)]


def purchase_lines(basket: PurchaseBasket, doc_key: int) -> list[PurchaseLine]:
    """The basket's lines as a document's own lines, keyed under ``doc_key``."""
    base = doc_key * posting.LINE_KEY_SPACE
    return [_PURCHASE_LINE(base + j, *fields, list(dims)) for j, (fields, dims) in enumerate(basket.lines, start=1)]


def region_of(country: str) -> int:
    """The :data:`REGIONS` position of a vendor country."""
    return 0 if country == "FI" else 2 if country == "US" else 1


# The dataclasses' own slots for ``lines``, which the generated subclasses fill on first read.
_SALES_LINES_SLOT: Any = SalesDocument.__dict__["lines"]
_PURCHASE_LINES_SLOT: Any = PurchaseInvoice.__dict__["lines"]


class GeneratedSalesDocument(SalesDocument):
    """A generated sales invoice or order: a :class:`SalesDocument` whose lines come from :attr:`basket` when read.

    Build it with ``lines=None`` and set :attr:`basket`; everything else behaves as a ``SalesDocument`` (equality,
    ``dataclasses.replace`` and ``fields`` read ``lines`` through the property, so they see the built lines).
    """

    __slots__ = ("basket",)
    basket: SalesBasket

    @property
    def lines(self) -> list[SalesLine]:
        lines: list[SalesLine] | None = _SALES_LINES_SLOT.__get__(self)
        if lines is None:
            lines = sales_lines(self.basket, self.netvisor_key)
            _SALES_LINES_SLOT.__set__(self, lines)
        return lines

    @lines.setter
    def lines(self, value: list[SalesLine]) -> None:
        _SALES_LINES_SLOT.__set__(self, value)


class GeneratedPurchaseInvoice(PurchaseInvoice):
    """A generated purchase invoice whose lines come from :attr:`basket` when read; see
    :class:`GeneratedSalesDocument`."""

    __slots__ = ("basket",)
    basket: PurchaseBasket

    @property
    def lines(self) -> list[PurchaseLine]:
        lines: list[PurchaseLine] | None = _PURCHASE_LINES_SLOT.__get__(self)
        if lines is None:
            lines = purchase_lines(self.basket, self.netvisor_key)
            _PURCHASE_LINES_SLOT.__set__(self, lines)
        return lines

    @lines.setter
    def lines(self, value: list[PurchaseLine]) -> None:
        _PURCHASE_LINES_SLOT.__set__(self, value)
