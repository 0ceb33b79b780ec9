"""The invoice PDF prints every name in its own script: fonts embedded (subsets), text read back intact."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from innkeeper.billing import pdf
from tests.bookings.support import book, hotel
from tests.catalog_support import freeze
from tests.helpers import API

#: the whole JP font is 2.4 MiB: an invoice far below that embeds subsets only
MAX_PDF_BYTES = 100 * 1024


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def invoice(
    guest: str, *, city: str = "Lisbon", currency: str = "EUR", hotel_name: str = "Hotel Test"
) -> dict:
    return {
        "kind": "invoice",
        "number": "INV-TEST-000001",
        "reference": "ABC123",
        "seller": {"name": hotel_name, "address": "1 Main Street", "city": city, "country": "XX"},
        "buyer": {"name": guest, "email": "guest@example.com"},
        "stay": {"checkin": "2026-05-01", "checkout": "2026-05-03", "rooms": 1, "guests": 2},
        "lines": [
            {"date": "2026-05-01", "description": "Accommodation", "amount": money("100.00", currency)},
            {"date": "2026-05-02", "description": "Accommodation", "amount": money("100.00", currency)},
        ],
        "taxes": [{"kind": "city_tax", "amount": money("5.00", currency)}],
        "payments": [
            {
                "kind": "payment",
                "posted_at": "2026-05-01T10:00:00",
                "description": "Card payment",
                "amount": money("205.00", currency),
            }
        ],
        "total": money("205.00", currency),
        "balance_due": money("0.00", currency),
    }


def read_back(content: bytes) -> tuple[str, set[str]]:
    """The page's text as a PDF reader extracts it, and the names of the fonts it uses."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    resources: Any = page["/Resources"]
    # "/MPDFAA+NotoSans": a subset's name is its font's, after a random tag
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in resources["/Font"].values()}
    return page.extract_text(), fonts


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def guest_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Guest: "))


@pytest.mark.parametrize(
    ("guest", "city", "currency", "fonts"),
    [
        ("山田 太郎", "Tokyo", "JPY", {"NotoSans", "NotoSansBold", "NotoSansJP"}),
        ("Zoë Ñúñez-Łukasz", "Lisbon", "EUR", {"NotoSans", "NotoSansBold"}),
        (
            "Ώρα Σοφία Дмитрий 髙橋 山﨑",
            "Paris",
            "EUR",
            {"NotoSans", "NotoSansBold", "NotoSansJP"},
        ),
    ],
)
def test_names_print_in_their_own_script(guest: str, city: str, currency: str, fonts: set[str]) -> None:
    content = pdf.render(invoice(guest, city=city, currency=currency))
    text, used = read_back(content)
    assert guest_line(text) == f"Guest: {guest} <guest@example.com>"
    assert "?" not in text
    # the Japanese font is only loaded (and embedded) for a document that needs it
    assert used == fonts
    assert len(content) < MAX_PDF_BYTES


def test_decomposed_accents_are_composed_and_unknown_characters_print_as_question_marks() -> None:
    # "e" + combining diaeresis is one printable "ë"; Hangul and emoji are in neither font
    text, fonts = read_back(pdf.render(invoice("Zoe\u0308 김민준 😀\tTab")))
    assert guest_line(text) == "Guest: Zoë ??? ? Tab <guest@example.com>"
    assert fonts == {"NotoSans", "NotoSansBold"}  # the Japanese font would not help: not loaded


def test_japanese_lines_across_a_page_break_keep_every_font() -> None:
    doc = invoice("山田 太郎", city="Tokyo", currency="JPY", hotel_name="ホテル東京")
    doc["lines"] = [
        {"date": None, "description": f"宿泊 {n}", "amount": money("15000", "JPY")} for n in range(1, 61)
    ]
    pages = pages_text(pdf.render(doc))
    assert len(pages) == 2
    rows = [line for page in pages for line in page.splitlines() if line.startswith("宿泊")]
    assert rows == [f"宿泊 {n} 15000 JPY" for n in range(1, 61)]
    assert pages[1].splitlines()[-1] == "Balance due 0.00 JPY"


def test_a_line_in_the_fallback_font_at_the_top_of_a_new_page_keeps_the_next_in_the_main_font() -> None:
    document, _ = pdf._start(invoice("山田 太郎"))
    document.add_page()
    document.set_font(pdf.LATIN, "", 10)
    while not document.will_page_break(6):
        pdf._cell(document, 0, 6, "Latin", new_x="LMARGIN", new_y="NEXT")
    pdf._cell(document, 0, 6, "ホテル東京", new_x="LMARGIN", new_y="NEXT")  # breaks the page first
    pdf._cell(document, 0, 6, "Tokyo", new_x="LMARGIN", new_y="NEXT")
    assert pages_text(bytes(document.output()))[1].splitlines() == ["ホテル東京", "Tokyo"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}


async def test_a_japanese_guest_at_a_tokyo_hotel_gets_a_pdf_with_the_names_intact(
    client: httpx.AsyncClient,
) -> None:
    freeze()
    h = await hotel(
        client,
        name="ホテル東京 丸の内",
        city="Tokyo",
        country="JP",
        timezone="Asia/Tokyo",
        currency="JPY",
        latitude=35.6762,
        longitude=139.6503,
        price="15000",
    )
    contact = {"name": "山田 太郎", "email": "taro@example.jp"}
    b = await book(client, h, start=1, end=3, contact=contact)
    r = await client.get(f"{API}/bookings/{b['id']}/invoice.pdf", headers=h["owner"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text, _ = read_back(r.content)
    lines = text.splitlines()
    # a line set wholly in the fallback font (the hotel's name) leaves the next lines in the main font
    assert lines[1:5] == [
        "ホテル東京 丸の内",
        "Tokyo, JP",
        f"Booking {b['reference']}",
        "Guest: 山田 太郎 <taro@example.jp>",
    ]
    assert "30000 JPY" in text and "?" not in text
    assert len(r.content) < MAX_PDF_BYTES


async def test_a_render_leaves_the_event_loop_free_for_other_requests() -> None:
    """A render takes tens of milliseconds: the invoice route and the check-out e-mail run it in a
    worker thread, so the loop keeps serving meanwhile (it ticks many times during one render)."""
    doc = invoice("山田 太郎", city="Tokyo", currency="JPY", hotel_name="ホテル東京")
    doc["lines"] = [
        {"date": None, "description": f"宿泊 {n}", "amount": money("15000", "JPY")} for n in range(60)
    ]
    ticks = 0
    rendering = True

    async def other_requests() -> None:
        nonlocal ticks
        while rendering:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other_requests())
    document = await pdf.render_off_loop(doc)
    rendering = False
    await task
    assert document.startswith(b"%PDF") and ticks > 20, ticks
