"""The invoice as a real PDF, drawn with fpdf2 (pure Python, no system libraries).

All text is set in fonts embedded in the PDF (subsets, so an invoice stays a few tens of KiB): Noto
Sans for Latin, Greek and Cyrillic, and Noto Sans JP as a fallback for Japanese, loaded only when the
document needs it (it costs more to load than the rest of the rendering). The fonts live in
``billing/fonts`` (see its README: what they cover and how they were made). A character neither font
has prints as "?"; amounts are written as "150.00 EUR", never with a currency symbol.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
LATIN = "NotoSans"
JAPANESE = "NotoSansJP"
LATIN_FILES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"}
JAPANESE_FILE = "NotoSansJP-Regular.ttf"


@cache
def _coverage(*filenames: str) -> frozenset[int]:
    """The code points these font files draw between them (read once per process)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency; heavy to import, so only here

    covered: set[int] = set()
    for filename in filenames:
        with TTFont(FONTS / filename, lazy=True) as font:
            covered.update(font.getBestCmap())
    return frozenset(covered)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield unicodedata.normalize("NFC", value)


def _printable(char: str, covered: frozenset[int]) -> str:
    if ord(char) in covered:
        return char
    if char.isspace():
        return " "  # tabs and line breaks: every value prints on one line
    folded = unicodedata.normalize("NFKC", char)  # e.g. a ligature or a circled digit
    return folded if folded and all(ord(c) in covered for c in folded) else "?"


def _start(doc: dict[str, Any]) -> tuple[FPDF, Callable[[Any], str]]:
    """A blank A4 document with the fonts ``doc`` needs, and the function that makes a value printable
    with them (NFC-normalised; anything the fonts cannot draw becomes "?")."""
    from fpdf import FPDF  # imported here: fpdf2 (with Pillow, fontTools) costs ~0.3 s at every start

    pdf = FPDF(format="A4")
    for style, filename in LATIN_FILES.items():
        pdf.add_font(LATIN, style, FONTS / filename)
    covered = _coverage(LATIN_FILES[""])
    beyond_latin = {ord(c) for text in _strings(doc) for c in text} - covered
    if beyond_latin & _coverage(JAPANESE_FILE):
        pdf.add_font(JAPANESE, "", FONTS / JAPANESE_FILE)
        # no bold Japanese face is shipped: bold text falls back to the regular one
        pdf.set_fallback_fonts([JAPANESE], exact_match=False)
        covered = _coverage(LATIN_FILES[""], JAPANESE_FILE)

    def text(value: Any) -> str:
        raw = unicodedata.normalize("NFC", str(value if value is not None else ""))
        return "".join(_printable(c, covered) for c in raw)

    return pdf, text


def _cell(pdf: FPDF, w: float, h: float, text: str, **kwargs: Any) -> None:
    """``pdf.cell`` with the current font set on the page before any text: fpdf2 2.8.9 loses it when a
    line both starts and ends with fallback-font glyphs (a Japanese hotel name right after
    ``set_font``), and draws the following lines with the wrong font (fpdf2 issue #1772's fix covers
    only lines that end in the main font)."""
    if pdf.will_page_break(h):  # break here, not inside ``cell``, where the font would be unset again
        x = pdf.x
        pdf.add_page(same=True)
        pdf.x = x
    if not pdf.current_font_is_set_on_page:
        pdf.text(pdf.x, pdf.y, "")  # an empty text object: sets the font on the page, draws nothing
    pdf.cell(w, h, text, **kwargs)


def _m(money: dict[str, str]) -> str:
    return f"{money['amount']} {money['currency']}"


async def render_off_loop(doc: dict[str, Any]) -> bytes:
    """:func:`render` in a worker thread: a render takes tens of milliseconds (fonts are read and
    subset each time), which must not stall the event loop's other requests."""
    return await anyio.to_thread.run_sync(render, doc)


def render(doc: dict[str, Any]) -> bytes:
    """``doc``: an invoice snapshot (or a draft folio document) as :mod:`invoices` builds it."""
    pdf, _t = _start(doc)
    pdf.set_title(_t(doc.get("number") or f"Folio {doc.get('reference')}"))
    pdf.set_creator("Innkeeper")
    pdf.add_page()
    seller = doc.get("seller", {})
    pdf.set_font(LATIN, "B", 16)
    title = {"credit_note": "Credit note", "invoice": "Invoice"}.get(doc.get("kind", ""), "Folio (draft)")
    _cell(pdf, 0, 10, _t(f"{title} {doc.get('number') or ''}".strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(LATIN, "", 10)
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
            _cell(pdf, 0, 6, _t(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (30, 110, 40)

    def row(cells: tuple[str, str, str], bold: bool = False) -> None:
        pdf.set_font(LATIN, "B" if bold else "", 10)
        for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
            _cell(pdf, w, 7, _t(text), border="B" if bold else 0, align="R" if i == 2 else "L")
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
