"""Leaf converters: Netvisor's text values -> ``str``, ``int``, ``Decimal``, ``date``, ``datetime``, ``bool``.

Every converter takes the element text (or ``None``) and gives ``None`` for an absent, empty or whitespace-only
value, whatever the kind. Anything else that does not fit raises ``ValueError`` with the offending value; the record
engine wraps it in :class:`~netvisor_sync.errors.MalformedResponse` naming the element.

:class:`ColumnKind` is what a shape declares per column: the converter plus what a destination needs to create the
column (``data_type`` in dlt's vocabulary, and ``precision``/``scale`` for decimals). The named decimal kinds below are
the project's choices, sized to hold every value Netvisor documents without rounding:

==============  ============  ==================================================================
kind            (p, s)        used for
==============  ============  ==================================================================
AMOUNT          (18, 2)       document totals, open sums, payments, balances, credit limits
LINE_AMOUNT     (18, 6)       line sums and line VAT sums (Netvisor sends 4 decimals there), voucher line sums
PRICE           (24, 12)      unit and purchase prices (Netvisor sends 12 decimals: ``1,960000000000``)
QUANTITY        (18, 4)       quantities, inventory amounts, weights
PERCENT         (9, 4)        VAT, discount and commission percentages
RATE            (20, 10)      currency exchange rates
==============  ============  ==================================================================

Parsing never rounds: a value with more decimals than its kind's scale is kept exact, and :meth:`ColumnKind.fits`
lets a loader check before it writes into a fixed-scale column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

_DATETIME = re.compile(
    r"(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})\.(\d{1,2})\.(\d{4}))"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?",
    re.ASCII,
)
_BOOLEANS: Final = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "kyllä": True,
    "ei": False,
}
_MIDNIGHT: Final = (0, 0, 0, 0)


def to_text(text: str | None) -> str | None:
    """Text as Netvisor sent it; only an empty or whitespace-only value becomes ``None``."""
    if not text or text.isspace():
        return None
    return text


def to_int(text: str | None) -> int | None:
    """ASCII digits with an optional sign (``int()`` alone would also take ``1_000`` and Arabic-Indic digits)."""
    if text is None:
        return None
    if text.isdigit() and text.isascii():
        return int(text)
    value = text.strip()
    if not value:
        return None
    digits = value[1:] if value[0] in "+-" else value
    if digits.isascii() and digits.isdigit():
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def to_decimal(text: str | None) -> Decimal | None:
    """``123,45`` or ``123.45`` (Netvisor uses both, never a thousands separator) -> ``Decimal``, never float."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    number = value.replace(",", ".")
    unsigned = number[1:] if number[0] in "+-" else number
    # String tests instead of a regex: this runs for every new amount. Digits with at most one point, at least one
    # digit: ``Decimal()`` alone would also take ``1_000``, ``1e5``, ``NaN`` and non-ASCII digits.
    digits = unsigned.replace(".", "", 1)
    if digits.isdigit() and digits.isascii():
        return Decimal(number)
    raise ValueError(f"not a decimal number: {value!r} (expected digits with a comma or dot as decimal separator)")


@lru_cache(maxsize=16384)
def _moment(value: str) -> tuple[date, tuple[int, int, int, int] | None]:
    # Cached: a page of vouchers repeats a handful of dates thousands of times.
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(
            f"not a Netvisor date or time: {value!r} (expected yyyy-MM-dd, d.M.yyyy, optionally with H:mm[:ss])"
        )
    year, month, day, fday, fmonth, fyear, hour, minute, second, fraction = match.groups()
    if year is None:
        year, month, day = fyear, fmonth, fday
    try:
        day_value = date(int(year), int(month), int(day))
    except ValueError as error:
        raise ValueError(f"not a valid date: {value!r} ({error})") from None
    if hour is None:
        return day_value, None
    micro = int((fraction or "0").ljust(6, "0"))
    clock = (int(hour), int(minute), int(second or 0), micro)
    if clock[0] > 23 or clock[1] > 59 or clock[2] > 59:
        raise ValueError(f"not a valid time of day: {value!r}")
    return day_value, clock


def to_date(text: str | None) -> date | None:
    """``2024-01-31``, ``2017-1-1``, ``31.1.2024`` -> ``date``. A time part is accepted only if it is midnight."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    day, clock = _moment(value)
    if clock is not None and clock != _MIDNIGHT:
        raise ValueError(f"expected a date but got a time of day too: {value!r}")
    return day


def to_timestamp(text: str | None) -> datetime | None:
    """``7.10.2021 14:24:42``, ``2022-06-08 15:14``, ``2024-01-31T08:00:00`` -> naive ``datetime`` (Finnish time).

    A date without a time is midnight. Offsets and ``Z`` are refused: Netvisor reports wall-clock time.
    """
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    day, clock = _moment(value)
    hour, minute, second, micro = clock or _MIDNIGHT
    return datetime(day.year, day.month, day.day, hour, minute, second, micro)


def to_bool(text: str | None) -> bool | None:
    """``1/0``, ``true/false``, ``yes/no``, ``kyllä/ei`` in any letter case -> ``bool``."""
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise ValueError(f"not a boolean: {value!r} (expected 1/0, true/false, yes/no or kyllä/ei)") from None


@dataclass(frozen=True, slots=True)
class ColumnKind:
    """The declared type of one column.

    Attributes:
        name: ``text``, ``int``, ``decimal``, ``date``, ``timestamp`` or ``bool``.
        data_type: the matching dlt data type (``text``, ``bigint``, ``decimal``, ``date``, ``timestamp``, ``bool``).
        precision: total digits, for decimals only.
        scale: digits after the point, for decimals only.
        convert: text (or ``None``) -> typed value (or ``None``); raises ``ValueError`` on garbage.
    """

    name: str
    data_type: str
    convert: Callable[[str | None], Any] = field(repr=False, compare=False)
    precision: int | None = None
    scale: int | None = None

    def fits(self, value: object) -> bool:
        """Whether a parsed value can be stored in this column without rounding or overflow."""
        if value is None or self.name != "decimal" or not isinstance(value, Decimal):
            return True
        precision, scale = self.precision or 0, self.scale or 0
        _, digits, exponent = value.normalize().as_tuple()
        if not isinstance(exponent, int):
            return False  # NaN or infinity: no decimal column holds them
        decimals = max(0, -exponent)
        whole = max(0, len(digits) + exponent)
        return decimals <= scale and whole <= precision - scale


def DECIMAL(precision: int, scale: int) -> ColumnKind:
    """A decimal column kind ``DECIMAL(precision, scale)``."""
    if not 0 <= scale <= precision:
        raise ValueError(f"invalid DECIMAL({precision}, {scale})")
    return ColumnKind("decimal", "decimal", to_decimal, precision, scale)


TEXT: Final = ColumnKind("text", "text", to_text)
INT: Final = ColumnKind("int", "bigint", to_int)
DATE: Final = ColumnKind("date", "date", to_date)
TIMESTAMP: Final = ColumnKind("timestamp", "timestamp", to_timestamp)
BOOL: Final = ColumnKind("bool", "bool", to_bool)
AMOUNT: Final = DECIMAL(18, 2)
LINE_AMOUNT: Final = DECIMAL(18, 6)
PRICE: Final = DECIMAL(24, 12)
QUANTITY: Final = DECIMAL(18, 4)
PERCENT: Final = DECIMAL(9, 4)
RATE: Final = DECIMAL(20, 10)
