"""The access check: can these credentials read every Netvisor resource a sync would call?

Netvisor grants each interface resource separately (Company menu → Rights of interface resources), and a resource
that is not granted answers ``SERVICE_ACCESS_ERROR`` only when the sync reaches it. :func:`check_access` finds that
out up front with one cheap call per resource: change-filtered lists asked for today's changes only, key-paged lists
asked for keys above any real key, detail resources asked for a key that does not exist, delete feeds for today.
Any answer other than ``SERVICE_ACCESS_ERROR`` or ``AUTHENTICATION_FAILED``, including ``INVALID_DATA`` for a probe
parameter, proves the right exists: Netvisor checks rights before parameters.

The calls are planned from the catalog (:func:`probe_calls`), so a new catalog entry is checked without changes here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Protocol

from netvisor_sync.catalog import Entry
from netvisor_sync.errors import RIGHTS_FIX, AuthenticationFailed, NetvisorError, ServiceAccessError

#: above every real NetvisorKey: a key-paged list answers with an empty page
FAR_KEY = "2147483647"
#: a NetvisorKey that does not exist: detail resources answer empty (or INVALID_DATA, which also proves the right)
NO_KEY = "0"


class Getter(Protocol):
    """What the check needs from a client: :class:`netvisor_sync.transport.NetvisorClient` is one."""

    def get(self, resource: str, params: Mapping[str, object] | None = None) -> object: ...


@dataclass(frozen=True)
class Probe:
    """One planned call: the resource, its cheap parameters, and the tables that need it."""

    resource: str
    params: Mapping[str, str]
    tables: tuple[str, ...]


@dataclass(frozen=True)
class ResourceAccess:
    """The outcome for one resource. ``note`` says why it is blocked (and the fix) or what the probe saw."""

    resource: str
    allowed: bool
    tables: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class CompanyAccess:
    """The outcome for one company: whether it authenticated, and each resource's access."""

    organisation_id: str
    authenticated: bool
    resources: tuple[ResourceAccess, ...] = ()
    error: str = ""

    @property
    def blocked(self) -> tuple[ResourceAccess, ...]:
        return tuple(r for r in self.resources if not r.allowed)

    @property
    def ok(self) -> bool:
        return self.authenticated and not self.blocked


def probe_calls(entries: Iterable[Entry], *, today: date) -> list[Probe]:
    """One cheap call per distinct resource the given catalog entries use, in catalog order."""
    planned: dict[str, tuple[dict[str, str], list[str]]] = {}
    for entry in entries:
        calls = [(entry.resource, _list_params(entry, today))]
        if entry.detail is not None:
            calls.append((entry.detail.resource, {**entry.detail.params, entry.detail.batch_param: NO_KEY}))
        if entry.delete_feed is not None:
            calls.append((entry.delete_feed, {"deletedsince": today.isoformat()}))
        for resource, params in calls:
            _, tables = planned.setdefault(resource, (params, []))
            tables.extend(t for t in entry.tables if t not in tables)
    return [Probe(resource, params, tuple(tables)) for resource, (params, tables) in planned.items()]


def _list_params(entry: Entry, today: date) -> dict[str, str]:
    params = dict(entry.params)
    midnight = datetime.combine(today, time())
    since = midnight.strftime("%Y-%m-%dT%H:%M:%S")
    if entry.change_filter == "changedsince":
        params["changedsince"] = since
    elif entry.change_filter == "lastmodified":
        params["lastmodifiedstart"] = since
    if entry.paging == "page":
        params["page"] = "1"
    elif entry.paging is not None and entry.change_filter in (None, "above_key"):
        params[entry.paging] = FAR_KEY
    if entry.computed == "balancedates":
        params["balancedates"] = today.isoformat()
    return params


def check_access(client: Getter, organisation_id: str, probes: Iterable[Probe]) -> CompanyAccess:
    """Call every probe once and report which resources are allowed.

    Stops at the first ``AUTHENTICATION_FAILED`` (nothing else can be learned then). Errors other than Netvisor's
    answers (connection refused, timeouts after retries) propagate: the check could not run.
    """
    results: list[ResourceAccess] = []
    for probe in probes:
        try:
            client.get(probe.resource, probe.params)
        except AuthenticationFailed as error:
            return CompanyAccess(organisation_id, authenticated=False, error=str(error))
        except ServiceAccessError:
            fix = RIGHTS_FIX.format(resource=f"{probe.resource}.nv")
            results.append(ResourceAccess(probe.resource, False, probe.tables, fix))
        except NetvisorError as error:
            note = f"the probe got {error.code}; Netvisor checks rights first, so the right exists"
            results.append(ResourceAccess(probe.resource, True, probe.tables, note))
        else:
            results.append(ResourceAccess(probe.resource, True, probe.tables))
    return CompanyAccess(organisation_id, authenticated=True, resources=tuple(results))
