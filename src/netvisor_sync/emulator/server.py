"""The emulator on a real socket: a threaded stdlib WSGI server bound to loopback, and the ``emulator serve`` command.

Use :func:`serve` when something out of process must reach the emulator (the CLI, the demo, a test of the real
HTTP stack); in-process tests should use ``httpx.WSGITransport(app=emu.app)`` instead. The server

* binds ``127.0.0.1`` by default and refuses any non-loopback address unless ``allow_non_loopback=True``
  (the emulator hands out its keys through ``settings()`` and the admin API),
* gives the app the raw request target as ``RAW_URI``, so the MAC is checked over the URL exactly as sent,
* turns the ``connection_reset`` fault into a TCP reset (``SO_LINGER`` 0, then close: no response bytes at all),
  and the ``dropped_body`` fault into a closed socket after part of the announced body (the client reads fewer
  bytes than the ``Content-Length`` promised, then end of stream),
* logs nothing per request (the emulator has its own request log).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import shlex
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType, TracebackType
from typing import IO, Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from netvisor_sync.emulator.app import Emulator, frozen_clock
from netvisor_sync.emulator.faults import BodyDropped, DroppedConnection, FaultPlan
from netvisor_sync.emulator.render import QUIRK_SETS

ENV_PREFIX = "SOURCES__NETVISOR__"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names a loopback interface (``127.0.0.0/8``, ``::1`` or ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _WatchedBody:
    """A WSGI body that notes when it stops with :class:`BodyDropped` (and still passes ``close`` on)."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self._body = body
        self.dropped = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        except BodyDropped:
            self.dropped = True
            raise

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


class _RequestHandler(WSGIRequestHandler):
    """One request: hands the raw target to the app, resets the connection when the app drops it, and closes it
    when the body is dropped mid-way."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator keeps its own request log."""

    def get_environ(self) -> dict[str, str]:
        environ = super().get_environ()
        environ["RAW_URI"] = self.path
        return environ

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        dropped = False
        watched: _WatchedBody | None = None
        app = self.server.get_app()  # type: ignore[attr-defined]

        def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            nonlocal dropped, watched
            try:
                result: Iterable[bytes] = app(environ, start_response)
            except DroppedConnection:
                dropped = True
                raise
            watched = _WatchedBody(result)
            return watched

        handler = ServerHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        # wsgiref's handler takes a ConnectionResetError from the body (BodyDropped) for a client that went away and
        # stops writing: what was sent stays sent, the rest never comes
        handler.run(guarded)
        if dropped:
            self._reset()
        elif watched is not None and watched.dropped:
            self._close_mid_body()

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _close_mid_body(self) -> None:
        # an orderly close (not a reset), so the client reads every byte already sent before the end of stream
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client was quicker
            self.connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """A running loopback server. Stop it with :meth:`shutdown` or by leaving the ``with`` block."""

    def __init__(self, emulator: Emulator, server: _Server) -> None:
        self.emulator = emulator
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="netvisor-emulator", daemon=True
        )
        self._thread.start()

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL clients use: ``http://127.0.0.1:<port>``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def settings(self, organisation_id: str | None = None) -> dict[str, str]:
        """The emulator's client settings with this server as ``base_url``."""
        return self.emulator.settings(organisation_id, base_url=self.url)

    def shutdown(self) -> None:
        """Stop accepting requests, wait for the serving loop to end and close the socket. Idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()


def serve(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0, *, allow_non_loopback: bool = False
) -> EmulatorServer:
    """Serve ``emulator.app`` on ``host:port`` (port 0: any free port) in a background thread.

    Raises:
        ValueError: ``host`` is not a loopback address and ``allow_non_loopback`` is False.
    """
    if not allow_non_loopback and not is_loopback_host(host):
        raise ValueError(f"refusing to serve the emulator on non-loopback host {host!r} (pass allow_non_loopback)")
    server_class = _Server6 if ":" in host else _Server
    server = server_class((host.strip("[]"), port), _RequestHandler)
    server.set_app(emulator.app)
    return EmulatorServer(emulator, server)


def export_lines(server: EmulatorServer) -> list[str]:
    """``export NAME=value`` lines that point netvisor-sync (dlt config) at the running emulator.

    Several companies give ``ORGANISATION_ID`` as a JSON list, which dlt parses from an environment value.
    """
    emu = server.emulator
    settings = server.settings()
    orgs = emu.organisation_ids
    values = {
        "BASE_URL": server.url,
        "SENDER": settings["sender"],
        "CUSTOMER_ID": settings["customer_id"],
        "CUSTOMER_KEY": settings["customer_key"],
        "PARTNER_ID": settings["partner_id"],
        "PARTNER_KEY": settings["partner_key"],
        "ORGANISATION_ID": orgs[0] if len(orgs) == 1 else json.dumps(orgs, separators=(",", ":")),
        "LANGUAGE": settings["language"],
    }
    return [f"export {ENV_PREFIX}{name}={shlex.quote(value)}" for name, value in values.items()]


#: ``emulator serve`` options that take one of a few words, and the words
CHOICES: dict[str, tuple[str, ...]] = {
    "overlap": ("reject", "allow"),
    "quirks": tuple(QUIRK_SETS),
    "transaction_ids": ("partner", "customer"),
}


def parse_today(text: str) -> date | datetime:
    """``--today``: ``YYYY-MM-DD`` (the clock stands at noon) or ``YYYY-MM-DDTHH:MM[:SS]`` (Finnish local time)."""
    value = text.strip()
    try:
        return datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--today {text!r}: give a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SS") from None


def parse_skew(text: str) -> float | None:
    """``--skew``: seconds the request timestamp may be off (``off``: not checked)."""
    if text.strip().lower() in ("off", "none"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"--skew {text!r}: give seconds (e.g. 300) or off") from None
    if not seconds >= 0:
        raise ValueError(f"--skew {text!r}: seconds cannot be negative (off switches the check off)")
    return seconds


def _choice(option: str, value: str) -> str:
    word = value.strip().lower()
    if word not in CHOICES[option]:
        flag = "--" + option.replace("_", "-")
        raise ValueError(f"{flag} {value!r}: choose one of {', '.join(CHOICES[option])}")
    return word


def emulator_options(
    *,
    today: str | None = None,
    skew: str | None = None,
    overlap: str | None = None,
    overlap_code: str | None = None,
    faults: str | Path | None = None,
    quirks: str | None = None,
    transaction_ids: str | None = None,
) -> dict[str, Any]:
    """``emulator serve`` option values (as typed) -> :class:`Emulator` keyword arguments; ``None``: the default.

    Raises:
        ValueError: a value that cannot be used; the message names the option.
    """
    options: dict[str, Any] = {}
    if today is not None:
        options["today"] = parse_today(today)
    if skew is not None:
        options["skew_seconds"] = parse_skew(skew)
    if overlap is not None:
        options["overlap"] = _choice("overlap", overlap)
    if overlap_code is not None:
        options["overlap_code"] = overlap_code.strip().upper()
    if faults is not None:
        options["faults"] = FaultPlan.from_file(faults)
    if quirks is not None:
        options["quirks"] = _choice("quirks", quirks)
    if transaction_ids is not None:
        options["transaction_id_scope"] = _choice("transaction_ids", transaction_ids)
    return options


def describe(options: Mapping[str, Any]) -> str:
    """One comment line naming the non-default choices of a served emulator (empty when there are none)."""
    parts = []
    if "today" in options:
        parts.append(f"clock frozen at {frozen_clock(options['today']).now():%Y-%m-%d %H:%M:%S}")
    if "skew_seconds" in options:
        skew = options["skew_seconds"]
        parts.append("timestamp skew not checked" if skew is None else f"timestamp skew ±{skew:g} s")
    if "overlap" in options:
        parts.append(f"overlapping requests {'allowed' if options['overlap'] == 'allow' else 'rejected'}")
    if "overlap_code" in options:
        parts.append(f"overlap answered {options['overlap_code']}")
    if "faults" in options:
        plan: FaultPlan = options["faults"]
        parts.append(f"fault plan with {len(plan.faults)} fault(s), latency {plan.latency_ms:g} ms")
    if "quirks" in options:
        parts.append(f"quirks {options['quirks']}")
    if "transaction_id_scope" in options:
        parts.append(f"TransactionIds unique per {options['transaction_id_scope']}")
    return f"# {'; '.join(parts)}" if parts else ""


def serve_forever_cli(
    host: str = "127.0.0.1",
    port: int = 0,
    profile: str = "partner-test",
    seed: int = 1,
    companies: int = 1,
    *,
    out: IO[str] | None = None,
    stop: threading.Event | None = None,
    emulator_factory: Callable[..., Emulator] = Emulator,
    options: Mapping[str, Any] | None = None,
) -> int:
    """Run the emulator until Ctrl-C or SIGTERM; print the ``export`` lines first. Returns the exit code (0).

    ``stop`` lets a caller end the loop without a signal; ``emulator_factory`` builds the emulator from
    ``profile``, ``seed``, ``companies`` and ``options`` (more :class:`Emulator` keyword arguments, e.g. from
    :func:`emulator_options`), which a comment line after the first one names.
    """
    out = out or sys.stdout
    stop = stop or threading.Event()
    options = dict(options or {})
    emulator = emulator_factory(profile=profile, seed=seed, companies=companies, **options)
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _stop)
    try:
        with serve(emulator, host, port) as server:
            print(f"# Netvisor emulator ({profile}, seed {seed}) at {server.url}; Ctrl-C stops it", file=out)
            if described := describe(options):
                print(described, file=out)
            for line in export_lines(server):
                print(line, file=out)
            out.flush()
            while not stop.wait(0.2):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
