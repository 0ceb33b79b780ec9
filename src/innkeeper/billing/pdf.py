"""The invoice as a real PDF, drawn with fpdf2 (pure Python, no system libraries).

Core fonts only know Latin-1, so text is folded to it (unknown characters become "?"); amounts are
written as "150.00 EUR", never with a currency symbol the font might lack.
"""

from __future__ import annotations

from typing import Any


def _t(value: Any) -> str:
    return str(value if value is not None else "").encode("latin-1", "replace").decode("latin-1")


def _m(money: dict[str, str]) -> str:
    return f"{money['amount']} {money['currency']}"


def render(doc: dict[str, Any]) -> bytes:
    """``doc``: an invoice snapshot (or a draft folio document) as :mod:`invoices` builds it."""
    from fpdf import FPDF  # imported here: fpdf2 (with Pillow, fontTools) costs ~0.3 s at every start

    pdf = FPDF(format="A4")
    pdf.set_title(_t(doc.get("number") or f"Folio {doc.get('reference')}"))
    pdf.set_creator("Innkeeper")
    pdf.add_page()
    seller = doc.get("seller", {})
    pdf.set_font("Helvetica", "B", 16)
    title = {"credit_note": "Credit note", "invoice": "Invoice"}.get(doc.get("kind", ""), "Folio (draft)")
    pdf.cell(0, 10, _t(f"{title} {doc.get('number') or ''}".strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (
        seller.get("name"),
        seller.get("address"),
        f"{seller.get('city', '')}, {seller.get('country', '')}",
        f"Booking {doc.get('reference')}",
        f"Guest: {doc.get('buyer', {}).get('name')} <{doc.get('buyer', {}).get('email')}>",
        f"Stay: {doc['stay']['checkin']} to {doc['stay']['checkout']}, "
        f"{doc['stay']['rooms']} room(s), {doc['stay']['guests']} guest(s)"
        if doc.get("stay")
        else "",
        f"Credits invoice {doc['credits']}" if doc.get("credits") else "",
    ):
        if line:
            pdf.cell(0, 6, _t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (30, 110, 40)

    def row(cells: tuple[str, str, str], bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(w, 7, _t(text), border="B" if bold else 0, align="R" if i == 2 else "L")
        pdf.ln(7)

    row(("Date", "Description", "Amount"), bold=True)
    for line in doc.get("lines", []):
        row((line.get("date") or "", line["description"], _m(line["amount"])))
    row(("", "Total", _m(doc["total"])), bold=True)
    if doc.get("taxes"):
        pdf.ln(2)
        row(("", "Taxes", ""), bold=True)
        for tax in doc["taxes"]:
            row(("", tax.get("description") or tax["kind"].replace("_", " "), _m(tax["amount"])))
    if doc.get("payments"):
        pdf.ln(2)
        row(("", "Payments and refunds", ""), bold=True)
        for p in doc["payments"]:
            sign = "-" if p["kind"] == "payment" else "+"
            row((p["posted_at"][:10], p["description"], f"{sign}{_m(p['amount'])}"))
    pdf.ln(2)
    row(("", "Balance due", _m(doc["balance_due"])), bold=True)
    return bytes(pdf.output())
