"""The record engine: one generic, streaming walk from a Netvisor body to flat typed dicts, driven by a ``Shape``.

Everything resource-specific lives in ``parse.shapes``; this module owns the rules that hold for every resource:

* **Where records are.** A record is an element named like ``shape.records`` whose ancestors up to ``Root`` are all
  ``shape.containers`` (any nesting), so ``SalesInvoice`` and ``SalesInvoices/SalesInvoice`` both work, as do
  ``Period`` inside or beside ``PeriodLockInformation``. An empty record element (``<SalesInvoice />``, Netvisor's
  "not found") and empty lists (``<ProductList/>``) give zero records.
* **Names are matched case-insensitively**, elements and attributes alike (``Netvisorkey``/``NetvisorKey``,
  ``@Status``/``@status``), without lowering every tag: each trie node caches the spellings it has seen.
* **Nothing is dropped.** An undeclared element or attribute becomes a text column named after its snake_case path
  (``additional_information_new_field``, ``invoice_status_new_attribute``); a repeated single-valued element keeps
  its first value and the others go to ``<column>_2``, ``<column>_3``... Qualifier attributes that carry no data
  (``format="ansi"``, ``type="ISO-3166"``, ``type="ISO-4217"``, ``type="ISO-639-1"``) are skipped.
* **Streaming.** lxml ``iterparse`` reports only record (and ``ResponseStatus``) elements, filtered in C; each
  record is converted, then cleared and unlinked, so memory stays flat on a 100 MB body. Record spellings outside
  the filter (an unexpected casing) are still found at the end, from the tree that remained.
* **Errors.** A FAILED envelope raises the typed ``NetvisorError``; a value that does not convert raises
  ``MalformedResponse`` naming the element's path. The exception tree is drawn in ``netvisor_sync.errors``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from lxml import etree

from netvisor_sync.errors import MalformedResponse
from netvisor_sync.parse.convert import to_text
from netvisor_sync.parse.envelope import judge, status_texts
from netvisor_sync.parse.plan import (
    ADOPT,
    GROUP,
    INT_LEAF,
    LEAF,
    LIST,
    QUALIFIERS,
    Converter,
    Node,
    Plan,
    Record,
    join,
    plan_for,
    remember,
    snake,
)
from netvisor_sync.parse.shape import LINE_NUMBER, Shape
from netvisor_sync.parse.shapes import SHAPES
from netvisor_sync.parse.xml import excerpt, iter_events, malformed, open_source
from netvisor_sync.resources import normalize_resource

_HEAD_TAG = re.compile(rb"<([A-Za-z_][\w.-]*)")
#: how much of the head is searched for tag spellings: the envelope and the first records (spellings first seen later
#: are still found, at the end of the document; see the module docstring)
_SPELLING_BYTES = 8 * 1024


class _Reader:
    """Converts record elements of one response into rows; holds what error messages need."""

    def __init__(self, shape: Shape, resource: str, status: int | None, head: bytes) -> None:
        self.shape = shape
        self.resource = resource
        self.status = status
        self.head = head

    # -- one element subtree -> one dict ------------------------------------------------------------------------

    def build(self, element: etree._Element, plan: Plan) -> Record:
        out = plan.template.copy()
        for name in plan.lists:
            out[name] = []
        if plan.self_text is not None:
            column, convert = plan.self_text
            out[column] = self.convert(convert, element.text, element)
        elif element.text and not element.text.isspace() and not len(element):
            self.put_extra(out, plan.declared, "text", element.text)
        attributes = element.items()
        if attributes:
            self.attributes(element, attributes, plan.self_attrs, "", out, plan.declared)
        self.walk(element, plan.root, out, plan.declared)
        return out

    def walk(self, element: etree._Element, node: Node, out: Record, declared: frozenset[str]) -> None:  # noqa: PLR0912, PLR0915
        # One flat loop on purpose: it runs for every element of every record, and calls cost more than branches.
        raw = node.raw
        for child in element:
            tag = child.tag
            try:
                sub = raw[tag]
            except KeyError:
                sub = node.resolve(tag)
            if sub is None:
                self.drift(child, node.prefix, out, declared)
                continue
            kind = sub.kind
            if kind <= LEAF:
                column = sub.column
                text = child.text
                value: Any
                if not kind:  # TEXT_LEAF: inlined to_text
                    value = text if text and not text.isspace() else None
                elif kind == INT_LEAF and text and text.isdigit() and text.isascii():
                    try:  # to_int's own fast path, without the call
                        value = int(text)
                    except ValueError as error:  # more digits than Python converts
                        raise self.unreadable(error, child, text) from None
                else:
                    value = sub.memo.get(text)
                    if value is None and text is not None:
                        value = self.leaf(sub, child, text)
                if out[column] is None:
                    out[column] = value
                elif value is not None:
                    self.put_extra(out, declared, column, child.text or "")
                attributes = child.items()
                if attributes:
                    self.attributes(child, attributes, sub.attrs, sub.prefix, out, declared)
                if len(child):
                    for grandchild in child:
                        self.drift(grandchild, sub.prefix, out, declared)
            elif kind == GROUP:
                attributes = child.items()
                if attributes:
                    self.attributes(child, attributes, sub.attrs, sub.prefix, out, declared)
                text = child.text
                if text and not text.isspace():
                    self.put_extra(out, declared, sub.prefix, text)
                if sub.stamped:
                    self.container(child, sub, out, declared)
                else:
                    self.walk(child, sub, out, declared)
            elif kind == LIST:
                plan: Plan = sub.plan  # type: ignore[assignment]
                if len(child) or child.attrib or (child.text and not child.text.isspace()):
                    items = out[plan.name]
                    row = self.build(child, plan)
                    row[LINE_NUMBER] = len(items) + 1
                    items.append(row)
            elif kind == ADOPT:
                items = out[sub.column]
                if items:
                    self.walk(child, sub.target, items[-1], sub.plan.declared)  # type: ignore[arg-type,union-attr]
                else:
                    self.drift(child, node.prefix, out, declared)

    def container(self, element: etree._Element, node: Node, out: Record, declared: frozenset[str]) -> None:
        """A child list's container with ``container_fields``: its values go on every item it holds.

        The container is walked into a scratch record that shares the item list with ``out``, so its items land in
        ``out`` as usual; its own values then go on the items it added, and anything undeclared goes to ``out``.
        """
        items = out[node.column]
        first = len(items)
        scratch: Record = dict.fromkeys(node.stamped)
        scratch[node.column] = items
        self.walk(element, node, scratch, declared)
        del scratch[node.column]
        values = {column: scratch.pop(column) for column in node.stamped}
        for item in items[first:]:
            item.update(values)
        for name, value in scratch.items():
            self.put_extra(out, declared, name, value)

    def leaf(self, sub: Node, element: etree._Element, text: str) -> Any:
        """A typed leaf's value when its memo has none: converted, and remembered if the converter is pure."""
        try:
            value = sub.convert(text)
        except ValueError as error:
            raise self.unreadable(error, element, text) from None
        remember(sub.memo, text, value)
        return value

    def attributes(  # noqa: PLR0917 - positional: called for every element with attributes
        self,
        element: etree._Element,
        attributes: Sequence[tuple[Any, Any]],
        declared_attrs: dict[str, tuple[str, Converter]],
        prefix: str,
        out: Record,
        declared: frozenset[str],
    ) -> None:
        for name, value in attributes:
            lowered = name.lower()
            spec = declared_attrs.get(lowered)
            if spec is not None:
                column, convert = spec
                if convert is to_text:  # most declared attributes are text: inlined
                    converted = value if value and not value.isspace() else None
                else:
                    converted = self.convert(convert, value, element, name)
                if out[column] is None:
                    out[column] = converted
                elif converted is not None:
                    self.put_extra(out, declared, column, value)
            elif (lowered, value.strip().lower()) not in QUALIFIERS:
                self.put_extra(out, declared, join(prefix, snake(name)), value)

    def drift(self, element: etree._Element, prefix: str, out: Record, declared: frozenset[str]) -> None:
        """Keep an undeclared element (and everything under it) as text columns named by path."""
        tag = element.tag
        if not isinstance(tag, str):
            return
        name = join(prefix, snake(tag))
        attributes = element.items()
        if attributes:
            self.attributes(element, attributes, {}, name, out, declared)
        text = element.text
        if text and not text.isspace():
            self.put_extra(out, declared, name, text)
        for child in element:
            self.drift(child, name, out, declared)

    @staticmethod
    def put_extra(out: Record, declared: frozenset[str], name: str, value: str) -> None:
        """Store an undeclared or repeated value as text, under ``name`` or the first free ``name_N``."""
        candidate, number = name, 1
        while candidate in declared or out.get(candidate) is not None:
            number += 1
            candidate = f"{name}_{number}"
        out[candidate] = value

    def convert(self, convert: Converter, text: str | None, element: etree._Element, attribute: str = "") -> Any:
        try:
            return convert(text)
        except ValueError as error:
            raise self.unreadable(error, element, text, attribute) from None

    def unreadable(
        self, error: ValueError, element: etree._Element, text: str | None, attribute: str = ""
    ) -> MalformedResponse:
        """The error for a value that does not convert, naming the element by its path in the document."""
        where = element.getroottree().getpath(element) + (f"/@{attribute}" if attribute else "")
        return MalformedResponse(
            f"{self.resource}.nv: {where} cannot be read: {error}",
            resource=self.resource,
            status=self.status,
            excerpt=excerpt((text or "").encode()),
        )

    # -- one record element -> output rows ----------------------------------------------------------------------

    def rows(self, element: etree._Element) -> list[Record]:
        if not len(element) and not element.attrib and not (element.text and element.text.strip()):
            return []  # Netvisor's "not found": an empty record element
        record = self.build(element, plan_for(self.shape))
        explode = self.shape.explode
        if explode is None:
            return [record]
        parts = record.pop(explode.name)
        return [{**record, **{k: v for k, v in part.items() if k != LINE_NUMBER}} for part in parts]


def _spellings(head: bytes) -> set[str]:
    """The tag names in the start of the head."""
    return {tag.decode("ascii", "replace") for tag in set(_HEAD_TAG.findall(head, 0, _SPELLING_BYTES))}


def _variants(names: tuple[str, ...], found: set[str]) -> set[str]:
    """Spellings to hand lxml's case-sensitive tag filter: declared, lower, upper, and any ``found`` in the head."""
    wanted = {name.lower() for name in names}
    spelled = {tag for tag in found if tag.lower() in wanted}
    return spelled | set(names) | {n.lower() for n in names} | {n.upper() for n in names}


def shape_for(resource: str) -> Shape:
    """The shape of a read resource (``getsalesinvoice``, ``GetSalesInvoice.nv``, ...).

    Raises:
        ValueError: the name is not a read resource; the message lists the valid names.
    """
    name = normalize_resource(resource)
    try:
        return SHAPES[name]
    except KeyError:
        raise ValueError(f"unknown Netvisor read resource {resource!r}; valid: {', '.join(sorted(SHAPES))}") from None


def iter_records(resource: str | Shape, body: bytes | BinaryIO, *, http_status: int | None = 200) -> Iterator[Record]:
    """Stream a response's records as flat typed dicts, in document order.

    Use it for big responses (a whole ledger page); :func:`parse_response` is the list-returning convenience.

    Args:
        resource: the read resource name (any case, ``.nv`` optional), or a :class:`Shape`.
        body: the response body, or a binary stream read in chunks.
        http_status: the HTTP status, for error messages.

    Yields:
        One dict per record: every declared column (``None`` when absent), child lists as lists of dicts with
        ``line_number``, undeclared elements as path-named text columns.

    Raises:
        NetvisorError: the envelope says FAILED.
        MalformedResponse: not a Netvisor document, truncated, wrong resource, or a value that does not convert.
        UnsafeXML: a DTD or entity declaration.
        ValueError: unknown resource name.
    """
    shape = resource if isinstance(resource, Shape) else shape_for(resource)
    head, stream = open_source(body)
    reader = _Reader(shape, shape.name, http_status, head)
    records = {name.lower() for name in shape.records}
    containers = {name.lower() for name in shape.containers}
    found = _spellings(head)
    record_tags = _variants(shape.records, found)
    envelope_tags = _variants(("ResponseStatus",), found)
    held: list[Record] | None = [] if shape.context else None
    approved: etree._Element | None = None  # the last list element whose ancestry was checked
    envelope_seen = False
    root: etree._Element | None = None
    for _, element in iter_events(stream, resource=shape.name, status=http_status, tags=record_tags | envelope_tags):
        parent = element.getparent()
        if parent is None:
            continue
        tag = element.tag
        if tag in envelope_tags and tag not in record_tags:
            if parent.getparent() is None:
                envelope_seen = True
                root = parent
                judge(status_texts(element), resource=shape.name, status=http_status, head=head)
            continue
        if parent is not approved:
            if not _under_containers(parent, containers):
                continue
            approved = parent
        rows = reader.rows(element)
        element.clear()
        previous = element.getprevious()
        while previous is not None and previous.tag in record_tags:
            parent.remove(previous)
            previous = element.getprevious()
        if held is not None:
            held.extend(rows)
        else:
            yield from rows
        root = root if root is not None else element.getroottree().getroot()
    if root is None or not envelope_seen:
        raise malformed(
            "a document without Netvisor's Root/ResponseStatus envelope",
            resource=shape.name,
            status=http_status,
            head=head,
        )
    yield from _finish(reader, root, records | containers, held)


def _under_containers(parent: etree._Element, containers: set[str]) -> bool:
    """Whether every element from ``parent`` up to (excluding) the document root is a declared container."""
    node: etree._Element | None = parent
    while node is not None:
        above = node.getparent()
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if above is None:
            return tag == "root"
        if tag not in containers:
            return False
        node = above
    return False


def _finish(reader: _Reader, root: etree._Element, known: set[str], held: list[Record] | None) -> Iterator[Record]:
    """End-of-document checks, records in unexpected spellings, and the context columns of buffered shapes."""
    shape = reader.shape
    payload = [child for child in root if isinstance(child.tag, str) and child.tag.lower() != "responsestatus"]
    if payload and not any(child.tag.lower() in known for child in payload):
        names = ", ".join(sorted({f"<{child.tag}>" for child in payload}))
        expected = "/".join(shape.containers + shape.records)
        raise malformed(
            f"not a {shape.name} reply: it holds {names} where {expected} was expected",
            resource=shape.name,
            status=reader.status,
            head=reader.head,
        )
    late: list[Record] = []
    _collect(reader, root, {name.lower() for name in shape.records}, known, late)
    if held is None:
        yield from late
        return
    context = _context(reader, root, shape)
    for row in held + late:
        row.update(context)
        yield row


def _collect(
    reader: _Reader, element: etree._Element, records: set[str], containers: set[str], out: list[Record]
) -> None:
    for child in element:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag in records:
            out.extend(reader.rows(child))
        elif tag in containers:
            _collect(reader, child, records, containers, out)


def _context(reader: _Reader, root: etree._Element, shape: Shape) -> Record:
    wanted = {path.lower(): spec for path, spec in shape.context.items()}
    values: Record = dict.fromkeys(column for column, _ in shape.context.values())
    for element in root.iter():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        spec = wanted.get(tag)
        if spec is not None and values[spec[0]] is None:
            values[spec[0]] = reader.convert(spec[1].convert, element.text, element)
    return values


def parse_response(resource: str, body: bytes, *, http_status: int | None = 200) -> list[Record]:
    """Parse a whole response into a list of records (see :func:`iter_records` for the row format and errors).

    Args:
        resource: the read resource name without or with ``.nv``, any case (``salesinvoicelist``).
        body: the response body.
        http_status: the HTTP status, for error messages.
    """
    return list(iter_records(resource, body, http_status=http_status))
