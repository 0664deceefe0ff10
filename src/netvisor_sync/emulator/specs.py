"""Turning loose change-API input (dicts from admin endpoints, or model objects) into model lines.

``store.create``/``store.edit`` accept ``lines=[...]`` as dicts with only the fields a caller cares about; the rest
comes from the product or the chart, and every sum is computed by ``posting`` so documents and vouchers agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from netvisor_sync.emulator import chart, posting
from netvisor_sync.emulator.model import DimensionRef, Product, PurchaseLine, SalesLine, VoucherLine

Spec = Mapping[str, Any] | SalesLine | PurchaseLine | VoucherLine | DimensionRef


def dec(value: object) -> Decimal:
    """A ``Decimal`` from a Decimal, int, str or float (through ``str``, so ``0.1`` stays ``0.1``)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ValueError(f"not a number: {value!r}")
    return Decimal(str(value).replace(",", "."))


def as_date(value: object) -> date:
    """A ``date`` from a date or an ISO ``yyyy-MM-dd`` string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"not a date: {value!r}")


def validated(record: Any, fields: Mapping[str, Any], *, derived: frozenset[str]) -> dict[str, Any]:
    """``fields`` checked against ``record``'s dataclass fields and converted to the types the record holds.

    JSON-ish values (``"12.50"``, ``"2026-01-31"``) become ``Decimal``/``date``; unknown names and names in
    ``derived`` raise ``ValueError``.
    """
    names = {f.name for f in dataclasses.fields(record)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ValueError(f"unknown field(s) for {type(record).__name__}: {', '.join(unknown)}")
    refused = sorted(derived & set(fields))
    if refused:
        raise ValueError(f"derived field(s) cannot be set: {', '.join(refused)}")
    out = dict(fields)
    for name, value in fields.items():
        current = getattr(record, name)
        if isinstance(current, Decimal) and value is not None:
            out[name] = dec(value)
        elif isinstance(current, date) and not isinstance(current, datetime) and isinstance(value, str):
            out[name] = as_date(value)
    return out


def texts(name: str, value: object) -> tuple[str, ...]:
    """A list of texts (a document's ``comment_lines``) as the tuple the model keeps."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of texts, got {value!r}")
    return tuple(value)


def _as_dict(spec: Spec) -> dict[str, Any]:
    if dataclasses.is_dataclass(spec) and not isinstance(spec, type):
        return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    if isinstance(spec, Mapping):
        return dict(spec)
    raise ValueError(f"a line must be a mapping or a model line, got {type(spec).__name__}")


def dimensions(value: object) -> list[DimensionRef]:
    """``[{"name": ..., "item": ...}]`` or ``DimensionRef`` objects."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValueError(f"dimensions must be a list, got {value!r}")
    return [d if isinstance(d, DimensionRef) else DimensionRef(str(d["name"]), str(d["item"])) for d in value]


def sales_lines(doc_key: int, specs: Sequence[Spec], product: Callable[[int | None], Product]) -> list[SalesLine]:
    """Sales lines from specs; ``product(key)`` resolves ``product_key`` (``None`` = a default product)."""
    if not specs:
        raise ValueError("a sales document needs at least one line")
    out = []
    for j, spec in enumerate(specs, start=1):
        d = _as_dict(spec)
        p = product(d.get("product_key"))
        vat = dec(d.get("vat_percent", p.vat_percent))
        out.append(
            posting.sales_line(
                doc_key * posting.LINE_KEY_SPACE + j, product_key=p.netvisor_key,
                product_code=str(d.get("product_code", p.code)), product_name=str(d.get("product_name", p.name)),
                unit_price=dec(d.get("unit_price", p.unit_price)), vat_percent=vat,
                vat_code=str(d.get("vat_code", "KOMY")), quantity=dec(d.get("quantity", 1)),
                account_number=int(d.get("account_number", chart.SALES_ACCOUNT.get(vat, 3000))),
                discount_percent=dec(d.get("discount_percent", 0)), unit=str(d.get("unit", p.unit)),
                free_text=str(d.get("free_text", "")), dimensions=dimensions(d.get("dimensions", [])),
            )
        )  # fmt: skip
    return out


def purchase_lines(doc_key: int, specs: Sequence[Spec], product: Callable[[int | None], Product]) -> list[PurchaseLine]:
    """Purchase lines from specs; a line may name a ``product_key`` or just describe a cost."""
    if not specs:
        raise ValueError("a purchase invoice needs at least one line")
    out = []
    for j, spec in enumerate(specs, start=1):
        d = _as_dict(spec)
        p = product(d.get("product_key"))
        vat = dec(d.get("vat_percent", p.vat_percent))
        name = str(d.get("product_name", p.name))
        out.append(
            posting.purchase_line(
                doc_key * posting.LINE_KEY_SPACE + j, product_code=str(d.get("product_code", p.code)),
                product_name=name, description=str(d.get("description", name)), quantity=dec(d.get("quantity", 1)),
                unit=str(d.get("unit", p.unit)), unit_price=dec(d.get("unit_price", p.purchase_price)),
                vat_percent=vat, vat_code=str(d.get("vat_code", "KOOS" if vat else "NONE")),
                account_number=int(d.get("account_number", chart.PURCHASES)),
                dimensions=dimensions(d.get("dimensions", [])),
            )
        )  # fmt: skip
    return out


def voucher_lines(voucher_key: int, specs: Sequence[Spec]) -> list[VoucherLine]:
    """Hand-made voucher lines; ``ValueError`` unless they sum to exactly 0.00 and name known accounts."""
    if len(specs) < 2:
        raise ValueError("a voucher needs at least two lines")
    lines = []
    for spec in specs:
        d = _as_dict(spec)
        account = int(d["account_number"])
        if account not in chart.ACCOUNT_KEYS:
            raise ValueError(f"unknown account number {account}")
        lines.append(
            VoucherLine(
                0, posting.money(dec(d["line_sum"])), str(d.get("description", "")), account,
                dec(d.get("vat_percent", 0)), str(d.get("vat_code", posting.NO_VAT)),
                dimensions(d.get("dimensions", [])),
            )
        )  # fmt: skip
    return posting.renumber(voucher_key, lines)
