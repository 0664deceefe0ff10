"""The dlt source: one merge resource per catalog entry, yielding typed Arrow tables. Knows no XML and no HTTP.

Use :func:`netvisor_source` in your own dlt pipeline; it is configured the dlt way (``[sources.netvisor]`` in
``.dlt/secrets.toml``/``config.toml`` or ``SOURCES__NETVISOR__…``; per pipeline:
``[<pipeline_name>.sources.netvisor]``)::

    pipeline = dlt.pipeline("netvisor", destination="duckdb", dataset_name="netvisor_data")
    pipeline.run(netvisor_source(tables=["vouchers"]), loader_file_format="parquet")

(parquet keeps DuckDB off dlt's slow ``insert_values`` path; set ``normalize.parquet_normalizer.add_dlt_load_id``
if you want ``_dlt_load_id`` on the rows.)

``netvisor_sync.sync.run_sync`` runs the same resources for many companies, one pipeline each.

How the warehouse stays exact:

* **Keys.** Every row carries ``organisation_id``; primary keys are (``organisation_id``, entity key), so companies
  can share tables. Every table is ``merge`` (delete-insert).
* **Lines** (``sales_invoice_lines``, ``voucher_lines``, ...) are tables of their own with the parent key column
  (``sales_invoice_key``) and a 1-based position; their ``merge_key`` is (``organisation_id``, parent key), so the
  lines of every changed document replace the old ones exactly (5 -> 3 lines leaves 3). A document that now has no
  lines, or is deleted, sends one marker row (position 0, ``_deleted``) that removes all its lines.
* **Deletes** become rows with the ``hard_delete`` column ``_deleted``: ``deleted*.nv`` feeds, vouchers whose status
  is invalidated/deleted, and, with ``reconcile=True``, keys missing from a full key listing of customers, vendors
  and products (the keys loaded so far are kept in the resource state). Purchase payments have no change filter
  (new keys only), so their reconcile re-reads and upserts the whole list: edits arrive only then (or with
  ``full_refresh``), and payments missing from it are deleted.
* **Reference tables** (accounts, periods, voucher types, dimensions, payment terms, balances) are re-read every
  run and replace the company's rows: ``merge_key`` = ``organisation_id`` plus one marker row, so even an emptied
  list clears them without touching other companies.
* **State.** ``resource_state()[organisation_id]`` holds ``cursor``, ``max_key`` (key-paged feeds without a change
  filter) and ``keys`` (reconcilable tables). The cursor is the window end of the last run in Netvisor's local time
  (naive Europe/Helsinki): the server's ``ResponseStatus/TimeStamp`` of the first answer of the run for that
  company and table (:func:`netvisor_sync.parse.read_timestamp`), so a client clock that is off by hours neither
  misses nor re-reads changes. If an answer carries no timestamp, it is this machine's clock (or an injected one)
  read before the first call. The next run asks for changes since ``cursor - lookback``
  (default one day), so clock skew and late commits are re-read, and merge makes the overlap harmless. dlt commits
  state with the load package and ``sync.run_sync`` aborts a failed package (restoring the previous state), so a
  failed load never moves the cursor.
* **Failures.** A resource Netvisor refuses (``SERVICE_ACCESS_ERROR``) is skipped for that company, reported with
  the fix, and its state is left alone; other Netvisor errors of one resource are reported the same way
  (``ok=False``), while authentication and transport failures stop the company.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dlt
from dlt.extract.resource import DltResource

from netvisor_sync import columns as column_types
from netvisor_sync.arrow import BIGINT, BOOL, TEXT, Coalescer, ColumnType, dlt_columns, to_table
from netvisor_sync.auth import Credentials
from netvisor_sync.catalog import Child, Entry, select_entries
from netvisor_sync.config import refuse_unknown_keys, validate_settings
from netvisor_sync.errors import (
    RIGHTS_FIX,
    AuthenticationFailed,
    Interrupted,
    MalformedResponse,
    NetvisorError,
    ResponseError,
    SchemaDrift,
    ServiceAccessError,
)
from netvisor_sync.fetch import Batch, Fetch, Key, Page, Window, read_entry
from netvisor_sync.options import HARD_DELETE, ORGANISATION, Options, as_list, make_options
from netvisor_sync.parse import check_well_formed, iter_records, read_timestamp
from netvisor_sync.prefetch import Prefetched, guarded
from netvisor_sync.report import ProgressEvent, RunReport, Skipped
from netvisor_sync.transport import NetvisorClient, NetvisorResponse

DEFAULT_BASE_URL = "https://integration.netvisor.fi"
HELSINKI = ZoneInfo("Europe/Helsinki")
#: Answers up to this size are parsed into a list before their first record is handed on; bigger ones are checked by
#: a pass that builds nothing and then streamed (see :func:`client_fetch`). A detail batch of 500 sales invoices is
#: ~2.5 MB and becomes a dict of all its records anyway (``fetch._with_details``), so streaming it would only add the
#: checking pass.
LIST_BYTES = 8 * 1024 * 1024
#: Batches a resource's producer may have ready before the resource takes them (see :func:`_prefetched`).
PREFETCH_DEPTH = 1
#: Tables of one company that may be inside a call at once: one in flight, the next one ready to go when it ends.
#: Netvisor serves one at a time anyway, so more callers would only queue longer. A turn covers the request and the
#: download of its answer, not the parsing: a table that parses its answer lets the next table call meanwhile.
CALLERS = 2


@dataclass
class CompanyReader:
    """One company: its organisation id and how to call Netvisor for it (a fetch per table, for progress)."""

    organisation_id: str
    fetch_for: Any  # Callable[[str], Fetch]: table -> fetch; Any keeps dlt's config injection away from it
    client: Any = None  # the NetvisorClient behind fetch_for, if any: its stats count the calls
    #: turns for the company's tables to call Netvisor (:data:`CALLERS` at once; see :func:`_prefetched`)
    callers: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(CALLERS), repr=False)
    #: ``fetch_for``'s fetches take ``callers`` turns themselves, around the request only (:func:`client_fetch`)
    takes_turns: bool = False


@dataclass
class Plan:
    """Everything a source run needs; built by :func:`netvisor_source` or by ``sync.run_sync``."""

    entries: list[Entry]
    companies: list[CompanyReader]
    options: Options = field(default_factory=Options)
    report: RunReport = field(default_factory=RunReport)
    clock: Any = None  # Callable[[], datetime]: Netvisor's local now (naive); this machine's clock by default

    def resources(self) -> list[DltResource]:
        return [entry_resource(entry, self) for entry in self.entries]

    def now(self) -> datetime:
        """Netvisor's local time now (naive Europe/Helsinki): the injected clock, else this machine's clock."""
        if self.clock is not None:
            now: datetime = self.clock()
            return now
        return datetime.now(HELSINKI).replace(tzinfo=None, microsecond=0)


@dlt.source(name="netvisor", section="netvisor", max_table_nesting=0)
def netvisor_source(  # noqa: PLR0917 - dlt fills source arguments by name from config
    organisation_id: Any = dlt.config.value,
    customer_id: str = dlt.secrets.value,
    customer_key: str = dlt.secrets.value,
    partner_id: str = dlt.secrets.value,
    partner_key: str = dlt.secrets.value,
    sender: str = "netvisor-sync",
    base_url: str = DEFAULT_BASE_URL,
    language: str = "EN",
    mac_algorithm: str = "HMACSHA256",
    start_date: Any = None,
    lookback: Any = None,
    tables: Any = None,
    exclude_columns: Any = None,
    reconcile: bool = False,
    schema_contract: Any = "evolve",
    companies: Any = None,
    http_transport: Any = None,
) -> list[DltResource]:
    """Netvisor accounting data for one or several companies, as a dlt source named ``netvisor``.

    Args:
        organisation_id: the company's business id (``1234567-8``), or a list of them.
        customer_id: the integration user's customer id (Netvisor: Company menu → API identifiers).
        customer_key: its key (a secret).
        partner_id: the software partner's id.
        partner_key: the partner key (a secret).
        sender: the ``X-Netvisor-Authentication-Sender`` name.
        base_url: ``https://integration.netvisor.fi`` (production) or ``https://isvapi.netvisor.fi`` (partner test).
        language: FI, EN or SE; EN keeps status texts stable.
        mac_algorithm: HMACSHA256 (default), SHA256 or MD5.
        start_date: ledger start date (``yyyy-MM-dd``): history before it is not loaded; the first sync backfills
            from it in date windows (a month each; 12 months for purchase invoices and orders).
        lookback: overlap of incremental reads: hours as a number, or ``"36h"``/``"2d"`` (default one day).
        tables: tables to load (default all); unknown names raise ConfigError listing the valid ones.
        exclude_columns: columns never loaded: ``"email"`` (every table, and inside nested JSON),
            ``"customers.email"`` (one table) or ``"customers.contact_persons.email"`` (a field inside a JSON
            column); see :mod:`netvisor_sync.exclusions`.
        reconcile: also list all keys of customers, vendors and products and delete the ones Netvisor no longer has,
            and re-read all purchase payments (the only way their edits arrive, as paymentlist has no change filter).
        schema_contract: dlt schema contract for every table: ``"evolve"`` (default) or ``"freeze"``/a dict.
        companies: per-company overrides ``{"<business id>": {"customer_id": ..., "customer_key": ...}}``.
        http_transport: an ``httpx`` transport to send through (tests: ``httpx.WSGITransport(app=emulator.app)``).

    Raises:
        ConfigError: a setting is missing or malformed; the message names it and where to set it.
    """
    raw = {
        "organisation_id": organisation_id,
        "customer_id": customer_id,
        "customer_key": customer_key,
        "partner_id": partner_id,
        "partner_key": partner_key,
        "sender": sender,
        "base_url": base_url,
        "language": language,
        "mac_algorithm": mac_algorithm,
        "start_date": start_date,
        "companies": companies,
    }
    refuse_unknown_keys(dlt.config.config_providers)  # dlt ignores a key no argument reads: a typo would be lost
    entries = select_entries(as_list(tables, "tables"))
    given = {name: value for name, value in raw.items() if value is not None}
    settings = validate_settings(given, allow_plain_http=http_transport is not None)
    options = make_options(
        start_date=settings.start_date,
        lookback=lookback,
        exclude_columns=exclude_columns,
        reconcile=reconcile,
        schema_contract=schema_contract,
    )
    readers = [client_reader(c, settings.base_url, http_transport) for c in settings.companies]
    return Plan(entries, readers, options).resources()


@dlt.source(name="netvisor", section="netvisor", max_table_nesting=0)
def planned_source(plan: Any) -> list[DltResource]:
    """The same source from a ready :class:`Plan` (``sync.run_sync`` builds clients and reports itself)."""
    resources: list[DltResource] = plan.resources()
    return resources


def client_reader(
    credentials: Credentials, base_url: str, http_transport: Any = None, report: RunReport | None = None
) -> CompanyReader:
    """A :class:`CompanyReader` over a new :class:`~netvisor_sync.transport.NetvisorClient` (``.client``)."""
    client = NetvisorClient(credentials, base_url=base_url, transport=http_transport)
    callers = threading.Semaphore(CALLERS)
    return CompanyReader(
        credentials.organisation_id,
        lambda table: client_fetch(client, table, report, callers),
        client,
        callers=callers,
        takes_turns=True,
    )


def client_fetch(
    client: Any, table: str, report: RunReport | None, turns: AbstractContextManager[Any] | None = None
) -> Fetch:
    """A :data:`~netvisor_sync.fetch.Fetch` over a Netvisor client and the parser, emitting progress per call.

    ``turns`` (a company's :attr:`CompanyReader.callers`) is held for the request and the download of its answer
    only: the answer is checked and parsed after the turn went to the next table.
    """
    organisation_id = client.credentials.organisation_id
    turn = turns if turns is not None else nullcontext()

    def fetch(resource: str, params: Mapping[str, str]) -> Page:
        # The transport only checks the envelope, so a 200 whose records are cut or broken further down is found
        # here. Such a body is usually a cut connection: check the whole answer and fetch it again, a bounded
        # number of times, before anything of it is yielded (see _checked_records).
        attempt = 0
        while True:
            with turn:
                if report is not None and report.cancelled.is_set():  # Ctrl-C while this table waited for its turn
                    raise Interrupted(f"{organisation_id}: interrupted before {resource}.nv was called")
                response = client.get(resource, params)
            try:
                records, server_time = _checked_records(resource, response)
            except MalformedResponse:
                if attempt >= client.malformed_retries:
                    raise
                attempt += 1
                client.stats.record_retry(resource)
                continue
            return Page(_counted(records, resource), response.headers, server_time)

    def _counted(records: Iterator[dict[str, Any]], resource: str) -> Iterator[dict[str, Any]]:
        count = 0
        for record in records:
            count += 1
            yield record
        if report is not None:
            report.emit(ProgressEvent("page", organisation_id, table, resource, count))

    return fetch


def _checked_records(resource: str, response: NetvisorResponse) -> tuple[Iterator[dict[str, Any]], datetime | None]:
    """The records of a whole, well-formed answer, and its server time; the spool is closed once they are read.

    An answer of up to :data:`LIST_BYTES` is parsed into a list (a page or a detail batch: small). A bigger one (an
    unpaged list: a whole ledger) is first checked by a pass that builds nothing, then its records are streamed
    from the spool as they are consumed, so neither the body nor its records are ever held whole.

    Raises:
        MalformedResponse: the body is cut or broken somewhere (nothing of it has been handed on).
    """
    spool = response.spool
    try:
        server_time = read_timestamp(spool.stream())
        if spool.size <= LIST_BYTES:
            body = spool.read()
            spool.close()
            return iter(list(iter_records(resource, body, http_status=response.status))), server_time
        check_well_formed(spool.stream(), resource=resource, status=response.status)
    except BaseException:
        spool.close()
        raise
    return _streamed(resource, response), server_time


def _streamed(resource: str, response: NetvisorResponse) -> Iterator[dict[str, Any]]:
    with response:
        yield from iter_records(resource, response.spool.stream(), http_status=response.status)


# --------------------------------------------------------------------------------------------------- the resource


@dataclass(frozen=True)
class TableSpec:
    """One destination table of an entry: its declared column types and its dlt hints."""

    name: str
    key: tuple[str, ...]
    merge_key: tuple[str, ...]
    types: dict[str, ColumnType]
    child: Child | None = None

    def hints(self, options: Options) -> dict[str, Any]:
        types = {name: kind for name, kind in self.types.items() if not options.excluded(self.name, name)}
        extra: dict[str, dict[str, Any]] = {name: {"primary_key": True, "nullable": False} for name in self.key}
        extra[HARD_DELETE] = {"data_type": "bool", "hard_delete": True, "nullable": True}
        for name in self.merge_key:
            extra.setdefault(name, {})["merge_key"] = True
        return {
            "table_name": self.name,
            "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
            "primary_key": list(self.key),
            "merge_key": list(self.merge_key) or None,
            "columns": dlt_columns(types, extra),
            "schema_contract": options.schema_contract,
        }


def table_specs(entry: Entry) -> list[TableSpec]:
    """The entry's own table and its child tables, keyed and typed."""
    declared = column_types.declared_types(entry)
    replace_company = (ORGANISATION,) if entry.full_refresh else ()
    parent_types = {ORGANISATION: TEXT, **declared.get(entry.table, {})}
    for name in entry.key:
        parent_types.setdefault(name, BIGINT)
    specs = [TableSpec(entry.table, (ORGANISATION, *entry.key), replace_company, parent_types)]
    for child in entry.children:
        types = {ORGANISATION: TEXT, child.parent_key: BIGINT, child.position: BIGINT, **declared.get(child.table, {})}
        merge_key = replace_company or (ORGANISATION, child.parent_key)
        specs.append(TableSpec(child.table, (ORGANISATION, child.parent_key, child.position), merge_key, types, child))
    return specs


def entry_resource(entry: Entry, plan: Plan) -> DltResource:
    """The dlt resource for one catalog entry over every company of ``plan``.

    Every table (the entry's own included) gets its hints as a table variant, so child tables do not inherit the
    parent's columns.
    """
    specs = table_specs(entry)

    def read() -> Iterator[Any]:
        state = dlt.current.resource_state(entry.table)
        for company in plan.companies:
            yield from _company_tables(entry, specs, company, state, plan)

    read.__name__ = entry.table
    resource = dlt.resource(
        read,
        name=entry.table,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        schema_contract=plan.options.schema_contract,
    )
    for spec in specs:
        resource.apply_hints(create_table_variant=True, **spec.hints(plan.options))
    return resource


def _company_tables(
    entry: Entry, specs: list[TableSpec], company: CompanyReader, state: dict[str, Any], plan: Plan
) -> Iterator[Any]:
    org, options, report = company.organisation_id, plan.options, plan.report
    company_state: dict[str, Any] = state.setdefault(org, {})
    if options.full_refresh:
        company_state.clear()
    started = plan.now()
    window = _window(entry, company_state, plan, started)
    upserted, deleted, lines = 0, 0, Counter[str]()
    keys: set[Key] | None = {tuple(k) for k in company_state.get("keys", [])} if entry.reconcilable else None
    batches = _prefetched(entry, company, window)
    pending = Coalescer()
    answered = False
    try:
        for batch in batches.polled():
            if report.cancelled.is_set():  # Ctrl-C: stop here; the producer stops before its next call (finally)
                raise Interrupted(f"{org}: interrupted before {entry.table} was read; nothing of this run was loaded")
            if batch is None:
                yield None  # the next batch is still on its way: dlt serves the other resources meanwhile
                continue
            upserted += len(batch.rows)
            deleted += len(batch.deleted)
            if entry.full_refresh and not answered:
                # replace the company's rows only once Netvisor answered: a refused resource keeps the old ones
                batch.deleted.insert(0, _marker_key(specs[0]))
            answered = True
            _tally(entry, batch, lines, keys)
            yield from _marked(pending.add(name, table) for name, table in _tables(entry, specs, org, batch, options))
        if keys is not None and window.listed is not None:
            gone = sorted(keys - window.listed)
            deleted += len(gone)
            keys &= window.listed
            gone_batch = Batch(entry.resource, deleted=gone)
            yield from _marked(
                pending.add(name, table) for name, table in _tables(entry, specs, org, gone_batch, options)
            )
        yield from _marked([pending.flush()])
    except ServiceAccessError as error:
        resource = error.resource or entry.resource
        fix = RIGHTS_FIX.format(resource=f"{resource}.nv")
        report.skip(Skipped(org, entry.table, resource, f"SERVICE_ACCESS_ERROR: {error.text}", fix))
        return
    except (NetvisorError, ResponseError) as error:
        if isinstance(error, AuthenticationFailed):
            raise
        report.error(f"{org} {entry.table}: {error}")
        report.emit(ProgressEvent("failed", org, entry.table, entry.resource, 0, str(error)))
        return
    finally:
        batches.close()  # also when dlt closes this generator early: the producer stops, no thread outlives it
    for warning in window.warnings:
        report.warn(f"{org}: {warning}")
    _advance(entry, company_state, window, started, keys)
    report.count(org, entry.table, upserted, deleted)
    for table, count in lines.items():
        report.count(org, table, count, 0)
    report.emit(ProgressEvent("table_done", org, entry.table, entry.resource, upserted + deleted))


def _tally(entry: Entry, batch: Batch, lines: Counter[str], keys: set[Key] | None) -> None:
    """Count the batch's lines per child table, and keep the keys of a reconcilable table current."""
    for child in entry.children:
        lines[child.table] += sum(len(row.get(child.field) or []) for row in batch.rows)
    if keys is not None:
        keys.update(tuple(row.get(c) for c in entry.key) for row in batch.rows)
        keys.difference_update(batch.deleted)


def _prefetched(entry: Entry, company: CompanyReader, window: Window) -> Prefetched[Batch]:
    """The entry's batches, read a batch ahead in a thread of its own (:mod:`netvisor_sync.prefetch`).

    The next call waits on the network while this batch becomes Arrow tables and dlt writes them, and every table
    of the company starts calling at once instead of when dlt first asks it for rows. The transport's organisation
    lock still lets only one call per company be in flight; :data:`CALLERS` bounds how many tables queue for it.
    The planner fills ``window`` in the producer thread; it is read here only once the batches are exhausted.
    """
    stop = threading.Event()
    fetch = guarded(company.fetch_for(entry.table), stop)
    if not company.takes_turns:
        fetch = _taking_turns(fetch, company.callers)
    name = f"netvisor-prefetch-{company.organisation_id}-{entry.table}"
    return Prefetched(read_entry(entry, fetch, window), depth=PREFETCH_DEPTH, name=name, stop=stop)


def _taking_turns(fetch: Fetch, callers: threading.Semaphore) -> Fetch:
    """``fetch`` once one of the company's turns is free, so a signed request waits for at most one other call."""

    def call(resource: str, params: Mapping[str, str]) -> Page:
        with callers:
            return fetch(resource, params)

    return call


def _advance(
    entry: Entry, company_state: dict[str, Any], window: Window, started: datetime, keys: set[Key] | None
) -> None:
    """Record what this run read; dlt saves it with the load package (so only a successful load keeps it)."""
    company_state["cursor"] = (window.end or started).isoformat()
    if window.max_key is not None and entry.change_filter == "above_key":
        company_state["max_key"] = max(window.max_key, company_state.get("max_key") or 0)
    if keys is not None:
        company_state["keys"] = [list(key) for key in sorted(keys, key=repr)]


def _window(entry: Entry, company_state: Mapping[str, Any], plan: Plan, now: datetime) -> Window:
    cursor = company_state.get("cursor")
    since = datetime.fromisoformat(cursor) - plan.options.lookback if cursor and not entry.full_refresh else None
    above_key = company_state.get("max_key") if entry.change_filter == "above_key" else None
    return Window(
        today=now.date(),
        since=since,
        start_date=plan.options.start_date,
        above_key=above_key if since is not None else None,
        reconcile=plan.options.reconcile,
    )


def _marker_key(spec: TableSpec) -> Key:
    """A key no real row has, for the marker row that makes a full-refresh table replace the company's rows."""
    return tuple(_placeholder(spec.types.get(name, BIGINT)) for name in spec.key[1:])


def _placeholder(column_type: ColumnType) -> Any:
    if column_type.kind == "date":
        return date(1, 1, 1)
    if column_type.kind == "timestamp":
        return datetime(1, 1, 1)
    if column_type.kind == "text":
        return ""
    return 0


def _marked(groups: Iterable[Iterable[tuple[str, Any]]]) -> Iterator[Any]:
    """``(table name, Arrow table)`` pairs as dlt items routed to their tables."""
    for group in groups:
        for name, table in group:
            yield dlt.mark.with_table_name(table, name)


def _tables(
    entry: Entry, specs: list[TableSpec], org: str, batch: Batch, options: Options
) -> Iterator[tuple[str, Any]]:
    """One batch -> an Arrow table per destination table (parent rows, line rows, delete markers), with its name.

    The parser's rows go to Arrow as they are: the organisation id, the parent key and the position are given as
    columns of their own (copying every row to add them cost more than building the tables).
    """
    parent, children = specs[0], specs[1:]
    child_fields = {spec.child.field for spec in children if spec.child}
    gone = [{**dict(zip(entry.key, key, strict=True)), HARD_DELETE: True} for key in batch.deleted]
    yield from _arrow(parent, batch.rows + gone, options, {ORGANISATION: org}, child_fields)
    for spec in children:
        assert spec.child is not None
        lines: list[dict[str, Any]] = []
        keys: list[Any] = []
        positions: list[int] = []
        for row in batch.rows:
            items = row.get(spec.child.field) or []
            key = row.get(entry.key[0])
            if items:
                lines += items
                keys += [key] * len(items)
                positions += range(1, len(items) + 1)
            elif not entry.full_refresh:
                lines.append(_LINE_MARKER)
                keys.append(key)
                positions.append(0)
        for key in batch.deleted:
            lines.append(_LINE_MARKER)
            keys.append(key[0] if not entry.full_refresh else 0)
            positions.append(0)
        given = {spec.child.parent_key: keys, spec.child.position: positions}
        yield from _arrow(spec, lines, options, {ORGANISATION: org}, (), given)


#: the line row that removes all lines of its parent (at position 0, which no real line has); shared, never changed
_LINE_MARKER: dict[str, Any] = {HARD_DELETE: True}


def _arrow(  # noqa: PLR0917 - one table's rows and the columns they do not carry
    spec: TableSpec,
    rows: Sequence[Mapping[str, Any]],
    options: Options,
    constants: Mapping[str, Any],
    skip: Collection[str] = (),
    given: Mapping[str, Sequence[Any]] | None = None,
) -> Iterator[tuple[str, Any]]:
    """Rows -> one Arrow table with every declared column (minus exclusions), named for ``spec``'s table.

    ``constants`` are columns with one value for every row, ``given`` columns with one value per row (see
    :func:`~netvisor_sync.arrow.to_table`); ``skip`` names row keys that are not columns of this table.
    """
    if not rows:
        return
    dropped = options.excluded_from(spec.name)
    types = {name: kind for name, kind in spec.types.items() if name not in dropped}
    types[HARD_DELETE] = BOOL
    columns: dict[str, Sequence[Any]] = {name: [value] * len(rows) for name, value in constants.items()}
    columns.update(given or {})
    if options.exclude:  # nested values stored as JSON lose their excluded fields before they become text
        json_columns = [name for name, kind in types.items() if kind.kind == "json"]
        for name, scrub in options.scrubbers(spec.name, json_columns).items():
            columns[name] = [scrub(row.get(name)) for row in rows]
    # an excluded value never reaches Arrow: skipped like any other key that is not a column of the table
    table, used = to_table(rows, types, complete=True, not_null=spec.key, given=columns, skip={*skip, *dropped})
    if options.frozen and len(used) > len(types):
        _refuse_drift(spec.name, sorted(set(used) - set(types)))
    yield spec.name, table


def _refuse_drift(table: str, undeclared: list[str]) -> None:
    raise SchemaDrift(
        f"{table}: Netvisor sent {', '.join(undeclared)}, which this version does not declare, and schema_contract "
        f"is freeze, so nothing of this company's run was loaded. Load them as new text columns with "
        f"--schema-contract evolve (schema_contract in [sources.netvisor]), or keep them out with exclude_columns = "
        f'["undeclared:{table}.{undeclared[0]}"].'
    )
