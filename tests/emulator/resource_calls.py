"""Calling the emulator's resource layer in tests: one request in, the Reply and its parsed XML out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree
from tests.emulator.fake_company import NOW

from netvisor_sync.emulator import model as m
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.render import Quirks
from netvisor_sync.emulator.reply import Reply

BASE_URL = "http://testserver"

#: the smallest valid request per resource that has mandatory parameters
MINIMAL_PARAMS: dict[str, dict[str, str]] = {
    "getcustomer": {"id": "101"},
    "getproduct": {"id": "301"},
    "getsalesinvoice": {"netvisorkey": "1001"},
    "getorder": {"netvisorkey": "5001"},
    "getpurchaseinvoice": {"netvisorkey": "7001"},
    "getpurchaseorder": {"netvisorkey": "8001"},
    "accountingledger": {"startdate": "2025-01-01", "enddate": "2025-12-31"},
    "accountbalance": {"balancedates": "2025-12-31"},
    "getpayrollpaycheckbatchlist": {"startdate": "2026-03-01"},
    "getpayrollpaycheckbatch": {"netvisorkey": "1"},
    **{
        name: {"deletedsince": (NOW - timedelta(days=7)).date().isoformat()}
        for name in (
            "deletedsalesinvoices",
            "deletedsalesorders",
            "deletedsalespayments",
            "deletedvouchers",
            "deletedpurchaseinvoices",
            "deletedpurchaseorders",
            "deletedpurchasepayments",
        )
    },
}


@dataclass
class Answer:
    reply: Reply
    body: bytes
    root: etree._Element

    @property
    def payload(self) -> etree._Element:
        """The element after ``ResponseStatus``."""
        return self.root[1]

    def record_keys(self, tag: str = "NetvisorKey") -> list[int]:
        """``tag`` of every record of a list payload."""
        return [int(record.findtext(tag) or "0") for record in self.payload]


def call(
    company: m.CompanyView,
    resource: str,
    params: dict[str, str] | None = None,
    *,
    quirks: Quirks | None = None,
    language: str = "EN",
    now: datetime = NOW,
) -> Answer:
    reply = handle(company, resource, params or {}, now=now, language=language, base_url=BASE_URL, quirks=quirks)
    body = b"".join(reply.chunks)
    root = etree.fromstring(body)
    assert root.tag == "Root"
    assert root.findtext("ResponseStatus/Status") == "OK"
    return Answer(reply, body, root)
