"""What runs inside a measured child process: one ``run_sync`` or one naive dlt baseline, timed from inside.

``python -m benchmarks.child <job.json>`` reads the job, runs it and writes ``<job.json>.out``: wall seconds and
CPU seconds of the work itself (imports and interpreter start excluded), rows per table, calls, errors. The parent
(:mod:`benchmarks.measure`) adds what only it can see: the whole process's CPU from ``wait4``. Peak RSS is the
child's own ``VmHWM`` (see :func:`_peak_rss_mb`).

Every job also samples its own RSS in a thread and files each sample under the dlt step running at the time
(:class:`StepMemory`): when the peak RSS goal is missed, ``RESULTS.md`` says in which step the peak was reached.

Profiling (``"profiler": "py-spy"``) wraps the whole child from outside (:mod:`benchmarks.measure`): py-spy sees
every thread, which dlt's worker threads need.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sync_job(job: dict[str, Any]) -> dict[str, Any]:
    """One :func:`netvisor_sync.sync.run_sync` over the job's companies."""
    from netvisor_sync.auth import Credentials  # noqa: PLC0415 - import cost is not part of the measured work
    from netvisor_sync.sync import run_sync  # noqa: PLC0415

    companies = [Credentials(**values) for values in job["credentials"]]

    def work() -> dict[str, Any]:
        summary = run_sync(
            companies,
            base_url=job["base_url"],
            destination=job["destination"],
            pipelines_dir=job["pipelines_dir"],
            workers=job.get("workers", 1),
            tables=job.get("tables"),
        )
        loaded: dict[str, int] = {}
        for company in summary.companies:
            for table, count in company.loaded.items():
                if not table.startswith("_dlt"):
                    loaded[table] = loaded.get(table, 0) + count
        return {"ok": summary.ok, "errors": summary.errors[:5], "loaded": loaded, "calls": summary.calls}

    return _timed(work, job)


def naive_job(job: dict[str, Any]) -> dict[str, Any]:
    """What a user would write first: plain dicts from ``parse_response`` into a default dlt DuckDB pipeline.

    It makes exactly the calls the sync made (``job["calls"]``: resource and parameters, from the emulator's log),
    one dlt resource per Netvisor resource, dlt defaults everywhere (``insert_values``, nested lists as child tables).
    """
    import dlt  # noqa: PLC0415

    from netvisor_sync.auth import Credentials  # noqa: PLC0415
    from netvisor_sync.parse import parse_response  # noqa: PLC0415
    from netvisor_sync.transport import NetvisorClient  # noqa: PLC0415

    calls: dict[str, list[dict[str, str]]] = {}
    for name, params in job["calls"]:
        calls.setdefault(name, []).append(params)
    client = NetvisorClient(Credentials(**job["credentials"][0]), base_url=job["base_url"])

    def pages(name: str) -> Any:
        for params in calls[name]:
            yield parse_response(name, client.get(name, params).body)

    def work() -> dict[str, Any]:
        pipeline = dlt.pipeline(
            pipeline_name="naive",
            destination=dlt.destinations.duckdb(credentials=job["destination"]),
            dataset_name="naive",
            pipelines_dir=job["pipelines_dir"],
        )
        resources = [dlt.resource(pages(name), name=name, write_disposition="replace") for name in calls]
        pipeline.run(resources)
        trace = pipeline.last_trace
        assert trace is not None
        assert trace.last_normalize_info is not None
        counts = trace.last_normalize_info.row_counts
        loaded = {table: count for table, count in counts.items() if not table.startswith("_dlt")}
        return {"ok": True, "errors": [], "loaded": loaded, "calls": {name: len(p) for name, p in calls.items()}}

    return _timed(work, job)


def _peak_rss_mb() -> float:
    """Peak RSS of this process image (``VmHWM``).

    Not ``ru_maxrss``: Linux carries that across ``exec`` from the forked parent, so a child of a big benchmark
    process would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 2**20


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
#: dlt's pipeline steps, in the order a sync runs them; "setup" is everything outside them (source, HTTP, parsing
#: happen inside ``extract``)
STEPS = ("sync_destination", "extract", "normalize", "load")


class StepMemory:
    """Peak RSS per dlt step: a thread samples ``VmRSS`` every 25 ms and files it under every step running at the
    time (several companies may run different steps at once; then a sample counts for each). Its thread is named
    ``bench-rss`` so profiles can leave it out."""

    def __init__(self, interval: float = 0.025) -> None:
        self.interval = interval
        self.peaks: dict[str, float] = {}
        #: CPU seconds of the calling thread inside each dlt step (the company thread runs its steps itself)
        self.step_cpu: dict[str, float] = {}
        self._running: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._file(_rss_mb())

    def _file(self, rss: float) -> None:
        with self._lock:
            steps = [step for step, n in self._running.items() if n] or ["setup"]
        for step in steps:
            self.peaks[step] = max(self.peaks.get(step, 0.0), rss)

    @contextmanager
    def running(self, step: str) -> Iterator[None]:
        with self._lock:
            self._running[step] += 1
        cpu = time.thread_time()
        try:
            yield
        finally:
            self._file(_rss_mb())  # a step's last allocation can fall between two samples
            with self._lock:
                self._running[step] -= 1
                self.step_cpu[step] = self.step_cpu.get(step, 0.0) + time.thread_time() - cpu

    def watch_dlt(self) -> None:
        """Wrap dlt's ``Pipeline`` steps (this child process only) so the sampler knows which one runs."""
        from dlt.pipeline.pipeline import Pipeline  # noqa: PLC0415 - imported by the job already

        for step in STEPS:
            original: Callable[..., Any] = getattr(Pipeline, step)

            def wrapped(pipeline: Any, *args: Any, _step: str = step, _original: Any = original, **kw: Any) -> Any:
                with self.running(_step):
                    return _original(pipeline, *args, **kw)

            setattr(Pipeline, step, wrapped)

    def __enter__(self) -> StepMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: thread groups of the sync, by name prefix (``netvisor_sync.source`` and ``sync`` name their threads)
THREAD_GROUPS = (("prefetch", "netvisor-prefetch"), ("company", "netvisor_"), ("rss sampler", "bench-rss"))


class ThreadCPU:
    """CPU seconds per group of threads (:data:`THREAD_GROUPS`, else ``other``), each thread's total taken with
    ``time.thread_time()`` as its ``run`` returns; the main thread's is added by :meth:`finish`."""

    def __init__(self) -> None:
        self.groups: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        group = next((g for g, prefix in THREAD_GROUPS if name.startswith(prefix)), "other")
        self._add(group, seconds)

    def _add(self, group: str, seconds: float) -> None:
        with self._lock:
            self.groups[group] = self.groups.get(group, 0.0) + seconds

    def watch_threads(self) -> None:
        """Wrap ``threading.Thread.run`` (this child process only) so every thread reports its CPU when it ends."""
        original = threading.Thread.run
        record = self.add

        def run(thread: threading.Thread) -> None:
            try:
                original(thread)
            finally:
                record(thread.name, time.thread_time())

        threading.Thread.run = run  # type: ignore[method-assign]

    def finish(self, main_since: float) -> dict[str, float]:
        self._add("main", time.thread_time() - main_since)
        return dict(self.groups)


def _timed(work: Callable[[], dict[str, Any]], job: dict[str, Any]) -> dict[str, Any]:
    memory = StepMemory()
    memory.watch_dlt()
    threads = ThreadCPU()
    threads.watch_threads()
    ready_rss_mb = _peak_rss_mb()  # imports done, no data yet
    with memory:
        cpu, started, main_cpu = _cpu(), time.perf_counter(), time.thread_time()
        result = work()
        result["wall"] = time.perf_counter() - started
        result["cpu"] = _cpu() - cpu
        result["thread_cpu"] = threads.finish(main_cpu)  # threads still running (pools kept alive) are not in it
    result["ready_rss_mb"] = ready_rss_mb
    result["peak_rss_mb"] = _peak_rss_mb()
    result["step_peaks_mb"] = memory.peaks
    result["step_cpu"] = memory.step_cpu
    return result


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"sync": sync_job, "naive": naive_job}


def main(argv: list[str]) -> int:
    path = argv[0]
    job = json.loads(Path(path).read_text())
    job["job_path"] = path
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    result = JOBS[job["kind"]](job)
    Path(path + ".out").write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
