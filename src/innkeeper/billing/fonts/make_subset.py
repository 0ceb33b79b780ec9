"""Rebuilds the committed invoice fonts from the upstream Noto TrueType files (see README.md).

    python src/innkeeper/billing/fonts/make_subset.py NOTO_SANS_DIR NOTO_SANS_JP_DIR

A maintenance script: nothing imports it (the app reads only the .ttf files here).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent

#: Latin (Basic, Latin-1, Extended-A/B, Extended Additional), spacing modifiers and combining marks,
#: Greek, Cyrillic, general punctuation, currency and letter-like symbols
LATIN = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x530),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20D0),
    *range(0x2100, 0x2150),
]
#: CJK punctuation, hiragana, katakana (and its phonetic extensions), half- and full-width forms
KANA = [*range(0x3000, 0x3100), *range(0x31F0, 0x3200), *range(0xFF00, 0xFFF0)]
#: kanji added to the jōyō list in 2010 that Shift_JIS lacks, and 𠮷 (a common surname's variant)
EXTRA_KANJI = [0x20B9F, 0x5861, 0x525D, 0x9830, 0x20BB7]


def shift_jis_repertoire() -> set[int]:
    """Every character of Windows Shift_JIS (cp932: JIS X 0208 levels 1 and 2 with the NEC and IBM
    extensions, which hold surname variants such as 髙 and 﨑) and of EUC-JP's JIS X 0208 (a few
    characters map to other code points there)."""
    found: set[int] = set()
    for lead in (*range(0x81, 0xA0), *range(0xE0, 0xFD)):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFD)):
            found.update(_decoded(bytes((lead, trail)), "cp932"))
    for row in range(0xA1, 0xFF):
        for cell in range(0xA1, 0xFF):
            found.update(_decoded(bytes((row, cell)), "euc_jp"))
    return {c for c in found if not 0xE000 <= c <= 0xF8FF}  # no private-use (user-defined) area


def _decoded(raw: bytes, codec: str) -> list[int]:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        return []
    return [ord(text)] if len(text) == 1 else []


def write_subset(source: Path, target: Path, codepoints: Iterable[int]) -> None:
    font = TTFont(source, recalcTimestamp=False)  # reproducible: same sources, same bytes
    cmap = font.getBestCmap()
    wanted = sorted(c for c in set(codepoints) if c in cmap)
    options = subset.Options()
    options.layout_features = []  # fpdf2 draws without text shaping: no GSUB/GPOS needed
    options.hinting = False  # PDF viewers rasterise without TrueType hints
    options.name_IDs = ["*"]  # keep the copyright, licence and font names
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.drop_tables += ["BASE", "STAT", "vhea", "vmtx", "GSUB", "GPOS", "GDEF", "gasp"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    # glyph names stored in the file (post format 2): without them fontTools rebuilds every name from
    # the cmap each time fpdf2 loads the font, which costs tens of milliseconds per invoice
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font.save(target)
    print(f"{target.name}: {len(wanted)} characters, {target.stat().st_size // 1024} KiB")


def main(noto_sans: Path, noto_sans_jp: Path) -> None:
    write_subset(noto_sans / "NotoSans_400Regular.ttf", HERE / "NotoSans-Regular.ttf", LATIN)
    write_subset(noto_sans / "NotoSans_700Bold.ttf", HERE / "NotoSans-Bold.ttf", LATIN)
    latin = set(TTFont(HERE / "NotoSans-Regular.ttf").getBestCmap())
    japanese = (set(KANA) | shift_jis_repertoire() | set(EXTRA_KANJI)) - latin  # Latin comes from Noto Sans
    write_subset(noto_sans_jp / "NotoSansJP_400Regular.ttf", HERE / "NotoSansJP-Regular.ttf", japanese)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
