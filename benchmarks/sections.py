"""The benchmark sections (issue #5): each measures one figure against its goal and hands in a detail block.

Use :class:`Sections` through :mod:`benchmarks.run`, which decides what data each section gets (quick, full,
smoke, scale) and in what order; the sections only measure. Every figure is a ratio of two things measured in the
same run; every timed figure is the median of ``repeats`` runs; a missed figure comes with its evidence (a py-spy
summary with ``--profile py-spy``, the sync's CPU next to its wall, peak RSS per dlt step).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import baselines, bounds
from benchmarks.child import STEPS
from benchmarks.emulator_proc import EmulatorProcess
from benchmarks.harness import CORES, Harness, Settings, Size, fmt, label
from benchmarks.measure import ChildRun, median, run_child, sync_job
from benchmarks.report import Figure, markdown_table

__all__ = ["Sections", "Settings", "Size"]

LATENCY_MS = 50.0
PER_ROW_MS = 0.5


class Sections(Harness):
    """The sections of issue #5, each adding its figures and detail blocks to the results."""

    # ---------------------------------------------------------------------------------------------- section 1

    def api_calls(self, emu: EmulatorProcess, profile: str) -> tuple[list[dict[str, Any]], ChildRun]:
        """Section 1; returns the full sync's log and run (the record run)."""
        org = emu.orgs[0]
        books = bounds.records_in_books(emu.call("facts")[org])
        where = self.ws.fresh(f"api-{profile}")
        with self.timed(f"1. full sync of {profile} (live emulator; records the answers)"):
            emu.call("mode", "record")
            emu.call("clear_log")
            full_run = self.sync(emu, where)
            full_log = emu.log()
            emu.call("mode", "live")  # the cache keeps exactly the full sync's answers (section 2 parses those)
        with self.timed(f"1. no-change rerun and rerun after 1 % changed ({profile})"):
            emu.call("clear_log")
            self.sync(emu, where)
            unchanged_log = emu.log()
            changed = emu.call("change", 0.01)
            emu.call("clear_log")
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
        over = [r for r in resources if any(calls.get(r, 0) > bound.get(r, 0) for _, calls, bound in phases)]
        book_rows = ", ".join(f"{kind} {n:,}" for kind, n in books.items())
        self.results.detail(
            "1",
            [
                f"### 1. API calls per resource, `{profile}` profile (made / lower bound)",
                "",
                f"Books: {book_rows}; {full_run.rows:,} rows loaded. 1 % changed: "
                + ", ".join(f"{k} {v}" for k, v in changed.items())
                + ". The bound's rules are in `benchmarks/bounds.py`."
                + (f" Over the bound: {', '.join(f'`{r}`' for r in over)}." if over else ""),
                "",
                markdown_table(("resource", *(phase for phase, _, _ in phases)), rows),
                "",
            ],
        )
        return full_log, full_run

    # ---------------------------------------------------------------------------------------------- section 2

    def throughput(self, emu: EmulatorProcess, size: Size, record_run: ChildRun | None) -> None:
        """Section 2 on ``size`` (answers already recorded)."""
        runs = self.replays(emu, size)
        rows = runs[0].rows
        wall = median([r.wall for r in runs])
        cpu = median([r.cpu for r in runs])
        with self.timed(f"2. bare lxml parse of the same bytes x {self.settings.repeats}"):
            bodies_path = self.ws.fresh("bodies") / "bodies.pkl"
            info = emu.call("bodies", str(bodies_path))
            bodies = baselines.load_bodies(bodies_path)
            floors = [baselines.bare_parse(bodies) for _ in range(self.settings.repeats)]
            floor = median([f.cpu for f in floors])
            del bodies
            bodies_path.unlink()
        speed = self.results.add(
            Figure(
                "2",
                f"rows/s end to end, zero latency ({label(size)}, {fmt(rows)} rows)",
                f"{fmt(rows / wall)}",
                "≥ 25,000",
                rows / wall >= 25_000,
            )
        )
        ratio = self.results.add(
            Figure(
                "2",
                f"sync CPU / bare lxml parse of the same bytes ({label(size)})",
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
            ("sync CPU / wall (above 1: more than one core busy)", f"{cpu / wall:.2f}"),
            (
                "sync process CPU incl. interpreter start and imports (s)",
                f"{median([r.process_cpu for r in runs]):.2f}",
            ),
            ("rows per sync CPU second", fmt(rows / cpu)),
            ("bare parse CPU, median (s) / MB/s", f"{floor:.2f} / {info['bytes'] / 1e6 / floor:,.0f}"),
            ("peak RSS of the sync, median (MB)", f"{median([r.peak_rss_mb for r in runs]):.0f}"),
            *_cpu_split(runs, floor),
        ]
        if record_run is not None:
            context.append(
                ("for context: rows/s against the live emulator (its rendering included)", fmt(rows / record_run.wall))
            )
        self.results.detail(
            "2",
            [
                f"### 2. Throughput and CPU, `{label(size)}`, zero latency, answers replayed from memory",
                "",
                markdown_table(("measure", "value"), context),
                "",
            ],
        )
        title = f"zero-latency sync of {label(size)} (section 2)"
        if self.profiled("2", [speed, ratio], title, lambda where: sync_job(emu, where)):
            self.profiled_sizes.add(size)

    # ---------------------------------------------------------------------------------------------- section 3

    def naive(self, emu: EmulatorProcess, size: Size, full_log: Sequence[Mapping[str, Any]]) -> None:
        """Section 3a: the naive dlt pipeline over the same calls, replayed, against the sync's replays."""
        calls = [(e["resource"], e["params"]) for e in full_log if e["code"] == "OK"]
        sync_runs = self.replays(emu, size)
        emu.call("mode", "replay")
        emu.set_latency(0, 0, real=False)
        runs = []

        def job(where: Path) -> dict[str, Any]:
            return {
                "kind": "naive",
                "base_url": emu.url,
                "credentials": [emu.credentials[emu.orgs[0]]],
                "calls": calls,
                "destination": str(where / "baseline.duckdb"),
                "pipelines_dir": str(where / "pipelines"),
            }

        with self.timed(f"3a. naive dlt pipeline x {self.settings.repeats} ({label(size)})"):
            for _ in range(self.settings.repeats):
                where = self.ws.fresh("naive")
                runs.append(run_child(job(where), where))
        naive_wall, sync_wall = median([r.wall for r in runs]), median([r.wall for r in sync_runs])
        naive_cpu, sync_cpu = median([r.cpu for r in runs]), median([r.cpu for r in sync_runs])
        ratio = naive_wall / sync_wall
        figure = self.results.add(
            Figure(
                "3a",
                f"naive dlt pipeline (dicts, insert_values) wall / sync wall ({label(size)})",
                f"{naive_wall:.1f} s / {sync_wall:.1f} s = {ratio:.1f}×",
                "≥ 10×",
                ratio >= 10,
            )
        )
        table = [
            (
                name,
                f"{median([r.wall for r in rs]):.2f}",
                f"{median([r.cpu for r in rs]):.2f}",
                fmt(rs[0].rows),
                fmt(rs[0].rows / median([r.wall for r in rs])),
                f"{median([r.peak_rss_mb for r in rs]):.0f}",
            )
            for name, rs in (("naive: dicts, dlt defaults", runs), ("netvisor-sync", sync_runs))
        ]
        self.results.detail(
            "3a",
            [
                f"### 3a. Naive dlt pipeline vs the sync, `{label(size)}`, same calls, answers replayed",
                "",
                markdown_table(("path", "wall (s), median", "CPU (s)", "rows", "rows/s", "peak RSS (MB)"), table),
                "",
                f"Medians of {len(runs)} naive and {len(sync_runs)} sync runs; CPU ratio {naive_cpu / sync_cpu:.1f}×. "
                "The naive rows include list and detail rows separately (no merge), so it lands more rows than the "
                "sync. With `--profile py-spy`, where the sync's time goes on this data is the zero-latency profile "
                "(section 2 or 3a).",
                "",
            ],
        )
        if size not in self.profiled_sizes:  # what limits the ratio is where the sync's time goes on this data
            self.profiled(
                "3a", [figure], f"zero-latency sync of {label(size)} (section 3a)", lambda w: sync_job(emu, w)
            )

    def per_record(self, emu: EmulatorProcess, full_log: Sequence[Mapping[str, Any]]) -> None:
        """Section 3b: one detail call per record (calls exact; local time sampled; latency modelled)."""
        from netvisor_sync.auth import Credentials  # noqa: PLC0415 - keep the module import light
        from netvisor_sync.transport import NetvisorClient  # noqa: PLC0415

        emu.call("mode", "live")
        emu.set_latency(0, 0, real=False)
        plan = baselines.per_record_plan(full_log)
        list_rows = Counter[str]()
        for entry in full_log:
            if entry["resource"] not in baselines.SINGLE_KEY:
                list_rows[entry["resource"]] += entry["rows"]
        with (
            self.timed(f"3b. one detail call per record: {self.settings.per_record_sample} sampled calls"),
            NetvisorClient(Credentials(**emu.credentials[emu.orgs[0]]), base_url=emu.url) as client,
        ):
            result = baselines.time_per_record(
                plan,
                client,
                sample=self.settings.per_record_sample,
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
        self.results.detail(
            "3b",
            [
                "### 3b. One detail call per record",
                "",
                f"{result.calls:,} calls ({result.detail_calls:,} single-key detail calls); {result.sampled} "
                f"sampled at zero latency: local time {result.local_seconds:,.1f} s for all detail calls; the "
                f"latency plan adds {result.modelled_latency:,.0f} s (every call {LATENCY_MS:.0f} ms, every row "
                f"{PER_ROW_MS} ms). List calls are counted but their local time is not (in the baseline's "
                "favour). The sync's wall is the section 5 median on the same data.",
                "",
            ],
        )

    # ---------------------------------------------------------------------------------------------- section 4

    def memory(self, sizes: Mapping[Size, list[ChildRun]]) -> None:
        """Section 4 from the syncs of every size; the peak per dlt step says where the memory goes."""
        points = sorted(((runs[0].rows, median([r.peak_rss_mb for r in runs]), size) for size, runs in sizes.items()))
        for rows, rss, size in points:
            self.results.add(
                Figure("4", f"peak RSS at {fmt(rows)} rows ({label(size)})", f"{rss:.0f} MB", "≤ 400 MB", rss <= 400)
            )
        steps = ("setup", *STEPS)
        table = []
        for rows, rss, size in points:
            runs = sizes[size]
            peaks = [median([r.step_peaks_mb.get(step, float("nan")) for r in runs]) for step in steps]
            table.append(
                (
                    label(size),
                    fmt(rows),
                    f"{rss:.0f}",
                    f"{median([r.ready_rss_mb for r in runs]):.0f}",
                    *(f"{p:.0f}" if p == p else "-" for p in peaks),  # noqa: PLR0124 - NaN check
                    str(len(runs)),
                )
            )
        self.results.detail(
            "4",
            [
                "### 4. Peak RSS of the sync process, and in which dlt step it is reached",
                "",
                markdown_table(
                    (
                        "data",
                        "rows",
                        "peak RSS (MB)",
                        "after imports (MB)",
                        *(f"peak in {step} (MB)" for step in steps),
                        "runs",
                    ),
                    table,
                ),
                "",
                "The child samples its RSS every 25 ms and files each sample under the dlt step running "
                "(`benchmarks/child.py: StepMemory`; `setup` is pipeline creation; fetching, parsing and the Arrow "
                "tables happen inside `extract`). Sizes not also timed (section 2/3a) use the recording run: the "
                "sync pulls its data, so its memory does not depend on how fast the server answers.",
                "",
            ],
        )
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

    # ---------------------------------------------------------------------------------------------- section 5

    def latency(self, emu: EmulatorProcess, size: Size) -> None:
        """Section 5a: wall time vs the latency the emulator served (replayed answers, real sleeps)."""
        emu.call("mode", "replay")
        emu.set_latency(LATENCY_MS, PER_ROW_MS, real=True)
        runs, served = [], []
        with self.timed(f"5a. {self.settings.repeats} syncs of {label(size)} under latency"):
            for _ in range(self.settings.repeats):
                emu.call("clear_log")
                runs.append(self.sync(emu))
                served.append(sum(e["latency_ms"] for e in emu.log()) / 1000)
        wall, latency, cpu = median([r.wall for r in runs]), median(served), median([r.cpu for r in runs])
        self.latency_sync_wall = wall
        figure = self.results.add(
            Figure(
                "5",
                f"wall / Σ latency served, one company ({label(size)}, {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row)",
                f"{wall:.1f} s / {latency:.1f} s = {wall / latency:.2f}×",
                "≤ 1.1×",
                wall / latency <= 1.1,
            )
        )
        self.results.detail(
            "5",
            [
                f"### 5a. One company under latency, `{label(size)}`, answers replayed",
                "",
                markdown_table(
                    ("measure", "value"),
                    [
                        ("wall, median (s)", f"{wall:.2f} ({', '.join(f'{r.wall:.2f}' for r in runs)})"),
                        ("Σ latency served (s)", f"{latency:.2f}"),
                        ("sync CPU, median (s)", f"{cpu:.2f}"),
                        ("wall if nothing overlapped: latency + CPU (s)", f"{latency + cpu:.2f}"),
                        ("local time not hidden behind latency: wall − latency (s)", f"{wall - latency:.2f}"),
                    ],
                ),
                "",
            ],
        )
        self.profiled(
            "5",
            [figure],
            f"sync of {label(size)} under {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row (section 5a)",
            lambda where: sync_job(emu, where),
        )
        emu.set_latency(0, 0, real=False)

    def companies(self, size: Size, counts: Sequence[int]) -> None:
        """Section 5b: N companies in parallel vs the slowest of them alone."""
        most = max(counts)
        with self.emulator(size[0], months=size[1], seed=3, companies=most) as emu:
            self.record(emu, size, workers=most)
            modelled: Counter[str] = Counter()
            for e in emu.log():
                modelled[e["organisation"]] += LATENCY_MS + PER_ROW_MS * e["rows"]
            emu.call("mode", "replay")
            emu.set_latency(LATENCY_MS, PER_ROW_MS, real=True)
            alone: dict[str, float] = {}
            rows, figures = [], []
            ranked = sorted(emu.orgs, key=lambda org: -modelled[org])  # the slowest first: every set shares it
            for count in counts:
                chosen = ranked[:count]
                slowest = chosen[0]
                if slowest not in alone:
                    with self.timed(f"5b. the slowest company alone x {self.settings.repeats}"):
                        runs = [self.sync(emu, orgs=[slowest]) for _ in range(self.settings.repeats)]
                    alone[slowest] = median([r.wall for r in runs])
                with self.timed(f"5b. {count} companies in parallel x {self.settings.repeats}"):
                    runs = [self.sync(emu, orgs=chosen, workers=count) for _ in range(self.settings.repeats)]
                together, cpu = median([r.wall for r in runs]), median([r.cpu for r in runs])
                ratio = together / alone[slowest]
                served = modelled[slowest] / 1000
                rows.append(
                    (
                        str(count),
                        f"{together:.1f}",
                        f"{alone[slowest]:.1f}",
                        f"{served:.1f}",
                        f"{cpu:.1f} / {cpu / CORES:.1f}",
                        f"{ratio:.2f}",
                    )
                )
                figure = self.results.add(
                    Figure(
                        "5",
                        f"{count} companies in parallel / the slowest alone ({label(size)})",
                        f"{together:.1f} s / {alone[slowest]:.1f} s = {ratio:.2f}×",
                        "≤ 1.1×",
                        ratio <= 1.1,
                    )
                )
                figures.append(figure)
            self.results.detail(
                "5",
                [
                    f"### 5b. Companies in parallel, `{label(size)}`, {LATENCY_MS:.0f} ms + {PER_ROW_MS} ms/row, "
                    "replayed",
                    "",
                    markdown_table(
                        (
                            "companies",
                            "wall in parallel (s)",
                            "slowest alone (s)",
                            "Σ latency of the slowest (s)",
                            f"sync CPU (s) / on {CORES} cores (s)",
                            "ratio",
                        ),
                        rows,
                    ),
                    "",
                    "The CPU column is the floor for the wall in parallel: the companies' CPU spread over "
                    f"{CORES} cores. When it exceeds the slowest company alone, the machine's cores, not the "
                    "overlap of calls, set the wall.",
                    "",
                ],
            )
            self.profiled(
                "5",
                figures,
                f"{most} companies in parallel (section 5b)",
                lambda where: sync_job(emu, where, orgs=ranked[:most], workers=most),
            )


def _counts(log: Sequence[Mapping[str, Any]]) -> Counter[str]:
    return Counter(e["resource"] for e in log if e["code"] == "OK")


def _cpu_split(runs: Sequence[ChildRun], floor: float) -> list[tuple[str, str]]:
    """Where the sync's CPU goes, measured per thread (``child.ThreadCPU``) and per dlt step of the company thread
    (``child.StepMemory``): the rows of section 2's table. Medians over ``runs``; empty for runs without them."""
    if not all(r.thread_cpu for r in runs):
        return []
    threads = {g: median([r.thread_cpu.get(g, 0.0) for r in runs]) for g in ("prefetch", "company", "main", "other")}
    steps = {step: median([r.step_cpu.get(step, 0.0) for r in runs]) for step in STEPS}
    outside = threads["company"] - sum(steps.values())
    split = " / ".join(f"{steps[step]:.2f}" for step in STEPS)
    return [
        (
            "CPU of the fetching threads: HTTP, MAC, XML parsing, list and detail rows merged (s) / × the bare parse",
            f"{threads['prefetch']:.2f} / {threads['prefetch'] / floor:.1f}×",
        ),
        (
            f"CPU of the company thread (s): {' / '.join(STEPS)} / outside them (extract includes the Arrow tables)",
            f"{threads['company']:.2f}: {split} / {outside:.2f}",
        ),
        (
            "CPU of the main thread and of other threads (dlt's pools) (s)",
            f"{threads['main']:.2f} / {threads['other']:.2f}",
        ),
    ]
