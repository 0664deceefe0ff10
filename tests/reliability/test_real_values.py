"""Values Netvisor really sends, through the whole sync into DuckDB: Finnish letters and the euro sign, very long
texts, whitespace-only and empty elements, both decimal separators, negative amounts, and schema drift (a new
element or attribute becomes a new text column with ``evolve``, and is refused with ``freeze``)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import run_sync

from .conftest import Warehouse

LONG_NAME = "Ääkkösten € Öljy ja Åland Oy " + "pitkä nimi " * 1000


def drift(body: bytes) -> bytes:
    """The first customer gets the odd values, the second a dot decimal; unknown elements/attributes appear."""
    text = body.decode("utf-8")
    limits = iter(["-1234,56", "-1234.56"])
    text = re.sub(
        r"<BalanceLimit>[^<]*</BalanceLimit>", lambda m: f"<BalanceLimit>{next(limits, '0')}</BalanceLimit>", text
    )
    text = re.sub(r"<Name>[^<]*</Name>", f'<Name lang="fi">{LONG_NAME}</Name>', text, count=1)
    text = text.replace("<Comment />", "<Comment>   </Comment>", 1)
    text = text.replace(
        "</CustomerAdditionalInformation>",
        '<LoyaltyTier level="gold">Kulta</LoyaltyTier></CustomerAdditionalInformation>',
        1,
    )
    return text.encode("utf-8")


class Rewrite(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        if request.url.path != "/getcustomer.nv":
            return response
        return httpx.Response(200, headers={"Content-Type": "text/xml"}, content=drift(response.content))


def sync(emu: Emulator, warehouse: Warehouse, tmp: Path, contract: str) -> Any:
    return run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=["customers"],
        pipelines_dir=tmp / "pipelines",
        http_transport=Rewrite(httpx.WSGITransport(app=emu.app)),
        clock=emu.clock.now,
        schema_contract=contract,
    )


def test_real_values_arrive_exactly_and_drift_becomes_a_text_column(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=51)
    warehouse = Warehouse(str(tmp_path / "nv.duckdb"))
    summary = sync(emu, warehouse, tmp_path, "evolve")
    assert summary.ok, summary.errors
    rows = warehouse.query("select name, balance_limit, comment from {ds}.customers order by netvisor_key")
    first, second = rows[0], rows[1]
    assert first[0] == LONG_NAME
    assert first[1] == Decimal("-1234.56")
    assert second[1] == Decimal("-1234.56")
    assert first[2] in (None, "   ", "")
    columns = warehouse.columns()["customers"]
    drifted = [c for c in columns if "loyalty" in c]
    assert drifted, columns
    values = warehouse.query(f"select {drifted[0]} from {{ds}}.customers where {drifted[0]} is not null")
    assert values == [("Kulta",)]


def test_drift_is_refused_with_a_frozen_schema(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=51)
    warehouse = Warehouse(str(tmp_path / "frozen.duckdb"))
    plain = run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=["customers"],
        pipelines_dir=tmp_path / "pipelines",
        http_transport=httpx.WSGITransport(app=emu.app),
        clock=emu.clock.now,
    )
    assert plain.ok  # the schema as Netvisor sent it so far
    store = emu.company().store
    emu.clock.advance(timedelta(hours=1))
    customer = next(iter(store.customers))
    store.edit("customer", customer.netvisor_key, name="Muutettu Oy")
    emu.clock.advance(timedelta(hours=1))
    frozen = sync(emu, warehouse, tmp_path, "freeze")  # the changed customer now comes with a new element
    assert not frozen.ok
    assert frozen.errors
    assert not [c for c in warehouse.columns()["customers"] if "loyalty" in c]
    assert warehouse.query("select count(*) from {ds}.customers where name = 'Muutettu Oy'") == [(0,)]


def test_twelve_decimal_prices_arrive_with_every_digit(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=52)
    store = emu.company().store
    odd = next(iter(store.products))
    store.edit("product", odd.netvisor_key, unit_price=Decimal("1.960000000001"))
    warehouse = Warehouse(str(tmp_path / "prices.duckdb"))
    summary = run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=["products"],
        pipelines_dir=tmp_path / "pipelines",
        http_transport=httpx.WSGITransport(app=emu.app),
        clock=emu.clock.now,
    )
    assert summary.ok, summary.errors
    loaded = dict(warehouse.query("select netvisor_key, unit_price from {ds}.products"))
    expected = {product.netvisor_key: product.unit_price for product in store.products}
    assert loaded == expected
    assert loaded[odd.netvisor_key] == Decimal("1.960000000001")
    assert loaded[odd.netvisor_key].as_tuple().exponent == -12  # DECIMAL(24, 12): nothing rounded away
