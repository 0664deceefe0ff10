"""``python -m benchmarks.run --quick | --full``: run every benchmark section and rewrite ``benchmarks/RESULTS.md``.

Sections (each figure a ratio of two things measured in the same run):

1. API calls vs the fewest Netvisor's limits allow: full sync, a no-change rerun, a rerun after 1 % changed.
2. Throughput and CPU at zero latency (replayed answers): rows/s end to end, sync CPU vs a bare lxml parse.
3. Baselines on the same data: the naive dlt pipeline (dicts, ``insert_values``), one detail call per record.
4. Peak RSS of the sync process at growing sizes.
5. Latency overlap: wall time vs the latency the emulator served; companies in parallel vs the slowest alone.

The emulator always runs in its own process (:mod:`benchmarks.emulator_proc`); every sync runs in a fresh child
process (:mod:`benchmarks.measure`). Quick mode stays within a few minutes on two cores; full mode adds the
``large`` profile and the 100k / 300k / 1M row runs and takes the better part of an hour.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import baselines, bounds, profiles
from benchmarks.emulator_proc import EmulatorProcess
from benchmarks.measure import ChildRun, Workspace, median, run_child, sync_job
from benchmarks.report import Figure, Results, markdown_table, write_results

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LATENCY_MS = 50.0
PER_ROW_MS = 0.5

Size = tuple[str, int | None]  # (profile, months of history; None = the profile's own)


@dataclass(frozen=True)
class Mode:
    name: str
    api_profiles: tuple[str, ...]
    throughput: Size
    naive: Size | None
    memory: tuple[Size, ...]
    per_record_sample: int
    company_profile: str
    repeats: int = 3
    naive_repeats: int = 3
    companies: bool = True


QUICK = Mode(
    name="quick",
    api_profiles=("small",),
    throughput=("small", None),
    naive=("small", None),
    memory=(("small", None), ("large", 1)),
    per_record_sample=300,
    company_profile="partner-test",
    naive_repeats=1,  # one naive run is a minute on small; it is several times slower, so one run decides the goal
)
FULL = Mode(
    name="full",
    api_profiles=("small", "large"),
    throughput=("large", 11),
    naive=("large", 3),
    memory=(("large", 1), ("large", 3), ("large", 11)),
    per_record_sample=2000,
    company_profile="small",
)

#: every code path of FULL on tiny data, to check the harness itself (``--smoke``); its numbers mean nothing
SMOKE = Mode(
    name="smoke",
    api_profiles=("partner-test",),
    throughput=("small", 2),
    naive=("small", 1),
    memory=(("small", 1), ("small", 2)),
    per_record_sample=20,
    company_profile="partner-test",
    repeats=1,
    naive_repeats=1,
)

#: sections 2 and 4 only, at 100k / 300k / 1M rows (``--scale``): the size-dependent goals without the hour of FULL
SCALE = Mode(
    name="scale",
    api_profiles=(),
    throughput=("large", 11),
    naive=None,
    memory=(("large", 1), ("large", 3), ("large", 11)),
    per_record_sample=0,
    company_profile="small",
    companies=False,
)


def label(size: Size) -> str:
    return size[0] if size[1] is None else f"{size[0]} cut to {size[1]} months"


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


class Bench:
    """One benchmark run: a workspace, the results, and the sections."""

    def __init__(self, mode: Mode, results: Results, profiler: str | None, keep: bool) -> None:
        self.mode = mode
        self.results = results
        self.profiler = profiler
        self.ws = Workspace(keep=keep)
        self.sync_rows: dict[Size, list[ChildRun]] = {}
        self.latency_sync_wall = float("nan")
        self.latency_calls = 0

    def say(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    # ---------------------------------------------------------------------------------------------- helpers

    def sync(self, emu: EmulatorProcess, where: Path | None = None, **options: Any) -> ChildRun:
        where = where or self.ws.fresh("sync")
        run = run_child(sync_job(emu, where, **options), where)
        if not run.ok:
            raise RuntimeError(f"sync failed: {run.errors}")
        return run

    def profiled(self, emu: EmulatorProcess, title: str, **options: Any) -> None:
        """One extra (untimed) sync under py-spy, summarised into RESULTS.md."""
        if self.profiler != "py-spy":
            return
        where = self.ws.fresh("profile")
        self.sync(emu, where, profiler="py-spy", **options)
        raw = where / "job.json.pyspy.txt"
        total, phases = profiles.categorize(raw, thread_filter="netvisor")
        by_phase = markdown_table(
            ("where (company threads, idle time included)", "share of wall"),
            [(name, f"{n / total:.0%}") for name, n in phases],
        )
        hottest = markdown_table(
            ("hottest frames, all threads (self samples)", "samples"),
            [(f"`{name}`", str(n)) for name, n in profiles.self_top(raw, top=12)],
        )
        self.results.details += [
            f"### Where the time goes: {title}",
            "",
            f"py-spy, 100 Hz, idle included, one extra run: {total} samples in the company threads.",
            "",
            by_phase,
            "",
            hottest,
            "",
        ]

    def replays(self, emu: EmulatorProcess, size: Size) -> list[ChildRun]:
        emu.call("mode", "replay")
        runs = []
        for number in range(self.mode.repeats):
            emu.call("clear_log")
            runs.append(self.sync(emu))
            missed = [e for e in emu.log() if not e["replayed"]]
            if missed:
                self.results.notes.append(
                    f"{label(size)} replay run {number + 1}: {len(missed)} calls missed the cache"
                )
        self.sync_rows[size] = runs
        return runs

    # ---------------------------------------------------------------------------------------------- sections

    def api_calls(self, emu: EmulatorProcess, profile: str) -> tuple[list[dict[str, Any]], ChildRun]:
        """Section 1; returns the full sync's log and run (the record run)."""
        org = emu.orgs[0]
        self.say(f"1. API calls, {profile}: reading the books")
        facts = emu.call("facts")[org]
        books = bounds.records_in_books(facts)
        where = self.ws.fresh(f"api-{profile}")
        emu.call("mode", "record")
        emu.call("clear_log")
        self.say(f"1. API calls, {profile}: full sync (live emulator; also records the answers)")
        full_run = self.sync(emu, where)
        full_log = emu.log()
        emu.call("mode", "live")  # the cache keeps exactly the full sync's answers (section 2 parses those bytes)
        emu.call("clear_log")
        self.say(f"1. API calls, {profile}: no-change rerun")
        self.sync(emu, where)
        unchanged_log = emu.log()
        changed = emu.call("change", 0.01)
        emu.call("clear_log")
        self.say(f"1. API calls, {profile}: rerun after 1 % changed ({sum(changed.values())} records)")
        self.sync(emu, where)
        changed_log = emu.log()
        phases = [
            ("full sync", _counts(full_log), bounds.lower_bound(books, first_run=True)),
            ("no-change rerun", _counts(unchanged_log), bounds.lower_bound({}, first_run=False)),
            ("rerun after 1 % changed", _counts(changed_log), bounds.lower_bound(changed, first_run=False)),
        ]
        for phase, calls, bound in phases:
            ratio = sum(calls.values()) / sum(bound.values())
            self.results.add(
                Figure(
                    "1",
                    f"API calls, {phase} ({profile})",
                    f"{sum(calls.values())} calls / lower bound {sum(bound.values())} = {ratio:.2f}",
                    "1.00",
                    ratio <= 1.0 + 1e-9,
                )
            )
        resources = sorted(set().union(*(set(c) | set(b) for _, c, b in phases)))
        rows = [
            (f"`{r}`", *(f"{calls.get(r, 0)} / {bound.get(r, 0)}" for _, calls, bound in phases)) for r in resources
        ]
        rows.append(("**total**", *(f"**{sum(c.values())} / {sum(b.values())}**" for _, c, b in phases)))
        book_rows = ", ".join(f"{kind} {n:,}" for kind, n in books.items())
        self.results.details += [
            f"### 1. API calls per resource, `{profile}` profile (made / lower bound)",
            "",
            f"Books: {book_rows}; {full_run.rows:,} rows loaded. 1 % changed: "
            + ", ".join(f"{k} {v}" for k, v in changed.items())
            + ". The bound's rules are in `benchmarks/bounds.py`.",
            "",
            markdown_table(("resource", *(phase for phase, _, _ in phases)), rows),
            "",
        ]
        return full_log, full_run

    def throughput(self, emu: EmulatorProcess, size: Size, record_run: ChildRun | None) -> None:
        """Section 2 on ``size`` (answers already recorded)."""
        self.say(f"2. throughput, {label(size)}: {self.mode.repeats} replayed syncs")
        runs = self.replays(emu, size)
        rows = runs[0].rows
        wall = median([r.wall for r in runs])
        cpu = median([r.cpu for r in runs])
        bodies_path = self.ws.fresh("bodies") / "bodies.pkl"
        info = emu.call("bodies", str(bodies_path))
        bodies = baselines.load_bodies(bodies_path)
        floors = [baselines.bare_parse(bodies) for _ in range(self.mode.repeats)]
        floor = median([f.cpu for f in floors])
        del bodies
        self.results.add(
            Figure(
                "2",
                f"rows/s end to end, zero latency ({label(size)})",
                f"{fmt(rows / wall)}",
                "≥ 25,000",
                rows / wall >= 25_000,
            )
        )
        self.results.add(
            Figure(
                "2",
                "sync CPU / bare lxml parse of the same bytes",
                f"{cpu:.2f} s / {floor:.2f} s = {cpu / floor:.1f}×",
                "≤ 2.5×",
                cpu / floor <= 2.5,
            )
        )
        context = [
            ("rows loaded (all tables, lines included)", fmt(rows)),
            ("responses / bytes parsed", f"{info['responses']:,} / {info['bytes'] / 1e6:,.1f} MB"),
            ("sync wall, median (s)", f"{wall:.2f} ({', '.join(f'{r.wall:.2f}' for r in runs)})"),
            ("sync CPU, median (s)", f"{cpu:.2f} ({', '.join(f'{r.cpu:.2f}' for r in runs)})"),
            (
                "sync process CPU incl. interpreter start and imports (s)",
                f"{median([r.process_cpu for r in runs]):.2f}",
            ),
            ("rows per sync CPU second", fmt(rows / cpu)),
            ("bare parse CPU, median (s) / MB/s", f"{floor:.2f} / {info['bytes'] / 1e6 / floor:,.0f}"),
            ("peak RSS of the sync, median (MB)", f"{median([r.peak_rss_mb for r in runs]):.0f}"),
        ]
        if record_run is not None:
            context.append(
                ("for context: rows/s against the live emulator (its rendering included)", fmt(rows / record_run.wall))
            )
        self.results.details += [
            f"### 2. Throughput and CPU, `{label(size)}`, zero latency, answers replayed from memory",
            "",
            markdown_table(("measure", "value"), context),
            "",
        ]
        self.profiled(emu, f"zero-latency sync of {label(size)} (section 2)")

    def naive(self, emu: EmulatorProcess, size: Size, full_log: Sequence[Mapping[str, Any]]) -> None:
        """Section 3a: the naive dlt pipeline over the same calls, replayed."""
        self.say(f"3a. naive dlt pipeline, {label(size)}: {self.mode.naive_repeats} run(s)")
        emu.call("mode", "replay")
        calls = [(e["resource"], e["params"]) for e in full_log if e["code"] == "OK"]
        runs = []
        for _ in range(self.mode.naive_repeats):
            where = self.ws.fresh("naive")
            job = {
                "kind": "naive",
                "base_url": emu.url,
                "credentials": [emu.credentials[emu.orgs[0]]],
                "calls": calls,
                "destination": str(where / "baseline.duckdb"),
                "pipelines_dir": str(where / "pipelines"),
            }
            runs.append(run_child(job, where))
        sync_runs = self.sync_rows.get(size) or self.replays(emu, size)
        naive_wall, sync_wall = median([r.wall for r in runs]), median([r.wall for r in sync_runs])
        ratio = naive_wall / sync_wall
        self.results.add(
            Figure(
                "3a",
                f"naive dlt pipeline (dicts, insert_values) wall / sync wall ({label(size)})",
                f"{naive_wall:.1f} s / {sync_wall:.1f} s = {ratio:.1f}×",
                "≥ 10×",
                ratio >= 10,
            )
        )
        self.results.details += [
            f"### 3a. Naive dlt pipeline vs the sync, `{label(size)}`, same calls, answers replayed",
            "",
            markdown_table(
                ("path", "wall (s), median", "CPU (s)", "rows", "rows/s", "peak RSS (MB)"),
                [
                    (
                        name,
                        f"{median([r.wall for r in rs]):.2f}",
                        f"{median([r.cpu for r in rs]):.2f}",
                        fmt(rs[0].rows),
                        fmt(rs[0].rows / median([r.wall for r in rs])),
                        f"{median([r.peak_rss_mb for r in rs]):.0f}",
                    )
                    for name, rs in (("naive: dicts, dlt defaults", runs), ("netvisor-sync", sync_runs))
                ],
            ),
            "",
            f"Medians of {len(runs)} naive and {len(sync_runs)} sync runs. The naive rows include list and detail rows "
            "separately (no merge), so it lands more rows than the sync.",
            "",
        ]

    def per_record(self, emu: EmulatorProcess, full_log: Sequence[Mapping[str, Any]]) -> None:
        """Section 3b: one detail call per record (calls exact; local time sampled; latency modelled)."""
        from netvisor_sync.auth import Credentials  # noqa: PLC0415 - keep the module import light
        from netvisor_sync.transport import NetvisorClient  # noqa: PLC0415

        self.say("3b. one detail call per record: sampling calls against the live emulator")
        emu.call("mode", "live")
        emu.set_latency(0, 0, real=False)
        plan = baselines.per_record_plan(full_log)
        list_rows = Counter[str]()
        for entry in full_log:
            if entry["resource"] not in baselines.SINGLE_KEY:
                list_rows[entry["resource"]] += entry["rows"]
        with NetvisorClient(Credentials(**emu.credentials[emu.orgs[0]]), base_url=emu.url) as client:
            result = baselines.time_per_record(
                plan,
                client,
                sample=self.mode.per_record_sample,
                latency_ms=LATENCY_MS,
                per_row_ms=PER_ROW_MS,
                list_rows=list_rows,
            )
        sync_calls = sum(1 for e in full_log if e["code"] == "OK")
        modelled = result.local_seconds + result.modelled_latency
        self.results.add(
            Figure(
                "3b",
                "one detail call per record: calls (vs the sync's)",
                f"{result.calls:,} vs {sync_calls:,} = {result.calls / sync_calls:,.0f}×",
            )
        )
        self.results.add(
            Figure(
                "3b",
                f"one detail call per record: wall under {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row (vs the sync)",
                f"{modelled:,.0f} s (modelled) vs {self.latency_sync_wall:,.1f} s = "
                f"{modelled / self.latency_sync_wall:,.0f}×",
            )
        )
        self.results.details += [
            "### 3b. One detail call per record",
            "",
            f"{result.calls:,} calls ({result.detail_calls:,} single-key detail calls); {result.sampled} sampled at "
            f"zero latency: local time {result.local_seconds:,.1f} s for all detail calls; the latency plan adds "
            f"{result.modelled_latency:,.0f} s (every call {LATENCY_MS:.0f} ms, every row {PER_ROW_MS} ms). "
            "List calls are counted but their local time is not (in the baseline's favour).",
            "",
        ]

    def memory(self, sizes: Mapping[Size, list[ChildRun]]) -> None:
        """Section 4 from the replayed syncs of every size."""
        points = sorted(((runs[0].rows, median([r.peak_rss_mb for r in runs]), size) for size, runs in sizes.items()))
        for rows, rss, size in points:
            self.results.add(
                Figure("4", f"peak RSS at {fmt(rows)} rows ({label(size)})", f"{rss:.0f} MB", "≤ 400 MB", rss <= 400)
            )
        table = [
            (
                label(size),
                fmt(rows),
                f"{rss:.0f}",
                f"{median([r.ready_rss_mb for r in sizes[size]]):.0f}",
                str(len(sizes[size])),
            )
            for rows, rss, size in points
        ]
        self.results.details += [
            "### 4. Peak RSS of the sync process",
            "",
            markdown_table(
                ("data", "rows", "peak RSS (MB)", "RSS after importing dlt + netvisor_sync (MB)", "runs"), table
            ),
            "",
            "Sizes not also timed (section 2/3a) use the recording run's peak RSS: the sync pulls its data, so "
            "its memory does not depend on how fast the server answers.",
            "",
        ]
        if len(points) >= 2:
            growth = points[-1][1] / points[0][1]
            self.results.add(
                Figure(
                    "4",
                    f"RSS growth from {fmt(points[0][0])} to {fmt(points[-1][0])} rows "
                    f"({points[-1][0] / points[0][0]:.1f}× the rows)",
                    f"{growth:.2f}×",
                    "≤ 1.25× (flat)",
                    growth <= 1.25,
                )
            )

    def latency(self, emu: EmulatorProcess, size: Size) -> None:
        """Section 5a: wall time vs the latency the emulator served (replayed answers, real sleeps)."""
        self.say(
            f"5a. latency overlap, {label(size)}: {self.mode.repeats} syncs at {LATENCY_MS} ms + {PER_ROW_MS} ms/row"
        )
        emu.call("mode", "replay")
        emu.set_latency(LATENCY_MS, PER_ROW_MS, real=True)
        walls, served = [], []
        for _ in range(self.mode.repeats):
            emu.call("clear_log")
            walls.append(self.sync(emu).wall)
            log = emu.log()
            served.append(sum(e["latency_ms"] for e in log) / 1000)
            self.latency_calls = len(log)
        wall, latency = median(walls), median(served)
        self.latency_sync_wall = wall
        self.results.add(
            Figure(
                "5",
                f"wall / Σ latency served, one company ({label(size)}, {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row)",
                f"{wall:.1f} s / {latency:.1f} s = {wall / latency:.2f}×",
                "≤ 1.1×",
                wall / latency <= 1.1,
            )
        )
        self.profiled(emu, f"sync of {label(size)} under {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row (section 5)")
        emu.set_latency(0, 0, real=False)

    def companies(self, counts: Sequence[int]) -> None:
        """Section 5b: N companies in parallel vs the slowest of them alone."""
        profile = self.mode.company_profile
        with EmulatorProcess(profile, seed=3, companies=max(counts)) as emu:
            self.say(f"5b. {max(counts)} companies ({profile}): recording")
            emu.call("mode", "record")
            self.sync(emu, workers=max(counts))
            modelled: Counter[str] = Counter()
            for e in emu.log():
                modelled[e["organisation"]] += LATENCY_MS + PER_ROW_MS * e["rows"]
            emu.call("mode", "replay")
            emu.set_latency(LATENCY_MS, PER_ROW_MS, real=True)
            self.profiled(emu, f"{max(counts)} companies in parallel (section 5b)", workers=max(counts))
            alone: dict[str, float] = {}
            rows = []
            ranked = sorted(emu.orgs, key=lambda org: -modelled[org])  # the slowest first: every set shares it
            for count in counts:
                chosen = ranked[:count]
                slowest = chosen[0]
                if slowest not in alone:
                    self.say(f"5b. slowest company {slowest} alone: {self.mode.repeats} runs")
                    alone[slowest] = median([self.sync(emu, orgs=[slowest]).wall for _ in range(self.mode.repeats)])
                self.say(f"5b. {count} companies in parallel: {self.mode.repeats} runs")
                together = median([self.sync(emu, orgs=chosen, workers=count).wall for _ in range(self.mode.repeats)])
                ratio = together / alone[slowest]
                served = modelled[slowest] / 1000
                rows.append((str(count), f"{together:.1f}", f"{alone[slowest]:.1f}", f"{served:.1f}", f"{ratio:.2f}"))
                self.results.add(
                    Figure(
                        "5",
                        f"{count} companies in parallel / the slowest alone ({profile})",
                        f"{together:.1f} s / {alone[slowest]:.1f} s = {ratio:.2f}×",
                        "≤ 1.1×",
                        ratio <= 1.1,
                    )
                )
        self.results.details += [
            f"### 5b. Companies in parallel, `{profile}` profile, {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row, replayed",
            "",
            markdown_table(
                ("companies", "wall in parallel (s)", "slowest alone (s)", "Σ latency of the slowest (s)", "ratio"),
                rows,
            ),
            "",
        ]

    # ---------------------------------------------------------------------------------------------- the run

    def run(self) -> None:
        mode = self.mode
        logs: dict[str, list[dict[str, Any]]] = {}
        for profile in mode.api_profiles:
            with EmulatorProcess(profile) as emu:
                logs[profile], record_run = self.api_calls(emu, profile)
                size: Size = (profile, None)
                if size == mode.throughput:
                    self.throughput(emu, size, record_run)
                if size == mode.naive:
                    self.naive(emu, size, logs[profile])
                if profile == mode.api_profiles[0]:
                    self.latency(emu, size)
                    self.per_record(emu, logs[profile])
        for size in dict.fromkeys(s for s in (mode.throughput, mode.naive, *mode.memory) if s is not None):
            if size in self.sync_rows:
                continue
            with EmulatorProcess(size[0], months=size[1]) as emu:
                self.say(f"recording {label(size)} (live emulator)")
                emu.call("mode", "record")
                record_run = self.sync(emu)
                log = emu.log()
                if size == mode.throughput:
                    self.throughput(emu, size, record_run)
                elif size != mode.naive:
                    self.sync_rows[size] = [record_run]  # memory only: peak RSS does not depend on server speed
                if size == mode.naive:
                    self.naive(emu, size, log)
        self.memory({size: self.sync_rows[size] for size in mode.memory})
        if mode.companies:
            self.companies((2, 8))
        self.results.figures.sort(key=lambda f: f.section)


def _counts(log: Sequence[Mapping[str, Any]]) -> Counter[str]:
    return Counter(e["resource"] for e in log if e["code"] == "OK")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="small profile and slices (default)")
    which.add_argument("--full", action="store_true", help="adds the large profile and the 1M-row runs")
    which.add_argument("--scale", action="store_true", help="only throughput and memory at 100k / 300k / 1M rows")
    which.add_argument("--smoke", action="store_true", help="every code path on tiny data (checks the harness)")
    parser.add_argument("--profile", choices=["py-spy"], help="also profile one sync per section (py-spy)")
    parser.add_argument("--repeats", type=int, help="timed runs per figure (default 3; medians need at least 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (DuckDB files, profiles)")
    args = parser.parse_args(argv)
    mode = FULL if args.full else SMOKE if args.smoke else SCALE if args.scale else QUICK
    if args.repeats:
        mode = dataclasses.replace(mode, repeats=args.repeats)
    command = {"full": "make bench-full", "quick": "make bench"}.get(
        mode.name, f"python -m benchmarks.run --{mode.name}"
    )
    results = Results(mode=mode.name, command=command)
    results.notes.append(
        "Measured on a shared machine while other jobs (test suites) were running: compare ratios, not seconds; "
        "re-run on a quiet machine for publishable numbers."
    )
    bench = Bench(mode, results, args.profile, args.keep)
    try:
        bench.run()
    finally:
        bench.ws.close()
    write_results(results, args.out)
    missed = [f for f in results.figures if f.passed is False]
    print(f"wrote {args.out}: {len(results.figures)} figures, {len(missed)} goals missed", flush=True)
    for figure in results.figures:
        print(f"  {figure.mark or '·'} {figure.section} {figure.name}: {figure.measured} (goal {figure.goal or '-'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
