"""Per-row CPU of our own code, per table: XML -> records -> Arrow, against a bare lxml parse of the same bytes.

Run ``.venv/bin/python -m benchmarks.parse_speed`` (about a minute; ``--profile`` prints a cProfile of the parse and
Arrow steps instead). Every entry of the catalog is first read once from an in-process emulator (``small`` by
default) the way a first sync reads it (:func:`netvisor_sync.fetch.read_entry`: list pages, detail batches, date
windows), and the answers are kept. Then, per table, with the answers replayed from memory and CPU time of this
process (``time.process_time``, the fastest of ``--repeat`` runs):

* **bare** - a bare ``lxml.etree.iterparse`` loop over the same bytes, touching every element's text and clearing
  it (the floor the issue's "sync CPU / bare parse" goal divides by; :func:`benchmarks.baselines.bare_parse`);
* **parse** - :func:`netvisor_sync.parse.iter_records` over every answer, records kept in lists;
* **arrow** - the batches :func:`~netvisor_sync.fetch.read_entry` made of those records (list rows merged with
  detail rows) through the source's Arrow step (``source._tables``: parent and line tables);
* **sync** - both together, as the source runs them: ``read_entry`` over a replaying fetch, then ``_tables``.

A row is one Arrow row (a document or one of its lines). No dlt, no HTTP, no destination: this is the part of the
sync CPU the parser and the Arrow step own.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from benchmarks.baselines import bare_parse
from netvisor_sync import source
from netvisor_sync.catalog import ENTRIES, Entry
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.fetch import Batch, Page, Window, read_entry
from netvisor_sync.options import Options
from netvisor_sync.parse import iter_records, read_timestamp

NOW = datetime(2026, 3, 15, 12, 0, 0)
ORG = "1234567-8"

#: one answer: resource, parameters, headers, body
Answer = tuple[str, dict[str, str], dict[str, str], bytes]


@dataclass
class Figures:
    table: str
    answers: int
    bytes: int
    rows: int
    bare: float
    parse: float
    arrow: float
    sync: float

    def per_row(self, cpu: float) -> float:
        return cpu / max(self.rows, 1) * 1e6


def record(profile: str, seed: int) -> dict[str, list[Answer]]:
    """Every entry's answers to a first sync, in call order."""
    company = build_company(profile, seed=seed, organisation_id=ORG, clock=Clock.frozen(NOW))
    answers: dict[str, list[Answer]] = {}
    for entry in ENTRIES:
        kept = answers[entry.table] = []

        def fetch(resource: str, params: Mapping[str, str], kept: list[Answer] = kept) -> Page:
            reply = handle(company, resource, params, now=NOW, language="EN", base_url="http://testserver")
            body = b"".join(reply.chunks)
            kept.append((resource, dict(params), dict(reply.headers), body))
            return Page(list(iter_records(resource, body)), reply.headers, read_timestamp(body))

        for _ in read_entry(entry, fetch, _window(entry)):
            pass
    return answers


def _window(entry: Entry) -> Window:
    start = NOW.date().replace(year=NOW.year - 1, month=1, day=1) if entry.computed else None
    return Window(today=NOW.date(), start_date=start)


def _replayer(answers: list[Answer]) -> Callable[[str, Mapping[str, str]], Page]:
    queue = iter(answers)

    def fetch(resource: str, params: Mapping[str, str]) -> Page:
        name, _, headers, body = next(queue)
        assert name == resource, (name, resource)
        return Page(list(iter_records(resource, body)), headers, read_timestamp(body))

    return fetch


def _batches(entry: Entry, answers: list[Answer]) -> list[Batch]:
    return list(read_entry(entry, _replayer(answers), _window(entry)))


def _to_arrow(entry: Entry, batches: list[Batch]) -> int:
    specs, options, rows = source.table_specs(entry), Options(), 0
    for batch in batches:
        for _, table in source._tables(entry, specs, ORG, batch, options):
            rows += table.num_rows
    return rows


def _parse(answers: list[Answer]) -> int:
    return sum(len(list(iter_records(resource, body))) for resource, _, _, body in answers)


def _sync(entry: Entry, answers: list[Answer]) -> int:
    return _to_arrow(entry, _batches(entry, answers))


def _cpu(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def measure(answers: Mapping[str, list[Answer]], repeat: int, tables: set[str] | None = None) -> list[Figures]:
    figures = []
    for entry in ENTRIES:
        got = answers[entry.table]
        if (tables and entry.table not in tables) or not got:
            continue
        bodies = [(resource, body) for resource, _, _, body in got]
        batches = _batches(entry, got)
        rows = _to_arrow(entry, batches)
        figures.append(
            Figures(
                table=entry.table,
                answers=len(got),
                bytes=sum(len(body) for _, body in bodies),
                rows=rows,
                bare=min(bare_parse(bodies).cpu for _ in range(repeat)),
                parse=_cpu(lambda got=got: _parse(got), repeat),
                arrow=_cpu(lambda entry=entry, batches=batches: _to_arrow(entry, batches), repeat),
                sync=_cpu(lambda entry=entry, got=got: _sync(entry, got), repeat),
            )
        )
    return figures


def report(figures: list[Figures]) -> str:
    head = (
        f"{'table':<22}{'answers':>8}{'MB':>7}{'rows':>8}"
        f"{'bare µs/row':>12}{'parse':>8}{'arrow':>8}{'sync':>8}{'parse/bare':>11}{'sync/bare':>10}{'rows/s':>10}"
    )
    lines = [head]
    total = Figures("all", 0, 0, 0, 0.0, 0.0, 0.0, 0.0)
    for f in [*figures, total]:
        if f is total:
            for g in figures:
                total.answers += g.answers
                total.bytes += g.bytes
                total.rows += g.rows
                total.bare += g.bare
                total.parse += g.parse
                total.arrow += g.arrow
                total.sync += g.sync
        lines.append(
            f"{f.table:<22}{f.answers:>8}{f.bytes / 1e6:>7.1f}{f.rows:>8}{f.per_row(f.bare):>12.1f}"
            f"{f.per_row(f.parse):>8.1f}{f.per_row(f.arrow):>8.1f}{f.per_row(f.sync):>8.1f}"
            f"{f.parse / max(f.bare, 1e-9):>11.2f}{f.sync / max(f.bare, 1e-9):>10.2f}"
            f"{f.rows / max(f.sync, 1e-9):>10,.0f}"
        )
    return "\n".join(lines)


def profile(answers: Mapping[str, list[Answer]], tables: set[str] | None, top: int) -> None:
    """cProfile of one replay (parse and Arrow steps) of the chosen tables, sorted by own time."""
    chosen = [entry for entry in ENTRIES if answers[entry.table] and (not tables or entry.table in tables)]
    profiler = cProfile.Profile()
    profiler.enable()
    for entry in chosen:
        _sync(entry, answers[entry.table])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--emulator-profile", default="small", help="emulator profile (partner-test, small, large)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the fastest counts")
    parser.add_argument("--table", action="append", help="only these tables (repeatable)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one replay instead")
    parser.add_argument("--top", type=int, default=30, help="functions shown with --profile")
    args = parser.parse_args(argv)
    answers = record(args.emulator_profile, args.seed)
    tables = set(args.table) if args.table else None
    if args.profile:
        profile(answers, tables, args.top)
        return 0
    print(report(measure(answers, args.repeat, tables)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
