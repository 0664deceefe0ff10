"""``python -m netvisor_sync.emulator``: serve a local Netvisor on loopback and print the settings to use it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from netvisor_sync.emulator.server import CHOICES, emulator_options, serve_forever_cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvisor_sync.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--profile", default="partner-test", help="data profile: partner-test, small or large")
    parser.add_argument("--seed", type=int, default=1, help="seed for data, business ids and keys")
    parser.add_argument("--companies", type=int, default=1, help="number of companies")
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="freeze the clock on this day (at noon)")
    parser.add_argument("--skew", metavar="SECONDS", help="allowed timestamp skew in seconds, or off (default 300)")
    parser.add_argument("--overlap", choices=CHOICES["overlap"], help="overlapping requests: reject (default) or allow")
    parser.add_argument("--overlap-code", metavar="CODE", help="code of a rejected overlap (default TECHNICAL_ERROR)")
    parser.add_argument("--faults", metavar="FILE", help="a fault plan, .json or .toml (see docs/EMULATOR.md)")
    parser.add_argument("--quirks", choices=CHOICES["quirks"], help="spellings: documented (default) or fixture-era")
    parser.add_argument(
        "--transaction-ids", choices=CHOICES["transaction_ids"], help="TransactionId uniqueness: partner or customer"
    )
    args = parser.parse_args(argv)
    try:
        options = emulator_options(
            today=args.today,
            skew=args.skew,
            overlap=args.overlap,
            overlap_code=args.overlap_code,
            faults=args.faults,
            quirks=args.quirks,
            transaction_ids=args.transaction_ids,
        )
        return serve_forever_cli(args.host, args.port, args.profile, args.seed, args.companies, options=options)
    except (ValueError, OSError) as error:
        parser.exit(2, f"{parser.prog}: the emulator could not start: {error}\n")


if __name__ == "__main__":
    raise SystemExit(main())
