"""Turn one catalog entry into the fewest Netvisor calls its limits allow, and yield what changed in batches.

This is the request planner behind the dlt source; it knows no XML, no HTTP and no dlt. It is given a
:data:`Fetch` callable (``resource, params -> Page``: parsed records, response headers and the server's own time) and
an entry's run window, and yields :class:`Batch` objects: complete rows to upsert (list row merged with its detail
row, lines still nested) and keys to delete.

What "fewest calls" means, per entry and run:

* **List.** One listing: change-filtered (``changedsince`` / ``lastmodifiedstart`` from the cursor), or, on a first
  run with ``start_date``, one listing per date window (``months`` per window; issue #4: the backfill from
  ``start_date`` goes window by window). A key-paged list stops at the first page with fewer than 500 rows; a
  ``page``-paged list follows ``X-Netvisor-Pagination-Next-Page`` (a page with paging headers but no next page is the
  last, full or not; with no headers, a short page ends it). So a
  listing of n rows costs ``n // 500 + 1`` calls (key paging cannot know that a full page was the last one),
  ``max(1, ceil(n / 500))`` with page headers, 1 unpaged.
* **Unpaged lists (memory).** A list *without* paging (``accountingledger``, ``purchaseinvoicelist``,
  ``purchaseorderlist``, ``customerlist``, ``productlist``) answers a whole listing in one response, which for the
  ledger of a large company is hundreds of MB. Without ``start_date`` its first run is still one call: the
  transport spools the body to disk as it arrives and the source checks it with a pass that builds nothing before
  streaming its records (:func:`netvisor_sync.source.client_fetch`), so memory stays flat without windows. The
  ledger refuses a call without dates, so it gets one window from :data:`HISTORY_START` to :data:`FUTURE_YEARS`
  ahead (documents may be dated ahead).
* **Detail.** Keys of all pages are batched across page boundaries, so n changed rows cost ``ceil(n / limit)`` calls;
  at most one batch of keys is held (with its list rows) at a time.
* **Deletes.** One ``deleted*.nv`` call per incremental run (none on a first run: nothing is loaded yet).
* **Reconcile.** One extra unfiltered listing (no details) when asked to reconcile a table without a delete feed;
  only its keys are kept. A key-cursor list (``above_key``: purchase payments) has no change filter, so its
  reconcile *is* its listing: the whole list is read from the first key instead of the new keys only, every row is
  upserted (edits arrive) and its keys are the reconcile listing.

Nothing accumulates per resource: each page (or :data:`STREAM_CHUNK` rows of an unpaged answer) is handed on as a
batch before the next page is asked for. A first run without ``start_date`` therefore costs exactly the lower
bound of Netvisor's limits: one call per unpaged list and reference table, ``n // 500 + 1`` per key-paged listing,
``ceil(n / limit)`` per detail resource. An unchanged second run costs one call per list resource plus one per
delete feed.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from netvisor_sync.catalog import Entry

#: Netvisor keeps ``deleted*.nv`` rows for 7 days; ``deletedsince`` must not reach further back.
DELETED_FEED_DAYS = 7
#: the open end of the last backfill window: documents may be dated ahead (orders, planned vouchers)
FUTURE_YEARS = 5
#: the start of history for lists that need a date range when no ``start_date`` is set
HISTORY_START = date(1990, 1, 1)
#: rows per batch when an unpaged answer is streamed
STREAM_CHUNK = 1000

Record = dict[str, Any]
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Page:
    """One parsed Netvisor answer: the records, the response headers and ``ResponseStatus/TimeStamp``.

    ``records`` may be a lazy iterator (streamed from the parser): unpaged lists such as the ledger are consumed in
    chunks of :data:`STREAM_CHUNK` rows, so a large answer never becomes one list of dicts.
    """

    records: Iterable[Record]
    headers: Mapping[str, str] = field(default_factory=dict)
    server_time: datetime | None = None


#: ``fetch(resource, params) -> Page``: one Netvisor call, parsed (the source builds it over the transport).
Fetch = Callable[[str, Mapping[str, str]], Page]


@dataclass
class Batch:
    """Rows to upsert and keys to delete, from one call (or one detail batch)."""

    resource: str
    rows: list[Record] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)


@dataclass
class Window:
    """What one run of one entry reads, and what it learns.

    ``since`` is the change-filter start (the previous run's end minus the lookback), ``None`` on a first run;
    ``above_key`` is the key cursor of ``above_key`` entries.
    After reading, ``end`` holds the server time of the first call (the next run's cursor: anything changed after it
    is read again next time), ``max_key`` the highest key seen, ``listed`` every key of a reconcile listing (``None``
    if none was made), ``warnings`` what the user should know (e.g. a deleted feed that could not reach back far
    enough).
    """

    today: date
    since: datetime | None = None
    start_date: date | None = None
    above_key: int | None = None
    reconcile: bool = False
    end: datetime | None = None
    max_key: int | None = None
    listed: set[Key] | None = None
    warnings: list[str] = field(default_factory=list)

    def saw(self, page: Page) -> None:
        if self.end is None and page.server_time is not None:
            self.end = page.server_time


def record_key(entry: Entry, record: Mapping[str, Any]) -> Key:
    return tuple(record.get(column) for column in entry.key)


def read_entry(entry: Entry, fetch: Fetch, window: Window) -> Iterator[Batch]:
    """Yield every change of ``entry`` in ``window`` as batches; fills ``window.end``/``max_key``/``listed``."""
    if window.reconcile and entry.reconcilable and window.since is not None:
        keys: set[Key] = set()
        window.listed = keys
        if entry.rereads_to_reconcile:
            window.above_key = None  # the whole list, as on a first run: its keys are the listing (see _complete)
        else:
            for page in _pages(entry, fetch, dict(entry.params), window):
                keys.update(record_key(entry, record) for record in page.records)
    listed = (page for params in _listings(entry, window) for page in _pages(entry, fetch, params, window))
    yield from _complete(entry, fetch, listed, window)
    if entry.delete_feed and window.since is not None:
        yield _deleted(entry, fetch, window)


def _listings(entry: Entry, window: Window) -> Iterator[dict[str, str]]:
    """The parameter sets of this run's listing(s), lazily: each is made only when the previous one was read."""
    base = dict(entry.params)
    if entry.computed == "balancedates":
        base.update(balance_params(window.start_date, window.today))
    dated = entry.window
    if window.since is not None and entry.change_filter in ("changedsince", "lastmodified"):
        name = "changedsince" if entry.change_filter == "changedsince" else "lastmodifiedstart"
        yield {**base, **entry.since_params, name: _moment(window.since)}
        return
    if dated is None or window.above_key is not None:
        yield base
        return
    if window.start_date is not None:
        spans = list(month_windows(window.start_date, window.today, dated.months))
    elif dated.required:
        spans = [(HISTORY_START, date(window.today.year + FUTURE_YEARS, 12, 31))]
    else:
        yield base
        return
    for first, last in spans:
        yield {**base, dated.start_param: first.isoformat(), dated.end_param: last.isoformat()}


def _pages(entry: Entry, fetch: Fetch, params: dict[str, str], window: Window) -> Iterator[Page]:
    """Every page of one listing, following the entry's paging."""
    if entry.paging == "page":
        number = 1
        while True:
            page = _listed(fetch(entry.resource, {**params, "page": str(number)}))
            window.saw(page)
            yield page
            next_page = _header(page.headers, "X-Netvisor-Pagination-Next-Page")
            if next_page is not None:
                if not next_page.strip() or not _rows(page):
                    return
                number = int(next_page)
            elif _has_page_headers(page.headers) or len(_rows(page)) < entry.page_size:
                return  # the answer says where the pages are and names no next one, or it is short
            else:
                number += 1
        return
    above = window.above_key if entry.change_filter == "above_key" else None
    while True:
        call = dict(params)
        if entry.paging is not None and above is not None:
            call[entry.paging] = str(above)
        page = fetch(entry.resource, call)
        window.saw(page)
        if entry.paging is None:
            yield page  # streamed: one answer holds the whole list
            return
        page = _listed(page)
        yield page
        if len(_rows(page)) < entry.page_size:
            return
        above = max(int(record["netvisor_key"]) for record in _rows(page))


def _rows(page: Page) -> list[Record]:
    assert isinstance(page.records, list), "paged answers are materialized by _listed"
    return page.records


def _listed(page: Page) -> Page:
    """A page with its records in a list (pages are at most 500 rows; paging needs their count and keys)."""
    return page if isinstance(page.records, list) else Page(list(page.records), page.headers, page.server_time)


def _complete(entry: Entry, fetch: Fetch, pages: Iterable[Page], window: Window) -> Iterator[Batch]:
    """List rows -> (detail-merged) batches, detail keys batched across page boundaries."""
    pending: list[Record] = []
    listing = window.listed if entry.rereads_to_reconcile else None
    for records in _chunks(pages):
        kept = [record for record in records if _in_history(entry, record, window)]
        for record in records:
            key = record.get("netvisor_key")
            if isinstance(key, int):
                window.max_key = key if window.max_key is None else max(window.max_key, key)
        if listing is not None:
            listing.update(record_key(entry, record) for record in records)
        if entry.detail is None:
            yield _split_deleted(entry, Batch(entry.resource, kept))
            continue
        pending.extend(kept)
        if not pending:
            yield Batch(entry.resource)
        while len(pending) >= entry.detail.batch_limit:
            chunk, pending = pending[: entry.detail.batch_limit], pending[entry.detail.batch_limit :]
            yield _split_deleted(entry, _with_details(entry, fetch, chunk))
    if entry.detail is not None and pending:
        yield _split_deleted(entry, _with_details(entry, fetch, pending))


def _chunks(pages: Iterable[Page]) -> Iterator[list[Record]]:
    """Each page's records in lists of at most :data:`STREAM_CHUNK` (an empty page gives one empty list)."""
    for page in pages:
        if isinstance(page.records, list) and len(page.records) <= STREAM_CHUNK:
            yield page.records
            continue
        iterator, empty = iter(page.records), True
        while chunk := list(islice(iterator, STREAM_CHUNK)):
            empty = False
            yield chunk
        if empty:
            yield []


def _with_details(entry: Entry, fetch: Fetch, rows: list[Record]) -> Batch:
    assert entry.detail is not None
    keys = ",".join(str(row["netvisor_key"]) for row in rows)
    page = fetch(entry.detail.resource, {**entry.detail.params, entry.detail.batch_param: keys})
    details = {record.get("netvisor_key"): record for record in page.records}
    merged = [merge_rows(row, details.get(row["netvisor_key"])) for row in rows]
    return Batch(entry.detail.resource, merged)


def merge_rows(listed: Record, detail: Record | None) -> Record:
    """A list row completed by its detail row: detail values win, but a missing detail value keeps the list's."""
    if detail is None:
        return dict(listed)
    merged = dict(listed)
    for name, value in detail.items():
        if value is not None or name not in merged:
            merged[name] = value
    return merged


def _split_deleted(entry: Entry, batch: Batch) -> Batch:
    """Rows whose status says they are gone (invalidated/deleted vouchers) become deletes."""
    if not entry.deleted_statuses:
        return batch
    rows, deleted = [], []
    for row in batch.rows:
        if _gone(entry, row):
            deleted.append(record_key(entry, row))
        else:
            rows.append(row)
    return Batch(batch.resource, rows, deleted)


def _gone(entry: Entry, row: Record) -> bool:
    status = row.get(entry.status_column)
    return isinstance(status, str) and status.strip().lower() in entry.deleted_statuses


def _in_history(entry: Entry, row: Record, window: Window) -> bool:
    """``start_date`` bounds history: change-filtered listings may return older documents that changed."""
    if window.start_date is None or entry.window is None:
        return True
    value = row.get(entry.window.column)
    if isinstance(value, datetime):
        value = value.date()
    return not isinstance(value, date) or value >= window.start_date


def _deleted(entry: Entry, fetch: Fetch, window: Window) -> Batch:
    assert entry.delete_feed is not None
    assert window.since is not None
    oldest = window.today - timedelta(days=DELETED_FEED_DAYS)
    since = window.since.date()
    if since < oldest:
        window.warnings.append(
            f"{entry.delete_feed}.nv keeps deletions for {DELETED_FEED_DAYS} days and the last sync of {entry.table} "
            f"was before {oldest}: deletions before that may be missed; run with full_refresh to re-read it"
        )
        since = oldest
    page = fetch(entry.delete_feed, {"deletedsince": since.isoformat()})
    window.saw(page)
    return Batch(entry.delete_feed, deleted=[(record.get("netvisor_key"),) for record in page.records])


def month_windows(start: date, today: date, months: int = 1) -> Iterator[tuple[date, date]]:
    """Inclusive ``[first, last]`` date windows of ``months`` months from ``start``; the last one stays open ahead."""
    first = start
    while True:
        year, month = divmod(first.month - 1 + months, 12)
        following = date(first.year + year, month + 1, 1)
        if following > today:
            yield first, date(today.year + FUTURE_YEARS, 12, 31)
            return
        yield first, following - timedelta(days=1)
        first = following


def balance_params(start_date: date | None, today: date) -> dict[str, str]:
    """``accountbalance`` month-end balances from ``start_date`` (default: start of last year) to today."""
    start = start_date or date(today.year - 1, 1, 1)
    first_end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return {"balancedates": f"{min(first_end, today).isoformat()},{today.isoformat()}", "intervaltype": "3"}


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _has_page_headers(headers: Mapping[str, str]) -> bool:
    """Whether an answer carries getvendor's paging headers: then a missing ``Next-Page`` means the last page, also
    when it is full (without them a full page may have a next one, and only a short or empty page ends the list)."""
    return any(key.lower().startswith("x-netvisor-pagination-") for key in headers)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def full_listing(entry: Entry, fetch: Fetch, window: Window) -> Iterator[Record]:
    """Every row a complete load of ``entry`` holds, read from its list resource alone (no details, no deletes).

    Use it to compare a loaded table with Netvisor (``netvisor-sync verify``): it makes the listing calls of a first
    run (``window.since`` is ignored), in the same windows and pages, so memory stays as flat as the sync's. Rows
    dated before ``start_date`` and rows whose status means deleted are left out, as the sync leaves them out.
    """
    first_run = Window(today=window.today, start_date=window.start_date)
    for params in _listings(entry, first_run):
        for page in _pages(entry, fetch, params, first_run):
            yield from (row for row in page.records if _in_history(entry, row, first_run) and not _gone(entry, row))
