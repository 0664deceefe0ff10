"""Warehouses for tests that load data: a DuckDB file or a fresh Postgres schema, with the SQL their checks need.

Shared by ``tests/sync``, ``tests/reliability`` and ``tests/verify`` (``from ..warehouse import Warehouse``).

PostgreSQL is the real server on 127.0.0.1:5432. A developer machine without it skips the Postgres tests with the
reason. Where the server must be there, ``NETVISOR_SYNC_REQUIRE_POSTGRES=1`` (``.ci/run`` exports it) turns that skip
into a failure, so a CI run whose server did not start cannot pass with the Postgres half of the suite unrun.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NoReturn

import dlt
import duckdb
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from netvisor_sync.catalog import ENTRIES

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATASET = "netvisor_data"
#: set to 1 where the Postgres server must be reachable (CI): its absence then fails the tests instead of skipping
REQUIRE_POSTGRES = "NETVISOR_SYNC_REQUIRE_POSTGRES"

#: (line table, parent key column, parent table) for every child table of the catalog
CHILDREN = [(child.table, child.parent_key, entry.table) for entry in ENTRIES for child in entry.children]

#: information_schema data types -> the kinds of ``netvisor_sync.arrow.ColumnType`` (decimals: see ``kinds``)
_KINDS = {
    "VARCHAR": "text",
    "CHARACTER VARYING": "text",
    "TEXT": "text",
    "BIGINT": "bigint",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


@dataclass
class Warehouse:
    """A DuckDB file or a Postgres schema, and SQL over it (``{ds}`` in a query is the dataset)."""

    destination: str
    dataset: str = DATASET
    kind: str = "duckdb"
    _connect: Callable[[], Any] = field(default=lambda: None, repr=False)

    def column_name(self, name: str) -> str:
        """The name dlt gives column ``name`` here: longer names than the destination takes (Postgres: 63) are
        shortened with a hash."""
        destination = dlt.destinations.duckdb() if self.kind == "duckdb" else dlt.destinations.postgres()
        length = destination.capabilities().max_column_identifier_length
        return str(NamingConvention(max_length=length).normalize_identifier(name))

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.replace("{ds}", self.dataset)
        if self.kind == "duckdb":
            with duckdb.connect(self.destination, read_only=True) as con:
                return con.execute(sql, list(params)).fetchall()
        con = self._connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params)
                return list(cur.fetchall())
        finally:
            con.close()

    def execute(self, *statements: str) -> None:
        """Run statements that change the warehouse (tests that damage it on purpose), committed together."""
        if self.kind == "duckdb":
            with duckdb.connect(self.destination) as con:
                for sql in statements:
                    con.execute(sql.replace("{ds}", self.dataset))
            return
        con = self._connect()
        try:
            with con.cursor() as cur:
                for sql in statements:
                    cur.execute(sql.replace("{ds}", self.dataset))
            con.commit()
        finally:
            con.close()

    def count(self, table: str) -> int:
        return int(self.query(f"select count(*) from {{ds}}.{table}")[0][0])

    def column_types(self) -> dict[str, str]:
        """``table.column -> DECIMAL(p,s) | DATE | BOOLEAN | BIGINT | ...`` in one spelling for both databases."""
        rows = self.query(
            "select table_name, column_name, upper(data_type), numeric_precision, numeric_scale "
            "from information_schema.columns where table_schema = ?",
            self.dataset,
        )
        types = {}
        for table, column, data_type, precision, scale in rows:
            decimal = data_type in {"NUMERIC", "DECIMAL"} or data_type.startswith("DECIMAL(")
            types[f"{table}.{column}"] = f"DECIMAL({precision},{scale})" if decimal else data_type
        return types

    def kinds(self) -> dict[str, dict[str, str]]:
        """Data tables (not dlt's own) -> column -> ``text | bigint | bool | date | timestamp | decimal(p,s)``.

        The spelling of ``ColumnType`` kinds (``json`` columns are text in the warehouse), the same on both databases;
        a type outside those keeps the database's own name, so a comparison shows it.
        """
        result: dict[str, dict[str, str]] = {}
        for name, data_type in self.column_types().items():
            table, column = name.split(".", 1)
            if table.startswith("_dlt"):
                continue
            if data_type.startswith("DECIMAL("):
                kind = data_type.lower().replace(" ", "")
            else:
                kind = _KINDS.get(data_type, data_type)
            result.setdefault(table, {})[column] = kind
        return result

    def columns(self) -> dict[str, list[str]]:
        """Data tables (not dlt's own) and their columns."""
        rows = self.query(
            "select table_name, column_name from information_schema.columns where table_schema = ? "
            "order by table_name, column_name",
            self.dataset,
        )
        tables: dict[str, list[str]] = {}
        for table, column in rows:
            if not table.startswith("_dlt"):
                tables.setdefault(table, []).append(column)
        return tables

    def snapshot(self, only: Mapping[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
        """Every data table's rows (``only`` these columns, default all but dlt's bookkeeping), sorted."""
        result = {}
        for table, columns in (only or self.columns()).items():
            keep = [c for c in columns if not c.startswith("_dlt")]
            quoted = ", ".join(f'"{c}"' for c in keep)
            rows = self.query(f'select {quoted} from {{ds}}."{table}"')
            result[table] = sorted(rows, key=repr)
        return result

    def duplicates(self) -> dict[str, int]:
        """Per table: rows minus distinct keys (keys: organisation + entity key, or parent key + position)."""
        found = {}
        keys: dict[str, str] = {entry.table: ", ".join(("organisation_id", *entry.key)) for entry in ENTRIES}
        keys.update({child: f"organisation_id, {parent_key}, line_number" for child, parent_key, _ in CHILDREN})
        present = self.columns()
        for table, key in keys.items():
            if table not in present:
                continue
            total, distinct = self.query(f"select count(*), count(distinct ({key})) from {{ds}}.{table}")[0]
            if total != distinct:
                found[table] = int(total) - int(distinct)
        return found

    def orphans(self) -> dict[str, int]:
        """Per line table: lines whose parent row is missing."""
        found = {}
        present = self.columns()
        for child, parent_key, parent in CHILDREN:
            if child not in present:
                continue
            if parent not in present:
                found[child] = int(self.query(f"select count(*) from {{ds}}.{child}")[0][0])
                continue
            (count,) = self.query(
                f"select count(*) from {{ds}}.{child} c where not exists (select 1 from {{ds}}.{parent} p "
                f"where p.organisation_id = c.organisation_id and p.netvisor_key = c.{parent_key})"
            )[0]
            if count:
                found[child] = int(count)
        return found


def postgres_required() -> bool:
    """Whether this run must have the Postgres server (``NETVISOR_SYNC_REQUIRE_POSTGRES`` is set and not 0)."""
    return os.environ.get(REQUIRE_POSTGRES, "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(reason: str) -> NoReturn:
    if postgres_required():
        pytest.fail(
            f"{reason}; {REQUIRE_POSTGRES} is set, so this run must test against it (.ci/run starts the server with "
            f"pg_ctlcluster; check that it is installed and running, or unset {REQUIRE_POSTGRES} to skip)",
            pytrace=False,
        )
    pytest.skip(reason)


def postgres() -> ModuleType:
    """``psycopg2`` once the server answers; otherwise skip (or fail, see :data:`REQUIRE_POSTGRES`)."""
    try:
        import psycopg2
    except ImportError as error:
        _unavailable(f"psycopg2 is not installed: {error}")
    try:
        psycopg2.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        _unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}: {str(error).strip()}")
    return psycopg2


def drop_schemas(dataset: str) -> None:
    """Drop a dataset and dlt's staging schema beside it."""
    psycopg2 = postgres()
    con = psycopg2.connect(POSTGRES_URL)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            for schema in (dataset, f"{dataset}_staging"):
                cur.execute(f'drop schema if exists "{schema}" cascade')
    finally:
        con.close()


def postgres_warehouse(prefix: str = "nv_test") -> Iterator[Warehouse]:
    """A fresh Postgres schema ``<prefix>_<random>`` (see :func:`postgres`), dropped with its staging schema after."""
    psycopg2 = postgres()
    dataset = f"{prefix}_{uuid.uuid4().hex[:10]}"
    yield Warehouse(POSTGRES_URL, dataset, "postgres", lambda: psycopg2.connect(POSTGRES_URL))
    drop_schemas(dataset)
