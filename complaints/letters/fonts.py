"""The Chinese fonts letters are set in: Noto Serif CJK SC (fonts-noto-cjk) for the body (仿宋's place)
and its bold for the banner and title (小标宋's place). Noto CJK ships as OpenType/CFF collections
(.ttc); fpdf2 embeds CFF outlines and picks the SC face from the collection by its name."""

from __future__ import annotations

import functools
from pathlib import Path

FONT_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/local/share/fonts"),
)
FACES = {
    "": ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"),
    "B": ("NotoSerifCJK-Bold.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc"),
}


class FontMissing(RuntimeError):
    """No Noto CJK font on this machine (Debian/Ubuntu: apt-get install fonts-noto-cjk)."""


@functools.cache
def face(style: str) -> tuple[str, int]:
    """(font file, index of its Simplified Chinese face) for "" (regular) or "B" (bold)."""
    for name in FACES[style]:
        for folder in FONT_DIRS:
            path = folder / name
            if path.is_file():
                return str(path), _sc_index(str(path))
    raise FontMissing("no Noto CJK font found (apt-get install fonts-noto-cjk)")


def _sc_index(path: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if " SC" in (font["name"].getDebugName(4) or ""):
                return index
    finally:
        collection.close()
    return 0
