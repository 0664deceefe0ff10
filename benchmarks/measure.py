"""Run one job (:mod:`benchmarks.child`) in a fresh process and measure it from outside: CPU and peak RSS.

Use :func:`run_child` for every timed sync or baseline: a fresh interpreter per run means no warm caches carried
between runs; CPU comes from ``os.wait4`` and peak RSS from the child's own ``VmHWM`` (``ru_maxrss`` would include
the forked parent's memory).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.emulator_proc import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ChildRun:
    """One measured child process."""

    wall: float  # seconds inside the job (imports excluded)
    cpu: float  # CPU seconds of the job itself (all threads, imports excluded)
    process_cpu: float  # CPU seconds of the whole child, interpreter start and imports included
    peak_rss_mb: float
    ready_rss_mb: float = 0.0  # RSS once the job's imports were done, before any data
    step_peaks_mb: dict[str, float] = field(default_factory=dict)  # peak RSS sampled in each dlt step
    thread_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per group of threads (child.ThreadCPU)
    step_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of the company thread in each dlt step
    loaded: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    ok: bool = True
    errors: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.loaded.values())


def run_child(job: dict[str, Any], workdir: Path) -> ChildRun:
    """Run ``job`` (``kind`` = ``sync`` | ``naive``) in a child process and measure it.

    Raises:
        RuntimeError: the child failed (its stderr tail is in the message).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    job_path = workdir / "job.json"
    job_path.write_text(json.dumps(job))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": path}
    stderr_path = workdir / "stderr.txt"
    command = [sys.executable, "-m", "benchmarks.child", str(job_path)]
    if job.get("profiler") == "py-spy":  # sample every thread, idle ones too: where the wall time goes
        spy = str(Path(sys.executable).with_name("py-spy"))
        # --subprocesses: companies run in worker processes (netvisor_sync.parallel)
        command = [spy, "record", "--idle", "--threads", "--subprocesses", "-r", "100", "-f", "raw"]
        command += ["-o", f"{job_path}.pyspy.txt", "--"]
        command += [sys.executable, "-m", "benchmarks.child", str(job_path)]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    out_path = Path(str(job_path) + ".out")
    if process.returncode != 0 or not out_path.exists():  # py-spy may exit 0 when the child it ran did not
        tail = stderr_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"benchmark child {job['kind']} failed ({process.returncode}):\n{tail}")
    out = json.loads(out_path.read_text())
    return ChildRun(
        wall=out["wall"],
        cpu=out["cpu"],
        process_cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=out.get("peak_rss_mb", usage.ru_maxrss / 1024),
        ready_rss_mb=out.get("ready_rss_mb", 0.0),
        step_peaks_mb=out.get("step_peaks_mb", {}),
        thread_cpu=out.get("thread_cpu", {}),
        step_cpu=out.get("step_cpu", {}),
        loaded=out["loaded"],
        calls=out["calls"],
        ok=out["ok"],
        errors=out["errors"],
    )


class Workspace:
    """A scratch directory per benchmark run; each sync gets a fresh destination and pipelines dir."""

    def __init__(self, keep: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="netvisor-bench-"))
        self.keep = keep
        self._count = 0

    def fresh(self, label: str) -> Path:
        self._count += 1
        path = self.root / f"{self._count:03d}-{label}"
        path.mkdir(parents=True)
        return path

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def sync_job(
    emu: EmulatorProcess,
    where: Path,
    *,
    orgs: Sequence[str] | None = None,
    workers: int = 1,
    profiler: str | None = None,
) -> dict[str, Any]:
    """A sync job against ``emu`` into ``where`` (reused across runs for incremental syncs)."""
    chosen = list(orgs) if orgs is not None else emu.orgs
    return {
        "kind": "sync",
        "base_url": emu.url,
        "credentials": [emu.credentials[org] for org in chosen],
        "destination": str(where / "bench.duckdb"),
        "pipelines_dir": str(where / "pipelines"),
        "workers": workers,
        "profiler": profiler,
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
