"""Netvisor XML -> typed records: bytes -> envelope (OK | typed error) -> flat dicts. The only lxml importer.

Modules, in the order data flows through them:

* ``xml`` - the hardened parser: refuses DTDs/entities (``UnsafeXML``), maps every parser failure to
  ``MalformedResponse`` with the HTTP status and a short escaped excerpt. ``check_well_formed`` checks a whole body
  without building anything (before records are streamed out of a big answer).
* ``envelope`` - ``read_status``: OK, or the typed ``NetvisorError`` for ``FAILED`` / ``CODE :: message``; reads
  no further than ``ResponseStatus``, so the transport calls it on every response. ``read_timestamp``: the
  server's ``ResponseStatus/TimeStamp`` as a naive datetime, read as cheaply (the sync's cursor).
* ``convert`` - leaf converters (decimal comma or dot -> ``Decimal``, every Netvisor date format, booleans in
  several spellings, empty -> ``None``) and the column kinds (``TEXT``, ``INT``, ``DECIMAL(p, s)``, ...).
* ``shape`` / ``shapes`` - the ``Shape`` type and ``SHAPES``, one declaration per read resource.
* ``plan`` - a shape compiled into a case-insensitive lookup trie (once per shape).
* ``records`` - the generic streaming engine: ``iter_records`` and ``parse_response``.

Introspection for schema builders: ``SHAPES[name].columns`` is ``{column: ColumnKind}`` (``kind.data_type``,
``kind.precision``, ``kind.scale``), ``.key`` the key columns, ``.children`` the child lists (each a ``Shape`` whose
rows carry ``line_number``), ``.explode`` the child whose items became rows (``accountbalance``).
Errors are the classes of ``netvisor_sync.errors`` (its docstring draws the tree).
"""

from __future__ import annotations

from netvisor_sync.parse.convert import (
    AMOUNT,
    BOOL,
    DATE,
    DECIMAL,
    INT,
    LINE_AMOUNT,
    PERCENT,
    PRICE,
    QUANTITY,
    RATE,
    TEXT,
    TIMESTAMP,
    ColumnKind,
)
from netvisor_sync.parse.envelope import read_status, read_timestamp
from netvisor_sync.parse.plan import Record
from netvisor_sync.parse.records import iter_records, parse_response, shape_for
from netvisor_sync.parse.shape import LINE_NUMBER, Shape
from netvisor_sync.parse.shapes import SHAPES
from netvisor_sync.parse.xml import check_well_formed

__all__ = [
    "AMOUNT",
    "BOOL",
    "DATE",
    "DECIMAL",
    "INT",
    "LINE_AMOUNT",
    "LINE_NUMBER",
    "PERCENT",
    "PRICE",
    "QUANTITY",
    "RATE",
    "SHAPES",
    "TEXT",
    "TIMESTAMP",
    "ColumnKind",
    "Record",
    "Shape",
    "check_well_formed",
    "iter_records",
    "parse_response",
    "read_status",
    "read_timestamp",
    "shape_for",
]
