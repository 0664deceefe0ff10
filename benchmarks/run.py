"""``python -m benchmarks.run --quick | --full``: run every benchmark section and rewrite its results file.

Quick mode writes ``benchmarks/RESULTS.md``, full mode ``benchmarks/RESULTS-full.md`` (``--out`` chooses another).

Sections (each figure a ratio of two things measured in the same run):

1. API calls vs the fewest Netvisor's limits allow: full sync, a no-change rerun, a rerun after 1 % changed.
2. Throughput and CPU at zero latency (replayed answers): rows/s end to end, sync CPU vs a bare lxml parse.
3. Baselines on the same data: the naive dlt pipeline (dicts, ``insert_values``), one detail call per record.
4. Peak RSS of the sync process at growing sizes.
5. Latency overlap: wall time vs the latency the emulator served; companies in parallel vs the slowest alone.

The emulator always runs in its own process (:mod:`benchmarks.emulator_proc`); every sync runs in a fresh child
process (:mod:`benchmarks.measure`). Quick mode aims at five minutes on two quiet cores (three timed runs per figure,
every recording replayed by as many sections as can use it, four companies instead of eight; see :data:`QUICK`);
full mode adds the ``large`` profile and the
100k / 300k / 1M row runs and takes the better part of an hour. Each section's wall and CPU seconds are printed and
kept in ``RESULTS.md``, so a slow run says where its time went.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.report import Results, write_results
from benchmarks.sections import Sections, Settings, Size

HERE = Path(__file__).resolve().parent
#: where each mode writes by default: quick and full runs are kept side by side (the smoke run checks the harness
#: only, so it must be given ``--out``)
RESULTS = {"quick": HERE / "RESULTS.md", "full": HERE / "RESULTS-full.md", "scale": HERE / "RESULTS-scale.md"}


@dataclass(frozen=True)
class Mode:
    """What data each section gets. Every timed figure is the median of ``repeats`` runs."""

    name: str
    api_profiles: tuple[str, ...]  # section 1 (the first one also runs section 5a and 3b)
    throughput: Size  # section 2
    naive: Size | None  # section 3a: the naive pipeline and the sync on the same data
    memory: tuple[Size, ...]  # section 4
    per_record_sample: int  # section 3b: detail calls actually made
    companies: Size | None  # section 5b: the profile each company gets
    company_counts: tuple[int, ...] = (2, 8)
    repeats: int = 3
    throughput_rows: int = 0  # the fewest rows the throughput data must have for the figure to count (issue #5)


QUICK = Mode(
    name="quick",
    api_profiles=("small",),
    throughput=("small", None),
    # all of `small`, so the sync side reuses section 2's replays. A slice would be cheaper but unfair: the sync's
    # fixed cost per run (one pipeline, 22 tables merged) dominates small data (3 months of `small`: 1.4x, vs 4x)
    naive=("small", None),
    memory=(("small", None), ("large", 1)),
    per_record_sample=300,
    companies=("partner-test", None),
    # every company's load waits for the destination lock, so eight cost about eight loads: four keep quick mode
    # short (full mode runs eight)
    company_counts=(2, 4),
)
FULL = Mode(
    name="full",
    api_profiles=("small", "large"),
    throughput=("large", 11),
    naive=("large", 3),
    memory=(("large", 1), ("large", 3), ("large", 11)),
    per_record_sample=2000,
    companies=("small", None),
    throughput_rows=1_000_000,
)

#: every code path of FULL on tiny data, to check the harness itself (``--smoke``); its numbers mean nothing
SMOKE = Mode(
    name="smoke",
    api_profiles=("partner-test",),
    throughput=("small", 2),
    naive=("small", 1),
    memory=(("small", 1), ("small", 2)),
    per_record_sample=20,
    companies=("partner-test", 2),
    repeats=1,
)

#: sections 2 and 4 only, at 100k / 300k / 1M rows (``--scale``): the size-dependent goals, ~8 of FULL's ~30 min
SCALE = Mode(
    name="scale",
    api_profiles=(),
    throughput=("large", 11),
    naive=None,
    memory=(("large", 1), ("large", 3), ("large", 11)),
    per_record_sample=0,
    companies=None,
    throughput_rows=1_000_000,
)


def plan(mode: Mode) -> list[Size]:
    """Every data set the mode syncs outside section 1, each once, in order."""
    sizes = (mode.throughput, mode.naive, *mode.memory)
    return list(dict.fromkeys(s for s in sizes if s is not None and s not in {(p, None) for p in mode.api_profiles}))


def run(mode: Mode, bench: Sections) -> None:
    """The sections in an order that reuses every recording: one live sync per data set, replays after it."""
    logs: dict[Size, list[dict[str, Any]]] = {}
    for profile in mode.api_profiles:
        size: Size = (profile, None)
        with bench.emulator(profile) as emu:
            logs[size], record_run = bench.api_calls(emu, profile)
            if size == mode.throughput:
                bench.throughput(emu, size, record_run)
            if size == mode.naive:
                bench.naive(emu, size, logs[size])
            if profile == mode.api_profiles[0]:
                bench.latency(emu, size)
                bench.per_record(emu, logs[size])
    for size in plan(mode):
        with bench.emulator(size[0], months=size[1]) as emu:
            record_run, logs[size] = bench.record(emu, size)
            if size == mode.throughput:
                bench.throughput(emu, size, record_run)
            if size == mode.naive:
                bench.naive(emu, size, logs[size])
            if size not in bench.sync_rows:
                bench.sync_rows[size] = [record_run]  # memory only: peak RSS does not depend on server speed
    rows = bench.sync_rows[mode.throughput][0].rows
    if rows < mode.throughput_rows:
        bench.results.notes.append(
            f"Section 2 ran on {rows:,} rows, fewer than the {mode.throughput_rows:,} it should: the emulator's "
            f"{mode.throughput[0]} profile shrank; pick more months in benchmarks/run.py ({mode.name.upper()})."
        )
    bench.memory({size: bench.sync_rows[size] for size in mode.memory})
    if mode.companies:
        bench.companies(mode.companies, mode.company_counts)
    bench.results.figures.sort(key=lambda f: f.section)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--quick", action="store_true", help="small profile and slices (default)")
    which.add_argument("--full", action="store_true", help="adds the large profile and the 1M-row runs")
    which.add_argument("--scale", action="store_true", help="only throughput and memory at 100k / 300k / 1M rows")
    which.add_argument("--smoke", action="store_true", help="every code path on tiny data (checks the harness)")
    parser.add_argument(
        "--profile", choices=["py-spy"], help="profile one extra run of every section that misses a goal (py-spy)"
    )
    parser.add_argument("--repeats", type=int, help="timed runs per figure (default 3; medians need at least 3)")
    parser.add_argument(
        "--out",
        type=Path,
        help="results file (default benchmarks/RESULTS.md for quick, RESULTS-full.md for full, RESULTS-scale.md for "
        "scale; required with --smoke)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (DuckDB files, profiles)")
    args = parser.parse_args(argv)
    mode = FULL if args.full else SMOKE if args.smoke else SCALE if args.scale else QUICK
    out: Path | None = args.out or RESULTS.get(mode.name)
    if out is None:
        parser.error(f"--{mode.name} checks the harness only: give --out (e.g. /tmp/{mode.name}.md)")
    if args.repeats:
        mode = dataclasses.replace(mode, repeats=args.repeats)
    argv = list(sys.argv[1:] if argv is None else argv)
    target = {"full": "; `make bench-full`", "quick": "; `make bench`"}.get(mode.name, "")
    results = Results(mode=f"{mode.name} mode{target}", command=shlex.join(["python", "-m", "benchmarks.run", *argv]))
    if mode.repeats < 3:
        results.notes.append(f"Timed figures are medians of {mode.repeats} run(s), not 3: check the harness only.")
    results.notes.append(
        "Measured on a shared machine while other jobs (test suites) were running: compare ratios, not seconds; "
        "re-run on a quiet machine for publishable numbers."
    )
    bench = Sections(Settings(mode.repeats, mode.per_record_sample, args.profile, args.keep), results)
    try:
        with bench.timed("the whole run"):
            run(mode, bench)
    finally:
        bench.ws.close()
    write_results(results, out)
    missed = [f for f in results.figures if f.passed is False]
    print(f"wrote {out}: {len(results.figures)} figures, {len(missed)} goals missed", flush=True)
    for figure in results.figures:
        print(f"  {figure.mark or '·'} {figure.section} {figure.name}: {figure.measured} (goal {figure.goal or '-'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
