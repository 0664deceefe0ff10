"""What every resource handler shares: the request, and the filtering, paging and by-key building blocks.

Handlers (``handlers`` for customers, products, sales and purchases; ``ledger`` for the books, payments, deletions and
payroll) build a list of predicates from the validated parameters and stream the matching records; the helpers here
keep that the same everywhere: inclusive bounds, ascending-key paging and the get* one-key/key-list convention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import TypeVar

from netvisor_sync.emulator import model as m
from netvisor_sync.emulator import render
from netvisor_sync.emulator.lazy import LazyCollection, Window
from netvisor_sync.emulator.params import Params, one_of
from netvisor_sync.emulator.reply import Rejection, Reply

T = TypeVar("T")
Predicate = Callable[[T], bool]

#: ids per ``netvisorkeylist`` (getsalesinvoice, getorder, getpurchaseinvoice, getpurchaseorder, accountingledger)
BATCH_LIMIT = 500


@dataclass(frozen=True)
class Request:
    """One request: the company, its parameters, the emulator's time and the render context."""

    company: m.CompanyView
    params: Params
    now: datetime
    ctx: render.Context


Handler = Callable[[Request], Reply]


def between(preds: list[Predicate[T]], get: Callable[[T], date], low: date | None, high: date | None) -> None:
    """Add inclusive lower/upper bound tests on ``get(record)`` (dates or datetimes)."""
    if low is not None:
        preds.append(lambda r: get(r) >= low)
    if high is not None:
        preds.append(lambda r: get(r) <= high)


def select(records: Iterable[T], preds: list[Predicate[T]]) -> Iterator[T]:
    """The records passing every predicate, lazily, in the order given."""
    if not preds:
        return iter(records)
    if len(preds) == 1:  # the common case, without a generator per record
        return filter(preds[0], records)
    if len(preds) == 2:
        first, second = preds
        return (r for r in records if first(r) and second(r))
    return (r for r in records if all(p(r) for p in preds))


def ascending_from(collection: m.Collection[T], above: int | None) -> Iterator[T]:
    """Key paging (``invoicesabovenetvisorkey`` and friends): records with a key above ``above``, ascending."""
    return iter(collection) if above is None else collection.iter_from(above)


def scan(collection: m.Collection[T], window: Window, above: int | None = None) -> Iterator[T]:
    """As :func:`ascending_from`, skipping generated records that cannot lie inside ``window`` where the collection
    knows its layout; the caller still filters on the window (this only saves building records it would drop)."""
    if isinstance(collection, LazyCollection):
        return collection.iter_window(window, above)
    return ascending_from(collection, above)


def unique(keys: Iterable[int]) -> list[int]:
    """A key list without repeats, first occurrence kept: a repeated id is answered once."""
    return list(dict.fromkeys(keys))


def by_keys(
    req: Request,
    collection: m.Collection[T],
    item: Callable[[T], str],
    *,
    names: tuple[str, str],
    roots: tuple[str, str],
    limit: int | None = BATCH_LIMIT,
    missing: Callable[[int], Rejection] | None = None,
) -> Reply:
    """A get* detail resource: one key (singular root) or a key list (plural root).

    ``names`` are the single and list parameter names; ``roots`` the singular and plural root elements. Unknown keys
    are left out (a single unknown key gives the empty singular element) unless ``missing`` builds a rejection.
    """
    single_param, list_param = names
    which = one_of(req.params, single_param, list_param)
    if which == single_param:
        keys = [req.params.required_integer(single_param)]
    else:
        keys = unique(req.params.keys(list_param, limit) or [])
    found = []
    for key in keys:
        record = collection.get(key)
        if record is None and missing is not None:
            raise missing(key)
        if record is not None:
            found.append(record)
    if which == single_param or (len(keys) == 1 and req.ctx.quirks.single_id_list_singular_root):
        return render.single_reply(req.now, roots[0], item(found[0]) if found else None)
    return render.list_reply(req.now, roots[1], (item(r) for r in found))


def capped(rows: Iterator[T], req: Request) -> Iterator[T]:
    """The payment lists' row cap (``Quirks.payment_list_cap``); clients page on with the last key."""
    cap = req.ctx.quirks.payment_list_cap
    return rows if cap is None else islice(rows, cap)
