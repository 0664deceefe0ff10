"""Read an iterator ahead in a thread of its own, a bounded number of items ahead.

The dlt source gets each table's batches from the call planner (:func:`netvisor_sync.fetch.read_entry`: a Netvisor
call, then parsing) and turns them into Arrow tables that dlt writes. In one thread the two take turns, so every
call's latency is added to the local work. :class:`Prefetched` runs the planner in a producer thread while the
resource converts the batch it already has: the next call waits on the network (the GIL released) meanwhile.
Netvisor still sees one request at a time per company: the transport's organisation lock serialises every call,
whichever thread makes it.

What a reader can rely on (``tests/sync/test_prefetch.py``):

* **Order.** Items arrive in the order the iterator yields them, each exactly once.
* **Bounded.** At most ``depth`` items wait in the queue, plus the one the producer is making: memory stays flat
  however far behind the reader is.
* **Errors.** An exception the iterator raises is raised again in the reader, the same object (type, attributes,
  traceback), after every item yielded before it; the reader's own error handling sees no difference.
* **Close.** :meth:`Prefetched.close` (or leaving the ``with`` block) stops the producer before its next item and
  waits for it, so no thread outlives its reader; a reader dropped unclosed stops its producer when collected. A
  call wrapped with :func:`guarded` refuses to start once the reader is gone, so the producer stops before the
  next call rather than after it; a call already in flight is waited for (it cannot be taken back).
* **No waiting, if asked.** :meth:`Prefetched.polled` gives ``None`` instead of blocking while the next item is on
  its way, for a reader with other work to do (a dlt resource among others: see the method).
* **Threads.** Only the iterator runs in the producer. Everything the reader does with the items (dlt state, the
  run report's counts) stays in the reader's thread.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Final, Generic, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

#: How often a producer waiting for room in the queue looks whether its reader went away (seconds).
POLL_SECONDS: Final = 0.05

_ITEM, _END, _ERROR = "item", "end", "error"


class Stopped(Exception):
    """Raised inside the producer by a :func:`guarded` call once the reader has gone away; never reaches a reader."""


def guarded(call: Callable[P, R], stop: threading.Event) -> Callable[P, R]:
    """``call``, refusing to start once ``stop`` is set (pass the same event to :class:`Prefetched`).

    Use it on the function that makes the expensive step (a Netvisor call), so a closed reader costs at most the
    call already in flight, not the rest of the item being made.
    """

    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if stop.is_set():
            raise Stopped("the reader closed the prefetch")
        return call(*args, **kwargs)

    return checked


class Prefetched(Generic[T]):
    """An iterator over ``items`` that a producer thread keeps up to ``depth`` items ahead of.

    Args:
        items: what to read ahead; a generator is closed in the producer thread when the producer ends, so its
            ``finally`` blocks (open answers) run there.
        depth: items that may wait for the reader (1 overlaps one call with the reader's work).
        name: the producer thread's name (shows in profiles and thread dumps).
        stop: the event :func:`guarded` calls look at; one is made if not given.
    """

    def __init__(
        self,
        items: Iterable[T],
        *,
        depth: int = 1,
        name: str = "netvisor-prefetch",
        stop: threading.Event | None = None,
    ) -> None:
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self._stop = stop if stop is not None else threading.Event()
        self._done = False
        # The producer holds the queue and the event, never self: a reader dropped unclosed is collected, and the
        # finalizer then stops its producer.
        self._thread = threading.Thread(target=_produce, args=(iter(items), self._queue, self._stop), name=name)
        self._thread.daemon = True
        self._finalizer = weakref.finalize(self, self._stop.set)
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        return self._take(self._queue.get())

    def polled(self) -> Iterator[T | None]:
        """The items, with ``None`` whenever the next one is not there yet, instead of waiting for it.

        Use it where the reader has other work to do meanwhile: dlt's round robin takes a ``None`` from a resource
        as "serve the other resources first" (dlt's own parallel wrapper yields ``None`` the same way), so every
        resource's producer gets going from the first round and no resource waits on another's call.
        """
        while not self._done:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                yield None
                continue
            if entry[0] == _END:
                self._finish()
                return
            yield self._take(entry)

    def _take(self, entry: tuple[str, Any]) -> T:
        kind, payload = entry
        if kind == _ITEM:
            item: T = payload
            return item
        self._finish()
        if kind == _ERROR:
            raise payload
        raise StopIteration

    def _finish(self) -> None:
        self._done = True
        self._thread.join()

    def close(self) -> None:
        """Stop the producer before its next item and wait for it (a call in flight is waited for)."""
        self._done = True
        self._stop.set()
        _drain(self._queue)  # wakes a producer blocked on a full queue
        self._thread.join()
        _drain(self._queue)  # what it made after the first drain
        self._finalizer.detach()

    def __enter__(self) -> Prefetched[T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _produce(items: Iterator[Any], out: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
    try:
        for item in items:
            if not _put(out, (_ITEM, item), stop):
                return
        _put(out, (_END, None), stop)
    except BaseException as error:  # everything goes to the reader, which raises it as its own
        if not stop.is_set():
            _put(out, (_ERROR, error), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _put(out: queue.Queue[tuple[str, Any]], entry: tuple[str, Any], stop: threading.Event) -> bool:
    """Queue ``entry`` unless the reader went away; ``False``: stop producing."""
    while not stop.is_set():
        try:
            out.put(entry, timeout=POLL_SECONDS)
        except queue.Full:
            continue
        return not stop.is_set()
    return False


def _drain(out: queue.Queue[tuple[str, Any]]) -> None:
    while True:
        try:
            out.get_nowait()
        except queue.Empty:
            return
