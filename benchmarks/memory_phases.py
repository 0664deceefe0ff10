"""Where a sync's memory goes: peak RSS per dlt step (state restore, extract, normalize, load) in a child process.

``python -m benchmarks.memory_phases --months 1 3 11 [--variant NAME ...]`` starts the emulator on the ``large``
profile cut to each number of months, records one sync's answers, then replays them to one fresh child process per
variant. A variant is a set of environment variables (dlt config, Arrow's allocator) that the child starts with,
so settings can be compared on the same answers without editing code.

Inside the child a thread samples ``VmRSS`` every few milliseconds and dlt's ``Pipeline`` steps are wrapped to say
which step is running; the child reports each step's peak and its RSS when the step ends (what it handed back),
and after normalize what the heaps hold (glibc's main arena, Arrow's pool, Python's object count).
Use it when the peak RSS goal of ``benchmarks.run`` (section 4) is missed, to see which step to work on.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.emulator_proc import EmulatorProcess
from benchmarks.measure import ROOT, sync_job

DUCKDB_GLOBAL = "DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG"
STEPS = ("sync_destination", "extract", "normalize", "load")

#: DuckDB's own defaults, which the sync used before it set its load settings: 80 % of RAM, a thread per core
_DUCKDB_OWN = {
    "memory_limit": f"{int(os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') * 0.8 / 2**20)}MB",
    "threads": os.cpu_count() or 1,
    "preserve_insertion_order": True,
}
#: name -> environment for the child (dlt reads its config from these; ``ARROW_DEFAULT_MEMORY_POOL`` is Arrow's)
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "system-pool": {"ARROW_DEFAULT_MEMORY_POOL": "system"},
    "duckdb-own-defaults": {DUCKDB_GLOBAL: json.dumps(_DUCKDB_OWN)},
    "duckdb-64mb": {DUCKDB_GLOBAL: json.dumps({"memory_limit": "64MB"})},
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class StepSampler:
    """Samples this process's RSS in a thread and files each sample under the dlt step running at the time."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.step = "setup"
        self.peaks: dict[str, float] = {}
        self.ends: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._file(_rss_mb())

    def _file(self, rss: float) -> None:
        self.peaks[self.step] = max(self.peaks.get(self.step, 0.0), rss)

    @contextmanager
    def running(self, step: str) -> Iterator[None]:
        before, self.step = self.step, step
        self._file(_rss_mb())
        try:
            yield
        finally:
            self._file(_rss_mb())
            self.ends[step] = _rss_mb()
            self.step = before

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _wrap_steps(sampler: StepSampler) -> None:
    from dlt.pipeline.pipeline import Pipeline  # noqa: PLC0415 - only in the child

    for step in STEPS:
        original: Callable[..., Any] = getattr(Pipeline, step)

        def wrapped(self: Any, *args: Any, __step: str = step, __original: Any = original, **kwargs: Any) -> Any:
            with sampler.running(__step):
                result = __original(self, *args, **kwargs)
            if __step == "normalize":
                sampler.ends.update(_heap())
            return result

        setattr(Pipeline, step, wrapped)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _heap() -> dict[str, float]:
    """After normalize: what the heaps hold (MB): glibc in use / free / mmapped, Arrow's pool, Python objects."""
    import gc  # noqa: PLC0415

    import pyarrow  # noqa: PLC0415

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    mb = 2**20
    return {
        "glibc_in_use": info.uordblks / mb,
        "glibc_free": info.fordblks / mb,
        "glibc_mmap": info.hblkhd / mb,
        "arrow_allocated": pyarrow.total_allocated_bytes() / mb,
        "python_objects_k": len(gc.get_objects()) / 1000,
    }


def child(job_path: str) -> None:
    """Run one sync with the sampler on and write ``<job>.out``: peaks and ends per step, rows, VmHWM."""
    from benchmarks.child import _peak_rss_mb  # noqa: PLC0415
    from netvisor_sync.auth import Credentials  # noqa: PLC0415
    from netvisor_sync.sync import run_sync  # noqa: PLC0415

    job = json.loads(Path(job_path).read_text())
    sampler = StepSampler()
    _wrap_steps(sampler)
    ready = _rss_mb()
    sampler.start()
    started = time.perf_counter()
    summary = run_sync(
        [Credentials(**values) for values in job["credentials"]],
        base_url=job["base_url"],
        destination=job["destination"],
        pipelines_dir=job["pipelines_dir"],
        workers=1,
    )
    wall = time.perf_counter() - started
    sampler.stop()
    rows = sum(n for c in summary.companies for t, n in c.loaded.items() if not t.startswith("_dlt"))
    out = {
        "ok": summary.ok,
        "errors": summary.errors[:3],
        "rows": rows,
        "wall": wall,
        "ready": ready,
        "peaks": sampler.peaks,
        "ends": sampler.ends,
        "hwm": _peak_rss_mb(),
    }
    Path(job_path + ".out").write_text(json.dumps(out))


def run_variant(emu: EmulatorProcess, where: Path, env: dict[str, str]) -> dict[str, Any]:
    where.mkdir(parents=True)
    job_path = where / "job.json"
    job_path.write_text(json.dumps(sync_job(emu, where)))
    environ = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": str(ROOT), **env}
    command = [sys.executable, "-m", "benchmarks.memory_phases", "--child", str(job_path)]
    done = subprocess.run(command, cwd=where, env=environ, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-3000:])
    result: dict[str, Any] = json.loads(Path(str(job_path) + ".out").read_text())
    return result


def line(label: str, result: dict[str, Any]) -> str:
    steps = " ".join(f"{step}={result['peaks'].get(step, 0):.0f}/{result['ends'].get(step, 0):.0f}" for step in STEPS)
    return (
        f"{label:<28} rows={result['rows']:>9,} hwm={result['hwm']:>5.0f} MB ready={result['ready']:.0f} "
        f"[peak/end] {steps} wall={result['wall']:.1f}s ok={result['ok']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory_phases", description=__doc__.split("\n")[0])
    parser.add_argument("--months", type=int, nargs="+", default=[1, 3, 11])
    parser.add_argument("--variant", nargs="+", default=["default"], help=f"of {sorted(VARIANTS)}")
    parser.add_argument("--env", action="append", default=[], help="extra variant NAME=K=V,K=V (ad hoc)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (load packages, DuckDB files)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    variants = {name: VARIANTS[name] for name in args.variant}
    for spec in args.env:
        name, _, pairs = spec.partition("=")
        variants[name] = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    root = Path(tempfile.mkdtemp(prefix="netvisor-memory-"))
    try:
        for months in args.months:
            with EmulatorProcess("large", months=months) as emu:
                emu.call("mode", "record")
                print(line(f"{months}m record (default)", run_variant(emu, root / f"{months}-record", {})), flush=True)
                emu.call("mode", "replay")
                for repeat in range(args.repeats):
                    for name, env in variants.items():
                        result = run_variant(emu, root / f"{months}-{name}-{repeat}", env)
                        print(line(f"{months}m {name}", result), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
