"""WSGI plumbing for the emulator's app: the URL as the client sent it, bodies that report when they are done.

Kept apart from :mod:`.app` so the protocol logic there reads as Netvisor's rules, not as WSGI mechanics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

StartResponse = Callable[..., Any]
WSGIEnviron = dict[str, Any]
XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def status_line(status: int) -> str:
    """``404`` -> ``404 Not Found``, as WSGI's ``start_response`` wants it."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class TrackedBody:
    """A WSGI body that calls ``done`` exactly once: when it is exhausted, fails, or is closed early."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._done: Callable[[], None] | None = done
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        finally:
            self.close()

    def close(self) -> None:
        with self._lock:
            done, self._done = self._done, None
        if done is not None:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
            done()


def request_url(environ: Mapping[str, Any]) -> str:
    """The URL exactly as the client sent it: scheme, Host header, raw path and raw query string.

    Netvisor hashes the URL it receives, so the emulator must not normalise it. The raw request target comes from
    ``RAW_URI``/``REQUEST_URI`` when the server provides it (our loopback server does); otherwise ``PATH_INFO``
    (which WSGI has already percent-decoded) is re-quoted, which reproduces every path a Netvisor client sends
    (``/resource.nv``), and the query string is used as received (WSGI never decodes it).
    """
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = str(environ.get("SERVER_NAME") or "localhost")
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != {"http": "80", "https": "443"}.get(scheme):
            host = f"{host}:{port}"
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        target = str(raw)
        if target.startswith(("http://", "https://")):
            return target
        return f"{scheme}://{host}{target}"
    path = quote(str(environ.get("SCRIPT_NAME") or "") + str(environ.get("PATH_INFO") or "/"), safe="/:@!$&'()*+,;=~")
    query = str(environ.get("QUERY_STRING") or "")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
