"""A tiny in-memory Netvisor that answers the engine's calls with parsed records, for tests without XML or HTTP.

It serves a few resources (invoices with lines and a deleted feed, vouchers, customers, accounts) with Netvisor's
paging and batch limits, counts calls per resource, and lets a test edit, delete and block things.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from netvisor_sync.errors import ServiceAccessError
from netvisor_sync.fetch import Page

NOW = datetime(2026, 3, 15, 12, 0, 0)


def invoice(key: int, lines: int, *, modified: datetime = datetime(2026, 1, 1)) -> dict[str, Any]:
    return {
        "netvisor_key": key,
        "invoice_number": 1000 + key,
        "invoice_date": date(2026, 1, 1 + key % 28),
        "amount": Decimal(lines * 10) + Decimal("0.25"),
        "status": "open",
        "modified": modified,
        "lines": [
            {"line_number": n, "netvisor_key": key * 100 + n, "line_sum": Decimal("10.00"), "product_name": f"p{n}"}
            for n in range(1, lines + 1)
        ],
    }


@dataclass
class FakeNetvisor:
    """Records per kind, keyed by netvisor_key; ``calls`` counts every answered call per resource."""

    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    vouchers: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: begin dates of the accounting periods
    periods: list[date] = field(default_factory=list)
    deleted_invoices: dict[int, datetime] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    params: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    page_size: int = 500
    now: datetime = NOW

    def __call__(self, resource: str, params: Mapping[str, str]) -> Page:
        if resource in self.blocked:
            raise ServiceAccessError("SERVICE_ACCESS_ERROR", "no rights", resource=resource)
        self.calls[resource] += 1
        self.params.append((resource, dict(params)))
        records = getattr(self, f"_{resource}")(params)
        return Page(records, {}, self.now)

    def fetch_for(self, table: str) -> FakeNetvisor:
        return self

    # --- resources -------------------------------------------------------------------------------------------------

    def _salesinvoicelist(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        above = int(params.get("invoicesabovenetvisorkey", "0"))
        since = _moment(params.get("lastmodifiedstart"))
        rows = [
            {k: v for k, v in doc.items() if k in {"netvisor_key", "invoice_number", "invoice_date", "status"}}
            for key, doc in sorted(self.invoices.items())
            if key > above and (since is None or doc["modified"] >= since)
        ]
        return rows[: self.page_size]

    def _getsalesinvoice(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        keys = [int(k) for k in params["netvisorkeylist"].split(",")]
        assert len(keys) <= 500
        return [
            {k: v for k, v in self.invoices[key].items() if k != "modified"} for key in keys if key in self.invoices
        ]

    def _deletedsalesinvoices(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        since = date.fromisoformat(params["deletedsince"])
        return [{"netvisor_key": k, "deleted_at": at} for k, at in self.deleted_invoices.items() if at.date() >= since]

    def _accountingledger(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        since = _moment(params.get("lastmodifiedstart"))
        first, last = (_day(params.get(name)) for name in ("startdate", "enddate"))
        return [
            {k: v for k, v in doc.items() if k != "modified"}
            for _, doc in sorted(self.vouchers.items())
            if (since is None or doc["modified"] >= since)
            and (first is None or "voucher_date" not in doc or first <= doc["voucher_date"] <= (last or date.max))
        ]

    def _deletedvouchers(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        return []

    def _customerlist(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        since = _moment(params.get("changedsince"))
        return [
            {"netvisor_key": key, "name": doc["name"]}
            for key, doc in sorted(self.customers.items())
            if since is None or doc["modified"] >= since
        ]

    def _getcustomer(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        keys = [int(k) for k in params["idlist"].split(",")]
        assert len(keys) <= 500
        return [{k: v for k, v in self.customers[key].items() if k != "modified"} for key in keys]

    def _accountingperiodlist(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        return [{"netvisor_key": n, "begin_date": begin} for n, begin in enumerate(self.periods, start=1)]

    def _accountlist(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        return [dict(doc) for _, doc in sorted(self.accounts.items())]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
