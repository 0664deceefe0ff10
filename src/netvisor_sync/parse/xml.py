"""The hardened XML reader: the only door through which Netvisor bytes reach lxml.

Owns three things: the parser options (no entity expansion, no DTD loading, no network, libxml2's default size
limits), the refusal of any document that declares a DOCTYPE or entities (:class:`~netvisor_sync.errors.UnsafeXML`,
checked on the raw prolog *before* lxml sees the body, so a billion-laughs or XXE payload costs a few microseconds
and no memory), and the translation of every parser failure into :class:`~netvisor_sync.errors.MalformedResponse`
carrying the resource, the HTTP status and a short escaped excerpt of the body. See ``netvisor_sync.errors`` for the
whole exception tree.

Size limits: ``huge_tree=False`` keeps libxml2's caps (a single text node may not exceed 10 MB, nesting depth 256).
Netvisor never sends such text except base64 attachments, which netvisor-sync never requests, so a bigger node is
refused as ``MalformedResponse`` instead of being buffered.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, Final, cast

from lxml import etree

from netvisor_sync.errors import MalformedResponse, UnsafeXML

#: Options for every parser in this package. ``resolve_entities=False`` keeps even internal entities unexpanded.
PARSER_OPTIONS: Final = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
}

EXCERPT_CHARS: Final = 200
#: How much of a body is inspected before parsing (the prolog must fit in it; Netvisor's is ~60 bytes).
HEAD_BYTES: Final = 64 * 1024

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ROOT_END = re.compile(rb"</\s*root\s*>\s*\Z", re.IGNORECASE)
TAIL_BYTES: Final = 256
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE | re.DOTALL)
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
#: libxml2's cap on one text node without ``huge_tree`` (``XML_MAX_TEXT_LENGTH``, in bytes)
MAX_TEXT_BYTES: Final = 10_000_000
_TOO_LARGE: Final = "too large: a text node exceeds libxml2's 10 MB limit (huge_tree is off on purpose)"


def excerpt(body: bytes, limit: int = EXCERPT_CHARS) -> str:
    """A printable, at most ``limit``-character start of ``body`` for error messages.

    Invalid UTF-8 bytes become ``\\xNN`` and control characters (newlines included) are escaped, so the excerpt is
    always one safe line of log text.
    """
    text = body[: limit * 4].decode("utf-8", errors="backslashreplace")
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def malformed(reason: str, *, resource: str, status: int | None, head: bytes) -> MalformedResponse:
    """Build the error for a body that is not a usable Netvisor document."""
    where = f"{resource}.nv" if resource else "Netvisor"
    shown = excerpt(head)
    http = f"HTTP {status}" if status is not None else "a response"
    return MalformedResponse(
        f"{where} returned {http} whose body is {reason}; body starts: {shown!r}",
        resource=resource,
        status=status,
        excerpt=shown,
    )


def check_prolog(head: bytes, *, resource: str, status: int | None) -> None:
    """Refuse empty bodies, HTML pages and any DTD/entity declaration before parsing.

    Args:
        head: the first bytes of the body (at least the part before the root element).
        resource: resource name for the message.
        status: HTTP status for the message.

    Raises:
        MalformedResponse: empty or HTML body.
        UnsafeXML: a ``<!DOCTYPE``/``<!ENTITY``/... declaration precedes the root element.
    """
    if not head.strip():
        raise malformed("empty", resource=resource, status=status, head=head)
    if _HTML.match(head):
        raise malformed(
            "an HTML page, not Netvisor XML (a proxy or error page?)", resource=resource, status=status, head=head
        )
    prolog = head
    if head.startswith(_UTF16_BOMS):
        prolog = head.decode("utf-16", errors="replace").encode("utf-8")
    first = _FIRST_ELEMENT.search(prolog)
    if _DECLARATION.search(prolog, 0, first.start() if first else len(prolog)):
        raise unsafe(resource=resource, status=status, head=head)


def unsafe(*, resource: str, status: int | None, head: bytes) -> UnsafeXML:
    """Build the error for a document that declares a DTD or entities."""
    where = f"{resource}.nv" if resource else "Netvisor"
    shown = excerpt(head)
    return UnsafeXML(
        f"{where} returned a document with a DOCTYPE or entity declaration (HTTP {status}); it was refused "
        f"unexpanded, because Netvisor never sends one; body starts: {shown!r}",
        resource=resource,
        status=status,
        excerpt=shown,
    )


class _Rejoined(io.RawIOBase):
    """A stream that replays the already-read head before the rest of the underlying stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(view)], self._head[len(view) :]
        else:
            data = self._rest.read(len(view)) or b""
        view[: len(data)] = data
        return len(data)


class _Tracked(io.RawIOBase):
    """Reads through to a stream, remembering its last bytes: a body that stops before ``</Root>`` was truncated."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.tail = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view)) or b""
        view[: len(data)] = data
        if data:
            self.tail = (self.tail + data)[-TAIL_BYTES:]
        return len(data)

    def drain(self) -> bytes:
        """Read to the end (after a parse error) and give the last bytes of the body."""
        while self.read(1 << 16):
            pass
        return self.tail


def _tail_of(body: bytes | bytearray | memoryview) -> bytes:
    return bytes(body[-TAIL_BYTES:])


def open_source(body: bytes | BinaryIO) -> tuple[bytes, BinaryIO]:
    """Split a body into its head (for checks and excerpts) and a stream for the parser."""
    if isinstance(body, bytes | bytearray | memoryview):
        data = bytes(body)
        return data[:HEAD_BYTES], io.BytesIO(data)
    head = body.read(HEAD_BYTES) or b""
    return head, io.BufferedReader(_Rejoined(head, body))


def _translate(
    error: etree.XMLSyntaxError, *, resource: str, status: int | None, head: bytes, tail: bytes
) -> MalformedResponse:
    message = _CONTROL.sub(" ", str(error)).strip()
    lowered = message.lower()
    if "huge" in lowered or "too long" in lowered:
        reason = _TOO_LARGE
    elif not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        reason = f"not XML ({message})"
    elif "utf-8" in lowered or "encoding" in lowered:
        reason = f"not valid UTF-8 ({message})"
    elif not _ROOT_END.search(tail):
        reason = f"truncated: it ends before </Root> ({message})"
    else:
        reason = f"not well-formed XML ({message})"
    return malformed(reason, resource=resource, status=status, head=head)


class _Nothing:
    """A parser target that builds nothing: lxml then only checks the document, in C, at a constant memory cost.

    ``doctype`` is called for a DTD the byte check of the prolog could not see (an encoding it cannot read).
    """

    def __init__(self) -> None:
        self.doctype_seen = False

    def doctype(self, *_: object) -> None:
        self.doctype_seen = True

    def close(self) -> None:
        return None


def check_well_formed(body: bytes | BinaryIO, *, resource: str, status: int | None, chunk: int = 1 << 16) -> None:
    """Check that a whole body is well-formed XML, building no element and no record.

    Use it before streaming records out of a big answer: a body cut or broken past a good envelope is then found
    before the first record leaves, as it is when a small answer is parsed into a list, yet nothing is materialised.
    The checks are those of :func:`iter_events` (same parser options, same prolog refusal, same error translation),
    with one difference in kind: libxml2 enforces its text-node cap only when it builds nodes, so here any run of
    more than :data:`MAX_TEXT_BYTES` bytes without a ``<`` is refused instead (a text node cannot be longer than
    its escaped source). The nesting-depth cap (256) and value conversion are still found only by the record reader.

    Args:
        body: the whole body, or a binary stream (read in ``chunk``-byte pieces).
        resource: resource name for error messages.
        status: HTTP status for error messages.
        chunk: bytes fed to the parser at a time.

    Raises:
        MalformedResponse: empty, HTML, not well-formed, truncated, invalid UTF-8 or oversized body.
        UnsafeXML: the document declares a DTD or entities.
    """
    head, stream = open_source(body)
    check_prolog(head, resource=resource, status=status)
    target = _Nothing()
    # lxml's stubs want a full ParserTarget and typed options; lxml itself calls only the methods a target has
    parser = etree.XMLParser(target=cast(Any, target), **cast("dict[str, Any]", PARSER_OPTIONS))
    tracked = _Tracked(stream)
    run = 0  # bytes since the last "<"
    try:
        while data := tracked.read(min(chunk, MAX_TEXT_BYTES)):
            first = data.find(b"<")
            if run + (first if first >= 0 else len(data)) > MAX_TEXT_BYTES:
                raise malformed(_TOO_LARGE, resource=resource, status=status, head=head)
            run = run + len(data) if first < 0 else len(data) - data.rfind(b"<") - 1
            parser.feed(data)
            if target.doctype_seen:
                raise unsafe(resource=resource, status=status, head=head)
        parser.close()
    except etree.XMLSyntaxError as error:
        if target.doctype_seen:  # libxml2 may stumble on the declarations before the feed returns
            raise unsafe(resource=resource, status=status, head=head) from None
        raise _translate(error, resource=resource, status=status, head=head, tail=tracked.drain()) from None
    if target.doctype_seen:
        raise unsafe(resource=resource, status=status, head=head)


def iter_events(
    body: bytes | BinaryIO,
    *,
    resource: str,
    status: int | None,
    events: Iterable[str] = ("end",),
    tags: Iterable[str] | None = None,
) -> Iterator[tuple[str, etree._Element]]:
    """Stream ``(event, element)`` pairs from a body with the hardened options.

    Use it for everything that reads Netvisor XML: it checks the prolog first, refuses a DTD the parser still saw
    (a second line of defence for encodings the byte check cannot read), and turns lxml failures into typed errors.

    Args:
        body: the whole body, or a binary stream (read in chunks, never all at once).
        resource: resource name for error messages.
        status: HTTP status for error messages.
        events: lxml iterparse events.
        tags: only report elements with these exact tag names (lxml's C-level filter; exact case).

    Raises:
        MalformedResponse: empty, HTML, not well-formed, truncated, invalid UTF-8 or oversized body.
        UnsafeXML: the document declares a DTD or entities.
    """
    head, stream = open_source(body)
    check_prolog(head, resource=resource, status=status)
    tag_filter = sorted(set(tags)) if tags is not None else None
    tail: Callable[[], bytes]
    if isinstance(body, bytes | bytearray | memoryview):  # the tail is known: no need to watch the reads
        source: BinaryIO = stream
        tail = functools.partial(_tail_of, body)
    else:
        tracked = _Tracked(stream)
        source, tail = cast(BinaryIO, tracked), tracked.drain
    parser = etree.iterparse(source, events=tuple(events), tag=tag_filter, **PARSER_OPTIONS)
    checked = False
    try:
        for event, element in parser:
            if not checked:
                checked = True
                if element.getroottree().docinfo.doctype:
                    raise unsafe(resource=resource, status=status, head=head)
            yield event, element
    except etree.XMLSyntaxError as error:
        raise _translate(error, resource=resource, status=status, head=head, tail=tail()) from None
    if not checked:
        # A document whose elements all escaped the tag filter still needs a DTD verdict; the root is known now.
        root = parser.root
        if root is not None and root.getroottree().docinfo.doctype:
            raise unsafe(resource=resource, status=status, head=head)
