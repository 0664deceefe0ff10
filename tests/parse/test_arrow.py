"""Records -> Arrow: declared types, drift, given and skipped columns, and values pyarrow will not take as they are."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from netvisor_sync.arrow import BIGINT, BOOL, TEXT, Coalescer, ColumnType, to_table

DECLARED = {
    "organisation_id": TEXT,
    "netvisor_key": BIGINT,
    "amount": ColumnType("decimal", 18, 2),
    "day": ColumnType("date"),
    "dimensions": ColumnType("json"),
    "_deleted": BOOL,
}


def test_declared_types_and_complete_columns() -> None:
    rows = [{"netvisor_key": 1, "amount": Decimal("1.50"), "day": date(2025, 1, 2)}]
    table, types = to_table(rows, DECLARED, complete=True, not_null=["netvisor_key"])
    assert table.column_names == list(DECLARED)
    assert table.schema.field("amount").type == pa.decimal128(18, 2)
    assert not table.schema.field("netvisor_key").nullable
    assert table.to_pylist() == [
        {
            "organisation_id": None,
            "netvisor_key": 1,
            "amount": Decimal("1.50"),
            "day": date(2025, 1, 2),
            "dimensions": None,
            "_deleted": None,
        }
    ]
    assert types["amount"] == ColumnType("decimal", 18, 2)


def test_without_complete_only_present_columns_in_declared_order_then_drift_as_first_seen() -> None:
    rows = [{"zeta": "z", "netvisor_key": 1}, {"alpha": "a", "zeta": "y", "amount": Decimal(2)}]
    table, types = to_table(rows, DECLARED)
    assert table.column_names == ["netvisor_key", "amount", "zeta", "alpha"]
    assert types["zeta"] == TEXT
    assert table.column("alpha").to_pylist() == [None, "a"]


def test_given_columns_and_skipped_keys() -> None:
    rows = [{"netvisor_key": 1, "lines": [{"a": 1}]}, {"netvisor_key": 2, "lines": []}]
    given = {"organisation_id": ["org", "org"], "parent_key": [10, 20]}
    table, types = to_table(rows, DECLARED, given=given, skip={"lines"})
    assert table.column_names == ["organisation_id", "netvisor_key", "parent_key"]
    assert table.column("parent_key").to_pylist() == [10, 20]
    assert types["parent_key"] == BIGINT
    assert table.column("organisation_id").to_pylist() == ["org", "org"]


def test_a_given_column_wins_over_the_rows_value() -> None:
    table, _ = to_table([{"netvisor_key": 1}], DECLARED, given={"netvisor_key": [7]})
    assert table.column("netvisor_key").to_pylist() == [7]


def test_a_given_column_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="'organisation_id': 1 values for 2 rows"):
        to_table([{}, {}], DECLARED, given={"organisation_id": ["org"]})


def test_values_of_another_type_in_text_columns_become_text() -> None:
    rows = [{"organisation_id": 5, "note": "x"}, {"organisation_id": "o", "note": Decimal("1.5")}]
    table, types = to_table(rows, {"organisation_id": TEXT, "note": TEXT})
    assert table.to_pylist() == [{"organisation_id": "5", "note": "x"}, {"organisation_id": "o", "note": "1.5"}]
    assert types == {"organisation_id": TEXT, "note": TEXT}


def test_nested_lists_become_sorted_json_text() -> None:
    rows = [{"dimensions": [{"name": "Projekti", "item": "P-300 Åbo", "amount": Decimal("1.0")}]}, {}]
    table, _ = to_table(rows, DECLARED)
    assert table.column("dimensions").to_pylist() == [
        '[{"amount":"1.0","item":"P-300 Åbo","name":"Projekti"}]',
        None,
    ]


def test_json_text_is_the_same_for_values_orjson_refuses() -> None:
    rows = [{"dimensions": [{"key": 2**70, "at": datetime(2026, 1, 2, 3, 4, 5)}]}, {"dimensions": []}]
    table, _ = to_table(rows, DECLARED)
    assert table.column("dimensions").to_pylist() == [f'[{{"at":"2026-01-02 03:04:05","key":{2**70}}}]', "[]"]


def test_a_decimal_finer_than_its_column_is_refused_not_rounded() -> None:
    with pytest.raises(pa.ArrowInvalid):
        to_table([{"amount": Decimal("1.005")}], DECLARED)


def test_no_rows() -> None:
    table, _ = to_table([], DECLARED, complete=True)
    assert table.num_rows == 0
    assert table.column_names == list(DECLARED)


def _table(**columns: list[object]) -> pa.Table:
    return pa.table(columns)


def test_small_tables_are_handed_on_joined_once_they_reach_the_limit() -> None:
    coalescer = Coalescer(rows=5)
    out = [list(coalescer.add("lines", _table(a=[i, i + 1]))) for i in range(0, 8, 2)]
    assert [len(step) for step in out] == [0, 0, 1, 0]  # 2, 4, then 6 rows: handed on
    [(name, joined)] = out[2]
    assert (name, joined.column("a").to_pylist()) == ("lines", [0, 1, 2, 3, 4, 5])
    [(_, rest)] = coalescer.flush()
    assert rest.column("a").to_pylist() == [6, 7]
    assert list(coalescer.flush()) == []


def test_each_table_name_is_held_on_its_own_and_a_byte_limit_counts_too() -> None:
    coalescer = Coalescer(rows=1000, nbytes=64)
    assert list(coalescer.add("vouchers", _table(k=[1]))) == []
    [(name, big)] = coalescer.add("voucher_lines", _table(k=list(range(10))))  # 80 bytes: over the byte limit
    assert (name, big.num_rows) == ("voucher_lines", 10)
    assert [(n, t.num_rows) for n, t in coalescer.flush()] == [("vouchers", 1)]


def test_a_drift_column_joins_as_nulls_and_a_conflicting_one_is_handed_on_apart() -> None:
    coalescer = Coalescer(rows=100)
    list(coalescer.add("t", _table(a=[1])))
    list(coalescer.add("t", _table(a=[2], new=["x"])))
    [(_, joined)] = coalescer.flush()
    assert joined.to_pylist() == [{"a": 1, "new": None}, {"a": 2, "new": "x"}]

    list(coalescer.add("t", _table(a=[1], new=["x"])))
    list(coalescer.add("t", _table(a=[2], new=[5])))
    apart = list(coalescer.flush())
    assert [t.to_pylist() for _, t in apart] == [[{"a": 1, "new": "x"}], [{"a": 2, "new": 5}]]
