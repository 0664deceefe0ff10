"""The bookkeeping every benchmark section shares: timed steps, emulator processes, recorded and replayed syncs.

Use :class:`Harness` as the base of :class:`benchmarks.sections.Sections`: it owns the scratch workspace, times
every step (wall and CPU of all processes, for the table at the end of ``RESULTS.md``), records each data set once
and replays it to every section that can use it, and runs the py-spy evidence for a missed goal.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import profiles
from benchmarks.emulator_proc import EmulatorProcess
from benchmarks.measure import ChildRun, Workspace, run_child, sync_job
from benchmarks.report import Figure, Results, markdown_table

CORES = os.cpu_count() or 1

Size = tuple[str, int | None]  # (profile, months of history; None = the profile's own)

#: the sync's threads, by name prefix: ``run_sync``'s pool (one per company) and the fetching threads that read a
#: table's calls ahead (``netvisor_sync.prefetch``, when the sync has them)
THREADS = (("company threads", "netvisor_"), ("prefetch threads", "netvisor-prefetch"))


def label(size: Size) -> str:
    return size[0] if size[1] is None else f"{size[0]} cut to {size[1]} months"


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


@dataclass(frozen=True)
class Settings:
    """What the sections need from the mode: timed runs per figure, the 3b sample, py-spy or not."""

    repeats: int
    per_record_sample: int
    profiler: str | None
    keep: bool = False


class Harness:
    """One benchmark run's bookkeeping: a workspace, the results, per-step durations, the recorded and replayed
    syncs every section shares, and the py-spy evidence for missed goals."""

    def __init__(self, settings: Settings, results: Results) -> None:
        self.settings = settings
        self.results = results
        self.ws = Workspace(keep=settings.keep)
        self.sync_rows: dict[Size, list[ChildRun]] = {}
        self.latency_sync_wall = float("nan")
        self.profiled_sizes: set[Size] = set()  # zero-latency syncs already profiled (sections 2 and 3a share)
        self._emulators: list[EmulatorProcess] = []

    def say(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    # ---------------------------------------------------------------------------------------------- bookkeeping

    @contextmanager
    def emulator(self, profile: str, **options: Any) -> Iterator[EmulatorProcess]:
        """An emulator process whose CPU counts in the section timings; building its data is timed on its own."""
        size: Size = (profile, options.get("months"))
        emu = EmulatorProcess(profile, **options)
        self._emulators.append(emu)  # counted from its start: building the data is part of its CPU
        companies = f" x {options['companies']}" if "companies" in options else ""
        with self.timed(f"emulator: build {label(size)}{companies}"):
            emu.__enter__()
        try:
            yield emu
        finally:
            self._emulators.remove(emu)
            emu.__exit__(None, None, None)

    def _cpu(self) -> float:
        """CPU seconds of this benchmark so far: itself, its finished children (syncs, py-spy, emulators that
        stopped) and the emulators still running."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        live = sum(emu.cpu_seconds() for emu in self._emulators)
        return own.ru_utime + own.ru_stime + done.ru_utime + done.ru_stime + live

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Wall and CPU seconds of one section, printed and kept for ``RESULTS.md``."""
        wall, cpu = time.perf_counter(), self._cpu()
        try:
            yield
        finally:
            took, used = time.perf_counter() - wall, self._cpu() - cpu
            self.results.timings.append((name, took, used))
            self.say(f"{name}: {took:.1f} s wall, {used:.1f} s CPU")

    # ---------------------------------------------------------------------------------------------- helpers

    def sync(self, emu: EmulatorProcess, where: Path | None = None, **options: Any) -> ChildRun:
        where = where or self.ws.fresh("sync")
        run = run_child(sync_job(emu, where, **options), where)
        if not run.ok:
            raise RuntimeError(f"sync failed: {run.errors}")
        return run

    def profiled(
        self,
        section: str,
        figures: Sequence[Figure],
        title: str,
        make_job: Callable[[Path], dict[str, Any]],
    ) -> bool:
        """One extra (untimed) sync under py-spy, summarised into RESULTS.md, if one of ``figures`` missed its goal.

        The time of each group of threads (:data:`THREADS`, idle included) is split into phases; the hottest frames
        are taken over every thread. Returns whether it profiled.
        """
        if self.settings.profiler != "py-spy" or all(f.passed is not False for f in figures):
            return False
        with self.timed(f"py-spy: {title}"):
            for attempt in (1, 2):  # py-spy now and then fails to attach to a child that is just starting
                where = self.ws.fresh("profile")
                try:
                    run_child({**make_job(where), "profiler": "py-spy"}, where)
                    break
                except RuntimeError as error:
                    failure = str(error).strip().splitlines()[-1]
                    self.say(f"py-spy run {attempt} failed: {failure}")
            else:
                self.results.notes.append(f"The py-spy run for {title} failed twice: {failure}")
                return False
        raw = where / "job.json.pyspy.txt"
        groups: list[tuple[str, int, dict[str, int]]] = []
        for name, prefix in THREADS:
            total, phases = profiles.categorize(raw, thread_filter=prefix)
            if total:
                groups.append((name, total, dict(phases)))
        order = list(dict.fromkeys(phase for _, _, phases in groups for phase in phases))
        by_phase = markdown_table(
            ("where the time goes (idle included)", *(f"share of the {name}" for name, _, _ in groups)),
            [(phase, *(f"{phases.get(phase, 0) / total:.0%}" for _, total, phases in groups)) for phase in order],
        )
        samples = ", ".join(f"{total} in the {name}" for name, total, _ in groups)
        hottest = markdown_table(
            ("hottest frames, all threads (self samples, waiting for a lock included)", "samples"),
            [(f"`{name}`", str(n)) for name, n in profiles.self_top(raw, top=12)],
        )
        self.results.detail(
            section,
            [
                f"### Where the time goes: {title}",
                "",
                f"py-spy, 100 Hz, idle included, one extra run; samples: {samples}.",
                "",
                by_phase,
                "",
                hottest,
                "",
            ],
        )
        return True

    def replays(self, emu: EmulatorProcess, size: Size) -> list[ChildRun]:
        """``repeats`` zero-latency syncs of recorded answers; every figure on ``size`` reuses them."""
        if size in self.sync_rows and len(self.sync_rows[size]) >= self.settings.repeats:
            return self.sync_rows[size]
        emu.call("mode", "replay")
        emu.set_latency(0, 0, real=False)
        runs = []
        with self.timed(f"2. {self.settings.repeats} replayed syncs of {label(size)}"):
            for number in range(self.settings.repeats):
                emu.call("clear_log")
                runs.append(self.sync(emu))
                missed = [e for e in emu.log() if not e["replayed"]]
                if missed:
                    self.results.notes.append(
                        f"{label(size)} replay run {number + 1}: {len(missed)} calls missed the cache"
                    )
        self.sync_rows[size] = runs
        return runs

    def record(self, emu: EmulatorProcess, size: Size, **options: Any) -> tuple[ChildRun, list[dict[str, Any]]]:
        """The first (live) sync of a data set, keeping every answer for the replays."""
        with self.timed(f"record {label(size)} (live emulator)"):
            emu.call("mode", "record")
            emu.call("clear_log")
            run = self.sync(emu, **options)
            log = emu.log()
            emu.call("mode", "live")
        return run, log
