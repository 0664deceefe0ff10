"""A ``model.Collection`` whose records are computed on demand, with an overlay for changes.

The generator describes a kind of record as ``slots`` consecutive keys from ``base`` and a pure ``make(slot)`` that
builds the record in a slot (or ``None`` for an empty slot). Nothing is materialised up front, so a company with
millions of voucher lines costs only what a request reads. Edits, deletions and created records live in a small
overlay that ``store`` writes under its lock; readers need no lock (single dict operations are atomic in CPython,
and records are replaced, never mutated in place).

A generator that knows which slots hold which dates passes ``locate``: then :meth:`LazyCollection.iter_window` skips
the slots whose records cannot fall inside a request's :class:`Window` (a month of a two-year ledger reads one
month's slots, not all of them), while every changed record is still offered to the caller's filters.

:class:`Recent` keeps the records a generator built last, for the requests that read them again right away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Window(NamedTuple):
    """The inclusive record-date and modification-time bounds a request filters on (``None``: unbounded).

    Only a hint for skipping generated slots: the caller still applies its own filters to every record yielded.
    """

    date_low: date | None = None
    date_high: date | None = None
    modified_low: datetime | None = None
    modified_high: datetime | None = None


#: a :class:`Window` -> the slot range ``[first, stop)`` holding every generated record that may lie inside it
Locate = Callable[[Window], tuple[int, int]]


class LazyCollection(Generic[T]):
    """Records keyed ``base + slot`` computed by ``make``, plus created records with keys above every slot.

    Args:
        base: key of slot 0.
        slots: number of generated slots.
        make: builds the record in a slot, ``None`` when the slot is empty; must be pure.
        count: number of non-empty slots, so ``len()`` is O(1).
        locate: where the records of a :class:`Window` lie; without it :meth:`iter_window` reads every slot.
    """

    def __init__(
        self, base: int, slots: int, make: Callable[[int], T | None], count: int, locate: Locate | None = None
    ) -> None:
        self._base = base
        self._slots = slots
        self._make = make
        self._count = count
        self._locate = locate
        self._overlay: dict[int, T | None] = {}  # None marks a deleted record
        self._created: list[int] = []

    def get(self, key: int) -> T | None:
        if key in self._overlay:
            return self._overlay[key]
        return self.generated(key)

    def generated(self, key: int) -> T | None:
        """The record as generated, ignoring every change; ``None`` outside the slots or for an empty slot."""
        slot = key - self._base
        return self._make(slot) if 0 <= slot < self._slots else None

    def __iter__(self) -> Iterator[T]:
        return self.iter_from(self._base - 1)

    def iter_from(self, above_key: int) -> Iterator[T]:
        overlay, make, base = self._overlay, self._make, self._base
        for slot in range(max(0, above_key - base + 1), self._slots):
            key = base + slot
            if key in overlay:
                changed = overlay[key]
                if changed is not None:
                    yield changed
                continue
            record = make(slot)
            if record is not None:
                yield record
        for key in list(self._created):
            if key > above_key:
                created = overlay.get(key)
                if created is not None:
                    yield created

    def iter_window(self, window: Window, above_key: int | None = None) -> Iterator[T]:
        """As :meth:`iter_from`, but generated records that cannot lie inside ``window`` may be left out.

        Changed and created records are always yielded (an edit may move a record into the window), so a caller
        that filters the result on the window gets exactly what filtering :meth:`iter_from` would give.
        """
        above = self._base - 1 if above_key is None else above_key
        if self._locate is None:
            return self.iter_from(above)
        first, stop = self._locate(window)
        first = max(0, min(first, self._slots))
        return self._iter_slots(above, first, max(first, min(stop, self._slots)))

    def _iter_slots(self, above_key: int, first: int, stop: int) -> Iterator[T]:
        overlay, make, base = self._overlay, self._make, self._base
        for key in sorted(k for k in overlay if above_key < k < base + first):
            outside = overlay[key]
            if outside is not None:
                yield outside
        for slot in range(max(first, above_key - base + 1), stop):
            key = base + slot
            if key in overlay:
                changed = overlay[key]
                if changed is not None:
                    yield changed
                continue
            record = make(slot)
            if record is not None:
                yield record
        for key in sorted(k for k in overlay if k >= base + stop and k > above_key):
            after = overlay[key]
            if after is not None:
                yield after

    def map_window(
        self,
        window: Window,
        above_key: int | None,
        generated: Callable[[int], R | None],
        changed: Callable[[T], R | None],
    ) -> Iterator[R]:
        """:meth:`iter_window` mapped: ``generated(slot)`` for a slot without a change (the record there is never
        built), ``changed(record)`` for a changed or created record; ``None`` results are left out.

        A list resource renders its rows of generated records from a few draws this way (``list_rows``), while
        every edited record still takes the ordinary path, in the same order as :meth:`iter_window` yields them.
        """
        base, overlay = self._base, self._overlay
        above = base - 1 if above_key is None else above_key
        first, stop = (0, self._slots) if self._locate is None else self._locate(window)
        first = max(0, min(first, self._slots))
        stop = max(first, min(stop, self._slots))
        start = max(first, above - base + 1)
        before = sorted(k for k in overlay if above < k < base + first)
        inside = sorted(k - base for k in overlay if base + start <= k < base + stop)
        after = sorted(k for k in overlay if k >= base + stop and k > above)
        yield from self._changed(before, changed)
        for slot in inside:
            yield from filter(None, map(generated, range(start, slot)))
            yield from self._changed([base + slot], changed)
            start = slot + 1
        yield from filter(None, map(generated, range(start, stop)))
        yield from self._changed(after, changed)

    def _changed(self, keys: list[int], changed: Callable[[T], R | None]) -> Iterator[R]:
        for key in keys:
            record = self._overlay[key]
            if record is not None:
                result = changed(record)
                if result is not None:
                    yield result

    def __len__(self) -> int:
        return self._count

    def next_key(self) -> int:
        """The key a newly created record gets: above every generated and created key."""
        return (self._created[-1] if self._created else self._base + self._slots - 1) + 1

    def changed_keys(self) -> list[int]:
        """Keys with an edit, deletion or creation in the overlay, ascending."""
        return sorted(self._overlay)

    def replace(self, key: int, record: T) -> None:
        """Store a new version of an existing record (the caller holds the store lock)."""
        self._overlay[key] = record

    def add(self, key: int, record: T) -> None:
        """Store a created record under ``key`` (from :meth:`next_key`)."""
        self._overlay[key] = record
        self._created.append(key)
        self._count += 1

    def remove(self, key: int) -> None:
        """Delete an existing record."""
        self._overlay[key] = None
        self._count -= 1


#: records a :class:`Recent` keeps per generation
RECENT_LIMIT = 2048


class Recent(Generic[T]):
    """The records built most recently: the newer of two generations fills up to :data:`RECENT_LIMIT`, then
    becomes the older one and the previous older one is dropped, so between one and two generations are kept.

    Generators use it for what a request is likely to read again soon: a list page, its details, their vouchers
    and payments read the same invoices.

    Records are replaced, never changed in place, so sharing them is safe. Cheaper than an ordered dict (this runs
    for every invoice built).
    """

    __slots__ = ("_new", "_old")

    def __init__(self) -> None:
        self._new: dict[int, T] = {}
        self._old: dict[int, T] = {}

    def get(self, g: int) -> T | None:
        found = self._new.get(g)
        return self._old.get(g) if found is None else found

    def put(self, g: int, record: T) -> None:
        if len(self._new) >= RECENT_LIMIT:
            self._old, self._new = self._new, {}
        self._new[g] = record
