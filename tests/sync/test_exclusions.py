"""Excluded columns never land: top-level columns, fields inside nested JSON, and names that are checked first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.errors import ConfigError
from netvisor_sync.exclusions import check_exclusions
from netvisor_sync.options import make_options
from netvisor_sync.sync import run_sync

from .conftest import Warehouse

PII = ["email", "phone_number", "first_name", "last_name"]


# ------------------------------------------------------------------------------------------- what a name reaches


def test_a_bare_name_reaches_every_json_column_at_any_depth_and_leaves_the_value_alone() -> None:
    exclusions = check_exclusions(["email"])
    value = [{"line_number": 1, "email": "a@b.fi", "deeper": [{"email": "c@d.fi", "kept": 1}]}]
    [scrub] = exclusions.scrubbers("customers", ["contact_persons"]).values()
    assert scrub(value) == [{"line_number": 1, "deeper": [{"kept": 1}]}]
    assert value[0]["email"] == "a@b.fi"  # the parser's row is not changed
    assert scrub(None) is None
    assert scrub([]) == []
    assert set(exclusions.scrubbers("voucher_lines", ["dimensions"])) == {"dimensions"}


def test_a_nested_name_reaches_only_its_own_table_and_column() -> None:
    exclusions = check_exclusions(["customers.contact_persons.email"])
    assert exclusions.scrubbers("vendors", ["bank_accounts"]) == {}
    assert exclusions.scrubbers("customers", ["contact_persons"])["contact_persons"](
        [{"email": "a@b.fi", "phone_number": "040"}]
    ) == [{"phone_number": "040"}]
    assert not exclusions.excluded("customers", "email")
    assert exclusions.excluded_from("customers") == frozenset()


def test_a_table_name_reaches_only_the_top_level_column_of_that_table() -> None:
    exclusions = check_exclusions(["customers.email", "customers.contact_persons"])
    assert exclusions.excluded("customers", "email")
    assert not exclusions.excluded("vendors", "email")
    assert exclusions.excluded_from("customers") == {"email", "contact_persons"}
    assert exclusions.scrubbers("customers", ["contact_persons"]) == {}


# ---------------------------------------------------------------------------------------------------- the checks

WHERE = (
    "Set it in .dlt/config.toml under [sources.netvisor], as SOURCES__NETVISOR__EXCLUDE_COLUMNS or with "
    "--exclude-columns."
)


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("customers.emial", ["'customers.emial' is not a column of customers.", "Did you mean 'customers.email'?"]),
        ("emial", ["'emial' is not a column of any table", "Did you mean 'email'?", "docs/TABLES.md"]),
        (
            "customers.contact_persons.emial",
            ["not a field of the JSON column customers.contact_persons", "first_name, last_name, phone_number, email"],
        ),
        (
            "customers.email.x",
            ["'email' is not a JSON column of customers", "JSON columns of customers: contact_persons"],
        ),
        ("vendors.bank_accounts.iban.x", ["vendors.bank_accounts.iban holds a value"]),
        ("invoices.email", ["names the table 'invoices', which netvisor-sync does not load", "sales_invoices"]),
        ("line_number", ["'line_number' is a key column and cannot be excluded."]),
        ("undeclared:netvisor_key", ["is a key column"]),
        ("sales_invoice_lines.sales_invoice_key", ["is a key column of sales_invoice_lines"]),
        ("Customers.Email", ["'Customers.Email' is not a column name"]),
    ],
)
def test_a_name_that_is_not_a_declared_column_is_refused_with_the_valid_ones(name: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as raised:
        make_options(exclude_columns=[name])
    message = str(raised.value)
    assert message.startswith(f"exclude_columns: '{name}'") or message.startswith("exclude_columns: ")
    assert message.endswith(WHERE)
    for fragment in fragments:
        assert fragment in message
    assert "--exclude-column " not in message  # the flag is --exclude-columns
    assert "--exclude-column)" not in message


def test_the_error_lists_the_columns_of_the_table() -> None:
    with pytest.raises(ConfigError) as raised:
        check_exclusions(["vendors.mail"], option="--exclude-columns")
    message = str(raised.value)
    assert message.startswith("--exclude-columns: 'vendors.mail' is not a column of vendors.")
    listed = re.search(r"Columns of vendors: ([^.]+)\.", message)
    assert listed is not None
    assert "email" in listed.group(1).split(", ")
    assert "bank_accounts (JSON)" in listed.group(1).split(", ")
    assert "undeclared:vendors.mail" in message


def test_undeclared_names_are_accepted_for_drift_but_their_table_is_still_checked() -> None:
    options = make_options(exclude_columns=["undeclared:mobile", "undeclared:customers.contact_persons.mobile"])
    assert options.excluded("customers", "mobile")
    assert options.scrubbers("customers", ["contact_persons"])["contact_persons"]([{"mobile": "1", "x": 2}]) == [
        {"x": 2}
    ]
    with pytest.raises(ConfigError, match="does not load"):
        make_options(exclude_columns=["undeclared:nope.mobile"])
    with pytest.raises(ConfigError, match="not a JSON column"):
        make_options(exclude_columns=["undeclared:customers.nope.mobile"])


# ---------------------------------------------------------------------------------------- through the whole sync


class WithContactPersons(httpx.BaseTransport):
    """The emulator, with two contact persons in every getcustomer answer (the emulator sends none)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        if request.url.path != "/getcustomer.nv":
            return response
        body = re.sub(
            rb"<NetvisorKey>(\d+)</NetvisorKey>(.*?)</CustomerContactDetails>",
            lambda match: match.group(0) + contact_persons(int(match.group(1))),
            response.content,
            flags=re.DOTALL,
        )
        return httpx.Response(200, headers={"Content-Type": "text/xml"}, content=body)


def contact_persons(key: int) -> bytes:
    people = "".join(
        f"<CustomerContactPerson><ContactPersonNetvisorKey>{key * 10 + n}</ContactPersonNetvisorKey>"
        f"<ContactPersonFirstName>Etu{key}x{n}</ContactPersonFirstName>"
        f"<ContactPersonLastName>Suku{key}x{n}</ContactPersonLastName>"
        f"<ContactPersonPhoneNumber>+358 40 {key}{n}</ContactPersonPhoneNumber>"
        f"<ContactPersonEmail>henkilo{key}x{n}@example.fi</ContactPersonEmail></CustomerContactPerson>"
        for n in (1, 2)
    )
    return f"<CustomerContactPersons>{people}</CustomerContactPersons>".encode()


def sync(emu: Emulator, warehouse: Warehouse, pipelines: Path, exclude: list[str]) -> None:
    summary = run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=["customers", "vendors", "vouchers"],
        exclude_columns=exclude,
        pipelines_dir=pipelines,
        http_transport=WithContactPersons(httpx.WSGITransport(app=emu.app)),
        clock=emu.clock.now,
    )
    assert summary.ok, summary.errors


def every_text(warehouse: Warehouse) -> str:
    """Every value of every column of every loaded table, as one text."""
    values: list[str] = []
    for table in sorted({name.split(".")[0] for name in warehouse.column_types() if not name.startswith("_dlt")}):
        values += [repr(row) for row in warehouse.query(f"select * from {{ds}}.{table}")]
    return "\n".join(values)


def contacts(warehouse: Warehouse) -> dict[int, list[dict[str, Any]]]:
    rows = warehouse.query("select netvisor_key, contact_persons from {ds}.customers")
    return {key: json.loads(value) for key, value in rows}


def test_personal_data_never_lands_not_even_inside_nested_json(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=4)
    store = emu.company().store
    everything = [*PII, "contact_person", "contact_person_email", "contact_person_phone"]
    sync(emu, warehouse, tmp_path / "pipelines", everything)
    text = every_text(warehouse)
    for customer in store.customers:
        for n in (1, 2):
            for value in (f"Etu{customer.netvisor_key}x{n}", f"henkilo{customer.netvisor_key}x{n}@", "+358 40"):
                assert value not in text
        assert customer.email not in text
        assert customer.contact_person not in text
    for vendor in store.vendors:
        assert vendor.email not in text
        assert vendor.phone not in text
    persons = contacts(warehouse)
    assert len(persons) == len(store.customers)
    assert all(
        [sorted(person) for person in people] == [["line_number", "netvisor_key"]] * 2 for people in persons.values()
    )
    columns = warehouse.column_types()
    assert not [name for name in columns if name.split(".")[1] in everything]
    assert "customers.name" in columns


def test_a_nested_exclusion_removes_only_that_field(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=4)
    sync(emu, warehouse, tmp_path / "pipelines", ["customers.contact_persons.email"])
    people = next(iter(contacts(warehouse).values()))
    assert [sorted(person) for person in people] == [
        ["first_name", "last_name", "line_number", "netvisor_key", "phone_number"]
    ] * 2
    columns = warehouse.column_types()
    assert "customers.email" in columns
    assert "vendors.email" in columns
    assert "@example.fi" in every_text(warehouse)  # the customers' own addresses stay
    assert "henkilo" not in every_text(warehouse)
