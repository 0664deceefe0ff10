"""The ledger's fixed reference data: chart of accounts, voucher types, dimensions, payment terms and periods.

Every generated company shares this Finnish small-business chart (1700 receivables, 1763 VAT receivable, 1910 bank,
2871 payables, 2939 VAT payable, 3000-3999 sales, 4000s purchases, 7000-7999 other costs), so ``posting`` can name
accounts by number and ``generate`` only decides amounts and dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from netvisor_sync.emulator.model import (
    Account,
    AccountingPeriod,
    Dimension,
    DimensionItem,
    PaymentTerm,
    VoucherType,
)

RECEIVABLES = 1700
VAT_RECEIVABLE = 1763
PREPAYMENTS_GIVEN = 1790
BANK = 1910
ADVANCES_RECEIVED = 2620
PAYABLES = 2871
VAT_PAYABLE = 2939
PURCHASES = 4000
PURCHASES_EU = 4100

#: Sales account per VAT percent for domestic sales.
SALES_ACCOUNT = {Decimal("25.5"): 3000, Decimal("14"): 3010, Decimal("10"): 3020, Decimal("0"): 3030}
SALES_EU = 3300
SALES_OUTSIDE_EU = 3400


@dataclass(frozen=True, slots=True)
class _Node:
    number: int | None  # None for an account group
    name: str
    name_en: str
    children: tuple[_Node, ...] = ()
    natural_negative: bool = False


def _acc(number: int, name: str, name_en: str, *, negative: bool = False) -> _Node:
    return _Node(number, name, name_en, natural_negative=negative)


def _grp(name: str, name_en: str, *children: _Node, negative: bool = False) -> _Node:
    return _Node(None, name, name_en, children, negative)


_CHART = (
    _grp(
        "VASTAAVAA",
        "ASSETS",
        _grp("Pysyvät vastaavat", "Non-current assets", _acc(1100, "Koneet ja kalusto", "Machinery and equipment")),
        _grp(
            "Vaihtuvat vastaavat",
            "Current assets",
            _acc(1500, "Varasto", "Inventory"),
            _acc(RECEIVABLES, "Myyntisaamiset", "Trade receivables"),
            _acc(VAT_RECEIVABLE, "Arvonlisäverosaamiset", "VAT receivables"),
            _acc(PREPAYMENTS_GIVEN, "Annetut ennakkomaksut", "Advance payments given"),
            _acc(BANK, "Pankkitili", "Bank account"),
        ),
    ),
    _grp(
        "VASTATTAVAA",
        "EQUITY AND LIABILITIES",
        _grp(
            "Oma pääoma",
            "Equity",
            _acc(2000, "Osakepääoma", "Share capital", negative=True),
            _acc(2250, "Edellisten tilikausien voitto", "Retained earnings", negative=True),
            negative=True,
        ),
        _grp(
            "Vieras pääoma",
            "Liabilities",
            _acc(ADVANCES_RECEIVED, "Saadut ennakot", "Advances received", negative=True),
            _acc(PAYABLES, "Ostovelat", "Trade payables", negative=True),
            _acc(VAT_PAYABLE, "Arvonlisäverovelka", "VAT payable", negative=True),
            negative=True,
        ),
        negative=True,
    ),
    _grp(
        "Liikevaihto",
        "Revenue",
        _acc(3000, "Myynti 25,5 %", "Sales 25.5 %", negative=True),
        _acc(3010, "Myynti 14 %", "Sales 14 %", negative=True),
        _acc(3020, "Myynti 10 %", "Sales 10 %", negative=True),
        _acc(3030, "Myynti 0 %", "Sales 0 %", negative=True),
        _acc(SALES_EU, "Myynti EU-maihin", "Sales to EU countries", negative=True),
        _acc(SALES_OUTSIDE_EU, "Myynti EU:n ulkopuolelle", "Sales outside the EU", negative=True),
        negative=True,
    ),
    _grp(
        "Materiaalit ja palvelut",
        "Materials and services",
        _acc(PURCHASES, "Ostot", "Purchases"),
        _acc(PURCHASES_EU, "Ostot EU-maista", "Purchases from EU countries"),
        _acc(4500, "Ulkopuoliset palvelut", "External services"),
    ),
    _grp("Henkilöstökulut", "Personnel expenses", _acc(5000, "Palkat", "Salaries")),
    _grp(
        "Liiketoiminnan muut kulut",
        "Other operating expenses",
        _acc(7000, "Toimitilavuokrat", "Premises rent"),
        _acc(7100, "Sähkö ja vesi", "Electricity and water"),
        _acc(7300, "Matkakulut", "Travel expenses"),
        _acc(7400, "Puhelin- ja tietoliikennekulut", "Telecommunication expenses"),
        _acc(7500, "Markkinointikulut", "Marketing expenses"),
        _acc(7600, "Toimistotarvikkeet", "Office supplies"),
        _acc(7700, "Pankkikulut", "Bank charges"),
        _acc(7800, "Vakuutukset", "Insurance"),
    ),
)


def accounts() -> list[Account]:
    """The chart of accounts in Netvisor's ``Sort`` order: groups before their members, keys from 1."""
    out: list[Account] = []

    def walk(node: _Node, father: int | None) -> None:
        position = len(out)
        account = Account(
            netvisor_key=position + 1,
            number=node.number if node.number is not None else 0,
            name=node.name,
            name_en=node.name_en,
            account_type="account" if node.number is not None else "accountgroup",
            father_key=father,
            is_active=True,
            is_cumulative=node.number is None,
            sort=position,
            end_sort=position,
            is_natural_negative=node.natural_negative,
        )
        out.append(account)
        for child in node.children:
            walk(child, account.netvisor_key)
        account.end_sort = len(out) - 1

    for root in _CHART:
        walk(root, None)
    return out


ACCOUNT_KEYS = {a.number: a.netvisor_key for a in accounts() if a.account_type == "account"}

#: (abbreviation, Finnish name, English name); keys are positions from 1.
_VOUCHER_TYPES = (
    ("SA", "Myyntilasku", "Sales Invoice"),
    ("PI", "Ostolasku", "Purchase Invoice"),
    ("SP", "Myyntilaskun suoritus", "Sales Payment"),
    ("PP", "Ostolaskun maksu", "Purchase Payment"),
    ("MU", "Muistiotosite", "Other"),
    ("TO", "Tiliote", "Bank Statement"),
)
SALES_INVOICE_TYPE, PURCHASE_INVOICE_TYPE, SALES_PAYMENT_TYPE, PURCHASE_PAYMENT_TYPE, OTHER_TYPE = 1, 2, 3, 4, 5


def voucher_types() -> list[VoucherType]:
    return [VoucherType(i + 1, abbr, fi, en) for i, (abbr, fi, en) in enumerate(_VOUCHER_TYPES)]


def voucher_class(type_key: int) -> str:
    """``VoucherClass`` as the English ledger writes it: abbreviation and name, e.g. ``SA Sales Invoice``."""
    abbr, _, en = _VOUCHER_TYPES[type_key - 1]
    return f"{abbr} {en}"


#: (dimension name, hidden, items as (name, code, father position or None, hidden)).
_DIMENSIONS = (
    (
        "Kustannuspaikka",
        False,
        (
            ("Hallinto", "100", None, False),
            ("Myynti", "200", None, False),
            ("Myynti Etelä-Suomi", "210", 1, False),
            ("Myynti Pohjois-Suomi", "220", 1, False),
            ("Tuotanto", "300", None, False),
            ("Tuotekehitys", "310", 4, False),
            ("Lakkautettu yksikkö", "900", None, True),
        ),
    ),
    (
        "Projekti",
        False,
        (
            ("Päärakennus", "P-100", None, False),
            ("Päärakennus, sähkötyöt", "P-110", 0, False),
            ("Sävelpolku", "P-200", None, False),
            ("Åbo-hanke", "P-300", None, False),
        ),
    ),
    ("Vanha seuranta", True, (("Käytöstä poistettu", "X", None, True),)),
)


def dimensions() -> list[Dimension]:
    """Cost centres and projects with hierarchical items; item keys are unique across dimensions."""
    out: list[Dimension] = []
    item_key = 100
    for position, (name, hidden, items) in enumerate(_DIMENSIONS):
        built: list[DimensionItem] = []
        for sort, (item_name, code, father, item_hidden) in enumerate(items):
            father_key = built[father].netvisor_key if father is not None else None
            level = 1 if father is None else built[father].level + 1
            built.append(
                DimensionItem(item_key, f"{code} {item_name}", code, item_hidden, level, sort, sort, father_key)
            )
            item_key += 1
        for item in reversed(built):  # a father's range ends where its last descendant's does
            if item.father_key is not None:
                father_item = next(b for b in built if b.netvisor_key == item.father_key)
                father_item.end_sort = max(father_item.end_sort, item.end_sort)
        out.append(Dimension(position + 1, name, hidden, built))
    return out


#: Visible dimension items lines may carry: (dimension name, item name).
COST_CENTRES = tuple(("Kustannuspaikka", i.name) for i in dimensions()[0].items if not i.is_hidden)
PROJECTS = tuple(("Projekti", i.name) for i in dimensions()[1].items if not i.is_hidden)


def payment_terms() -> list[PaymentTerm]:
    return [
        PaymentTerm(1, "14 päivää netto", 14, 0, Decimal("0"), True),
        PaymentTerm(2, "7 päivää netto", 7, 0, Decimal("0"), False),
        PaymentTerm(3, "30 päivää netto", 30, 0, Decimal("0"), False),
        PaymentTerm(4, "7 päivää -2 %, 21 päivää netto", 21, 7, Decimal("2"), False),
    ]


NET_DAYS = {t.netvisor_key: t.net_days for t in payment_terms()}


def accounting_periods(first: date, last: date) -> list[AccountingPeriod]:
    """Calendar fiscal years covering ``first`` .. ``last``, ascending, keys from 1."""
    return [
        AccountingPeriod(i + 1, f"Tilikausi {year}", date(year, 1, 1), date(year, 12, 31))
        for i, year in enumerate(range(first.year, last.year + 1))
    ]
