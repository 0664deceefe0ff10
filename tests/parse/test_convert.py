"""Leaf converters: property tests render a value in every format Netvisor uses and parse it back equal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvisor_sync.parse import AMOUNT, DECIMAL, PERCENT, PRICE, ColumnKind
from netvisor_sync.parse.convert import to_bool, to_date, to_decimal, to_int, to_text, to_timestamp

BLANKS = [None, "", " ", "\n\t  ", "\r\n"]
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
datetimes = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=12, min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize("convert", [to_text, to_int, to_decimal, to_date, to_timestamp, to_bool])
@pytest.mark.parametrize("blank", BLANKS)
def test_empty_and_whitespace_are_none_for_every_kind(convert: object, blank: str | None) -> None:
    assert convert(blank) is None  # type: ignore[operator]


@given(decimals, st.sampled_from([",", "."]), st.sampled_from(["", " ", "\n  "]))
def test_decimal_round_trips_with_comma_or_dot(value: Decimal, separator: str, padding: str) -> None:
    text = padding + format(value, "f").replace(".", separator) + padding
    parsed = to_decimal(text)
    assert isinstance(parsed, Decimal)
    assert parsed == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123,45", Decimal("123.45")),
        ("-17,18", Decimal("-17.18")),
        ("244.12", Decimal("244.12")),
        ("1,960000000000", Decimal("1.960000000000")),
        ("+5", Decimal("5")),
        ("0,5478", Decimal("0.5478")),
        (",5", Decimal("0.5")),
        ("100", Decimal("100")),
    ],
)
def test_decimal_examples(text: str, expected: Decimal) -> None:
    assert to_decimal(text) == expected
    assert str(to_decimal(text)) == str(expected)  # the scale Netvisor sent is kept


@pytest.mark.parametrize(
    "garbage", ["1.234,56", "1 234,56", "12,3,4", "NaN", "Infinity", "1e5", "1_000", "abc", "-", "٣"]
)
def test_decimal_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError, match="not a decimal number"):
        to_decimal(garbage)


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["", " "]))
def test_int_round_trips(value: int, padding: str) -> None:
    assert to_int(f"{padding}{value}{padding}") == value
    assert to_int(f"+{abs(value)}") == abs(value)


@pytest.mark.parametrize("garbage", ["1_000", "12.0", "1,5", "٣", "²", "0x10", "+", "abc"])
def test_int_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        to_int(garbage)


def render_dates(value: date) -> list[str]:
    """Every spelling of a date Netvisor uses."""
    return [
        value.strftime("%Y-%m-%d"),  # format="ansi"
        f"{value.year:04d}-{value.month}-{value.day}",  # unpadded, getpurchaseorder's 2017-1-1
        f"{value.day}.{value.month}.{value.year:04d}",  # accountingledger VoucherDate
        f"{value.day:02d}.{value.month:02d}.{value.year:04d}",
        value.strftime("%Y-%m-%d") + " 00:00",
        value.strftime("%Y-%m-%d") + "T00:00:00",
    ]


@given(dates)
def test_date_round_trips_in_every_format(value: date) -> None:
    for text in render_dates(value):
        parsed = to_date(text)
        assert parsed == value, text
        assert type(parsed) is date


def render_timestamps(value: datetime) -> list[tuple[str, datetime]]:
    """Every spelling of a time Netvisor uses, with what it can represent."""
    minute = value.replace(second=0, microsecond=0)
    second = value.replace(microsecond=0)
    milli = value.replace(microsecond=value.microsecond // 1000 * 1000)
    return [
        (f"{value.day}.{value.month}.{value.year:04d} {value.hour}:{value.minute:02d}:{value.second:02d}", second),
        (second.strftime("%Y-%m-%d %H:%M"), minute),  # DeleteDate
        (second.strftime("%Y-%m-%dT%H:%M:%S"), second),
        (second.strftime("%Y-%m-%d %H:%M:%S"), second),
        (milli.strftime("%Y-%m-%d %H:%M:%S.") + f"{milli.microsecond // 1000:03d}", milli),
    ]


@given(datetimes)
def test_timestamp_round_trips_in_every_format(value: datetime) -> None:
    for text, expected in render_timestamps(value):
        parsed = to_timestamp(text)
        assert parsed == expected, text
        assert parsed is not None
        assert parsed.tzinfo is None


@given(dates)
def test_a_date_alone_is_midnight_as_a_timestamp(value: date) -> None:
    assert to_timestamp(f"{value.day}.{value.month}.{value.year:04d}") == datetime(value.year, value.month, value.day)


@pytest.mark.parametrize(
    "garbage",
    [
        "2024-13-01",
        "31.2.2024",
        "2024/01/01",
        "01-01-2024",
        "2024-01-01 25:00",
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00+02:00",
        "yesterday",
        "2024-1",
    ],
)
def test_date_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        to_timestamp(garbage)


def test_a_date_column_refuses_a_time_of_day() -> None:
    assert to_date("2024-01-31 00:00:00") == date(2024, 1, 31)
    with pytest.raises(ValueError, match="time of day"):
        to_date("2024-01-31 12:30")


@given(
    st.booleans(),
    st.sampled_from(["1/0", "true/false", "yes/no", "kyllä/ei"]),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_bool_round_trips_in_every_spelling(value: bool, spelling: str, case: object) -> None:
    true, false = spelling.split("/")
    assert to_bool(case(true if value else false)) is value  # type: ignore[operator]


@pytest.mark.parametrize("garbage", ["2", "maybe", "on", "-1"])
def test_bool_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        to_bool(garbage)


@given(st.text())
def test_text_is_kept_verbatim_unless_blank(value: str) -> None:
    assert to_text(value) == (value if value.strip() else None)


@pytest.mark.parametrize(
    ("kind", "value", "fits"),
    [
        (AMOUNT, Decimal("123.45"), True),
        (AMOUNT, Decimal("10.0000"), True),  # trailing zeros are not precision
        (AMOUNT, Decimal("0.5478"), False),
        (PRICE, Decimal("1.960000000000"), True),
        (PERCENT, Decimal("25.5"), True),
        (DECIMAL(4, 2), Decimal("123.4"), False),
        (AMOUNT, None, True),
    ],
)
def test_fits_tells_whether_a_value_needs_rounding(kind: ColumnKind, value: Decimal | None, fits: bool) -> None:
    assert kind.fits(value) is fits


def test_decimal_kind_refuses_impossible_scale() -> None:
    with pytest.raises(ValueError, match="invalid DECIMAL"):
        DECIMAL(2, 4)
