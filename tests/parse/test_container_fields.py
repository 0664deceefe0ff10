"""Fields of the container around a child list's items (getpurchaseorder's delivery group) go on its items."""

from __future__ import annotations

import pytest

from netvisor_sync.parse import LINE_NUMBER, parse_response
from netvisor_sync.parse.convert import INT, TEXT
from netvisor_sync.parse.records import iter_records
from netvisor_sync.parse.shape import child, top

ENVELOPE = "<Root><ResponseStatus><Status>OK</Status></ResponseStatus>{}</Root>"


def order(groups: str) -> bytes:
    body = f"<PurchaseOrder><NetvisorKey>900</NetvisorKey><PurchaseOrderLines>{groups}</PurchaseOrderLines>"
    return ENVELOPE.format(body + "</PurchaseOrder>").encode()


def group(inside: str) -> str:
    return f"<PurchaseOrderProductDeliveryGroup>{inside}</PurchaseOrderProductDeliveryGroup>"


def line(code: str) -> str:
    return f"<PurchaseOrderProductLine><ProductCode>{code}</ProductCode></PurchaseOrderProductLine>"


def test_each_line_carries_the_key_of_its_delivery_group_wherever_the_key_stands() -> None:
    groups = group(f"<NetvisorKey>71</NetvisorKey>{line('A')}{line('B')}") + group(
        f"{line('C')}<NetvisorKey>72</NetvisorKey>"
    )
    [record] = parse_response("getpurchaseorder", order(groups))
    lines = [(item["product_code"], item["delivery_group_netvisor_key"], item[LINE_NUMBER]) for item in record["lines"]]
    assert lines == [("A", 71, 1), ("B", 71, 2), ("C", 72, 3)]
    assert not [name for name in record if "delivery_group" in name]  # no drift column on the order any more


def test_a_line_outside_any_group_has_no_group_key_and_undeclared_group_fields_stay_on_the_record() -> None:
    groups = (
        f"{line('A')}<PurchaseOrderProductDeliveryGroup><Extra>x</Extra>{line('B')}</PurchaseOrderProductDeliveryGroup>"
    )
    [record] = parse_response("getpurchaseorder", order(groups))
    assert [item["delivery_group_netvisor_key"] for item in record["lines"]] == [None, None]
    assert record["purchase_order_lines_purchase_order_product_delivery_group_extra"] == "x"


def test_a_container_value_that_does_not_convert_names_its_path() -> None:
    groups = group(f"<NetvisorKey>x1</NetvisorKey>{line('A')}")
    with pytest.raises(Exception, match=r"PurchaseOrderProductDeliveryGroup/NetvisorKey"):
        parse_response("getpurchaseorder", order(groups))


def test_container_fields_need_an_element_path() -> None:
    shape = top(
        "x",
        ["Xs"],
        ["X"],
        {"Key": ("netvisor_key", INT)},
        description="test",
        children=[
            child(
                "items", ["Item"], {"Name": ("name", TEXT)}, containers=["Group"], container_fields={".": ("g", TEXT)}
            )
        ],
    )
    with pytest.raises(ValueError, match="container field"):
        list(iter_records(shape, ENVELOPE.format("<Xs><X><Key>1</Key></X></Xs>").encode()))
