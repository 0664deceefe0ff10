"""The record engine's shortcuts give exactly what the converters give: memoized values, the inlined integer path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvisor_sync import errors
from netvisor_sync.parse import parse_response
from netvisor_sync.parse.convert import to_date, to_decimal, to_int
from netvisor_sync.parse.plan import MEMO_LIMIT, MEMO_TEXT, NO_MEMO, memo_for, remember

HEAD = "<Root><ResponseStatus><Status>OK</Status><TimeStamp>1.1.2025 12:00:00</TimeStamp></ResponseStatus>"


def ledger(*lines: tuple[str, str, str]) -> bytes:
    """An accountingledger answer with one voucher whose lines carry (key, sum, account) texts."""
    body = "".join(
        f"<VoucherLine><NetvisorKey>{key}</NetvisorKey><LineSum>{amount}</LineSum>"
        f"<AccountNumber>{account}</AccountNumber></VoucherLine>"
        for key, amount, account in lines
    )
    voucher = f"<Voucher><NetvisorKey>1</NetvisorKey><VoucherDate>1.3.2025</VoucherDate>{body}</Voucher>"
    return f"{HEAD}<Vouchers>{voucher}</Vouchers></Root>".encode()


def test_repeated_texts_give_the_converters_values() -> None:
    (voucher,) = parse_response("accountingledger", ledger(("1", "12,50", "3000"), ("2", "12,50", "3000")))
    first, second = voucher["lines"]
    assert first["line_sum"] == second["line_sum"] == Decimal("12.50")
    assert str(second["line_sum"]) == "12.50"  # the declared scale's digits survive the memo
    assert voucher["voucher_date"] == date(2025, 3, 1)
    assert (first["account_number"], second["netvisor_key"]) == (3000, 2)


def test_a_bad_value_is_refused_even_after_good_ones_were_memoized() -> None:
    good = ("1", "12,50", "3000")
    with pytest.raises(errors.MalformedResponse, match=r"LineSum cannot be read: not a decimal number: '1e5'"):
        parse_response("accountingledger", ledger(good, ("2", "1e5", "3000")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0042", 42), (" 7 ", 7), ("+5", 5), ("-3", -3), ("", None), ("  ", None)],
)
def test_integers_off_the_fast_path_go_through_to_int(text: str, expected: int | None) -> None:
    (voucher,) = parse_response("accountingledger", ledger(("1", "1", text)))
    assert voucher["lines"][0]["account_number"] == expected


@pytest.mark.parametrize("text", ["١٢", "1_000", "²", "1" * 5000])
def test_integers_the_fast_path_must_not_take_are_refused(text: str) -> None:
    with pytest.raises(errors.MalformedResponse, match="AccountNumber cannot be read"):
        parse_response("accountingledger", ledger(("1", "1", text)))


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=2), min_size=1, max_size=20))
def test_memoized_amounts_equal_fresh_conversions(amounts: list[Decimal]) -> None:
    texts = [str(amount).replace(".", ",") for amount in amounts]
    lines = [(str(number), text, "3000") for number, text in enumerate(texts * 2, start=1)]
    (voucher,) = parse_response("accountingledger", ledger(*lines))
    got = [line["line_sum"] for line in voucher["lines"]]
    assert got == [to_decimal(text) for text in texts * 2]
    assert [str(value) for value in got] == [str(to_decimal(text)) for text in texts * 2]


def test_the_memo_is_bounded_and_keeps_only_short_texts() -> None:
    memo: dict[str, object] = {}
    for number in range(MEMO_LIMIT + 10):
        remember(memo, f"x{number}", number)
    assert len(memo) <= MEMO_LIMIT
    remember(memo, "9" * (MEMO_TEXT + 1), 1)
    assert "9" * (MEMO_TEXT + 1) not in memo


def test_only_pure_converters_are_memoized() -> None:
    assert memo_for(to_int) is NO_MEMO
    remember(NO_MEMO, "1", 1)
    assert not NO_MEMO
    assert memo_for(to_decimal) is not memo_for(to_date)
