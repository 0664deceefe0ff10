"""Benchmarks for netvisor-sync: API calls vs Netvisor's lower bound, throughput, CPU, memory, latency overlap.

Run ``make bench`` (quick, a few minutes) or ``make bench-full`` (adds the million-row runs); both rewrite
``benchmarks/RESULTS.md``. Kept out of the test suite (pytest only collects ``tests/``).

Modules, in the order a run uses them:

* ``emulator_proc`` - the emulator in its own process (so its CPU is not the sync's), with a replay cache
* ``child`` / ``measure`` - a sync (or a baseline) in a child process: wall time, CPU seconds, peak RSS (per dlt step)
* ``bounds`` - the fewest calls Netvisor's limits allow, from the emulator's own books
* ``baselines`` - the bare lxml parse floor, the naive dlt pipeline, one detail call per record
* ``profiles`` - a py-spy profile split by phase, for the goals that are missed
* ``report`` - machine facts and the ``RESULTS.md`` writer
* ``harness`` / ``sections`` - timed steps, recordings shared by the sections; the sections themselves
* ``run`` - the modes (quick, full, scale, smoke) and the command line

(``emulator_speed`` is separate: how fast the emulator itself serves ``large``.)
"""
