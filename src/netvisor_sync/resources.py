"""The read allowlist: every Netvisor resource netvisor-sync may call, and nothing else.

Names are Netvisor's resource names without ``.nv``, lowercase. The transport refuses any other name before a byte
is sent, and the emulator serves exactly these. Destructive resources that Netvisor exposes as GET
(``deletesalesinvoice.nv``, ``deletecustomer.nv``, ...) are deliberately absent.
"""

from __future__ import annotations

from types import MappingProxyType

#: resource name -> what it reads (section 4 of the API reference).
READ_RESOURCES: MappingProxyType[str, str] = MappingProxyType(
    {
        "customerlist": "customer list (keys, names, codes)",
        "getcustomer": "customer details, idlist up to 500",
        "getvendor": "vendors (suppliers), paged, or by netvisorkeylist",
        "vendorlist": "older vendor list",
        "productlist": "product list",
        "getproduct": "product details, idlist up to 400",
        "salesinvoicelist": "sales invoices, or sales orders with listtype=preinvoice",
        "getsalesinvoice": "sales invoice details with lines, netvisorkeylist up to 500",
        "getorder": "sales order details with lines, netvisorkeylist up to 500",
        "purchaseinvoicelist": "purchase invoice list",
        "getpurchaseinvoice": "purchase invoice details with lines, netvisorkeylist up to 500",
        "purchaseorderlist": "purchase order list",
        "getpurchaseorder": "purchase order details with lines, netvisorkeylist up to 500",
        "accountingledger": "vouchers and voucher lines (the general ledger)",
        "accountlist": "chart of accounts",
        "accountingperiodlist": "accounting periods and lock dates",
        "vouchertypelist": "voucher types",
        "accountbalance": "account balances on given dates (trial balance)",
        "dimensionlist": "dimensions and their items",
        "getaccountdimensionlist": "account follow-up objects",
        "paymenttermlist": "payment terms",
        "salespaymentlist": "customer (sales) payments",
        "paymentlist": "outgoing (purchase) payments",
        "deletedsalesinvoices": "sales invoices deleted in the last 7 days",
        "deletedsalesorders": "sales orders deleted in the last 7 days",
        "deletedsalespayments": "sales payments deleted in the last 7 days",
        "deletedvouchers": "vouchers deleted in the last 7 days",
        "deletedpurchaseinvoices": "purchase invoices deleted in the last 7 days",
        "deletedpurchaseorders": "purchase orders deleted in the last 7 days",
        "deletedpurchasepayments": "purchase payments deleted in the last 7 days",
        "getpayrollpaycheckbatchlist": "payroll paycheck batches (30-day window)",
        "getpayrollpaycheckbatch": "one payroll paycheck batch",
    }
)


def normalize_resource(name: str) -> str:
    """``GetSalesInvoice.nv`` -> ``getsalesinvoice``; Netvisor treats resource paths case-insensitively."""
    name = name.strip().strip("/").lower()
    return name.removesuffix(".nv")


def is_read_resource(name: str) -> bool:
    return normalize_resource(name) in READ_RESOURCES
