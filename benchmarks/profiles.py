"""Read a py-spy raw (collapsed) profile and say where the time goes: the hottest frames, inclusive and self.

Use it when a goal is missed: ``make bench`` (``--profile py-spy``) runs one extra profiled sync for every section
that misses a goal, and :func:`categorize` (time per phase, per group of threads) and :func:`self_top` (the hottest
frames) turn it into the tables ``RESULTS.md`` shows.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


#: the frame that runs a task in a worker process of ``ProcessPoolExecutor`` (``netvisor_sync.parallel``)
PROCESS_WORKER = "_process_worker "
#: the thread name given to a worker process's main thread, where it syncs its company (so company filters match)
WORKER_THREAD = "netvisor_worker (a worker process's main thread)"


_PROCESSES = re.compile(r'^(?:process \d+:".*?";(?=process \d+:"|thread \())+')


def split_stack(stack: str) -> tuple[str, list[str]]:
    """A raw py-spy stack as its thread and its frames, outermost first.

    ``py-spy record --subprocesses`` puts the processes (``process <pid>:"<command>"``) before the thread; they are
    dropped. A worker process's main thread, where a company is synced when companies run in processes, is named
    :data:`WORKER_THREAD`, so it counts as a company thread as a ``netvisor_*`` pool thread does.
    """
    frames = _PROCESSES.sub("", stack).split(";")  # a command line may hold a ";" itself
    if not frames:
        return "", []
    thread, rest = frames[0], frames[1:]
    if "MainThread" in thread and any(frame.startswith(PROCESS_WORKER) for frame in rest):
        thread = WORKER_THREAD
    return thread, rest


def summarize(path: Path, *, top: int = 15, thread_filter: str | None = None) -> tuple[int, list[tuple[str, int, int]]]:
    """Total samples and ``(frame, inclusive samples, self samples)`` for the ``top`` frames by inclusive time.

    Frames that hold every sample (the interpreter's entry points) are left out; ``thread_filter`` keeps only
    stacks whose thread name contains it (py-spy puts the thread first in each stack).
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        thread, frames = split_stack(stack)
        if thread_filter and thread_filter not in thread:
            continue
        count = int(count_text)
        total += count
        names = [_name(frame) for frame in frames]
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count
    rows = [(name, n, own[name]) for name, n in inclusive.most_common() if n < total]
    return total, rows[:top]


#: leaf frames of threads that are only parked (pool workers without work, joins): not where time goes
IDLE = ("_worker (concurrent/futures/thread.py)", "Condition.wait (threading.py)", "Thread.join", "Event.wait")


def self_top(path: Path, *, top: int = 15) -> list[tuple[str, int]]:
    """The ``top`` frames by self samples (where the CPU or the waiting happens), parked threads left out."""
    own: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            thread, frames = split_stack(stack)
            leaf = _name(frames[-1]) if frames else ""
            if not leaf.startswith(IDLE) and "MainThread" not in thread and "bench-rss" not in thread:
                own[leaf] += int(count_text)
    return own.most_common(top)


#: (category, markers): a stack belongs to the first category with a marker in any of its frames (checked in order,
#: so the specific work inside dlt's extract step - HTTP, parsing, Arrow - wins over the step that encloses it)
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Netvisor calls: HTTP, MAC, waiting for the answer", ("netvisor_sync/transport.py", "httpx/", "httpcore/")),
    ("XML parsing (netvisor_sync.parse)", ("netvisor_sync/parse/",)),
    ("records -> Arrow tables (arrow.py, columns.py)", ("netvisor_sync/arrow.py", "netvisor_sync/columns.py")),
    (
        "batches, merge of list and detail rows (fetch.py, source.py)",
        ("netvisor_sync/fetch.py", "netvisor_sync/source.py"),
    ),
    ("dlt extract (item buffers, parquet files)", ("dlt/extract/",)),
    ("dlt normalize", ("Pipeline.normalize ",)),
    ("dlt load into DuckDB (merge jobs)", ("Pipeline.load ",)),
    ("dlt state restore (sync_destination)", ("Pipeline.sync_destination ",)),
)
LOCK_WAIT = "waiting for the destination lock (another company loads)"


def categorize(path: Path, *, thread_filter: str | None = None) -> tuple[int, list[tuple[str, int]]]:
    """Samples per category (see :data:`CATEGORIES`) for the stacks of the threads matching ``thread_filter``."""
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        thread, frames = split_stack(stack)
        if thread_filter and thread_filter not in thread:
            continue
        count = int(count_text)
        total += count
        counts[_category(frames)] += count
    return total, counts.most_common()


#: leaf frames of a thread blocked on another one (a queue, a future, a condition)
WAITS = ("Condition.wait ", "Queue.get ", "Event.wait ", "Future.result ", "Thread.join ", "_wait_for_tstate_lock ")
HANDED_OVER = "waiting on another thread (a prefetched answer, a turn to call, a worker)"
DLT_STEPS = ("Pipeline.load ", "Pipeline.normalize ", "Pipeline.sync_destination ")
IDLE_WORKER = "no company left to sync (a pool thread or worker process waits for the others)"


def _locked(leaf: str) -> bool:
    """Whether ``leaf`` waits for the load lock: in a company thread, or in a worker process (the processes' lock)."""
    return leaf.startswith("_sync_company ") or ("__enter__ " in leaf and "multiprocessing/synchronize.py" in leaf)


def _category(frames: list[str]) -> str:
    if frames and _locked(frames[-1]):
        return LOCK_WAIT
    if frames and frames[-1].startswith("_worker ") and "concurrent/futures/thread.py" in frames[-1]:
        return IDLE_WORKER  # a pool thread whose company is done, parked in its work queue until run_sync returns
    if any(f.startswith(PROCESS_WORKER) for f in frames) and not any(f.startswith("_run_company ") for f in frames):
        return IDLE_WORKER  # a worker process without a company (starting, or waiting for its next one)
    if frames and frames[-1].startswith(WAITS) and not any(step in frame for frame in frames for step in DLT_STEPS):
        return HANDED_OVER  # e.g. the company thread waiting for the answer a fetching thread is still reading
    for name, markers in CATEGORIES:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return "dlt pipeline setup and everything else"
