"""A Shape compiled for the record engine: a trie keyed by lowercase element name, and the row templates.

Compiling once per shape is what lets ``parse.records`` look each element up with one dict access: every trie node
caches the spellings it has met (``Netvisorkey`` and ``NetvisorKey`` map to the same node) so no tag is lowered
twice. Typed leaves also carry their converter's memo (:func:`memo_for`), so a date or an amount seen before costs
one dict lookup instead of a conversion, and integer leaves are marked so the walk can take ``to_int``'s fast path
without a call. Also home of ``snake``, which names undeclared elements and attributes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final

from netvisor_sync.parse.convert import to_bool, to_date, to_decimal, to_int, to_text, to_timestamp
from netvisor_sync.parse.shape import LINE_NUMBER, Shape

Record = dict[str, Any]
Converter = Callable[[str | None], Any]
#: a converter's results by text (``None`` keys are never stored: looking them up just misses)
Memo = dict[str | None, Any]

TEXT_LEAF: Final = 0  # kinds are ordered, leaves first and TEXT_LEAF falsy: the hot loop relies on both
INT_LEAF: Final = 1
LEAF: Final = 2  # any other typed leaf: converted through the memo of its converter
GROUP: Final = 3
LIST: Final = 4
ADOPT: Final = 5  # a group that belongs to the previous item of a child list (see Shape.follows)
SKIP: Final = 6
RAW_CACHE_LIMIT: Final = 1024
#: entries a converter's memo holds before it starts over, and the longest text it keeps (bounded memory on any body)
MEMO_LIMIT: Final = 8192
MEMO_TEXT: Final = 48
QUALIFIERS: Final = frozenset(
    {("format", "ansi"), ("type", "ansi"), ("type", "iso-3166"), ("type", "iso-4217"), ("type", "iso-639-1")}
)
_CAMEL_1 = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


@lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """``VoucherNetvisorURI`` -> ``voucher_netvisor_uri``; ``ISO-3166`` -> ``iso_3166``."""
    name = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", name))
    return _NON_WORD.sub("_", name).strip("_").lower()


def join(prefix: str, name: str) -> str:
    """Join two snake_case name parts."""
    return f"{prefix}_{name}" if prefix else name


#: the converters whose results are memoized: they return immutable values (``Decimal``, ``date``, ...)
_MEMOS: dict[Converter, Memo] = {to_decimal: {}, to_date: {}, to_timestamp: {}, to_bool: {}}
#: the memo of every other converter: never written, so it always misses
NO_MEMO: Final[Memo] = {}


def memo_for(convert: Converter) -> Memo:
    """The memo of a converter's results, shared by every plan (:data:`NO_MEMO` for a converter not known to be pure).

    Dates, amounts, VAT rates and prices repeat across the rows of a page (the ``small`` emulator company's answers
    hold 400 distinct dates in 32,000 and 10,000 distinct amounts in 124,000), and a dict hit costs a fraction of a
    conversion.
    """
    return _MEMOS.get(convert, NO_MEMO)


def remember(memo: Memo, text: str, value: Any) -> None:
    """Keep a converted value for the next identical text, within :data:`MEMO_LIMIT` entries of short text."""
    if memo is not NO_MEMO and len(text) <= MEMO_TEXT:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[text] = value


class Node:
    """One element position in a shape's trie: a flattened group, a leaf column, a child-list item, or ignored."""

    __slots__ = (
        "attrs", "children", "column", "convert", "kind", "memo", "plan", "prefix", "raw", "stamped", "target"
    )  # fmt: skip

    def __init__(self, kind: int, prefix: str) -> None:
        self.kind = kind
        self.prefix = prefix  # snake path from the record, for naming undeclared things below this node
        self.column = ""  # set for leaves
        self.convert: Converter = to_text
        self.memo: Memo = NO_MEMO  # LEAF: text -> value, shared by every leaf with the same converter
        self.plan: Plan | None = None
        self.target: Node | None = None  # ADOPT: the node, in the item's plan, that reads the adopted group
        self.children: dict[str, Node] = {}  # lowercase tag -> node
        self.raw: dict[object, Node | None] = {}  # tag as spelled in documents -> node (None: undeclared)
        self.attrs: dict[str, tuple[str, Converter]] = {}  # lowercase attribute -> (column, converter)
        #: GROUP of a child list's container with ``container_fields``: their columns, stamped on the items inside
        #: (``column`` then names the list); empty for every other node
        self.stamped: tuple[str, ...] = ()

    def group(self, name: str) -> Node:
        node = self.children.get(name.lower())
        if node is None:
            node = self.children[name.lower()] = Node(GROUP, join(self.prefix, snake(name)))
        return node

    def resolve(self, tag: object) -> Node | None:
        """Look a document's tag up, caching the spelling (comments and PIs have non-string tags: skipped)."""
        node = self.children.get(tag.lower()) if isinstance(tag, str) else SKIP_NODE
        if len(self.raw) < RAW_CACHE_LIMIT:  # plans live for the process: a hostile body must not grow them
            self.raw[tag] = node
        return node


SKIP_NODE: Final = Node(SKIP, "")


class Plan:
    """A shape compiled for the walk: the trie, the row template and the record's own text/attribute columns."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.name = shape.name
        self.root = Node(GROUP, "")
        self.self_text: tuple[str, Converter] | None = None
        self.self_attrs: dict[str, tuple[str, Converter]] = {}
        self.declared: frozenset[str] = frozenset(shape.columns)
        self.lists = tuple(shape.children)
        for path, (column, kind) in shape.fields.items():
            self._declare(path, column, kind.convert)
        for sub in shape.children.values():
            self._attach(sub)
        if shape.explode is not None:
            self._attach(shape.explode)
            self.lists += (shape.explode.name,)
        own = [column for column, _ in shape.fields.values()]
        self.template: Record = dict.fromkeys([LINE_NUMBER] if shape.is_child else [])
        self.template.update(dict.fromkeys(own))
        self.template.update(dict.fromkeys(column for column, _ in shape.container_fields.values()))
        self.template.update(dict.fromkeys(column for column, _ in shape.context.values()))

    def _declare(self, path: str, column: str, convert: Converter, base: Node | None = None) -> None:
        element, _, attribute = path.partition("@")
        if element in ("", ".") and base is not None:
            raise ValueError(f"{self.name}: container field {path!r} must name an element inside the container")
        if element in ("", "."):
            if attribute:
                self.self_attrs[attribute.lower()] = (column, convert)
            else:
                self.self_text = (column, convert)
            return
        parts = element.split("/")
        node = base or self.root
        for part in parts[:-1]:
            node = node.group(part)
        leaf = node.group(parts[-1])
        if attribute:
            leaf.attrs[attribute.lower()] = (column, convert)
            return
        leaf.kind = TEXT_LEAF if convert is to_text else INT_LEAF if convert is to_int else LEAF
        leaf.column, leaf.convert, leaf.memo = column, convert, memo_for(convert)

    def _attach(self, sub: Shape) -> None:
        node = self.root
        for part in filter(None, sub.at.split("/")):
            node = node.group(part)
        holders = [node] + [node.group(name) for name in sub.containers]
        for holder in holders[1:]:
            for name in sub.containers:
                holder.children[name.lower()] = node.children[name.lower()]
        item = Node(LIST, "")
        item.plan = plan_for(sub)
        for holder in holders:
            for name in sub.records:
                holder.children[name.lower()] = item
        for holder in holders[1:] if sub.container_fields else ():
            for path, (column, kind) in sub.container_fields.items():
                self._declare(path, column, kind.convert, base=holder)
            holder.column, holder.stamped = sub.name, tuple(column for column, _ in sub.container_fields.values())
        for grandchild in sub.children.values():
            if grandchild.follows and grandchild.at:
                first = grandchild.at.split("/")[0].lower()
                adopt = Node(ADOPT, "")
                adopt.plan, adopt.column = item.plan, sub.name
                adopt.target = item.plan.root.children[first]
                for holder in holders:
                    holder.children.setdefault(first, adopt)


_COMPILED: dict[int, tuple[Shape, Plan]] = {}


def plan_for(shape: Shape) -> Plan:
    """The compiled plan of a shape (compiled once, then cached for the life of the shape)."""
    cached = _COMPILED.get(id(shape))
    if cached is None or cached[0] is not shape:
        cached = _COMPILED[id(shape)] = (shape, Plan(shape))
    return cached[1]
