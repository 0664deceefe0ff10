"""What a request handler gives back to the emulator's app, and Netvisor's response envelopes.

Handlers return a :class:`Reply` whose body is already the whole OK document (envelope included) as a stream of
byte chunks, so the ``large`` profile never holds a response in memory. They raise :class:`Rejection` for a
Netvisor-level failure (``INVALID_DATA`` for a bad parameter, ...), which the app turns into a FAILED envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'


@dataclass
class Reply:
    chunks: Iterable[bytes]
    headers: dict[str, str] = field(default_factory=dict)
    #: rows in the body, set by the handler once known (for per-row latency and the request log)
    rows: int = 0


class Rejection(Exception):
    """A request Netvisor would answer with ``Status FAILED``: ``code`` plus English and Finnish text."""

    def __init__(self, code: str, message_en: str, message_fi: str | None = None) -> None:
        super().__init__(f"{code} :: {message_en}")
        self.code = code
        self.message_en = message_en
        self.message_fi = message_fi or message_en

    def message(self, language: str) -> str:
        return self.message_fi if language.upper() == "FI" else self.message_en


def netvisor_timestamp(now: datetime) -> str:
    """``ResponseStatus/TimeStamp``: ``d.M.yyyy H:mm:ss`` in Finnish local time."""
    return f"{now.day}.{now.month}.{now.year} {now.hour}:{now.minute:02d}:{now.second:02d}"


def ok_envelope_head(now: datetime) -> str:
    """The start of every OK document, up to where the resource payload begins."""
    return (
        f"{XML_DECLARATION}<Root>\n  <ResponseStatus>\n    <Status>OK</Status>\n"
        f"    <TimeStamp>{netvisor_timestamp(now)}</TimeStamp>\n  </ResponseStatus>\n"
    )


OK_ENVELOPE_TAIL = "</Root>\n"


def failed_envelope(code: str, message: str, now: datetime) -> bytes:
    """Netvisor's failure document: two sibling ``Status`` elements, ``FAILED`` and ``CODE :: message``."""
    return (
        f"{XML_DECLARATION}<Root>\n  <ResponseStatus>\n    <Status>FAILED</Status>\n"
        f"    <Status>{escape(code)} :: {escape(message)}</Status>\n"
        f"    <TimeStamp>{netvisor_timestamp(now)}</TimeStamp>\n  </ResponseStatus>\n</Root>\n"
    ).encode()
