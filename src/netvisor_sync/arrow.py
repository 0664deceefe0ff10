"""Records -> pyarrow tables with explicit types, and the matching dlt column hints.

The source yields Arrow tables rather than dicts, so nothing goes through dlt's row-by-row normalizer or DuckDB's
``insert_values`` path (dlt-notes R1: ~25x faster, flat memory). Every column gets an explicit type from the parser's
declared kinds: money is ``decimal128(precision, scale)``, dates ``date32``, Netvisor's local times naive
``timestamp[us]`` (stored without a time zone: Netvisor reports Finnish wall-clock time), flags ``bool``, keys and
counts ``int64``, everything else ``string``. A column the parser did not declare (schema drift) is typed from its
values; nested lists or mappings that are not tables of their own (line dimensions) become JSON text.

The parser's row dicts are read by pyarrow in one pass in C (as a struct array), not a Python list per column, and
columns the rows do not carry (organisation id, parent key, line position) are given as lists: the Arrow step costs
a quarter of what parsing the same rows does (``benchmarks.parse_speed``).

:func:`dlt_columns` gives the dlt hints for the same columns, one fresh dict per column (dlt-notes R3), so the
destination gets ``DECIMAL(p,s)``, ``DATE`` and ``BOOLEAN`` even for tables whose first batch is empty.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import orjson
import pyarrow as pa

Kind = Literal["text", "bigint", "decimal", "date", "timestamp", "bool", "json"]


@dataclass(frozen=True)
class ColumnType:
    """The warehouse type of one column."""

    kind: Kind
    precision: int = 18
    scale: int = 2

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self.kind] if self.kind != "decimal" else pa.decimal128(self.precision, self.scale)

    def hint(self, name: str) -> dict[str, Any]:
        """A new dlt column hint dict (never shared: dlt mutates hint dicts in place)."""
        data_type = "text" if self.kind == "json" else self.kind
        hint: dict[str, Any] = {"name": name, "data_type": data_type, "nullable": True}
        if self.kind == "decimal":
            hint.update(precision=self.precision, scale=self.scale)
        if self.kind == "timestamp":
            hint["timezone"] = False
        return hint


_ARROW: dict[str, pa.DataType] = {
    "text": pa.string(),
    "json": pa.string(),
    "bigint": pa.int64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
}

TEXT = ColumnType("text")
BIGINT = ColumnType("bigint")
BOOL = ColumnType("bool")


def infer_type(values: Iterable[Any]) -> ColumnType:  # noqa: PLR0911 - one return per Python type
    """The type of an undeclared column, from its first non-null value (drift arrives as text from the parser)."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int):
            return BIGINT
        if isinstance(value, Decimal):
            exponent = value.as_tuple().exponent
            return ColumnType("decimal", 38, max(-exponent, 0) if isinstance(exponent, int) else 9)
        if isinstance(value, datetime):
            return ColumnType("timestamp")
        if isinstance(value, date):
            return ColumnType("date")
        if isinstance(value, list | dict):
            return ColumnType("json")
        return TEXT
    return TEXT


def column_order(
    rows: Sequence[Mapping[str, Any]],
    declared: Mapping[str, ColumnType],
    *,
    complete: bool = False,
    given: Iterable[str] = (),
    skip: Collection[str] = (),
) -> list[str]:
    """Declared columns first (declaration order; all of them if ``complete``, else those present in ``rows`` or
    ``given``), then undeclared ones as first seen; never a ``skip`` name."""
    present: set[str] = set().union(*rows, given).difference(skip)  # one pass in C
    own = [name for name in declared if (complete or name in present) and name not in skip]
    extra = present.difference(declared)
    if not extra:  # the order of undeclared columns costs a pass in Python: only when there are some (drift)
        return own
    seen: dict[str, None] = dict.fromkeys(name for name in given if name in extra)
    for row in rows:
        seen.update((name, None) for name in row if name in extra)
        if len(seen) == len(extra):
            break
    return own + list(seen)


def to_table(
    rows: Sequence[Mapping[str, Any]],
    declared: Mapping[str, ColumnType],
    *,
    complete: bool = False,
    not_null: Iterable[str] = (),
    given: Mapping[str, Sequence[Any]] | None = None,
    skip: Collection[str] = (),
) -> tuple[pa.Table, dict[str, ColumnType]]:
    """Build one Arrow table from ``rows``; returns it with the type used for every column.

    ``not_null`` columns (keys) are declared non-nullable, as their dlt hints are.

    With ``complete`` every declared column is present (all null where no row has it), so the destination table gets
    its full declared shape from the first batch.

    ``given`` columns take their values from these sequences (one value per row, in row order) instead of from the
    rows, so a caller adding a column to rows it did not make (an organisation id, a parent key) need not copy them.
    ``skip`` names keys of the rows that are not columns (child lists loaded as tables of their own, excluded columns).

    Raises:
        ValueError: a ``given`` sequence is not as long as ``rows``.
    """
    given = given or {}
    for name, values in given.items():
        if len(values) != len(rows):
            raise ValueError(f"column {name!r}: {len(values)} values for {len(rows)} rows")
    names = column_order(rows, declared, complete=complete, given=given, skip=skip)
    types = {name: declared.get(name) or infer_type(_values(rows, given, name)) for name in names}
    arrays = _direct(rows, [name for name in names if name not in given and types[name].kind != "json"], types)
    for name in names:
        if name not in arrays:
            arrays[name] = _column(_values(rows, given, name), types[name])
    required = set(not_null)
    schema = pa.schema([pa.field(name, types[name].arrow, nullable=name not in required) for name in names])
    return pa.Table.from_arrays([arrays[name] for name in names], schema=schema), types


def _values(rows: Sequence[Mapping[str, Any]], given: Mapping[str, Sequence[Any]], name: str) -> list[Any]:
    values = given.get(name)
    return list(values) if values is not None else [row.get(name) for row in rows]


def _direct(
    rows: Sequence[Mapping[str, Any]], names: list[str], types: Mapping[str, ColumnType]
) -> dict[str, pa.Array]:
    """The columns whose values pyarrow takes as they are, read out of the row dicts in one pass in C.

    Reading the dicts in C is what makes this fast: a list per column costs a Python lookup per value. A value of
    another type than its column's (a number in a text column) makes pyarrow refuse the batch; then every column is
    built on its own (:func:`_column`).
    """
    if not names:
        return {}
    struct = pa.struct([pa.field(name, types[name].arrow) for name in names])
    try:
        return dict(zip(names, pa.array(rows, type=struct).flatten(), strict=True))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return {name: _column([row.get(name) for row in rows], types[name]) for name in names}


def _column(values: list[Any], column_type: ColumnType) -> pa.Array:
    """One column; JSON columns get their values' JSON text, text columns the text of non-text values."""
    if column_type.kind == "json":
        return pa.array([_json(value) for value in values], type=pa.string())
    if column_type.kind == "text":
        try:
            return pa.array(values, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return pa.array([_text(value) for value in values], type=pa.string())
    return pa.array(values, type=column_type.arrow)


class Coalescer:
    """Collects Arrow tables per destination table and hands them on in pieces of :data:`COALESCE_ROWS` rows or
    :data:`COALESCE_BYTES` bytes, whichever comes first.

    Use it between a producer of many small tables (a page or a detail batch each) and dlt: dlt works out a table's
    schema again for every Arrow item it is given (its contract cache does not cover Arrow), about as costly as
    building a small item, so fewer, bigger items halve the extract step's own time. Tables of one name are joined
    without copying (chunks); one whose columns cannot be joined (a drift column that came with another type) is
    handed on as it is.
    """

    def __init__(self, rows: int = 0, nbytes: int = 0) -> None:
        self.rows = rows or COALESCE_ROWS
        self.nbytes = nbytes or COALESCE_BYTES
        self._held: dict[str, list[pa.Table]] = {}
        self._size: dict[str, tuple[int, int]] = {}

    def add(self, name: str, table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
        """Hold ``table``; yields ``name``'s tables joined once they reach the size limit."""
        self._held.setdefault(name, []).append(table)
        rows, nbytes = self._size.get(name, (0, 0))
        rows, nbytes = rows + table.num_rows, nbytes + table.nbytes
        self._size[name] = (rows, nbytes)
        if rows >= self.rows or nbytes >= self.nbytes:
            yield from self._release(name)

    def flush(self) -> Iterator[tuple[str, pa.Table]]:
        """Everything still held, a joined table per name."""
        for name in list(self._held):
            yield from self._release(name)

    def _release(self, name: str) -> Iterator[tuple[str, pa.Table]]:
        tables = self._held.pop(name)
        del self._size[name]
        if len(tables) == 1:
            yield name, tables[0]
            return
        try:
            joined = pa.concat_tables(tables, promote_options="default")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            yield from ((name, table) for table in tables)
            return
        yield name, joined


#: rows and bytes of the Arrow items the source hands dlt (see :class:`Coalescer`): big enough that dlt's cost per
#: item is small next to the rows, small enough that every table of every resource may hold one at once
COALESCE_ROWS = 20_000
COALESCE_BYTES = 4 * 1024 * 1024


def dlt_columns(
    types: Mapping[str, ColumnType], extra: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """dlt column hints for ``types``, with ``extra`` hint keys (primary_key, hard_delete, ...) merged per column."""
    columns = {name: column_type.hint(name) for name, column_type in types.items()}
    for name, more in (extra or {}).items():
        columns.setdefault(name, {"name": name}).update(dict(more))
    return columns


#: compact JSON with sorted keys; values JSON has no type for (``Decimal``, ``datetime``) as their ``str()``
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
#: the same text for what orjson refuses (integers beyond 64 bits)
_JSON = json.JSONEncoder(default=str, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _json(value: Any) -> str | None:
    """JSON text of a nested value (line dimensions, contact persons); orjson is ten times faster than ``json``."""
    if value is None or isinstance(value, str):
        return value
    if not value and isinstance(value, list):
        return "[]"
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return _JSON.encode(value)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return _json(value)
    return str(value)
