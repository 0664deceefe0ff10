"""Answer bodies kept in a spool: a few MB in memory, then an anonymous temporary file, never one ``bytes`` object.

Netvisor answers an unpaged list (a company's whole ledger) in one response, which can be hundreds of MB. The
transport writes each body here chunk by chunk as it arrives, so the answer is never held whole in memory; the
envelope check, the record parser and the well-formedness pass then read it back as a stream, each from the start.

A body is closed by whoever consumes it (``client_fetch`` once its records are read, ``with`` on a
:class:`~netvisor_sync.transport.NetvisorResponse`); one that is dropped unclosed is closed when it is collected,
quietly, so callers that only want :meth:`SpooledBody.read` need not care.
"""

from __future__ import annotations

import tempfile
import weakref
from collections.abc import Iterable
from typing import BinaryIO, Final

#: Bytes kept in memory before the spool moves to disk: small answers (detail batches, pages) never touch disk.
SPOOL_MEMORY: Final = 4 * 1024 * 1024
#: Size of the pieces a body is read and written in.
CHUNK_BYTES: Final = 64 * 1024


class SpooledBody:
    """The bytes of one answer, readable any number of times as a stream positioned at the start.

    Args:
        max_memory: bytes held in memory before the spool rolls over to a temporary file.
    """

    def __init__(self, max_memory: int = SPOOL_MEMORY) -> None:
        self.max_memory = max_memory
        self.size = 0
        # closed by close() or, for a body dropped unclosed, by the finalizer below
        self._file: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(max_size=max_memory)  # noqa: SIM115
        self._finalizer = weakref.finalize(self, self._file.close)

    @classmethod
    def from_chunks(cls, chunks: Iterable[bytes | memoryview], max_memory: int = SPOOL_MEMORY) -> SpooledBody:
        """Spool ``chunks`` (an HTTP body as it arrives); the spool is closed again if reading them fails."""
        body = cls(max_memory)
        try:
            for chunk in chunks:
                body.write(chunk)
        except BaseException:
            body.close()
            raise
        return body

    def write(self, chunk: bytes | memoryview) -> None:
        self._file.write(chunk)
        self.size += len(chunk)

    @property
    def on_disk(self) -> bool:
        """Whether the body outgrew ``max_memory`` (SpooledTemporaryFile rolls over once it holds more)."""
        return self.size > self.max_memory

    @property
    def closed(self) -> bool:
        return self._file.closed

    def stream(self) -> BinaryIO:
        """The body as a binary stream at its start. One handle is shared: read it to the end before the next call."""
        self._file.seek(0)
        return self._file  # type: ignore[return-value]  # SpooledTemporaryFile is a BinaryIO in all but name

    def head(self, limit: int) -> bytes:
        """The first ``limit`` bytes (error messages, excerpts)."""
        return self.stream().read(limit)

    def read(self) -> bytes:
        """The whole body as bytes: for small answers and callers that want them; big ones should use :meth:`stream`."""
        return self.stream().read()

    def close(self) -> None:
        """Free the memory or the temporary file; the body cannot be read afterwards."""
        self._finalizer()

    def __repr__(self) -> str:
        where = "closed" if self.closed else "on disk" if self.on_disk else "in memory"
        return f"SpooledBody({self.size} bytes, {where})"
