"""``check_well_formed``: the pass that checks a whole body before its records are streamed. It must refuse what
the record reader refuses, with the same typed errors, and build nothing while doing it."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from netvisor_sync import errors
from netvisor_sync.parse import check_well_formed, parse_response

LEDGER = (Path(__file__).parent / "fixtures" / "accountingledger.xml").read_bytes()
OK_HEAD = b'<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>OK</Status></ResponseStatus>'
ENTITIES = b'<!DOCTYPE Root [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def check(body: bytes, chunk: int = 1 << 16) -> None:
    check_well_formed(io.BytesIO(body), resource="accountingledger", status=200, chunk=chunk)


@pytest.mark.parametrize("chunk", [7, 1 << 16])
def test_a_whole_document_passes_in_any_chunking(chunk: int) -> None:
    check(LEDGER, chunk)
    check_well_formed(LEDGER, resource="accountingledger", status=200)  # bytes are accepted too


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (LEDGER[: len(LEDGER) * 2 // 3], "truncated"),
        (LEDGER[:-10], "truncated"),
        (LEDGER.replace(b"</VoucherClass>", b"</VoucherKlass>", 1), "not well-formed"),
        (LEDGER.replace(b"Myyntisaamiset", b"Myynti\xff\xfesaamiset"), "not valid UTF-8"),
        (LEDGER.replace(b"<Description>Myynti<", b"<Description>&lol;<"), "not well-formed"),
        (b"", "empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "HTML page"),
        (
            OK_HEAD
            + b"<Customerlist><Customer><Name>"
            + b"a" * (11 * 1024 * 1024)
            + b"</Name></Customer></Customerlist></Root>",
            "10 MB",
        ),
    ],
    ids=["cut", "cut-at-the-end", "mismatched", "invalid-utf8", "undeclared-entity", "empty", "html", "huge-text"],
)
def test_broken_bodies_fail_as_the_record_reader_fails(body: bytes, reason: str) -> None:
    with pytest.raises(errors.MalformedResponse, match=reason) as caught:
        check(body)
    assert caught.value.resource == "accountingledger"
    assert caught.value.status == 200
    with pytest.raises(errors.MalformedResponse, match=reason):
        parse_response("accountingledger", body)


@pytest.mark.parametrize(
    "body",
    [
        LEDGER.replace(b"?>", b"?>" + ENTITIES, 1),
        b"<!-- " + b"x" * 70_000 + b" -->" + ENTITIES + b"<Root/>",  # beyond the prolog's byte check
        ('<?xml version="1.0" encoding="utf-16"?>' + ENTITIES.decode() + "<Root/>").encode("utf-16"),
    ],
    ids=["dtd", "late-dtd", "utf-16"],
)
def test_a_dtd_is_refused_unexpanded(body: bytes) -> None:
    with pytest.raises(errors.UnsafeXML):
        check(body)


def test_a_big_body_is_checked_without_building_it() -> None:
    vouchers = LEDGER.split(b"<Vouchers>", 1)[1].rsplit(b"</Vouchers>", 1)[0]
    copies = 20_000

    def body() -> Iterator[bytes]:
        yield LEDGER.split(b"<Vouchers>", 1)[0] + b"<Vouchers>"
        for _ in range(copies // 100):
            yield vouchers * 100
        yield b"</Vouchers></Root>"

    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.chunks, self.pending, self.size = body(), b"", 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            while not self.pending:
                self.pending = next(self.chunks, b"")
                if not self.pending:
                    return 0
            data, self.pending = self.pending[: len(buffer)], self.pending[len(buffer) :]
            buffer[: len(data)] = data
            self.size += len(data)
            return len(data)

    stream = Stream()
    tracemalloc.start()
    try:
        check_well_formed(io.BufferedReader(stream), resource="accountingledger", status=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.size > 20 * 2**20
    assert peak < 2 * len(vouchers) * 100 + 2**20, (peak, stream.size)  # one chunk of the source, nothing more
