"""The Shape type: where one resource's records are in its XML, and their declared columns.

A :class:`Shape` is plain data: the element names of the records and of the lists around them, the fields
(``path -> (column, ColumnKind)``), the key, child lists (themselves shapes) and, for two resources, an exploded
child list or context columns. ``parse.shapes`` declares one per read resource; ``parse.records`` walks documents
with them. See ``parse.shapes`` for the path syntax and what other modules may rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from netvisor_sync.parse.convert import INT, ColumnKind

Fields = Mapping[str, tuple[str, ColumnKind]]
LINE_NUMBER: Final = "line_number"
_EMPTY: Final[Mapping[str, tuple[str, ColumnKind]]] = MappingProxyType({})


@dataclass(frozen=True)
class Shape:
    """Where one resource's records (or one child list's items) are, and their declared columns.

    Attributes:
        name: the resource name (top level) or the child list's key in its parent record (``lines``).
        records: element names of one record / list item (``SalesInvoice``).
        fields: ``path -> (column, kind)``; several paths may feed one column (spelling variants).
        key: the key columns.
        containers: element names of the lists around the records (``SalesInvoiceList``, ``SalesInvoices``); any
            nesting of them is accepted between ``Root`` (or ``at``) and the records.
        at: child lists only: the path from the parent record to where the containers/items start.
        children: the child lists, by name.
        explode: top level only: a child list whose items become the rows, each merged with its record's columns
            (``accountbalance``: one row per account and date); its columns are in ``columns``, it is not in
            ``children``.
        context: ``element name -> (column, kind)`` read outside the records and copied onto every row.
        description: what one row is.
        is_child: whether this is a child list (rows get ``line_number``).
        follows: a child list's ``at`` element may instead come right *after* its parent item, as a sibling; it then
            belongs to the item before it (getpurchaseinvoice ``version=1`` puts line dimensions there).
        container_fields: child lists only: ``path -> (column, kind)`` of the ``containers`` around the items,
            relative to a container; every item gets the values of the container it is in (getpurchaseorder's
            delivery group key on each of the group's lines).
        columns: derived: every declared column with its kind, in declaration order.
    """

    name: str
    records: tuple[str, ...]
    fields: Fields
    key: tuple[str, ...] = ("netvisor_key",)
    containers: tuple[str, ...] = ()
    at: str = ""
    children: Mapping[str, Shape] = field(default_factory=lambda: MappingProxyType({}))
    explode: Shape | None = None
    context: Fields = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    is_child: bool = False
    follows: bool = False
    container_fields: Fields = field(default_factory=lambda: MappingProxyType({}))
    columns: Mapping[str, ColumnKind] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        columns: dict[str, ColumnKind] = {LINE_NUMBER: INT} if self.is_child else {}
        declared = [*self.fields.values(), *self.container_fields.values(), *self.context.values()]
        if self.explode is not None:
            declared += [(name, kind) for name, kind in self.explode.columns.items() if name != LINE_NUMBER]
        for column, kind in declared:
            if columns.setdefault(column, kind) != kind:
                raise ValueError(f"{self.name}: column {column!r} declared with two kinds")
        missing = [column for column in self.key if column not in columns]
        if missing:
            raise ValueError(f"{self.name}: key columns {missing} are not declared")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "context", MappingProxyType(dict(self.context)))
        object.__setattr__(self, "container_fields", MappingProxyType(dict(self.container_fields)))
        object.__setattr__(self, "children", MappingProxyType(dict(self.children)))
        object.__setattr__(self, "columns", MappingProxyType(columns))


def child(
    name: str,
    records: Iterable[str],
    fields: Fields,
    *,
    at: str = "",
    containers: Iterable[str] = (),
    children: Iterable[Shape] = (),
    follows: bool = False,
    container_fields: Fields = _EMPTY,
) -> Shape:
    """Declare a child list (invoice lines, voucher lines, dimensions, ...) of a record."""
    return Shape(
        name=name,
        records=tuple(records),
        fields=fields,
        key=(LINE_NUMBER,),
        containers=tuple(containers),
        at=at,
        children={c.name: c for c in children},
        is_child=True,
        follows=follows,
        container_fields=container_fields,
    )


def top(
    name: str,
    containers: Iterable[str],
    records: Iterable[str],
    fields: Fields,
    *,
    description: str,
    children: Iterable[Shape] = (),
    key: tuple[str, ...] = ("netvisor_key",),
    explode: Shape | None = None,
    context: Fields = _EMPTY,
) -> Shape:
    """Declare a resource's records."""
    return Shape(
        name=name,
        records=tuple(records),
        fields=fields,
        key=key,
        containers=tuple(containers),
        children={c.name: c for c in children},
        explode=explode,
        context=context,
        description=description,
    )
