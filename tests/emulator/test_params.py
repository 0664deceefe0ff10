"""Query parameters as the emulator reads them: types, bounds and Netvisor's INVALID_DATA for everything else."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from netvisor_sync.emulator.params import Params, check_range, one_of
from netvisor_sync.emulator.reply import Rejection


def invalid(call: object) -> Rejection:
    assert callable(call)
    with pytest.raises(Rejection) as caught:
        call()
    assert caught.value.code == "INVALID_DATA"
    return caught.value


def test_names_are_case_insensitive_and_empty_values_count_as_absent() -> None:
    params = Params({"NetvisorKeyList": "1, 2,,3", "ListType": ""})
    assert params.keys("netvisorkeylist") == [1, 2, 3]
    assert "listtype" not in params
    assert params.text("listtype") is None
    assert params.given() == {"netvisorkeylist"}


def test_moments_accept_dates_and_times_and_end_dates_cover_the_day() -> None:
    params = Params({"a": "2026-01-02", "b": "2026-01-02T03:04:05", "c": "2026-01-02T03:04", "d": "2.1.2026"})
    assert params.moment("a") == datetime(2026, 1, 2)
    assert params.moment("a", end=True) == datetime(2026, 1, 2, 23, 59, 59, 999999)
    assert params.moment("b", end=True) == datetime(2026, 1, 2, 3, 4, 5)
    assert params.moment("c") == datetime(2026, 1, 2, 3, 4)
    rejection = invalid(lambda: params.moment("d"))
    assert rejection.message_en == "Invalid value for parameter d: '2.1.2026'"
    assert rejection.message("FI") == "Virheellinen arvo parametrille d: '2.1.2026'"


def test_dates_keys_flags_and_choices() -> None:
    params = Params({"day": "2026-02-28", "bad": "2026-02-30", "n": "12", "x": "1.5", "f": "TRUE", "g": "yes"})
    assert params.day("day") == date(2026, 2, 28)
    invalid(lambda: params.day("bad"))
    assert params.integer("n") == 12
    invalid(lambda: params.integer("x"))
    invalid(lambda: params.keys("x"))
    assert params.flag("f") is True
    assert params.flag("missing") is False
    invalid(lambda: params.flag("g"))
    assert params.choice("f", {"true"}) == "true"
    invalid(lambda: params.choice("n", {"1", "2"}))
    invalid(lambda: params.required_integer("missing"))
    invalid(lambda: Params({"d": ","}).days("d"))


def test_limits_one_of_and_ranges() -> None:
    params = Params({"ids": ",".join(str(i) for i in range(11)), "codes": "a,b,c"})
    assert len(params.keys("ids", 11) or []) == 11
    assert "at most 10" in invalid(lambda: params.keys("ids", 10)).message_en
    invalid(lambda: params.words("codes", 2))
    assert one_of(params, "ids", "other") == "ids"
    invalid(lambda: one_of(params, "ids", "codes"))
    invalid(lambda: one_of(params, "other", "another"))
    check_range("a", None, "b", None)
    check_range("a", 1, "b", 2)
    invalid(lambda: check_range("a", 1, "b", None))
