"""Where the records are in each read resource's XML, and what their columns are: one declaration per resource.

This module is data. ``SHAPES`` maps every name in :data:`netvisor_sync.resources.READ_RESOURCES` to a
:class:`Shape`; the record engine (``parse.records``) reads the shape and knows nothing about any resource. Other
modules introspect shapes to build tables and column hints:

* ``shape.columns`` - ``{column: ColumnKind}`` in declaration order (``kind.data_type``, ``.precision``, ``.scale``);
* ``shape.key`` - the key columns (``("netvisor_key",)`` almost everywhere; ``accountbalance`` has
  ``("netvisor_key", "balance_date")``; a child list's key is ``("line_number",)`` *within* its parent record);
* ``shape.children`` - ``{list name: Shape}`` for repeated structures (``lines``, ``dimensions``, ``items``, ...);
  each child row carries ``line_number`` (1-based position in its list) so lines without a NetvisorKey still
  have a stable key;
* ``shape.explode`` - ``accountbalance`` only: the child list whose items became the rows (its columns are in
  ``shape.columns``);
* ``shape.records`` / ``shape.containers`` - element names (matched case-insensitively) of the records and of the
  list elements around them.

Declarations use the casing of Netvisor's documentation (section 4 of the API reference); matching ignores
case everywhere. A field path is ``Element/Child`` relative to the record, ``@attr`` for an attribute of the record
element, ``Element@attr`` for an attribute of a child element, and ``.``/``.@attr`` for a child list item's own text
and attributes. Nested single containers are flattened: ``CustomerBaseInformation/Name`` is the column ``name``.
Elements that no shape declares are not dropped: the engine keeps them as text under a column named after their
path (``additional_information_new_field``).

Shapes marked UNCONFIRMED in their description follow the reference's partial documentation (getvendor,
getpurchaseorder lines, payroll); undeclared parts of real replies still arrive, as path-named text columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from netvisor_sync.parse.convert import (
    AMOUNT,
    BOOL,
    DATE,
    INT,
    LINE_AMOUNT,
    PERCENT,
    PRICE,
    QUANTITY,
    RATE,
    TEXT,
    TIMESTAMP,
    ColumnKind,
)
from netvisor_sync.parse.shape import LINE_NUMBER, Shape, child, top
from netvisor_sync.resources import READ_RESOURCES

__all__ = ["LINE_NUMBER", "SHAPES", "Shape"]

# -- shared pieces ------------------------------------------------------------------------------------------------

DIMENSIONS: Final = child(
    "dimensions",
    ["Dimension"],
    {
        "DimensionName": ("dimension_name", TEXT),
        "DimensionItem": ("dimension_item", TEXT),
    },
)


def deleted(name: str, container: str, record: str, what: str) -> Shape:
    """The tombstone feeds all share one shape: a key and when it was deleted."""
    return top(
        name,
        [container],
        [record],
        {
            "NetvisorKey": ("netvisor_key", INT),
            "DeleteDate": ("deleted_at", TIMESTAMP),
        },
        description=f"one {what} deleted in the last 7 days (tombstone)",
    )


FOREIGN_NAMES_3166: Final = child(
    "foreign_names",
    ["ForeignName"],
    {
        ".": ("name", TEXT),
        ".@ISO-3166": ("language", TEXT),
    },
)

# -- customers, vendors, products -----------------------------------------------------------------------------------

CUSTOMERLIST: Final = top(
    "customerlist",
    ["Customerlist", "Customers"],
    ["Customer"],
    {
        "Netvisorkey": ("netvisor_key", INT),
        "Name": ("name", TEXT),
        "Code": ("code", TEXT),
        "OrganisationIdentifier": ("business_id", TEXT),
        "CustomerGroupID": ("customer_group_netvisor_key", INT),
        "CustomerGroupName": ("customer_group_name", TEXT),
        "Uri": ("uri", TEXT),
    },
    description="one customer (summary)",
)

GETCUSTOMER: Final = top(
    "getcustomer",
    ["Customers"],
    ["Customer"],
    {
        "CustomerBaseInformation/NetvisorKey": ("netvisor_key", INT),
        "CustomerBaseInformation/InternalIdentifier": ("code", TEXT),
        "CustomerBaseInformation/ExternalIdentifier": ("business_id", TEXT),
        "CustomerBaseInformation/OrganizationUnitNumber": ("organization_unit_number", TEXT),
        "CustomerBaseInformation/CustomerGroupNetvisorKey": ("customer_group_netvisor_key", INT),
        "CustomerBaseInformation/CustomerGroupName": ("customer_group_name", TEXT),
        "CustomerBaseInformation/Name": ("name", TEXT),
        "CustomerBaseInformation/NameExtension": ("name_extension", TEXT),
        "CustomerBaseInformation/StreetAddress": ("street_address", TEXT),
        "CustomerBaseInformation/AdditionalStreetAddress": ("additional_street_address", TEXT),
        "CustomerBaseInformation/City": ("city", TEXT),
        "CustomerBaseInformation/PostNumber": ("post_number", TEXT),
        "CustomerBaseInformation/Country": ("country", TEXT),
        "CustomerBaseInformation/PhoneNumber": ("phone_number", TEXT),
        "CustomerBaseInformation/FaxNumber": ("fax_number", TEXT),
        "CustomerBaseInformation/Email": ("email", TEXT),
        "CustomerBaseInformation/EmailInvoicingAddress": ("email_invoicing_address", TEXT),
        "CustomerBaseInformation/HomePageUri": ("home_page_uri", TEXT),
        "CustomerBaseInformation/IsActive": ("is_active", BOOL),
        "CustomerBaseInformation/IsPrivateCustomer": ("is_private_customer", BOOL),
        "CustomerFinvoiceDetails/FinvoiceAddress": ("finvoice_address", TEXT),
        "CustomerFinvoiceDetails/FinvoiceRouterCode": ("finvoice_router_code", TEXT),
        "CustomerDeliveryDetails/DeliveryName": ("delivery_name", TEXT),
        "CustomerDeliveryDetails/DeliveryStreetAddress": ("delivery_street_address", TEXT),
        "CustomerDeliveryDetails/DeliveryCity": ("delivery_city", TEXT),
        "CustomerDeliveryDetails/DeliveryPostNumber": ("delivery_post_number", TEXT),
        "CustomerDeliveryDetails/DeliveryCountry": ("delivery_country", TEXT),
        "CustomerContactDetails/ContactPerson": ("contact_person", TEXT),
        "CustomerContactDetails/ContactPersonEmail": ("contact_person_email", TEXT),
        "CustomerContactDetails/ContactPersonPhone": ("contact_person_phone", TEXT),
        "CustomerAdditionalInformation/Comment": ("comment", TEXT),
        "CustomerAdditionalInformation/ReferenceNumber": ("reference_number", TEXT),
        "CustomerAdditionalInformation/BalanceLimit": ("balance_limit", AMOUNT),
        "CustomerAdditionalInformation/DefaultPaymentTerm": ("default_payment_term", TEXT),
        "CustomerAdditionalInformation/DefaultPaymentTerm@netvisorkey": ("default_payment_term_netvisor_key", INT),
    },
    children=[
        child(
            "contact_persons",
            ["CustomerContactPerson"],
            {
                "ContactPersonNetvisorKey": ("netvisor_key", INT),
                "ContactPersonFirstName": ("first_name", TEXT),
                "ContactPersonLastName": ("last_name", TEXT),
                "ContactPersonPhoneNumber": ("phone_number", TEXT),
                "ContactPersonEmail": ("email", TEXT),
            },
            at="CustomerContactPersons",
        ),
    ],
    description="one customer with details",
)

GETVENDOR: Final = top(
    "getvendor",
    ["Vendors", "VendorList"],
    ["Vendor"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "VendorBaseInformation/Code": ("code", TEXT),
        "VendorBaseInformation/Name": ("name", TEXT),
        "VendorBaseInformation/Address": ("address", TEXT),
        "VendorBaseInformation/PostCode": ("post_code", TEXT),
        "VendorBaseInformation/City": ("city", TEXT),
        "VendorBaseInformation/Country": ("country", TEXT),
        "VendorBaseInformation/OrganizationId": ("business_id", TEXT),
        "VendorBaseInformation/GroupName": ("group_name", TEXT),
        "VendorBaseInformation/IsActive": ("is_active", BOOL),
        "VendorContactDetails/PhoneNumber": ("phone_number", TEXT),
        "VendorContactDetails/Email": ("email", TEXT),
        "VendorContactDetails/ContactPerson": ("contact_person", TEXT),
    },
    children=[
        child(
            "bank_accounts",
            ["VendorDomesticBankAccount", "VendorForeignBankAccount", "VendorBankAccount"],
            {
                "IBAN": ("iban", TEXT),
                "BIC": ("bic", TEXT),
                "BankName": ("bank_name", TEXT),
                "IsDefault": ("is_default", BOOL),
            },
            at="VendorBaseInformation/VendorBankAccounts",
            containers=["VendorDomesticBankAccounts", "VendorForeignBankAccounts"],
        ),
    ],
    description="one vendor (supplier); fields beyond the reference's summary are UNCONFIRMED",
)

PRODUCTLIST: Final = top(
    "productlist",
    ["ProductList", "Products"],
    ["Product"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "ProductCode": ("code", TEXT),
        "Name": ("name", TEXT),
        "UnitPrice": ("unit_price", PRICE),
        "UnitGrossPrice": ("unit_gross_price", PRICE),
        "ProductGroupID": ("product_group_netvisor_key", INT),
        "ProductGroupDescription": ("product_group", TEXT),
        "Uri": ("uri", TEXT),
    },
    description="one product (summary)",
)

GETPRODUCT: Final = top(
    "getproduct",
    ["Products"],
    ["Product"],
    {
        "ProductBaseInformation/NetvisorKey": ("netvisor_key", INT),
        "ProductBaseInformation/ProductCode": ("code", TEXT),
        "ProductBaseInformation/ProductGroup": ("product_group", TEXT),
        "ProductBaseInformation/Name": ("name", TEXT),
        "ProductBaseInformation/Description": ("description", TEXT),
        "ProductBaseInformation/UnitPrice": ("unit_price", PRICE),
        "ProductBaseInformation/UnitPrice@type": ("unit_price_type", TEXT),
        "ProductBaseInformation/UnitGrossPrice": ("unit_gross_price", PRICE),
        "ProductBaseInformation/UnitGrossPrice@type": ("unit_gross_price_type", TEXT),
        "ProductBaseInformation/Unit": ("unit", TEXT),
        "ProductBaseInformation/UnitWeight": ("unit_weight", QUANTITY),
        "ProductBaseInformation/PurchasePrice": ("purchase_price", PRICE),
        "ProductBaseInformation/TariffHeading": ("tariff_heading", TEXT),
        "ProductBaseInformation/ComissionPercentage": ("commission_percent", PERCENT),
        "ProductBaseInformation/CommissionPercentage": ("commission_percent", PERCENT),
        "ProductBaseInformation/IsActive": ("is_active", BOOL),
        "ProductBaseInformation/IsSalesProduct": ("is_sales_product", BOOL),
        "ProductBaseInformation/PrimaryEanCode": ("primary_ean_code", TEXT),
        "ProductBaseInformation/SecondaryEanCode": ("secondary_ean_code", TEXT),
        "ProductBookKeepingDetails/DefaultVatPercent": ("default_vat_percent", PERCENT),
        "ProductBookKeepingDetails/DefaultDomesticAccountNumber": ("default_domestic_account_number", INT),
        "ProductBookKeepingDetails/DefaultEuAccountNumber": ("default_eu_account_number", INT),
        "ProductBookKeepingDetails/DefaultOutsideEUAccountNumber": ("default_outside_eu_account_number", INT),
        "ProductInventoryDetails/InventoryAmount": ("inventory_amount", QUANTITY),
        "ProductInventoryDetails/InventoryMidPrice": ("inventory_mid_price", PRICE),
        "ProductInventoryDetails/InventoryValue": ("inventory_value", LINE_AMOUNT),
        "ProductInventoryDetails/InventoryReservedAmount": ("inventory_reserved_amount", QUANTITY),
        "ProductInventoryDetails/InventoryOrderedAmount": ("inventory_ordered_amount", QUANTITY),
    },
    description="one product with details",
)

# -- sales ----------------------------------------------------------------------------------------------------------

SALESINVOICELIST: Final = top(
    "salesinvoicelist",
    ["SalesInvoiceList", "SalesInvoices"],
    ["SalesInvoice"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "InvoiceNumber": ("invoice_number", INT),
        "InvoiceDate": ("invoice_date", DATE),
        "InvoiceDueDate": ("due_date", DATE),
        "InvoiceStatus": ("status", TEXT),
        "InvoiceStatus@substatus": ("substatus", TEXT),
        "InvoiceStatus@isincollection": ("is_in_collection", BOOL),
        "CustomerNetvisorKey": ("customer_netvisor_key", INT),
        "CustomerCode": ("customer_code", TEXT),
        "CustomerName": ("customer_name", TEXT),
        "ReferenceNumber": ("reference_number", TEXT),
        "InvoiceSum": ("amount", AMOUNT),
        "OpenSum": ("open_amount", AMOUNT),
        "Uri": ("uri", TEXT),
        "AdditionalInformation/PrivateComment": ("private_comment", TEXT),
        "AdditionalInformation/InvoiceCurrencySum": ("currency_amount", AMOUNT),
        "AdditionalInformation/InvoiceCurrencySum@currencycode": ("currency_code", TEXT),
        "AdditionalInformation/OpenCurrencySum": ("open_currency_amount", AMOUNT),
        "AdditionalInformation/OpenCurrencySum@currencycode": ("open_currency_code", TEXT),
    },
    description="one sales invoice, or one sales order with listtype=preinvoice (summary)",
)

SALES_LINES: Final = child(
    "lines",
    ["SalesInvoiceProductLine"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "ProductIdentifier": ("product_identifier", TEXT),
        "ProductIdentifier@type": ("product_identifier_type", TEXT),
        "ProductNetvisorKey": ("product_netvisor_key", INT),
        "ProductName": ("product_name", TEXT),
        "ProductUnitPrice": ("unit_price", PRICE),
        "ProductUnitPrice@type": ("unit_price_type", TEXT),
        "ProductVatPercentage": ("vat_percent", PERCENT),
        "ProductVatPercentage@vatcode": ("vat_code", TEXT),
        "SalesInvoiceProductLineQuantity": ("quantity", QUANTITY),
        "SalesInvoiceProductLineDiscountPercentage": ("discount_percent", PERCENT),
        "SalesInvoiceProductLineFreeText": ("free_text", TEXT),
        "SalesInvoiceProductLineVatSum": ("vat_sum", LINE_AMOUNT),
        "SalesInvoiceProductLineSum": ("line_sum", LINE_AMOUNT),
        "ProductPurchasePrice": ("purchase_price", PRICE),
        "ProductPrimaryEanCode": ("primary_ean_code", TEXT),
        "ProductSecondaryEanCode": ("secondary_ean_code", TEXT),
        "SalesInvoiceProductLineUnit": ("unit", TEXT),
        "AccountingAccountSuggestion": ("account_suggestion", INT),
        "AccountingAccountSuggestionAccountNumber": ("account_suggestion_account_number", INT),
        "ProvisionPercentage": ("provision_percent", PERCENT),
        "OrderNumber": ("order_number", TEXT),
        "SalesInvoiceProductLineDeliveryDate": ("delivery_date", DATE),
        "SalesInvoiceProductLineInventoryID": ("inventory_id", TEXT),
    },
    at="InvoiceLines",
    containers=["InvoiceLine"],
    children=[DIMENSIONS],
)

SALES_COMMENT_LINES: Final = child(
    "comment_lines",
    ["SalesInvoiceCommentLine"],
    {
        "Comment": ("comment", TEXT),
    },
    at="InvoiceLines",
    containers=["InvoiceLine"],
)

GETSALESINVOICE: Final = top(
    "getsalesinvoice",
    ["SalesInvoices"],
    ["SalesInvoice"],
    {
        "SalesInvoiceNetvisorKey": ("netvisor_key", INT),
        "SalesInvoiceNumber": ("invoice_number", INT),
        "SalesInvoiceDate": ("invoice_date", DATE),
        "SalesInvoiceEventDate": ("event_date", DATE),
        "SalesInvoiceDueDate": ("due_date", DATE),
        "SalesInvoiceValueDate": ("value_date", DATE),
        "SalesInvoiceDeliveryDate": ("delivery_date", DATE),
        "SalesInvoiceReferencenumber": ("reference_number", TEXT),
        "SalesInvoiceAmount": ("amount", AMOUNT),
        "SalesInvoiceAmount@iso4217currencycode": ("currency_code", TEXT),
        "SalesInvoiceAmount@currencyrate": ("currency_rate", RATE),
        "SellerIdentifier": ("seller_identifier", TEXT),
        "SellerIdentifier@type": ("seller_identifier_type", TEXT),
        "InvoiceStatus": ("status", TEXT),
        "InvoiceStatus@status": ("status_code", TEXT),
        "InvoiceStatus@substatus": ("substatus", TEXT),
        "SalesInvoiceFreeTextBeforeLines": ("free_text_before_lines", TEXT),
        "SalesInvoiceFreeTextAfterLines": ("free_text_after_lines", TEXT),
        "SalesInvoiceOurReference": ("our_reference", TEXT),
        "SalesInvoiceYourReference": ("your_reference", TEXT),
        "SalesInvoicePrivateComment": ("private_comment", TEXT),
        "SalesInvoiceAgreementIdentifier": ("agreement_identifier", TEXT),
        "InvoicingCustomerNetvisorKey": ("customer_netvisor_key", INT),
        "InvoicingCustomerCode": ("customer_code", TEXT),
        "InvoicingCustomerOrganizationIdentifier": ("customer_business_id", TEXT),
        "InvoicingCustomerName": ("customer_name", TEXT),
        "InvoicingCustomerNameExtension": ("customer_name_extension", TEXT),
        "InvoicingCustomerAddressline": ("customer_address_line", TEXT),
        "InvoicingCustomerAdditionalAddressLine": ("customer_additional_address_line", TEXT),
        "InvoicingCustomerPostnumber": ("customer_post_number", TEXT),
        "InvoicingCustomerTown": ("customer_town", TEXT),
        "InvoicingCustomerCountryCode": ("customer_country", TEXT),
        "InvoicingCustomerCountryCode@ISO-3166": ("customer_country_code", TEXT),
        "InvoicingCustomerInCollectionProhibitation": ("customer_in_collection_prohibition", BOOL),
        "ForeignCurrencyAmount": ("foreign_currency_amount", AMOUNT),
        "SalesInvoiceCollectionCost": ("collection_cost", AMOUNT),
        "ContactPersonNetvisorKey": ("contact_person_netvisor_key", INT),
        "CreditedInvoiceNetvisorKey": ("credited_invoice_netvisor_key", INT),
        "MatchPartialPaymentsByDefault": ("match_partial_payments_by_default", BOOL),
        "DeliveryAddressName": ("delivery_address_name", TEXT),
        "DeliveryAddressLine": ("delivery_address_line", TEXT),
        "DeliveryAddressPostnumber": ("delivery_address_post_number", TEXT),
        "DeliveryAddressTown": ("delivery_address_town", TEXT),
        "DeliveryAddressCountryCode": ("delivery_address_country", TEXT),
        "DeliveryAddressCountryCode@ISO-3166": ("delivery_address_country_code", TEXT),
        "DeliveryMethod": ("delivery_method", TEXT),
        "DeliveryTerm": ("delivery_term", TEXT),
        "PaymentTermNetDays": ("payment_term_net_days", INT),
        "PaymentTermCashDiscountDays": ("payment_term_cash_discount_days", INT),
        "PaymentTermCashDiscount": ("payment_term_cash_discount", PERCENT),
        "PaymentTermCashDiscount@type": ("payment_term_cash_discount_type", TEXT),
        "WaybillIdentifier": ("waybill_identifier", TEXT),
        "TaxHandlingClause": ("tax_handling_clause", TEXT),
        "DeliveryOfficeIdentifier": ("delivery_office_identifier", TEXT),
        "DeliveryToCustomerDate": ("delivery_to_customer_date", DATE),
        "InvoiceVoucher": ("voucher", TEXT),
        "InvoiceVoucher@netvisorkey": ("voucher_netvisor_key", INT),
    },
    children=[SALES_LINES, SALES_COMMENT_LINES],
    description="one sales invoice with its lines",
)

GETORDER: Final = replace(GETSALESINVOICE, name="getorder", description="one sales order with its lines")

SALESPAYMENTLIST: Final = top(
    "salespaymentlist",
    ["SalesPaymentList", "SalesPayments"],
    ["SalesPayment"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "Name": ("name", TEXT),
        "Date": ("payment_date", DATE),
        "Sum": ("amount", AMOUNT),
        "ReferenceNumber": ("reference_number", TEXT),
        "ForeignCurrencyAmount": ("foreign_currency_amount", AMOUNT),
        "ForeignCurrencyAmount@currencycode": ("foreign_currency_code", TEXT),
        "InvoiceNumber": ("invoice_number", INT),
        "PaymentAccountName": ("payment_account_name", TEXT),
        "PaymentAccountNumber": ("payment_account_number", TEXT),
        "VoucherID": ("voucher_netvisor_key", INT),
        "LastModifiedTimestamp": ("last_modified", TIMESTAMP),
        "PaymentSource": ("payment_source", INT),
        "BankStatus": ("bank_status", TEXT),
        "BankStatusErrorDescription": ("bank_status_error_description", TEXT),
        "BankStatusErrorDescription@code": ("bank_status_error_code", TEXT),
        "Bank/ArchiveIdentifier": ("archive_identifier", TEXT),
        "Bank/TransactionRecord": ("transaction_record", TEXT),
    },
    description="one customer (sales) payment",
)

# -- purchases ------------------------------------------------------------------------------------------------------

PURCHASEINVOICELIST: Final = top(
    "purchaseinvoicelist",
    ["PurchaseInvoiceList", "PurchaseInvoices"],
    ["PurchaseInvoice"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "InvoiceNumber": ("invoice_number", TEXT),
        "InvoiceDate": ("invoice_date", DATE),
        "Vendor": ("vendor_name", TEXT),
        "VendorOrganizationIdentifier": ("vendor_business_id", TEXT),
        "Sum": ("amount", AMOUNT),
        "Payments": ("paid_amount", AMOUNT),
        "OpenSum": ("open_amount", AMOUNT),
        "Uri": ("uri", TEXT),
    },
    description="one purchase invoice (summary)",
)

GETPURCHASEINVOICE: Final = top(
    "getpurchaseinvoice",
    ["PurchaseInvoices"],
    ["PurchaseInvoice"],
    {
        "PurchaseInvoiceNetvisorKey": ("netvisor_key", INT),
        "PurhaseInvoiceNetvisorKey": ("netvisor_key", INT),  # the reference's spelling, kept in case it is real
        "PurchaseInvoiceNumber": ("invoice_number", TEXT),
        "PurchaseInvoiceDate": ("invoice_date", DATE),
        "PurchaseInvoiceDeliveryDate": ("delivery_date", DATE),
        "PurchaseInvoiceDueDate": ("due_date", DATE),
        "PurchaseInvoiceValueDate": ("value_date", DATE),
        "PurchaseInvoiceReferencenumber": ("reference_number", TEXT),
        "PurchaseInvoiceVendorBankAccountNumber": ("vendor_bank_account_number", TEXT),
        "IsPurchaseInvoiceVendorBankAccountDeleted": ("is_vendor_bank_account_deleted", BOOL),
        "IsPurchaseInvoiceVendorBankAccountFromSEPARegion": ("is_vendor_bank_account_from_sepa_region", BOOL),
        "PurchaseInvoiceAmount": ("amount", AMOUNT),
        "PurchaseInvoicePaidAmount": ("paid_amount", AMOUNT),
        "ForeignCurrencyAmount": ("foreign_currency_amount", AMOUNT),
        "ForeignCurrencyNameID": ("foreign_currency_code", TEXT),
        "InvoiceStatus": ("status", TEXT),
        "ApprovalStatus": ("approval_status", TEXT),
        "PurchaseInvoiceOurReference": ("our_reference", TEXT),
        "PurchaseInvoiceYourReference": ("your_reference", TEXT),
        "PurchaseInvoiceDescription": ("description", TEXT),
        "VendorNetvisorKey": ("vendor_netvisor_key", INT),
        "VendorOrganizationIdentifier": ("vendor_business_id", TEXT),
        "VendorCode": ("vendor_code", TEXT),
        "VendorName": ("vendor_name", TEXT),
        "VendorAddressline": ("vendor_address_line", TEXT),
        "VendorPostnumber": ("vendor_post_number", TEXT),
        "VendorTown": ("vendor_town", TEXT),
        "VendorCountry": ("vendor_country", TEXT),
        "Fingerprint": ("fingerprint", TEXT),
        "VoucherID": ("voucher_netvisor_key", INT),
        "IsAccounted": ("is_accounted", BOOL),
    },
    children=[
        child(
            "lines",
            ["PurchaseInvoiceLine"],
            {
                "NetvisorKey": ("netvisor_key", INT),
                "LineSum": ("line_sum", LINE_AMOUNT),
                "LineNetSum": ("line_net_sum", LINE_AMOUNT),
                "UnitPrice": ("unit_price", PRICE),
                "VatPercent": ("vat_percent", PERCENT),
                "VatCode": ("vat_code", TEXT),
                "Description": ("description", TEXT),
                "Unit": ("unit", TEXT),
                "OrderedAmount": ("ordered_quantity", QUANTITY),
                "DeliveredAmount": ("delivered_quantity", QUANTITY),
                "PurchasePrice": ("purchase_price", PRICE),
                "ProductCode": ("product_code", TEXT),
                "ProductName": ("product_name", TEXT),
                "DiscountPercentage": ("discount_percent", PERCENT),
                "AccountingSuggestionBookkeepingAccountNetvisorKey": ("account_netvisor_key", INT),
                "AccountingSuggestionBookkeepingAccount": ("account_number", INT),
            },
            at="InvoiceLines",
            children=[
                child(
                    "dimensions",
                    ["Dimension"],
                    {
                        "DimensionName": ("dimension_name", TEXT),
                        "DimensionNameNetvisorKey": ("dimension_name_netvisor_key", INT),
                        "DimensionDetailName": ("dimension_item", TEXT),
                        "DimensionDetailNameNetvisorKey": ("dimension_item_netvisor_key", INT),
                    },
                    at="PurchaseInvoiceLineDimensions",
                    follows=True,  # version=1 (the default) puts them after the line instead of inside it
                ),
            ],
        ),
        child(
            "linked_purchase_orders",
            ["PurchaseOrder"],
            {
                "NetvisorKey": ("netvisor_key", INT),
                "OrderNumber": ("order_number", INT),
            },
            at="LinkedPurchaseOrders",
        ),
    ],
    description="one purchase invoice with its lines",
)

PURCHASEORDERLIST: Final = top(
    "purchaseorderlist",
    ["PurchaseOrderList", "PurchaseOrders"],
    ["PurchaseOrder"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "OrderNumber": ("order_number", INT),
        "OrderDate": ("order_date", DATE),
        "OrderStatus": ("status", TEXT),
        "VendorName": ("vendor_name", TEXT),
        "Amount": ("amount", AMOUNT),
        "Uri": ("uri", TEXT),
    },
    children=[
        child(
            "linked_purchase_invoices",
            ["PurchaseInvoice"],
            {
                "NetvisorKey": ("netvisor_key", INT),
                "InvoiceNumber": ("invoice_number", TEXT),
                "Uri": ("uri", TEXT),
            },
            at="LinkedPurchaseInvoices",
        ),
    ],
    description="one purchase order (summary)",
)

GETPURCHASEORDER: Final = top(
    "getpurchaseorder",
    ["PurchaseOrders"],
    ["PurchaseOrder"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "OrderNumber": ("order_number", INT),
        "OrderStatus": ("status", TEXT),
        "OrderStatus@deliverystatus": ("delivery_status", TEXT),
        "OrderDate": ("order_date", DATE),
        "VendorName": ("vendor_name", TEXT),
        "VendorAddressLine": ("vendor_address_line", TEXT),
        "VendorPostNumber": ("vendor_post_number", TEXT),
        "VendorCity": ("vendor_town", TEXT),
        "VendorCountry": ("vendor_country", TEXT),
        "DeliveryTerm": ("delivery_term", TEXT),
        "DeliveryMethod": ("delivery_method", TEXT),
        "DeliveryName": ("delivery_name", TEXT),
        "DeliveryAddressLine": ("delivery_address_line", TEXT),
        "DeliveryPostNumber": ("delivery_post_number", TEXT),
        "DeliveryCity": ("delivery_town", TEXT),
        "DeliveryCountry": ("delivery_country", TEXT),
        "PrivateComment": ("private_comment", TEXT),
        "Comment": ("comment", TEXT),
        "OurReference": ("our_reference", TEXT),
        "PaymentTerm": ("payment_term", TEXT),
        "Amount": ("amount", AMOUNT),
        "Amount@currencycode": ("currency_code", TEXT),
    },
    children=[
        child(
            "lines",
            ["PurchaseOrderProductLine"],
            {
                "NetvisorKey": ("netvisor_key", INT),
                "ProductCode": ("product_code", TEXT),
                "ProductName": ("product_name", TEXT),
                "OrderedAmount": ("ordered_quantity", QUANTITY),
                "DeliveredAmount": ("delivered_quantity", QUANTITY),
                "Unit": ("unit", TEXT),
                "UnitPrice": ("unit_price", PRICE),
                "VatPercent": ("vat_percent", PERCENT),
                "LineSum": ("line_sum", LINE_AMOUNT),
                "DeliveryDate": ("delivery_date", DATE),
            },
            at="PurchaseOrderLines",
            containers=["PurchaseOrderProductDeliveryGroup"],
            # the reference puts a NetvisorKey on the delivery group, beside its product lines
            container_fields={"NetvisorKey": ("delivery_group_netvisor_key", INT)},
        ),
    ],
    description="one purchase order with its lines (line element names UNCONFIRMED)",
)

PAYMENTLIST: Final = top(
    "paymentlist",
    ["PaymentList", "Payments"],
    ["Payment"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "PayerName": ("payer_name", TEXT),
        "Date": ("payment_date", DATE),
        "HomeCurrencySum": ("amount", AMOUNT),
        "ForeignCurrencySum": ("foreign_currency_amount", AMOUNT),
        "Reference": ("reference_number", TEXT),
        "InvoiceKey": ("invoice_netvisor_key", INT),
        "InvoiceNumber": ("invoice_number", TEXT),
        "InvoiceURI": ("invoice_uri", TEXT),
        "VoucherKey": ("voucher_netvisor_key", INT),
        "VoucherNumber": ("voucher_number", INT),
    },
    description="one outgoing (purchase) payment",
)

# -- ledger ---------------------------------------------------------------------------------------------------------

ACCOUNTINGLEDGER: Final = top(
    "accountingledger",
    ["Vouchers"],
    ["Voucher"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "@Status": ("status", TEXT),
        "VoucherDate": ("voucher_date", DATE),
        "VoucherNumber": ("voucher_number", INT),
        "VoucherDescription": ("description", TEXT),
        "VoucherClass": ("voucher_class", TEXT),
        "LinkedSourceNetvisorKey": ("linked_source_netvisor_key", INT),
        "LinkedSourceNetvisorKey@type": ("linked_source_type", TEXT),
        "VoucherNetvisorUri": ("uri", TEXT),
    },
    children=[
        child(
            "lines",
            ["VoucherLine"],
            {
                "NetvisorKey": ("netvisor_key", INT),
                ".@Status": ("status", TEXT),
                "LineSum": ("line_sum", LINE_AMOUNT),
                "Description": ("description", TEXT),
                "AccountNumber": ("account_number", INT),
                "VatPercent": ("vat_percent", PERCENT),
                "VatCode": ("vat_code", TEXT),
                "AccountDimension": ("account_dimension", TEXT),
                "AccountDimension@netvisorkey": ("account_dimension_netvisor_key", INT),
                "TransactionFollowUpStatus": ("follow_up_status", TEXT),
            },
            children=[DIMENSIONS],
        ),
    ],
    description="one voucher (status valid/invalidated/deleted) with its lines",
)

ACCOUNTLIST: Final = top(
    "accountlist",
    ["AccountList", "Accounts"],
    ["Account"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "Number": ("account_number", INT),
        "Name": ("name", TEXT),
        "AccountType": ("account_type", TEXT),
        "FatherNetvisorKey": ("father_netvisor_key", INT),
        "IsActive": ("is_active", BOOL),
        "IsCumulative": ("is_cumulative", BOOL),
        "Sort": ("sort", INT),
        "EndSort": ("end_sort", INT),
        "IsNaturalNegative": ("is_natural_negative", BOOL),
    },
    children=[FOREIGN_NAMES_3166],
    description="one account or account group of the chart of accounts (CompanyDefaultAccounts is not read)",
)

ACCOUNTINGPERIODLIST: Final = top(
    "accountingperiodlist",
    ["AccountingPeriodList", "PeriodLockInformation", "Periods"],
    ["Period"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "Name": ("name", TEXT),
        "BeginDate": ("begin_date", DATE),
        "EndDate": ("end_date", DATE),
    },
    context={
        "AccountingPeriodLockDate": ("accounting_period_lock_date", DATE),
        "VatPeriodLockDate": ("vat_period_lock_date", DATE),
        "PurchaseLockDate": ("purchase_lock_date", DATE),
    },
    description="one accounting period, with the company's lock dates on every row",
)

VOUCHERTYPELIST: Final = top(
    "vouchertypelist",
    ["VoucherTypeList", "VoucherTypes"],
    ["VoucherType"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "Abbreviation": ("abbreviation", TEXT),
        "Name": ("name", TEXT),
    },
    children=[
        child("foreign_names", ["ForeignName"], {".": ("name", TEXT), ".@ISO-639-1": ("language", TEXT)}),
    ],
    description="one voucher type (DefaultVoucherTypes is not read)",
)

ACCOUNTBALANCE: Final = top(
    "accountbalance",
    ["AccountBalances"],
    ["Account"],
    {
        "@Netvisorkey": ("netvisor_key", INT),
        "Number": ("account_number", INT),
        "Name": ("name", TEXT),
        "ForeignName": ("foreign_name", TEXT),
    },
    explode=child(
        "balances",
        ["AccountBalance"],
        {
            ".@Date": ("balance_date", DATE),
            "Debet": ("debit", AMOUNT),
            "Kredit": ("credit", AMOUNT),
            "Balance": ("balance", AMOUNT),
        },
    ),
    key=("netvisor_key", "balance_date"),
    description="one account's debit, credit and balance on one date (trial balance row)",
)

DIMENSIONLIST: Final = top(
    "dimensionlist",
    ["DimensionNameList"],
    ["DimensionName"],
    {
        "Netvisorkey": ("netvisor_key", INT),
        "Name": ("name", TEXT),
        "IsHidden": ("is_hidden", BOOL),
        "LinkType": ("link_type", TEXT),
        "ActivityPeriodStart": ("activity_period_start", DATE),
        "ActivityPeriodEnd": ("activity_period_end", DATE),
    },
    children=[
        child(
            "items",
            ["DimensionDetail"],
            {
                "Netvisorkey": ("netvisor_key", INT),
                "Name": ("name", TEXT),
                "Code": ("code", TEXT),
                "Label": ("label", TEXT),
                "IsHidden": ("is_hidden", BOOL),
                "Level": ("level", INT),
                "Sort": ("sort", INT),
                "EndSort": ("end_sort", INT),
                "FatherId": ("father_netvisor_key", INT),
            },
            at="DimensionDetails",
        ),
    ],
    description="one dimension (name) with its items",
)

GETACCOUNTDIMENSIONLIST: Final = top(
    "getaccountdimensionlist",
    ["AccountFollowUpObjects"],
    ["AccountFollowUpObject"],
    {
        "Netvisorkey": ("netvisor_key", INT),
        "Name": ("name", TEXT),
        "ForeignName": ("foreign_name", TEXT),
        "ForeignName@foreignnamelanguage": ("foreign_name_language", TEXT),
    },
    children=[
        child(
            "accounts",
            ["FollowUpAccount"],
            {"AccountNetvisorKey": ("account_netvisor_key", INT)},
            at="FollowUpAccounts",
        ),
    ],
    description="one account follow-up object with the accounts it follows",
)

PAYMENTTERMLIST: Final = top(
    "paymenttermlist",
    ["PaymentTermList"],
    ["PaymentTerm"],
    {
        "NetvisorKey": ("netvisor_key", INT),
        "Description": ("description", TEXT),
        "NetDays": ("net_days", INT),
        "DiscountDays": ("discount_days", INT),
        "DiscountPercent": ("discount_percent", PERCENT),
        "IsDefault": ("is_default", BOOL),
    },
    description="one payment term",
)

# -- payroll --------------------------------------------------------------------------------------------------------

_PAYROLL_BATCH: Final[dict[str, tuple[str, ColumnKind]]] = {
    "Netvisorkey": ("netvisor_key", INT),
    "PaymentDate": ("payment_date", DATE),
    "PayrollRuleGroupPeriod/Netvisorkey": ("rule_group_period_netvisor_key", INT),
    "PayrollRuleGroupPeriod/StartDate": ("period_start_date", DATE),
    "PayrollRuleGroupPeriod/EndDate": ("period_end_date", DATE),
    "PayrollRuleGroup/Netvisorkey": ("rule_group_netvisor_key", INT),
    "PayrollRuleGroup/Name": ("rule_group_name", TEXT),
    "Employee/Netvisorkey": ("employee_netvisor_key", INT),
    "Employee/Name": ("employee_name", TEXT),
    "Employee/EmployeeNumber": ("employee_number", TEXT),
    "Status": ("status", INT),
    "StatusDescription": ("status_description", TEXT),
}

GETPAYROLLPAYCHECKBATCHLIST: Final = top(
    "getpayrollpaycheckbatchlist",
    ["PayrollPaycheckBatches"],
    ["PayrollPaycheckBatch"],
    _PAYROLL_BATCH,
    description="one payroll paycheck batch (summary)",
)

GETPAYROLLPAYCHECKBATCH: Final = top(
    "getpayrollpaycheckbatch",
    ["payrollpaycheckbatches"],
    ["payrollpaycheckbatch"],
    {
        **{path.lower(): spec for path, spec in _PAYROLL_BATCH.items()},
        "voucher/netvisorkey": ("voucher_netvisor_key", INT),
        "voucher/class": ("voucher_class", TEXT),
        "voucher/number": ("voucher_number", INT),
        "voucher/date": ("voucher_date", DATE),
    },
    children=[
        child(
            "allocation_curves",
            ["allocationcurve"],
            {".@percent": ("percent", PERCENT)},
            at="allocationcurves",
            children=[
                child(
                    "dimensions",
                    ["dimension"],
                    {
                        "dimensionname": ("dimension_name", TEXT),
                        "dimensionitem": ("dimension_item", TEXT),
                    },
                    at="dimensions",
                )
            ],
        ),
        child(
            "lines",
            ["payrollpaycheckbatchline"],
            {
                "payrollratio/number": ("ratio_number", INT),
                "payrollratio/name": ("ratio_name", TEXT),
                "units": ("quantity", QUANTITY),
                "unitamount": ("unit_price", PRICE),
                "amount": ("line_sum", LINE_AMOUNT),
                "description": ("description", TEXT),
            },
            at="payrollpaycheckbatchlines",
        ),
    ],
    description="one payroll paycheck batch with allocation curves and lines (details beyond the reference's "
    "summary are UNCONFIRMED; Netvisor may omit the batch key, which the caller then supplies)",
)

# -- the catalogue ----------------------------------------------------------------------------------------------------

_DECLARED: Final = [
    CUSTOMERLIST,
    GETCUSTOMER,
    GETVENDOR,
    replace(GETVENDOR, name="vendorlist"),
    PRODUCTLIST,
    GETPRODUCT,
    SALESINVOICELIST,
    GETSALESINVOICE,
    GETORDER,
    PURCHASEINVOICELIST,
    GETPURCHASEINVOICE,
    PURCHASEORDERLIST,
    GETPURCHASEORDER,
    ACCOUNTINGLEDGER,
    ACCOUNTLIST,
    ACCOUNTINGPERIODLIST,
    VOUCHERTYPELIST,
    ACCOUNTBALANCE,
    DIMENSIONLIST,
    GETACCOUNTDIMENSIONLIST,
    PAYMENTTERMLIST,
    SALESPAYMENTLIST,
    PAYMENTLIST,
    deleted("deletedsalesinvoices", "DeletedSalesInvoices", "DeletedSalesInvoice", "sales invoice"),
    deleted("deletedsalesorders", "DeletedSalesOrders", "DeletedSalesOrder", "sales order"),
    deleted("deletedsalespayments", "DeletedSalesPayments", "DeletedSalesPayment", "sales payment"),
    deleted("deletedvouchers", "DeletedVouchers", "DeletedVoucher", "voucher"),
    deleted("deletedpurchaseinvoices", "DeletedPurchaseInvoices", "DeletedPurchaseInvoice", "purchase invoice"),
    deleted("deletedpurchaseorders", "DeletedPurchaseOrders", "DeletedPurchaseOrder", "purchase order"),
    deleted("deletedpurchasepayments", "DeletedPurchasePayments", "DeletedPurchasePayment", "purchase payment"),
    GETPAYROLLPAYCHECKBATCHLIST,
    GETPAYROLLPAYCHECKBATCH,
]

#: Every read resource's shape, by resource name (lowercase, without ``.nv``), in the order of ``READ_RESOURCES``.
SHAPES: Final[Mapping[str, Shape]] = MappingProxyType(
    {name: shape for name in READ_RESOURCES for shape in _DECLARED if shape.name == name}
)
if set(SHAPES) != set(READ_RESOURCES) or len(_DECLARED) != len(SHAPES):  # pragma: no cover - a declaration bug
    raise RuntimeError(f"SHAPES and READ_RESOURCES disagree: {sorted(set(READ_RESOURCES) ^ set(SHAPES))}")
