"""Records -> Arrow: declared types, drift, given and skipped columns, and values pyarrow will not take as they are."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from netvisor_sync.arrow import BIGINT, BOOL, TEXT, ColumnType, to_table

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
        '[{"amount": "1.0", "item": "P-300 Åbo", "name": "Projekti"}]',
        None,
    ]


def test_a_decimal_finer_than_its_column_is_refused_not_rounded() -> None:
    with pytest.raises(pa.ArrowInvalid):
        to_table([{"amount": Decimal("1.005")}], DECLARED)


def test_no_rows() -> None:
    table, _ = to_table([], DECLARED, complete=True)
    assert table.num_rows == 0
    assert table.column_names == list(DECLARED)
