"""The invoice image getsalesinvoice/getorder return with ``pdfimage=pdf``: a small one-page PDF of the document.

Netvisor renders the invoice as its customer saw it and returns the file base64-encoded in
``LastSentInvoicePDFBase64Data``. The emulator draws a plain A4 page (Helvetica, WinAnsi text) with the header,
the customer, the product and comment lines and the totals, so a client can test decoding and storing the image.
The file is a pure function of the document (no creation date), so answers stay deterministic.
"""

from __future__ import annotations

import base64
from datetime import date

from netvisor_sync.emulator import model as m

_TOP, _LEFT, _LEADING = 800, 56, 15


def invoice_pdf(d: m.SalesDocument) -> bytes:
    """A valid one-page PDF of ``d``."""
    title = "Tilausvahvistus" if d.kind == "order" else "Hyvityslasku" if d.amount < 0 else "Lasku"
    rows = [
        f"{title} {d.number}",
        f"Päivämäärä {_day(d.date)}   Eräpäivä {_day(d.due_date)}   Viite {d.reference}",
        "",
        d.customer_name,
        d.customer_address,
        f"{d.customer_post_number} {d.customer_town} {d.customer_country}",
        "",
        *(f"{ln.product_name}  {ln.quantity} {ln.unit} x {ln.unit_price:.2f} = {ln.sum:.2f}" for ln in d.lines),
        *d.comment_lines,
        "",
        f"Veroton {d.net_amount:.2f}   ALV {d.vat_amount:.2f}   Yhteensä {d.amount:.2f} EUR",
    ]
    text = "".join(f"({_escape(row)}) Tj T* " for row in rows)
    content = f"BT /F1 10 Tf {_LEADING} TL {_LEFT} {_TOP} Td {text}ET".encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def invoice_pdf_base64(d: m.SalesDocument) -> str:
    """:func:`invoice_pdf` as ``LastSentInvoicePDFBase64Data`` carries it."""
    return base64.b64encode(invoice_pdf(d)).decode("ascii")


def _day(value: date) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
