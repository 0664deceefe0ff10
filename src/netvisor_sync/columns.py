"""The declared column types of every warehouse table, derived from the parser's shapes and the catalog.

A table's columns are those of its list resource and, for detail-completed entries, its detail resource (the detail
declaration wins where both declare a column); a child table's columns are those of the child list in the resource
that carries the lines. Nested lists that are not tables of their own (line dimensions, contact persons, foreign
names) are declared as JSON text columns.
"""

from __future__ import annotations

from collections.abc import Mapping

from netvisor_sync.arrow import ColumnType
from netvisor_sync.catalog import ENTRIES, Entry
from netvisor_sync.parse.convert import ColumnKind
from netvisor_sync.parse.shapes import SHAPES, Shape

#: the company's business id: a column of every table and the first part of every key
ORGANISATION = "organisation_id"
#: the hard-delete marker of every table (dlt's ``hard_delete`` hint): true on rows that delete their key
HARD_DELETE = "_deleted"
_KINDS = {"text": "text", "int": "bigint", "date": "date", "timestamp": "timestamp", "bool": "bool"}


def column_type(kind: ColumnKind) -> ColumnType:
    """The warehouse type for a parser column kind (decimals keep their declared precision and scale)."""
    if kind.name == "decimal":
        return ColumnType("decimal", kind.precision or 38, kind.scale if kind.scale is not None else 9)
    return ColumnType(_KINDS.get(kind.name, "text"))  # type: ignore[arg-type]


def _shape_types(shape: Shape, tables: set[str]) -> dict[str, ColumnType]:
    types = {name: column_type(kind) for name, kind in shape.columns.items()}
    for name in shape.children:
        if name not in tables:
            types[name] = ColumnType("json")
    return types


def _table_shapes(entry: Entry) -> dict[str, tuple[list[Shape], set[str]]]:
    """``table -> (the shapes its columns come from, later ones winning; its child lists that are tables)``."""
    shapes = [SHAPES[entry.resource]] + ([SHAPES[entry.detail.resource]] if entry.detail else [])
    result = {entry.table: (shapes, {child.field for child in entry.children})}
    for child in entry.children:
        owner = next((s for s in reversed(shapes) if child.field in s.children), None)
        if owner is not None:
            result[child.table] = ([owner.children[child.field]], set())
    return result


def declared_types(entry: Entry) -> dict[str, dict[str, ColumnType]]:
    """``table -> column -> type`` for the entry's table and its child tables."""
    result: dict[str, dict[str, ColumnType]] = {}
    for table, (shapes, tables) in _table_shapes(entry).items():
        types = result[table] = {}
        for shape in shapes:
            types.update(_shape_types(shape, tables))
    return result


def nested_shapes(entry: Entry) -> dict[str, dict[str, Shape]]:
    """``table -> JSON column -> the shape of its items``: the nested lists stored as JSON text, per table."""
    return {
        table: {name: sub for shape in shapes for name, sub in shape.children.items() if name not in tables}
        for table, (shapes, tables) in _table_shapes(entry).items()
    }


def all_declared_types() -> Mapping[str, Mapping[str, ColumnType]]:
    """Every table's declared columns (for docs and tests)."""
    return {table: types for entry in ENTRIES for table, types in declared_types(entry).items()}
