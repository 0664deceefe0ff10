"""A local Netvisor for tests, the demo and benchmarks: signed XML over HTTP, seeded data, rights, faults.

Use :class:`Emulator` in-process (``httpx.WSGITransport(app=emu.app)``) or :func:`serve` it on loopback.
It never imports ``netvisor_sync.transport``: it is the ground truth the client is tested against.
"""

from __future__ import annotations

from netvisor_sync.emulator.app import DEFAULT_STATUS_CODES, EmulatedCompany, Emulator
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.faults import FAULT_KINDS, MALFORMATIONS, BodyDropped, DroppedConnection, Fault, FaultPlan
from netvisor_sync.emulator.render import FIXTURE_ERA_QUIRKS, QUIRK_SETS, Quirks
from netvisor_sync.emulator.requestlog import LoggedRequest, RequestLog
from netvisor_sync.emulator.server import EmulatorServer, serve, serve_forever_cli
from netvisor_sync.emulator.wsgi import request_url

__all__ = [
    "DEFAULT_STATUS_CODES",
    "FAULT_KINDS",
    "FIXTURE_ERA_QUIRKS",
    "MALFORMATIONS",
    "QUIRK_SETS",
    "BodyDropped",
    "Clock",
    "DroppedConnection",
    "EmulatedCompany",
    "Emulator",
    "EmulatorServer",
    "Fault",
    "FaultPlan",
    "LoggedRequest",
    "Quirks",
    "RequestLog",
    "request_url",
    "serve",
    "serve_forever_cli",
]
