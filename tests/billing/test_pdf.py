"""The invoice PDF prints every name in its own script: fonts embedded (subsets), text read back intact."""

from __future__ import annotations

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
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for f in page["/Resources"]["/Font"].values()}
    return page.extract_text(), fonts


def guest_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Guest: "))


@pytest.mark.parametrize(
    ("guest", "city", "currency", "fonts"),
    [
        ("山田 太郎", "Tokyo", "JPY", {"NotoSansRegular", "NotoSansBold", "NotoSansJPRegular"}),
        ("Zoë Ñúñez-Łukasz", "Lisbon", "EUR", {"NotoSansRegular", "NotoSansBold"}),
        (
            "Ώρα Σοφία Дмитрий 髙橋 山﨑",
            "Paris",
            "EUR",
            {"NotoSansRegular", "NotoSansBold", "NotoSansJPRegular"},
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
    text, _ = read_back(pdf.render(invoice("Zoe\u0308 김민준 😀\tTab")))
    assert guest_line(text) == "Guest: Zoë ??? ? Tab <guest@example.com>"


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
    open("/tmp/h11/e2e.pdf", "wb").write(r.content)  # DEBUG
    text, _ = read_back(r.content)
    lines = text.splitlines()
    assert "Guest: 山田 太郎 <taro@example.jp>" in lines
    assert "30000 JPY" in text and "?" not in text
    assert len(r.content) < MAX_PDF_BYTES
