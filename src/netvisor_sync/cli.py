"""The ``netvisor-sync`` command line: thin typer commands over the library, with rich output and clear errors.

Commands: ``init`` (settings templates), ``check`` (authentication and rights of interface resources), ``sync``,
``status``, ``verify`` (the loaded dataset against Netvisor's own lists),
``demo`` (the emulator into a local DuckDB file, no configuration needed) and ``emulator serve``.

Errors a user can fix print one message on stderr and no traceback: :class:`~netvisor_sync.errors.ConfigError` exits
with 2, every other :class:`~netvisor_sync.errors.NetvisorSyncError` (authentication, blocked resources, a failed sync)
with 1. ``--debug`` shows the traceback instead. dlt is imported inside the commands, so ``--help`` stays fast, and
runs started here turn dlt's telemetry off unless ``RUNTIME__DLTHUB_TELEMETRY`` is already set.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.markup import escape

from netvisor_sync import __version__
from netvisor_sync.access import CompanyAccess, check_access, probe_calls
from netvisor_sync.catalog import ENTRIES, TABLE_OWNERS, select_entries
from netvisor_sync.console import (
    err,
    out,
    print_access,
    print_query,
    print_status,
    print_summary,
    print_verify,
    with_progress,
)
from netvisor_sync.errors import ConfigError, NetvisorSyncError
from netvisor_sync.templates import write_templates
from netvisor_sync.validation import (
    validate_columns,
    validate_dataset,
    validate_destination,
    validate_schema_contract,
    validate_tables,
)

P = ParamSpec("P")
R = TypeVar("R")

TELEMETRY_VARIABLE = "RUNTIME__DLTHUB_TELEMETRY"
DEFAULT_DUCKDB_FILE = "netvisor.duckdb"
DEMO_DUCKDB_FILE = "netvisor_demo.duckdb"
#: not "netvisor": DuckDB cannot tell a schema from a database file (catalog) of the same name (netvisor.duckdb)
DEFAULT_DATASET = "netvisor_data"

app = typer.Typer(
    name="netvisor-sync",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
emulator_app = typer.Typer(
    help="Run the local Netvisor emulator (signed XML over HTTP with generated books).", no_args_is_help=True
)
app.add_typer(emulator_app, name="emulator")


# ------------------------------------------------------------------------------------------------- errors and root


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a library error into a message and an exit code (2 for settings, 1 otherwise); ``--debug`` re-raises."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            if _debug(*args, *kwargs.values()):
                raise
            # a sync's cursors move only with a completed load, so the next run picks up where this one stopped
            err().print("[bold red]Interrupted.[/]")
            raise typer.Exit(130) from None
        except Exception as error:
            cause = _user_error(error)
            if cause is None or _debug(*args, *kwargs.values()):
                raise
            kind = "Configuration error" if isinstance(cause, ConfigError) else "Error"
            err().print(f"[bold red]{kind}:[/] {escape(str(cause))}", soft_wrap=True)
            raise typer.Exit(2 if isinstance(cause, ConfigError) else 1) from None

    return run


def _user_error(error: BaseException) -> NetvisorSyncError | None:
    """The NetvisorSyncError behind ``error``, also when dlt wrapped it (``PipelineStepFailed`` and friends)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, NetvisorSyncError):
            return current
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return None


def _debug(*arguments: object) -> bool:
    """Whether ``--debug`` was given; every command takes the typer context as an argument so this can tell."""
    for argument in arguments:
        find_root = getattr(argument, "find_root", None)  # a click context (typer may bring its own click)
        if find_root is not None:
            return bool(find_root().params.get("debug"))
    return False


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"netvisor-sync {__version__}")
        raise typer.Exit


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of short error messages.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Copy Visma Netvisor accounting data into DuckDB, Postgres or any dlt destination, exactly and incrementally.

    Start with `netvisor-sync demo` (no account needed), then `netvisor-sync init` and `netvisor-sync check`.
    """
    os.environ.setdefault(TELEMETRY_VARIABLE, "false")


def main() -> None:
    """The ``netvisor-sync`` console script."""
    app()


# ------------------------------------------------------------------------------------------------------------ init


@app.command()
@user_errors
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path,
        typer.Option("--dir", metavar="DIR", help="Project directory; the files go to DIR/.dlt/.", file_okay=False),
    ] = Path(),
) -> None:
    """Write .dlt/secrets.toml and .dlt/config.toml templates; existing files are never overwritten.

    The templates say where each value comes from in Netvisor. secrets.toml is created readable by you only.
    """
    written, skipped = write_templates(directory, (r for entry in ENTRIES for r in entry.resources))
    for path in written:
        typer.echo(f"wrote   {path}")
    for path in skipped:
        typer.echo(f"skipped {path} (it exists; not overwritten)")
    typer.echo("Next: fill in the values (see the comments in both files), then run `netvisor-sync check`.")


# ----------------------------------------------------------------------------------------------------------- check


def _split(values: list[str] | None) -> list[str]:
    """``--tables a,b --tables c`` -> ``[a, b, c]``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


TablesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tables",
        metavar="TABLE[,TABLE...]",
        help="Only these tables (comma-separated or repeated); default: tables in [sources.netvisor], else all.",
        show_default=False,
    ),
]


@app.command()
@user_errors
def check(ctx: typer.Context, tables: TablesOption = None) -> None:
    """Authenticate and probe every Netvisor resource the sync reads (one cheap call each), per company.

    Exits with 1 if authentication fails or any resource is blocked; the table says how to allow it.
    """
    from netvisor_sync.config import load_settings  # noqa: PLC0415
    from netvisor_sync.transport import NetvisorClient  # noqa: PLC0415

    settings = load_settings()
    entries = select_entries(list(validate_tables(_split(tables), TABLE_OWNERS) or settings.tables))
    probes = probe_calls(entries, today=date.today())
    results: list[CompanyAccess] = []
    for credentials in settings.companies:
        with NetvisorClient(credentials, base_url=settings.base_url, max_attempts=3, max_retry_seconds=120) as client:
            results.append(check_access(client, credentials.organisation_id, probes))
    for access in results:
        print_access(access)
    if not all(access.ok for access in results):
        raise typer.Exit(1)


# -------------------------------------------------------------------------------------------------- emulator serve


@emulator_app.command("serve")
@user_errors
def emulator_serve(
    ctx: typer.Context,
    *,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="N", help="Port; 0 picks a free one.", min=0, max=65535)] = 0,
    profile: Annotated[
        str, typer.Option(metavar="NAME", help="Data profile: partner-test, small or large.")
    ] = "partner-test",
    seed: Annotated[int, typer.Option(metavar="N", help="Seed for data, business ids and keys.")] = 1,
    companies: Annotated[int, typer.Option(metavar="N", help="Number of companies.", min=1)] = 1,
    today: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Freeze the emulator's clock on this day (at noon; or give YYYY-MM-DDTHH:MM:SS). The generated "
            "history ends with the month before the clock's, so a seed gives the same answers on every day you run "
            "it. Default: the clock runs from now.",
        ),
    ] = None,
    skew: Annotated[
        str | None,
        typer.Option(metavar="SECONDS", help="Allowed request timestamp skew in seconds, or off (default 300)."),
    ] = None,
    overlap: Annotated[
        str | None,
        typer.Option(
            metavar="POLICY",
            help="A second request to a company while one is served: reject (default, answered with the overlap "
            "code) or allow.",
        ),
    ] = None,
    overlap_code: Annotated[
        str | None,
        typer.Option(
            metavar="CODE", help="The failure code of a rejected overlapping request (default TECHNICAL_ERROR)."
        ),
    ] = None,
    faults: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="A fault plan (.json or .toml): faults with a rate or on the Nth request, latency, seed. "
            "Format: docs/EMULATOR.md.",
        ),
    ] = None,
    quirks: Annotated[
        str | None,
        typer.Option(
            metavar="SET",
            help="Spellings where the sources disagree: documented (default) or fixture-era (the older reference "
            "responses).",
        ),
    ] = None,
    transaction_ids: Annotated[
        str | None,
        typer.Option(
            metavar="SCOPE",
            help="Where a TransactionId must be unique: partner (default, across all customers) or customer.",
        ),
    ] = None,
) -> None:
    """Serve a local Netvisor on loopback until Ctrl-C; prints `export SOURCES__NETVISOR__...` lines to use it.

    Every choice the emulator makes where Netvisor's documentation is silent is listed in docs/EMULATOR.md.
    """
    from netvisor_sync.emulator.server import emulator_options, serve_forever_cli  # noqa: PLC0415

    try:
        options = emulator_options(
            today=today,
            skew=skew,
            overlap=overlap,
            overlap_code=overlap_code,
            faults=faults,
            quirks=quirks,
            transaction_ids=transaction_ids,
        )
        code = serve_forever_cli(host, port, profile, seed, companies, options=options)
    except (ValueError, OSError) as error:  # a non-loopback host, a port in use, an unknown profile, a bad option
        raise ConfigError(f"The emulator could not start: {error}") from error
    raise typer.Exit(code)


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    """``(path, click command)`` for every command of the app, the app itself and groups included.

    The help test walks this; it is typed loosely because typer may bring its own copy of click.
    """
    found: list[tuple[tuple[str, ...], Any]] = []
    pending: list[tuple[tuple[str, ...], Any]] = [((), typer.main.get_command(app))]
    while pending:
        path, command = pending.pop(0)
        found.append((path, command))
        subcommands = getattr(command, "commands", {})
        pending += [((*path, name), subcommands[name]) for name in sorted(subcommands)]
    return found


# ------------------------------------------------------------------------------------------------------------ sync

PipelinesDirOption = Annotated[
    Path | None,
    typer.Option(
        "--pipelines-dir",
        metavar="DIR",
        help="Where dlt keeps each company's pipeline state (default: dlt's, ~/.dlt/pipelines).",
        file_okay=False,
        show_default=False,
    ),
]


@app.command()
@user_errors
def sync(
    ctx: typer.Context,
    *,
    tables: TablesOption = None,
    exclude_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-columns",
            metavar="[TABLE.]COLUMN[.FIELD][,...]",
            help="Columns never loaded: `email` (every table, and inside nested JSON), `customers.email` (one table) "
            "or `customers.contact_persons.email` (a field inside a JSON column); names are checked against "
            "docs/TABLES.md (`undeclared:NAME` for a column Netvisor added later); comma-separated or repeated "
            "(default: exclude_columns in [sources.netvisor]).",
            show_default=False,
        ),
    ] = None,
    destination: Annotated[
        str,
        typer.Option(
            metavar="DESTINATION",
            help="duckdb (./netvisor.duckdb), a .duckdb file, a postgresql:// URL, or any dlt destination name "
            "(its credentials from .dlt/secrets.toml).",
        ),
    ] = "duckdb",
    dataset: Annotated[str, typer.Option(metavar="NAME", help="Dataset (schema) the tables go to.")] = DEFAULT_DATASET,
    start_date: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="Load documents dated from this day on (yyyy-MM-dd); default: start_date in [sources.netvisor].",
            show_default=False,
        ),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Forget the cursors and reload the selected tables.")
    ] = False,
    reconcile: Annotated[
        bool,
        typer.Option(
            "--reconcile",
            help="List every customer, vendor and product key and delete the ones Netvisor no longer has, and "
            "re-read every purchase payment (edited payments arrive only so) (also: reconcile = true in "
            "[sources.netvisor]).",
        ),
    ] = False,
    schema_contract: Annotated[
        str | None,
        typer.Option(
            "--schema-contract",
            metavar="evolve|freeze",
            help="What a column Netvisor adds later does: evolve lands it as a new text column, freeze fails the "
            "run and loads nothing of it (default: schema_contract in [sources.netvisor], else evolve).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[int, typer.Option(metavar="N", help="Companies synced at the same time.", min=1)] = 4,
    pipelines_dir: PipelinesDirOption = None,
) -> None:
    """Copy Netvisor into the destination: the first run loads everything, later runs only what changed.

    Shows progress while it runs, then rows per table, API calls, duration and anything skipped (with the fix).
    Exits with 1 if any company failed or any table was skipped.
    """
    from netvisor_sync.config import load_settings  # noqa: PLC0415
    from netvisor_sync.sync import check_merges, resolve_destination, run_sync  # noqa: PLC0415

    settings = load_settings({"start_date": start_date})
    selected = validate_tables(_split(tables), TABLE_OWNERS) or settings.tables
    excluded = validate_columns(_split(exclude_columns), option="--exclude-columns") or settings.exclude_columns
    contract = validate_schema_contract(schema_contract, option="--schema-contract") if schema_contract else None
    target = _destination(destination, validate_dataset(dataset))
    check_merges(*resolve_destination(target))  # before the progress display starts (run_sync checks it too)
    summary = with_progress(
        len(select_entries(list(selected) or None)),
        lambda progress: run_sync(
            list(settings.companies),
            base_url=settings.base_url,
            destination=target,
            dataset_name=dataset,
            tables=list(selected) or None,
            exclude_columns=list(excluded),
            start_date=settings.start_date,
            lookback=settings.lookback,
            full_refresh=full_refresh,
            reconcile=reconcile or settings.reconcile,
            schema_contract=contract or settings.schema_contract,
            workers=workers,
            progress=progress,
            pipelines_dir=pipelines_dir,
        ),
    )
    print_summary(summary)
    if not summary.ok:
        raise typer.Exit(1)


def _destination(value: str, dataset: str) -> str:
    """``duckdb`` -> ``netvisor.duckdb``; files and URLs pass (``run_sync`` resolves them); names must be dlt's.

    Raises:
        ConfigError: an unknown destination, or a DuckDB file named like the dataset (DuckDB mixes them up).
    """

    text = DEFAULT_DUCKDB_FILE if value.strip() == "duckdb" else value.strip()
    if "://" in text:
        return text
    if not text.endswith((".duckdb", ".db")):
        return validate_destination(text)
    if Path(text).stem.lower() == dataset.lower():
        raise ConfigError(
            f"--dataset {dataset} has the same name as the DuckDB file {text}, and DuckDB cannot tell a schema from "
            f"a database of the same name. Use another --dataset (the default is {DEFAULT_DATASET}) or file name."
        )
    return text


# ---------------------------------------------------------------------------------------------------------- status


@app.command()
@user_errors
def status(
    ctx: typer.Context,
    *,
    pipelines_dir: PipelinesDirOption = None,
    runs: Annotated[
        int, typer.Option("--runs", metavar="N", help="How many of each company's latest runs to show.", min=0)
    ] = 5,
) -> None:
    """Show each company's last runs (outcome, rows, calls, skipped tables, errors) and every table's cursor.

    A run that skipped a table shows as incomplete (the sync exited with 1); one that was stopped as did not finish.
    """
    from netvisor_sync import sync as sync_module  # noqa: PLC0415

    companies = sync_module.status(pipelines_dir, runs=runs)
    print_status(companies, all_tables=len(ENTRIES))


# ---------------------------------------------------------------------------------------------------------- verify


@app.command()
@user_errors
def verify(
    ctx: typer.Context,
    *,
    tables: TablesOption = None,
    destination: Annotated[
        str,
        typer.Option(
            metavar="DESTINATION",
            help="Where `sync` loaded to: duckdb (./netvisor.duckdb), a .duckdb file, a postgresql:// URL, or a dlt "
            "destination name.",
        ),
    ] = "duckdb",
    dataset: Annotated[str, typer.Option(metavar="NAME", help="Dataset (schema) `sync` wrote.")] = DEFAULT_DATASET,
    start_date: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM-DD",
            help="The sync's start date (history before it is not expected); default: start_date in "
            "[sources.netvisor].",
            show_default=False,
        ),
    ] = None,
    end_date: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="Last trial-balance date (default: today).", show_default=False),
    ] = None,
    deep: Annotated[
        bool,
        typer.Option("--deep", help="Also compare invoice and order lines (one detail call per 500 documents)."),
    ] = False,
) -> None:
    """Prove the loaded dataset is complete: row keys, lines and the trial balance against Netvisor's own lists.

    Per company and table: the keys in the destination against a full listing from Netvisor; voucher and dimension
    lines (invoice and order lines with --deep); the loaded ledger summed per account at each month end against
    accountbalance.nv. Read-only on both sides. Exits with 1 on any mismatch.
    """
    from netvisor_sync.config import load_settings  # noqa: PLC0415
    from netvisor_sync.verify import verify as verify_dataset  # noqa: PLC0415

    settings = load_settings({"start_date": start_date})
    selected = validate_tables(_split(tables), TABLE_OWNERS) or settings.tables
    target = _destination(destination, validate_dataset(dataset))
    report = verify_dataset(
        list(settings.companies),
        destination=target,
        dataset_name=dataset,
        base_url=settings.base_url,
        tables=list(selected) or None,
        start_date=settings.start_date,
        end_date=_end_date(end_date),
        deep=deep,
    )
    print_verify(report)
    if not report.ok:
        raise typer.Exit(1)


def _end_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"--end-date must be a date as yyyy-MM-dd, not {value!r}") from None


# ------------------------------------------------------------------------------------------------------------ demo

#: The demo's sample query: a trial balance, the ledger summed per account (debits positive, credits negative).
DEMO_QUERY = """\
SELECT a.account_number AS account, a.name, count(*) AS lines,
       CAST(sum(l.line_sum) AS DECIMAL(18, 2)) AS balance
FROM {dataset}.voucher_lines AS l
JOIN {dataset}.accounts AS a
  ON a.organisation_id = l.organisation_id AND a.account_number = l.account_number
GROUP BY ALL
ORDER BY account
LIMIT 12"""

#: the check that makes a trial balance one: every voucher balances, so all accounts together sum to zero
DEMO_TOTAL_QUERY = "SELECT CAST(sum(line_sum) AS DECIMAL(18, 2)) AS total FROM {dataset}.voucher_lines"


@app.command()
@user_errors
def demo(
    ctx: typer.Context,
    *,
    path: Annotated[Path, typer.Option("--path", metavar="FILE", help="DuckDB file to write.", dir_okay=False)] = Path(
        DEMO_DUCKDB_FILE
    ),
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the emulator's generated books.")] = 1,
    companies: Annotated[int, typer.Option(metavar="N", help="Number of emulated companies.", min=1, max=20)] = 1,
) -> None:
    """Sync a local Netvisor emulator into ./netvisor_demo.duckdb and query it; needs no account or settings.

    Starts the emulator (partner-test profile) on 127.0.0.1, syncs every table, prints the summary and a trial
    balance from the loaded ledger, and stops the emulator. Your .dlt settings are not used.
    """
    from netvisor_sync.config import validate_settings  # noqa: PLC0415
    from netvisor_sync.emulator import Emulator, serve  # noqa: PLC0415
    from netvisor_sync.sync import run_sync  # noqa: PLC0415

    console = out()
    emulator = Emulator(profile="partner-test", seed=seed, companies=companies)
    with serve(emulator) as server, tempfile.TemporaryDirectory(prefix="netvisor-demo-") as pipelines:
        console.print(f"Netvisor emulator (partner-test, seed {seed}) running at {server.url}")
        # Explicit settings: whatever .dlt/ or SOURCES__NETVISOR__* says must not redirect the demo.
        settings = validate_settings({**server.settings(), "organisation_id": emulator.organisation_ids})
        summary = with_progress(
            len(select_entries()),
            lambda progress: run_sync(
                list(settings.companies),
                base_url=settings.base_url,
                destination=str(path),
                dataset_name=DEFAULT_DATASET,
                full_refresh=True,  # the same seed gives the same companies: replace an earlier demo's rows
                progress=progress,
                pipelines_dir=pipelines,
            ),
        )
    console.print("Emulator stopped.")
    print_summary(summary)
    if not summary.ok:
        raise typer.Exit(1)
    print_query(
        path, DEMO_QUERY.format(dataset=DEFAULT_DATASET), "Trial balance from the loaded ledger (first accounts):"
    )
    print_query(path, DEMO_TOTAL_QUERY.format(dataset=DEFAULT_DATASET), "Debits minus credits over all accounts:")
    console.print(f"\nExplore it yourself: duckdb {path}  (the tables are in the schema {DEFAULT_DATASET})")
