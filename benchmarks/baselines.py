"""What the sync is compared with: the bare lxml parse floor and one detail call per record.

(The naive dlt pipeline runs in a child process: :func:`benchmarks.child.naive_job`.)

* :func:`bare_parse` - the same response bytes the sync fetched, through a bare ``lxml.etree.iterparse`` loop that
  touches every element's text and clears it: the least CPU any Python parser of these bodies can spend.
* :func:`per_record_plan` / :func:`time_per_record` - what client libraries do: list, then ``getsalesinvoice`` (and
  friends) once per record. Counting the calls is exact; the local cost per call is measured on a sample against the
  live emulator and the Netvisor latency is modelled the same way the emulator models it.
"""

from __future__ import annotations

import io
import pickle
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

#: detail resource -> (its batch parameter, its single-key parameter)
SINGLE_KEY = {
    "getcustomer": ("idlist", "id"),
    "getproduct": ("idlist", "id"),
    "getsalesinvoice": ("netvisorkeylist", "netvisorkey"),
    "getorder": ("netvisorkeylist", "netvisorkey"),
    "getpurchaseinvoice": ("netvisorkeylist", "netvisorkey"),
    "getpurchaseorder": ("netvisorkeylist", "netvisorkey"),
}


@dataclass
class ParseFloor:
    cpu: float
    responses: int
    bytes: int
    elements: int


def load_bodies(path: Path) -> list[tuple[str, bytes]]:
    bodies: list[tuple[str, bytes]] = pickle.loads(path.read_bytes())  # noqa: S301 - written by our emulator process
    return bodies


def bare_parse(bodies: Sequence[tuple[str, bytes]]) -> ParseFloor:
    """CPU seconds of one bare ``iterparse`` pass over every body."""
    elements = 0
    started = time.process_time()
    for _resource, body in bodies:
        for _event, element in etree.iterparse(io.BytesIO(body), events=("end",)):
            if element.text is not None:
                elements += 1
            element.clear(keep_tail=False)
    cpu = time.process_time() - started
    return ParseFloor(cpu, len(bodies), sum(len(body) for _, body in bodies), elements)


Call = tuple[str, dict[str, str]]


def per_record_plan(logged: Sequence[Mapping[str, Any]]) -> list[Call]:
    """The sync's calls (from the emulator's log) with every detail batch split into one call per key."""
    calls: list[Call] = []
    for entry in logged:
        if entry["code"] != "OK":
            continue
        resource, params = entry["resource"], dict(entry["params"])
        if resource not in SINGLE_KEY:
            calls.append((resource, params))
            continue
        batch, single = SINGLE_KEY[resource]
        keys = [key for key in params.pop(batch, "").split(",") if key]
        calls.extend((resource, {**params, single: key}) for key in keys)
    return calls


@dataclass
class PerRecord:
    calls: int
    detail_calls: int
    sampled: int
    local_seconds: float  # local time of the detail calls at zero latency (sample mean x calls); lists not counted
    modelled_latency: float  # the latency plan applied to every call


def time_per_record(
    calls: Sequence[Call],
    client: Any,
    *,
    sample: int,
    latency_ms: float,
    per_row_ms: float,
    list_rows: Mapping[str, int],
) -> PerRecord:
    """Run up to ``sample`` of the per-record detail calls for real and extrapolate the local time to all of them.

    ``list_rows`` are the rows of the non-detail calls (from the sync's own log), for the per-row latency.
    """
    details = [call for call in calls if call[0] in SINGLE_KEY]
    step = max(1, len(details) // sample) if sample else len(details) + 1
    chosen = details[::step][:sample]
    started = time.perf_counter()
    for resource, params in chosen:
        client.get(resource, params)
    per_call = (time.perf_counter() - started) / len(chosen) if chosen else 0.0
    rows = sum(list_rows.values()) + len(details)  # one record per detail call
    latency = (len(calls) * latency_ms + rows * per_row_ms) / 1000
    return PerRecord(len(calls), len(details), len(chosen), per_call * len(details), latency)


def calls_by_resource(calls: Sequence[Call]) -> Counter[str]:
    return Counter(resource for resource, _ in calls)
