"""One emulated company's books: the read view handlers use, and the change API the admin endpoints call.

:class:`CompanyStore` is ``books.CompanyBooks`` (the ``model.CompanyView`` over lazy, generated collections) plus
changes, kept in the collections' overlays under the books' one lock. Every change keeps the books balanced:

- ``create`` fills what is not given from the generator; a created invoice or payment posts its voucher, and a
  payment lowers its invoice's open sum (a created credit note offsets the invoice it credits).
- ``edit`` sets fields and bumps ``modified``; changing an invoice's lines (or date, customer, currency) recomputes
  its totals and re-posts **the same voucher** (its lines are replaced and its ``modified`` bumped), as editing an
  invoice in Netvisor changes its voucher. Totals, open sums and links are derived and cannot be set directly.
- ``delete`` removes a record and writes a ``Tombstone`` (``deleted_at = clock.now()``) for kinds with a
  ``deleted*.nv`` feed; deleting an invoice also deletes its vouchers and payments; deleting a payment reopens its
  invoice. Customers and vendors simply disappear; a deleted product stays listed with ``status="deleted"``.
- ``invalidate_voucher`` marks a voucher invalidated (it stops counting in balances).

A payment does not bump its invoice's ``modified``: Netvisor reports such invoices only through
``includemodifiedpayments``, so handlers must look at the payments' modification times. A credit note is not a
payment: creating or deleting one changes the credited invoice itself (its open sum and status), so it bumps that
invoice's ``modified`` (Netvisor's behaviour here is UNCONFIRMED; without the bump no change filter could ever
report the reopened or credited invoice).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from netvisor_sync.emulator import chart, documents, parties, posting, specs, voucher_blocks
from netvisor_sync.emulator.books import KINDS, TOMBSTONE_KINDS, CompanyBooks
from netvisor_sync.emulator.model import (
    Customer,
    Product,
    PurchaseInvoice,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasePayment,
    SalesDocument,
    SalesPayment,
    Vendor,
    Voucher,
)

__all__ = ["DERIVED", "KINDS", "TOMBSTONE_KINDS", "CompanyStore"]

#: Fields ``create``/``edit`` refuse because the store derives them.
DERIVED = frozenset(
    {"netvisor_key", "modified", "amount", "net_amount", "vat_amount", "open_sum", "foreign_amount", "paid_amount",
     "voucher_key", "voucher_number", "invoice_key", "invoice_number", "credited_invoice_key", "kind", "number",
     "linked_source_type", "linked_source_key", "voucher_class"}
)  # fmt: skip
_REPOST_FIELDS = frozenset({"lines", "date", "customer_key", "vendor_key", "currency", "currency_rate"})


class CompanyStore(CompanyBooks):
    """One company's books with the change API (see the module docstring); build it with ``build_company``."""

    # -- change API ------------------------------------------------------------------------------------------
    def create(self, kind: str, **fields: Any) -> int:
        """Create a ``kind`` record; returns its new netvisor key. Missing fields get realistic defaults.

        Accepted fields are the model dataclass's fields (``lines`` as dicts or model lines); documents also take
        ``credited_invoice_key`` (sales invoices: creates a credit note), payments take ``invoice_key`` and
        purchase orders ``linked_invoice_keys``. Derived totals are always computed.
        """
        with self._lock:
            collection = self._collection(kind)
            key = collection.next_key()
            now = self._clock.now()
            record = getattr(self, f"_create_{kind}")(key, now, dict(fields))
            collection.add(key, record)
            return key

    def _create_party(self, kind: str, key: int, now: datetime, fields: dict[str, Any]) -> Any:
        base = {"customer": parties.CUSTOMER_KEYS, "vendor": parties.VENDOR_KEYS, "product": parties.PRODUCT_KEYS}
        make = {"customer": parties.customer, "vendor": parties.vendor, "product": parties.product}[kind]
        return self._apply_simple(make(self._docs.seed, key - base[kind], now, now), fields, now)

    def _create_customer(self, key: int, now: datetime, fields: dict[str, Any]) -> Customer:
        return cast(Customer, self._create_party("customer", key, now, fields))

    def _create_vendor(self, key: int, now: datetime, fields: dict[str, Any]) -> Vendor:
        return cast(Vendor, self._create_party("vendor", key, now, fields))

    def _create_product(self, key: int, now: datetime, fields: dict[str, Any]) -> Product:
        return self._priced(cast(Product, self._create_party("product", key, now, fields)), fields)

    @staticmethod
    def _priced(product: Product, fields: Mapping[str, Any]) -> Product:
        """Keep a product's net and gross unit prices consistent, with Netvisor's 12 decimals."""
        twelve = Decimal("1E-12")
        product.unit_price = product.unit_price.quantize(twelve)
        if "unit_gross_price" not in fields and {"unit_price", "vat_percent"} & set(fields):
            product.unit_gross_price = (product.unit_price * (100 + product.vat_percent) / 100).quantize(twelve)
        return product

    def _create_salesinvoice(self, key: int, now: datetime, fields: dict[str, Any]) -> SalesDocument:
        on = specs.as_date(fields.get("date", now.date()))
        doc = self._docs.draft("salesinvoice", key, self._next_number("salesinvoice"), on)
        assert isinstance(doc, SalesDocument)
        credited_key = fields.pop("credited_invoice_key", None)
        if credited_key is not None:
            original = self._get("salesinvoice", int(credited_key))
            doc = posting.credit_note_of(original, key=key, number=doc.number, on=on)
        doc = self._apply_sales(doc, fields, now, paid=posting.ZERO)
        if credited_key is not None:
            self._apply_credit(doc, original, now)
        self._post_sales(doc, now)
        return doc

    def _apply_credit(self, note: SalesDocument, original: SalesDocument, now: datetime) -> None:
        """Offset ``original``'s open sum by the credit note, as far as it is open."""
        applied = min(original.open_sum, -note.amount) if original.open_sum > 0 and note.amount < 0 else posting.ZERO
        note.open_sum = note.amount + applied
        posting.set_sales_status(note, now.date())
        if applied:
            self._set_open_sum(original.netvisor_key, original.open_sum - applied, now, touch=True)
        self._children["credit", original.netvisor_key].add(note.netvisor_key)

    def _apply_sales(
        self, doc: SalesDocument, fields: dict[str, Any], now: datetime, *, paid: Decimal
    ) -> SalesDocument:
        """Apply ``fields`` to a sales document and recompute totals, open sum (given what is ``paid``) and status."""
        changes = specs.validated(doc, fields, derived=DERIVED)
        if "lines" in changes:
            changes["lines"] = specs.sales_lines(doc.netvisor_key, changes["lines"], self._product)
        if "comment_lines" in changes:
            changes["comment_lines"] = specs.texts("comment_lines", changes["comment_lines"])
        if "customer_key" in changes:
            c = self._get("customer", int(changes["customer_key"]))
            changes.update(
                customer_code=c.code, customer_name=c.name, customer_business_id=c.business_id,
                customer_address=c.street, customer_post_number=c.post_number, customer_town=c.city,
                customer_country=c.country,
            )  # fmt: skip
            changes.setdefault("payment_term_net_days", chart.NET_DAYS.get(c.payment_term_key, 14))
        status = changes.pop("status", None)
        new = dataclasses.replace(doc, **changes, modified=now)
        if {"date", "customer_key", "payment_term_net_days"} & set(fields) and "due_date" not in fields:
            new.due_date = new.date + timedelta(days=new.payment_term_net_days)
        posting.refresh_sales_totals(new)
        new.open_sum = new.amount - paid if new.kind == "invoice" else new.amount
        if status is not None:
            new.status = str(status)
        elif new.kind == "invoice":
            posting.set_sales_status(new, now.date(), unsent=doc.status == "unsent" and new.open_sum != 0)
        return new

    def _post_sales(self, doc: SalesDocument, now: datetime) -> None:
        """Post (or re-post into the same voucher) a sales invoice's voucher."""
        self._post(doc, now, chart.SALES_INVOICE_TYPE, posting.sales_invoice_voucher)

    def _post(self, doc: Any, now: datetime, type_key: int, build: Callable[[Any, int], Voucher]) -> None:
        vouchers = self.vouchers
        current = vouchers.get(doc.voucher_key) if doc.voucher_key is not None else None
        if current is not None and current.status == "valid":
            voucher = build(doc, current.netvisor_key)
            voucher.number, voucher.modified = current.number, now
            vouchers.replace(current.netvisor_key, voucher)
            return
        key = vouchers.next_key()
        doc.voucher_key, doc.voucher_number = key, self._next_number(f"voucher:{type_key}")
        voucher = build(doc, key)
        voucher.modified = now
        vouchers.add(key, voucher)

    def _create_salesorder(self, key: int, now: datetime, fields: dict[str, Any]) -> SalesDocument:
        on = specs.as_date(fields.get("date", now.date()))
        doc = self._docs.draft("salesorder", key, self._next_number("salesorder"), on)
        assert isinstance(doc, SalesDocument)
        new = self._apply_sales(doc, fields, now, paid=posting.ZERO)
        if "status" not in fields:
            new.status = "undelivered"
        return new

    def _create_purchaseinvoice(self, key: int, now: datetime, fields: dict[str, Any]) -> PurchaseInvoice:
        on = specs.as_date(fields.get("date", now.date()))
        inv = self._docs.draft("purchaseinvoice", key, self._next_number("purchaseinvoice"), on)
        assert isinstance(inv, PurchaseInvoice)
        new = self._apply_purchase(inv, fields, now)
        self._post(new, now, chart.PURCHASE_INVOICE_TYPE, posting.purchase_invoice_voucher)
        return new

    def _apply_purchase(self, inv: PurchaseInvoice, fields: dict[str, Any], now: datetime) -> PurchaseInvoice:
        changes = specs.validated(inv, fields, derived=DERIVED)
        if "lines" in changes:
            changes["lines"] = specs.purchase_lines(inv.netvisor_key, changes["lines"], self._product)
        if "vendor_key" in changes:
            v = self._get("vendor", int(changes["vendor_key"]))
            changes.update(
                vendor_code=v.code, vendor_name=v.name, vendor_business_id=v.business_id, vendor_address=v.address,
                vendor_post_number=v.post_code, vendor_town=v.city, vendor_country=v.country, vendor_iban=v.iban,
            )  # fmt: skip
        new = dataclasses.replace(inv, **changes, modified=now)
        new.amount = sum((line.sum for line in new.lines), posting.ZERO)
        if new.currency != "EUR" and inv.foreign_amount is not None and inv.amount:
            new.foreign_amount = posting.money(new.amount * inv.foreign_amount / inv.amount)
        elif new.currency == "EUR":
            new.foreign_amount = None
        if "status" not in fields:
            new.status = "paid" if new.paid_amount == new.amount and new.amount else "accepted"
        return new

    def _create_purchaseorder(self, key: int, now: datetime, fields: dict[str, Any]) -> PurchaseOrder:
        order = self._docs.draft(
            "purchaseorder", key, self._next_number("purchaseorder"), specs.as_date(fields.get("date", now.date()))
        )
        assert isinstance(order, PurchaseOrder)
        return self._apply_order(order, fields, now)

    def _apply_order(self, order: PurchaseOrder, fields: dict[str, Any], now: datetime) -> PurchaseOrder:
        changes = specs.validated(order, fields, derived=DERIVED)
        if "lines" in changes:
            lines = specs.purchase_lines(order.netvisor_key, changes["lines"], self._product)
            changes["lines"] = [
                PurchaseOrderLine(line.netvisor_key, line.product_code, line.product_name, line.quantity,
                                  posting.ZERO, line.unit, line.unit_price, line.vat_percent, line.net_sum, line.sum)
                for line in lines
            ]  # fmt: skip
        if "linked_invoice_keys" in changes:
            changes["linked_invoice_keys"] = [self._get("purchaseinvoice", int(k)).netvisor_key
                                              for k in changes["linked_invoice_keys"]]  # fmt: skip
        new = dataclasses.replace(order, **changes, modified=now)
        new.amount = sum((line.sum for line in new.lines), posting.ZERO)
        return new

    def _create_salespayment(self, key: int, now: datetime, fields: dict[str, Any]) -> SalesPayment:
        invoice_key = fields.pop("invoice_key", None)
        invoice = self._get("salesinvoice", int(invoice_key)) if invoice_key is not None else None
        total = specs.dec(fields.pop("sum", invoice.open_sum if invoice else Decimal("100.00")))
        payment = SalesPayment(
            netvisor_key=key, name=invoice.customer_name if invoice else "Tuntematon maksaja",
            date=specs.as_date(fields.pop("date", now.date())), sum=posting.money(total),
            reference=invoice.reference if invoice else "", foreign_currency_amount=None,
            invoice_key=invoice.netvisor_key if invoice else None, invoice_number=invoice.number if invoice else None,
            payment_account_name="Nordea yritystili", payment_account_number="FI2112345600000785", voucher_key=None,
        )  # fmt: skip
        payment = cast(SalesPayment, self._apply_simple(payment, fields, now))
        if invoice is not None:
            if invoice.currency != "EUR":
                payment.foreign_currency_amount = posting.money(payment.sum * invoice.currency_rate)
            self._set_open_sum(invoice.netvisor_key, invoice.open_sum - payment.sum, now)
            self._children["salespayment", invoice.netvisor_key].add(key)
        self._post_payment("salespayment", payment, now)
        return payment

    def _create_purchasepayment(self, key: int, now: datetime, fields: dict[str, Any]) -> PurchasePayment:
        invoice_key = fields.pop("invoice_key", None)
        inv = self._get("purchaseinvoice", int(invoice_key)) if invoice_key is not None else None
        total = specs.dec(fields.pop("home_currency_sum", inv.amount - inv.paid_amount if inv else Decimal("100.00")))
        payment = PurchasePayment(
            netvisor_key=key, payer_name=inv.vendor_name if inv else "Tuntematon saaja",
            date=specs.as_date(fields.pop("date", now.date())), home_currency_sum=posting.money(total),
            foreign_currency_sum=None, reference=inv.reference if inv else "",
            invoice_key=inv.netvisor_key if inv else None, invoice_number=inv.number if inv else "",
            voucher_key=None, voucher_number=None,
        )  # fmt: skip
        payment = cast(PurchasePayment, self._apply_simple(payment, fields, now))
        if inv is not None:
            if inv.foreign_amount is not None and inv.amount:
                share = payment.home_currency_sum / inv.amount
                payment.foreign_currency_sum = posting.money(inv.foreign_amount * share)
            self._set_paid(inv.netvisor_key, inv.paid_amount + payment.home_currency_sum, now)
            self._children["purchasepayment", inv.netvisor_key].add(key)
        self._post_payment("purchasepayment", payment, now)
        return payment

    def _post_payment(self, kind: str, payment: Any, now: datetime) -> None:
        """Post a payment's voucher (into its existing voucher when there is one)."""
        type_key = chart.SALES_PAYMENT_TYPE if kind == "salespayment" else chart.PURCHASE_PAYMENT_TYPE
        vouchers = self.vouchers
        current = vouchers.get(payment.voucher_key) if payment.voucher_key is not None else None
        key = current.netvisor_key if current is not None else vouchers.next_key()
        number = current.number if current is not None else self._next_number(f"voucher:{type_key}")
        payment.voucher_key = key
        if kind == "purchasepayment":
            payment.voucher_number = number
        if isinstance(payment, SalesPayment):
            voucher = posting.sales_payment_voucher(payment, key, number)
        else:
            voucher = posting.purchase_payment_voucher(payment, key)
        voucher.modified = now
        if current is not None:
            vouchers.replace(key, voucher)
        else:
            vouchers.add(key, voucher)

    def _set_open_sum(self, invoice_key: int, open_sum: Decimal, now: datetime, *, touch: bool = False) -> None:
        """A payment or a credit note changed what is open; only a credit note (``touch``) bumps ``modified``."""
        invoice = self.sales_invoices.get(invoice_key)
        if invoice is None:
            return
        new = dataclasses.replace(invoice, open_sum=open_sum, modified=now if touch else invoice.modified)
        posting.set_sales_status(new, now.date(), unsent=invoice.status == "unsent" and open_sum != 0)
        self.sales_invoices.replace(invoice_key, new)

    def _set_paid(self, invoice_key: int, paid: Decimal, now: datetime) -> None:
        inv = self.purchase_invoices.get(invoice_key)
        if inv is None:
            return
        status = "paid" if paid == inv.amount and inv.amount else "accepted" if inv.status == "paid" else inv.status
        self.purchase_invoices.replace(invoice_key, dataclasses.replace(inv, paid_amount=paid, status=status))

    def _create_voucher(self, key: int, now: datetime, fields: dict[str, Any]) -> Voucher:
        on = specs.as_date(fields.pop("date", now.date()))
        voucher = voucher_blocks.cost_voucher(self._docs, key, key, on)
        voucher.number = self._next_number(f"voucher:{chart.OTHER_TYPE}")
        return self._apply_voucher(voucher, fields, now)

    def _apply_voucher(self, voucher: Voucher, fields: dict[str, Any], now: datetime) -> Voucher:
        if "status" in fields:
            raise ValueError("a voucher's status cannot be set; use invalidate_voucher or delete")
        changes = specs.validated(voucher, fields, derived=DERIVED)
        if "lines" in changes:
            changes["lines"] = specs.voucher_lines(voucher.netvisor_key, fields["lines"])
        if "voucher_type_key" in changes:
            type_key = int(changes["voucher_type_key"])
            if self.voucher_types.get(type_key) is None:
                raise ValueError(f"unknown voucher type key {type_key}")
            changes["voucher_class"] = chart.voucher_class(type_key)
        return dataclasses.replace(voucher, **changes, modified=now)

    def _apply_simple(self, record: Any, fields: dict[str, Any], now: datetime) -> Any:
        return dataclasses.replace(record, **specs.validated(record, fields, derived=DERIVED), modified=now)

    def edit(self, kind: str, key: int, **fields: Any) -> None:
        """Set ``fields`` on an existing record and bump its ``modified`` to the clock's now.

        Editing an invoice's ``lines``, ``date``, customer/vendor or currency recomputes its totals and re-posts its
        voucher in place; a payment's ``sum``/``home_currency_sum`` or ``date`` re-posts its voucher and adjusts its
        invoice. ``ValueError`` for unknown or derived fields, ``KeyError`` for an unknown key.
        """
        with self._lock:
            current = self._get(kind, key)
            now = self._clock.now()
            new: Any
            if kind == "salesinvoice":
                assert isinstance(current, SalesDocument)
                paid = current.amount - current.open_sum
                new = self._apply_sales(current, fields, now, paid=paid)
                if _REPOST_FIELDS & set(fields):
                    self._post_sales(new, now)
            elif kind == "salesorder":
                new = self._apply_sales(current, fields, now, paid=posting.ZERO)
            elif kind == "purchaseinvoice":
                new = self._apply_purchase(current, fields, now)
                if _REPOST_FIELDS & set(fields):
                    self._post(new, now, chart.PURCHASE_INVOICE_TYPE, posting.purchase_invoice_voucher)
            elif kind == "purchaseorder":
                new = self._apply_order(current, fields, now)
            elif kind == "voucher":
                new = self._apply_voucher(current, fields, now)
            elif kind in ("salespayment", "purchasepayment"):
                new = self._edit_payment(kind, current, fields, now)
            else:
                new = self._apply_simple(current, fields, now)
                if kind == "product":
                    new = self._priced(new, fields)
            self._collection(kind).replace(key, new)

    def _edit_payment(self, kind: str, current: Any, fields: dict[str, Any], now: datetime) -> Any:
        new = self._apply_simple(current, fields, now)
        if kind == "salespayment":
            new.sum = posting.money(new.sum)
            delta = new.sum - current.sum
            if new.invoice_key is not None and delta:
                invoice = self.sales_invoices.get(new.invoice_key)
                if invoice is not None:
                    self._set_open_sum(invoice.netvisor_key, invoice.open_sum - delta, now)
                    if invoice.currency != "EUR":
                        new.foreign_currency_amount = posting.money(new.sum * invoice.currency_rate)
        else:
            new.home_currency_sum = posting.money(new.home_currency_sum)
            delta = new.home_currency_sum - current.home_currency_sum
            inv = self.purchase_invoices.get(new.invoice_key) if new.invoice_key is not None else None
            if inv is not None and delta:
                self._set_paid(inv.netvisor_key, inv.paid_amount + delta, now)
        if {"sum", "home_currency_sum", "date", "name", "payer_name"} & set(fields):
            self._post_payment(kind, new, now)
        return new

    def invalidate_voucher(self, key: int) -> None:
        """Mark a voucher invalidated (it no longer counts in balances) and bump its ``modified``."""
        with self._lock:
            voucher = self._get("voucher", key)
            self.vouchers.replace(key, dataclasses.replace(voucher, status="invalidated", modified=self._clock.now()))

    def delete(self, kind: str, key: int) -> None:
        """Delete a record (and what hangs on it); see the module docstring."""
        with self._lock:
            record = self._get(kind, key)
            now = self._clock.now()
            if kind == "product":
                self.products.replace(key, dataclasses.replace(record, status="deleted", is_active=False, modified=now))
                return
            if kind == "salesinvoice":
                self._delete_sales_invoice(record, now)
            elif kind == "purchaseinvoice":
                for payment_key in self._payments_of("purchasepayment", key):
                    self._delete_payment("purchasepayment", payment_key, now, reopen=False)
                self._delete_vouchers_of("purchaseinvoice", record, now)
            elif kind in ("salespayment", "purchasepayment"):
                self._delete_payment(kind, key, now, reopen=True)
                return
            elif kind == "voucher":
                self._unlink_voucher(record, now)
            self._remove(kind, key, now)

    def _delete_sales_invoice(self, invoice: SalesDocument, now: datetime) -> None:
        key = invoice.netvisor_key
        credits = self._children["credit", key] | {key + 1}
        for note_key in credits:
            note = self.sales_invoices.get(note_key)
            if note is not None and note.credited_invoice_key == key:
                raise ValueError(f"sales invoice {key} has credit note {note_key}; delete the credit note first")
        for payment_key in self._payments_of("salespayment", key):
            self._delete_payment("salespayment", payment_key, now, reopen=False)
        if invoice.credited_invoice_key is not None:
            original = self.sales_invoices.get(invoice.credited_invoice_key)
            applied = invoice.open_sum - invoice.amount
            if original is not None and applied:
                self._set_open_sum(original.netvisor_key, original.open_sum + applied, now, touch=True)
        self._delete_vouchers_of("salesinvoice", invoice, now)

    def _delete_vouchers_of(self, kind: str, doc: Any, now: datetime) -> None:
        """The document's voucher and, for a generated re-post, the invalidated original."""
        keys = {doc.voucher_key}
        g = doc.netvisor_key - (
            documents.SALES_INVOICE_KEYS if kind == "salesinvoice" else documents.PURCHASE_INVOICE_KEYS
        )
        if 0 <= g < self._docs.slots(kind):
            keys.add(self._docs.original_voucher_key(kind, g))
        for voucher_key in sorted(k for k in keys if k is not None):
            voucher = self.vouchers.get(voucher_key)
            if voucher is not None and voucher.linked_source_key == doc.netvisor_key:
                self._remove("voucher", voucher_key, now)

    def _delete_payment(self, kind: str, key: int, now: datetime, *, reopen: bool) -> None:
        payment = self._get(kind, key)
        if reopen and payment.invoice_key is not None:
            if kind == "salespayment":
                invoice = self.sales_invoices.get(payment.invoice_key)
                if invoice is not None:
                    self._set_open_sum(invoice.netvisor_key, invoice.open_sum + payment.sum, now)
            else:
                inv = self.purchase_invoices.get(payment.invoice_key)
                if inv is not None:
                    self._set_paid(inv.netvisor_key, inv.paid_amount - payment.home_currency_sum, now)
        voucher = self.vouchers.get(payment.voucher_key) if payment.voucher_key is not None else None
        if voucher is not None and voucher.linked_source_key == key:
            self._remove("voucher", voucher.netvisor_key, now)
        self._remove(kind, key, now)

    def _unlink_voucher(self, voucher: Voucher, now: datetime) -> None:
        """A deleted voucher no longer belongs to its document."""
        kind = voucher.linked_source_type
        if kind not in ("salesinvoice", "purchaseinvoice", "salespayment", "purchasepayment"):
            return
        source = self._collection(kind).get(voucher.linked_source_key or 0)
        if source is not None and source.voucher_key == voucher.netvisor_key:
            self._collection(kind).replace(
                source.netvisor_key, dataclasses.replace(source, voucher_key=None, modified=now)
            )
