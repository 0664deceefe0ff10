"""``python -m netvisor_sync.emulator``: serve a local Netvisor on loopback and print the settings to use it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from netvisor_sync.emulator.server import serve_forever_cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netvisor_sync.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--profile", default="partner-test", help="data profile: partner-test, small or large")
    parser.add_argument("--seed", type=int, default=1, help="seed for data, business ids and keys")
    parser.add_argument("--companies", type=int, default=1, help="number of companies")
    args = parser.parse_args(argv)
    return serve_forever_cli(args.host, args.port, args.profile, args.seed, args.companies)


if __name__ == "__main__":
    raise SystemExit(main())
