"""Records -> Netvisor XML for the books: vouchers, chart of accounts, periods, voucher types, dimensions, payment
terms, balances, payments and deletions.

The counterpart of :mod:`ledger` (the handlers), built on the formatting primitives and quirks of :mod:`render`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from netvisor_sync.emulator import model as m
from netvisor_sync.emulator.render import (
    QUIRKS,
    Context,
    Quirks,
    ansi_el,
    attr,
    comma,
    dimensions,
    el,
    esc,
    finnish_date,
    finnish_time,
    flag,
    key_uri,
)

# --- ledger -------------------------------------------------------------------------------------------------------


def voucher_item(v: m.Voucher, ctx: Context, lines: Iterable[m.VoucherLine]) -> str:
    """accountingledger ``Voucher`` with the given (possibly account-filtered) lines."""
    quirks = ctx.quirks
    linked = (
        f'<LinkedSourceNetvisorKey type="{attr(v.linked_source_type)}">{v.linked_source_key}</LinkedSourceNetvisorKey>'
        if v.linked_source_type and v.linked_source_key is not None
        else ""
    )
    descriptions: dict[str, str] = {}  # a voucher's lines mostly share one description: escape it once
    parts = []
    for line in lines:
        text = line.description
        description = descriptions.get(text)
        if description is None:
            description = descriptions[text] = el("Description", text)
        parts.append(
            f"<VoucherLine><NetvisorKey>{line.netvisor_key}</NetvisorKey><LineSum>{comma(line.line_sum)}</LineSum>"
            f"{description}<AccountNumber>{line.account_number}</AccountNumber>"
            f"{_vat(line.vat_percent, line.vat_code)}{dimensions(line.dimensions) if line.dimensions else ''}"
            "</VoucherLine>"
        )
    body = "".join(parts)
    uri_element = quirks.voucher_uri_element
    return (
        f'    <Voucher {quirks.voucher_status_attribute}="{v.status}"><NetvisorKey>{v.netvisor_key}</NetvisorKey>'
        f"<VoucherDate>{finnish_date(v.date)}</VoucherDate><VoucherNumber>{v.number}</VoucherNumber>"
        f"{el('VoucherDescription', v.description)}{_voucher_class(v.voucher_class)}{linked}"
        f"<{uri_element}>{key_uri(ctx, 'accountingledger')}{v.netvisor_key}</{uri_element}>{body}</Voucher>\n"
    )


def _vat(percent: Decimal, code: str) -> str:
    """A voucher line's ``VatPercent`` and ``VatCode``: a handful of combinations, each rendered once."""
    by_percent = _VAT_PARTS.get(code)
    if by_percent is None:
        by_percent = _VAT_PARTS[code] = {}
    text = by_percent.get(percent)
    if text is None:
        if len(by_percent) >= _PARTS_LIMIT:
            by_percent.clear()
        text = by_percent[percent] = f"<VatPercent>{comma(percent, None)}</VatPercent>{el('VatCode', code or '-')}"
    return text


def _voucher_class(name: str) -> str:
    text = _CLASSES.get(name)
    if text is None:
        if len(_CLASSES) >= _PARTS_LIMIT:
            _CLASSES.clear()
        text = _CLASSES[name] = el("VoucherClass", name)
    return text


#: rendered voucher parts by the values they show (``comma(x, None)`` writes equal values alike, so a Decimal key is
#: safe there); bounded like the fragments of :mod:`render`
_VAT_PARTS: dict[str, dict[Decimal, str]] = {}
_CLASSES: dict[str, str] = {}
_PARTS_LIMIT = 1024


def account_item(a: m.Account) -> str:
    father = "" if a.father_key is None else a.father_key
    return (
        f"<Account><NetvisorKey>{a.netvisor_key}</NetvisorKey><Number>{a.number}</Number>{el('Name', a.name)}"
        f'<ForeignName ISO-3166="en">{esc(a.name_en)}</ForeignName><AccountType>{a.account_type}</AccountType>'
        f"{el('FatherNetvisorKey', father)}<IsActive>{flag(a.is_active)}</IsActive>"
        f"<IsCumulative>{flag(a.is_cumulative)}</IsCumulative><Sort>{a.sort}</Sort><EndSort>{a.end_sort}</EndSort>"
        f"<IsNaturalNegative>{flag(a.is_natural_negative)}</IsNaturalNegative></Account>"
    )


def voucher_type_item(t: m.VoucherType) -> str:
    return (
        f"<VoucherType><NetvisorKey>{t.netvisor_key}</NetvisorKey>{el('Abbreviation', t.abbreviation)}"
        f'{el("Name", t.name)}<ForeignName ISO-639-1="en">{esc(t.name_en)}</ForeignName></VoucherType>'
    )


def dimension_item(d: m.Dimension, quirks: Quirks, *, show_hidden: bool) -> str:
    father = quirks.dimension_father_element
    details = "".join(
        f"<DimensionDetail><Netvisorkey>{i.netvisor_key}</Netvisorkey>"
        f"{el('Name', f'{i.code} {i.name}' if i.code else i.name)}{el('Code', i.code)}{el('Label', i.name)}"
        f"<IsHidden>{'true' if i.is_hidden else 'false'}</IsHidden><Level>{i.level}</Level><Sort>{i.sort}</Sort>"
        f"<EndSort>{i.end_sort}</EndSort>{el(father, i.father_key)}</DimensionDetail>"
        for i in d.items
        if show_hidden or not i.is_hidden
    )
    return (
        f"    <DimensionName><Netvisorkey>{d.netvisor_key}</Netvisorkey>{el('Name', d.name)}"
        f"<IsHidden>{'true' if d.is_hidden else 'false'}</IsHidden><LinkType>0</LinkType>"
        f"{f'<DimensionDetails>{details}</DimensionDetails>' if details else '<DimensionDetails />'}"
        "</DimensionName>\n"
    )


def follow_up_item(d: m.Dimension) -> str:
    """getaccountdimensionlist ``AccountFollowUpObject``: the model derives one per dimension, with no accounts."""
    return (
        f"    <AccountFollowUpObject><Netvisorkey>{d.netvisor_key}</Netvisorkey>{el('Name', d.name)}"
        f'<ForeignName type="ISO-3166" foreignnamelanguage="en">{esc(d.name)}</ForeignName>'
        "<FollowUpAccounts /></AccountFollowUpObject>\n"
    )


def payment_term_item(t: m.PaymentTerm) -> str:
    return (
        f"    <PaymentTerm><NetvisorKey>{t.netvisor_key}</NetvisorKey>{el('Description', t.description)}"
        f"<NetDays>{t.net_days}</NetDays><DiscountDays>{t.discount_days}</DiscountDays>"
        f"<DiscountPercent>{comma(t.discount_percent, None)}</DiscountPercent>"
        f"<IsDefault>{flag(t.is_default)}</IsDefault></PaymentTerm>\n"
    )


def balance_item(a: m.Account, balances: Iterable[tuple[date, Decimal, Decimal]]) -> str:
    """accountbalance ``Account``: per date the debit total, the credit total and their difference."""
    rows = "".join(
        f'<AccountBalance Date="{day.isoformat()}"><Debet>{comma(debit)}</Debet><Kredit>{comma(credit)}</Kredit>'
        f"<Balance>{comma(debit - credit)}</Balance></AccountBalance>"
        for day, debit, credit in balances
    )
    return (
        f'    <Account Netvisorkey="{a.netvisor_key}"><Number>{a.number}</Number>{el("Name", a.name)}'
        f"{el('ForeignName', a.name_en)}{rows}</Account>\n"
    )


# --- payments and deletions ---------------------------------------------------------------------------------------


def sales_payment_item(p: m.SalesPayment, *, bank: int) -> str:
    """salespaymentlist ``SalesPayment``; ``bank`` is replyoption (1 archive id, 2 transaction record, 3 both)."""
    error = (
        '<BankStatusErrorDescription code="ERROR">Virhe pankkisiirrossa</BankStatusErrorDescription>'
        if p.bank_status != "OK"
        else ""
    )
    bank_parts = ("<ArchiveIdentifier />" if bank & 1 else "") + ("<TransactionRecord />" if bank & 2 else "")
    return (
        f"    <SalesPayment><NetvisorKey>{p.netvisor_key}</NetvisorKey>{el('Name', p.name)}"
        f"<Date>{finnish_date(p.date)}</Date><Sum>{comma(p.sum)}</Sum>{el('ReferenceNumber', p.reference)}"
        f"{el('ForeignCurrencyAmount', comma(p.foreign_currency_amount))}{el('InvoiceNumber', p.invoice_number)}"
        f"{el('PaymentAccountName', p.payment_account_name)}{el('VoucherID', p.voucher_key)}"
        f"<LastModifiedTimestamp>{finnish_time(p.modified)}</LastModifiedTimestamp>"
        f"{el('PaymentAccountNumber', p.payment_account_number)}<PaymentSource>{p.payment_source}</PaymentSource>"
        f"{el('BankStatus', p.bank_status)}{error}{f'<Bank>{bank_parts}</Bank>' if bank_parts else ''}"
        "</SalesPayment>\n"
    )


def purchase_payment_item(p: m.PurchasePayment, ctx: Context) -> str:
    invoice_uri = ctx.uri("getpurchaseinvoice", f"netvisorkey={p.invoice_key}") if p.invoice_key is not None else ""
    return (
        f"    <Payment><NetvisorKey>{p.netvisor_key}</NetvisorKey>{el('PayerName', p.payer_name)}"
        f"{ansi_el('Date', p.date)}<HomeCurrencySum>{comma(p.home_currency_sum)}</HomeCurrencySum>"
        f"{el('ForeignCurrencySum', comma(p.foreign_currency_sum))}{el('Reference', p.reference)}"
        f"{el('InvoiceKey', p.invoice_key)}{el('InvoiceNumber', p.invoice_number)}{el('InvoiceURI', invoice_uri)}"
        f"{el('VoucherKey', p.voucher_key)}{el('VoucherNumber', p.voucher_number)}</Payment>\n"
    )


def tombstone_item(t: m.Tombstone, element: str) -> str:
    return (
        f"    <{element}><NetvisorKey>{t.netvisor_key}</NetvisorKey>"
        f'<DeleteDate format="ansi">{t.deleted_at:%Y-%m-%d %H:%M}</DeleteDate></{element}>\n'
    )


# --- small whole documents ----------------------------------------------------------------------------------------

#: CompanyDefaultAccounts: the model keeps no company settings, so these are a typical Finnish chart's defaults
DEFAULT_ACCOUNTS: Mapping[str, int] = {
    "TradePayables": 2871,
    "PurchaseVATReceivable": 1763,
    "RoundingOffDifference": 8990,
    "VATpayable": 2939,
    "TaxAccount": 1791,
    "AdvancePayments": 2870,
    "SalesReceivables": 1701,
    "SalesVATDebt": 2931,
    "Inventory": 1500,
    "SalesDiscount": 3700,
    "SalesExchangeRateDifferences": 3710,
    "Collection": 3720,
    "PurchasesDiscounts": 4600,
    "PurchasesExchangeRateDifferences": 4610,
    "PurchaseInvoiceAccrual": 2880,
    "SalesInvoiceAccrual": 1780,
    "PurchaseDomesticDefault": 4000,
    "PurchaseEUDefault": 4040,
    "PurchaseOutsideEUDefault": 4050,
    "SalesDomesticDefault": 3000,
    "SalesEUDefault": 3360,
    "SalesOutsideEUDefault": 3380,
}


def account_list(accounts: Iterable[m.Account]) -> tuple[str, int]:
    """accountlist ``AccountList`` and the number of accounts in it."""
    defaults = "".join(f"<{name}>{number}</{name}>" for name, number in DEFAULT_ACCOUNTS.items())
    items = [account_item(a) for a in accounts]
    body = f"<Accounts>{''.join(items)}</Accounts>" if items else "<Accounts />"
    return f"  <AccountList><CompanyDefaultAccounts>{defaults}</CompanyDefaultAccounts>{body}</AccountList>\n", len(
        items
    )


def period_list(info: m.CompanyInfo, periods: Iterable[m.AccountingPeriod], quirks: Quirks = QUIRKS) -> tuple[str, int]:
    """accountingperiodlist: lock dates with the periods nested inside ``PeriodLockInformation`` (as the doc levels
    number them), or beside it (as the [Heltti] fixture has them) with ``Quirks.periods_inside_lock_information``
    off."""
    items = [
        f"<Period><NetvisorKey>{p.netvisor_key}</NetvisorKey>{el('Name', p.name)}{ansi_el('BeginDate', p.begin)}"
        f"{ansi_el('EndDate', p.end)}</Period>"
        for p in periods
    ]
    locks = (
        f"{ansi_el('AccountingPeriodLockDate', info.accounting_lock_date)}"
        f"{ansi_el('VatPeriodLockDate', info.vat_lock_date)}{ansi_el('PurchaseLockDate', info.purchase_lock_date)}"
    )
    if quirks.periods_inside_lock_information:
        payload = f"<PeriodLockInformation>{locks}{''.join(items)}</PeriodLockInformation>"
    else:
        payload = f"<PeriodLockInformation>{locks}</PeriodLockInformation>{''.join(items)}"
    return f"  <AccountingPeriodList>{payload}</AccountingPeriodList>\n", len(items)


#: DefaultVoucherTypes element -> voucher type abbreviations that play that role (English and Finnish)
DEFAULT_VOUCHER_TYPES: Mapping[str, tuple[str, ...]] = {
    "SalesInvoices": ("SA", "MY"),
    "SalesInvoicePayments": ("SP", "MS", "MT"),
    "PurchaseInvoices": ("PI", "OS", "OL"),
    "PurchaseInvoicePayments": ("PP", "OM", "OT"),
    "OtherSystemGeneratedVouchers": ("OT", "MU", "JM"),
    "BankStatementViewVouchers": ("BS", "TO", "TI"),
    "Accruals": ("AC", "JA"),
}


def voucher_type_list(types: Iterable[m.VoucherType]) -> tuple[str, int]:
    """vouchertypelist ``VoucherTypeList``; each default role points at the first type with a matching abbreviation."""
    all_types = list(types)
    by_abbreviation = {t.abbreviation.upper(): t.netvisor_key for t in reversed(all_types)}
    defaults = []
    for role, abbreviations in DEFAULT_VOUCHER_TYPES.items():
        key = next((by_abbreviation[a] for a in abbreviations if a in by_abbreviation), None)
        defaults.append(f"<{role}><NetvisorKey>{key}</NetvisorKey></{role}>" if key is not None else f"<{role} />")
    items = "".join(voucher_type_item(t) for t in all_types)
    body = f"<VoucherTypes>{items}</VoucherTypes>" if items else "<VoucherTypes />"
    return (
        f"  <VoucherTypeList><DefaultVoucherTypes>{''.join(defaults)}</DefaultVoucherTypes>{body}</VoucherTypeList>\n",
        len(all_types),
    )
