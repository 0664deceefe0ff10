"""A full sync of the emulator's ``small`` company lands exactly the columns docs/TABLES.md lists: no drift.

A column the parser does not declare still arrives (as path-named text), so a shape that misses an element the
emulator writes would show up here as an undocumented column (as the delivery group key of getpurchaseorder did).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netvisor_sync.emulator import Emulator

from .conftest import Syncer, Warehouse

pytestmark = pytest.mark.slow

TABLES_MD = Path(__file__).resolve().parents[2] / "docs" / "TABLES.md"
#: what every table has besides its listed columns (the reference's header says so)
SYSTEM_COLUMNS = {"_dlt_load_id", "_deleted"}


def documented_columns() -> dict[str, set[str]]:
    """``table -> columns`` from the ``## `table` `` sections of docs/TABLES.md."""
    tables: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in TABLES_MD.read_text(encoding="utf-8").splitlines():
        if heading := re.fullmatch(r"## `(\w+)`", line):
            current = tables.setdefault(heading.group(1), set())
        elif current is not None and (row := re.fullmatch(r"\| `(\w+)` \| [^|]+ \|", line)):
            current.add(row.group(1))
    return tables


def test_the_reference_documents_every_table() -> None:
    documented = documented_columns()
    assert len(documented) == 22
    assert {"organisation_id", "sales_invoice_key", "line_number", "delivery_group_netvisor_key"} <= documented[
        "sales_invoice_lines"
    ] | documented["purchase_order_lines"]


def test_a_full_sync_of_small_lands_no_undocumented_column(warehouse: Warehouse, tmp_path: Path) -> None:
    sync = Syncer(Emulator(profile="small", seed=1), warehouse, tmp_path / "pipelines")
    summary = sync()
    assert summary.ok, (summary.errors, summary.skipped)
    landed: dict[str, set[str]] = {}
    for column in warehouse.column_types():
        table, name = column.split(".")
        if not table.startswith("_dlt"):
            landed.setdefault(table, set()).add(name)
    documented = documented_columns()
    assert sorted(landed) == sorted(documented)
    drift = {table: sorted(names - documented[table] - SYSTEM_COLUMNS) for table, names in landed.items()}
    assert {table: names for table, names in drift.items() if names} == {}
    missing = {table: sorted(documented[table] - names) for table, names in landed.items()}
    assert {table: names for table, names in missing.items() if names} == {}
