"""Netvisor's response envelope: ``Root/ResponseStatus/Status`` is ``OK``, or ``FAILED`` plus ``CODE :: message``.

This module owns the verdict on a response as a whole. :func:`read_status` is what the transport calls on every
response (any HTTP status): it streams only until ``ResponseStatus`` closes, so it costs microseconds even on a
100 MB body, and it raises the typed errors drawn in ``netvisor_sync.errors``:

* ``FAILED`` -> :func:`netvisor_sync.errors.netvisor_error` (the one total code table; unknown codes and a second
  ``Status`` without ``CODE :: `` still give a :class:`~netvisor_sync.errors.NetvisorError`),
* empty, HTML, truncated, invalid UTF-8 or non-Netvisor XML -> :class:`~netvisor_sync.errors.MalformedResponse`
  with the HTTP status and an excerpt of the body,
* a DTD or entity declaration -> :class:`~netvisor_sync.errors.UnsafeXML`.

:func:`read_timestamp` reads the server's own time from the same envelope (``ResponseStatus/TimeStamp``), as
cheaply; the sync uses it as its cursor so that its windows follow Netvisor's clock rather than this machine's.

``read_status`` does not look past the envelope, so a body truncated *after* ``ResponseStatus`` passes it; the
record reader (``parse.records``) finds that when it reaches the break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import BinaryIO, Final

from lxml import etree

from netvisor_sync.errors import NetvisorError, netvisor_error
from netvisor_sync.parse.convert import to_timestamp
from netvisor_sync.parse.xml import iter_events, malformed, open_source
from netvisor_sync.resources import normalize_resource

_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
#: Code used when a FAILED envelope carries no recognisable ``CODE :: `` prefix.
UNKNOWN_CODE: Final = "FAILED"


def failure(detail: str, *, resource: str, status: int | None) -> NetvisorError:
    """Turn the second ``Status`` text (``CODE :: message``) into the typed error.

    Only the first `` :: `` separates the code: Netvisor's AUTHENTICATION_FAILED diagnostic contains more of them.
    """
    detail = detail.strip()
    code, separator, text = detail.partition("::")
    code = code.strip()
    if separator and _CODE.fullmatch(code):
        return netvisor_error(code, text.strip(), resource=resource, status=status)
    if _CODE.fullmatch(detail):
        return netvisor_error(detail, "", resource=resource, status=status)
    return netvisor_error(UNKNOWN_CODE, detail or "Netvisor gave no error message", resource=resource, status=status)


def judge(statuses: Sequence[str | None], *, resource: str, status: int | None, head: bytes) -> None:
    """Decide on the texts of the ``Status`` children of ``ResponseStatus`` (document order).

    Raises:
        NetvisorError: the first Status is ``FAILED``.
        MalformedResponse: there is no Status, or it is neither ``OK`` nor ``FAILED``.
    """
    if not statuses:
        raise malformed("a Netvisor envelope without a Status element", resource=resource, status=status, head=head)
    verdict = (statuses[0] or "").strip().upper()
    if verdict == "OK":
        return
    if verdict == "FAILED":
        raise failure(statuses[1] or "" if len(statuses) > 1 else "", resource=resource, status=status)
    raise malformed(
        f"a Netvisor envelope with Status {verdict!r} (expected OK or FAILED)",
        resource=resource,
        status=status,
        head=head,
    )


def status_texts(response_status: etree._Element) -> list[str | None]:
    """The texts of the ``Status`` children of a ``ResponseStatus`` element, matched case-insensitively."""
    return [child.text for child in response_status if isinstance(child.tag, str) and child.tag.lower() == "status"]


def read_status(body: bytes | BinaryIO, *, resource: str, http_status: int = 200) -> None:
    """Check a response's envelope, reading no further than ``ResponseStatus``.

    Call it on every response before deciding what to do with it; it returns quietly for ``OK``.

    Args:
        body: the response body (or a binary stream positioned at its start).
        resource: the resource name, with or without ``.nv`` (used in messages and on the errors).
        http_status: the HTTP status, kept on every error raised.

    Raises:
        NetvisorError: the envelope says FAILED (typed by code, e.g. ``AuthenticationFailed``).
        MalformedResponse: not a Netvisor document (empty, HTML, truncated before the envelope closed, ...).
        UnsafeXML: a DTD or entity declaration.
    """
    name = normalize_resource(resource)
    head, stream = open_source(body)
    depth = 0
    in_envelope = False
    statuses: list[str | None] = []
    for event, element in iter_events(stream, resource=name, status=http_status, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            depth += 1
            if depth == 1 and tag != "root":
                raise malformed(
                    f"XML whose root element is <{element.tag}>, not Netvisor's <Root>",
                    resource=name,
                    status=http_status,
                    head=head,
                )
            in_envelope = in_envelope or (depth == 2 and tag == "responsestatus")
            continue
        depth -= 1
        if not in_envelope:
            continue
        if depth == 2 and tag == "status":
            statuses.append(element.text)
        elif depth == 1:
            judge(statuses, resource=name, status=http_status, head=head)
            return
    raise malformed("a Netvisor document without ResponseStatus", resource=name, status=http_status, head=head)


def read_timestamp(body: bytes | BinaryIO) -> datetime | None:
    """Netvisor's time of an answer, ``ResponseStatus/TimeStamp`` (``d.M.yyyy H:mm:ss``, naive Finnish local time).

    Use it for anything that must follow the server's clock (sync cursors). It stops at the end of
    ``ResponseStatus``, so it costs microseconds on any body. Call it after :func:`read_status`; it does not judge.

    Returns:
        The timestamp, or ``None`` if the envelope has none or it is not a readable date and time (the caller falls
        back to its own clock).

    Raises:
        MalformedResponse: the body is not XML at all (as :func:`read_status` would).
        UnsafeXML: a DTD or entity declaration.
    """
    depth = 0
    for event, element in iter_events(body, resource="", status=None, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 2 and tag == "timestamp" and _parent_tag(element) == "responsestatus":
            try:
                return to_timestamp(element.text)
            except ValueError:
                return None
        if depth == 1:  # the first child of Root is ResponseStatus: nothing after it is read
            return None
    return None


def _parent_tag(element: etree._Element) -> str:
    parent = element.getparent()
    return parent.tag.lower() if parent is not None and isinstance(parent.tag, str) else ""
