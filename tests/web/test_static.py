"""Vendored assets are the pinned files (no CDN), and every text of the templates is translated."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from innkeeper.web.translations import PT

WEB = Path(__file__).parents[2] / "src" / "innkeeper" / "web"
PINNED = {
    "htmx-2.0.11.min.js": "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
    "redoc-2.5.4.standalone.js": "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b",
    "axe-core-4.14.1.min.js": "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
}
#: ``_("text")`` or ``_('text')`` in a template or a page module
TEXT = re.compile(r"""\b_\(\s*(?:"([^"]+)"|'([^']+)')""")


def test_vendored_files_are_the_pinned_versions() -> None:
    for name, digest in PINNED.items():
        assert hashlib.sha256((WEB / "static" / "vendor" / name).read_bytes()).hexdigest() == digest
    readme = (WEB / "static" / "vendor" / "README.md").read_text()
    assert all(digest in readme for digest in PINNED.values())


def test_pages_load_nothing_from_other_sites() -> None:
    for template in (WEB / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']https?://""", text), template
        assert "<script>" not in text and not re.search(r"\son[a-z]+=", text), template  # CSP: no inline


def test_every_text_has_a_portuguese_translation() -> None:
    # the guest site and the shared layout (the staff console keeps its own texts)
    templates = [t for t in (WEB / "templates").rglob("*.html") if "staff" not in t.parts]
    sources = [*templates, *(WEB / "guest").glob("*.py"), WEB / "errors.py"]
    texts = {a or b for path in sources for a, b in TEXT.findall(path.read_text())}
    assert len(texts) > 150
    missing = sorted(t for t in texts if t not in PT and not t.endswith(": "))
    assert not missing, f"add to web/translations.py: {missing}"
    placeholders = re.compile(r"\{\w+\}")
    for english, portuguese in PT.items():
        assert set(placeholders.findall(english)) == set(placeholders.findall(portuguese)), english
