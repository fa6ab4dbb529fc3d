"""Word-cloud PNGs of complaint hot words, drawn with a CJK font.

Without a font holding Chinese glyphs every word renders as a row of boxes, so
:func:`find_font` fails with the fix (Debian: ``apt-get install fonts-wqy-microhei``)
instead of drawing them. Files: ``<root>/<period>/<scope>.png`` with scope ``city``,
``district-440604`` or ``hotspot-440604-H``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lakehouse.errors import RegulakeError

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
]
FONT_FIX = (
    "no font with Chinese glyphs found (word clouds would show boxes): install one, e.g. "
    "'apt-get install fonts-wqy-microhei' on Debian/Ubuntu, or set complaints.wordcloud.font_path, "
    "or turn word clouds off with complaints.wordcloud.enabled: false"
)


def _has_cjk(path: str) -> bool:
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(path, 20)
        return font.getmask("投诉").getbbox() is not None and font.getbbox("投") != font.getbbox("\uffff")
    except Exception:
        return False


def find_font(configured: str | None = None) -> str:
    """A font file that draws Chinese: the configured one, a known path, or fontconfig's pick for zh."""
    if configured:
        if not os.path.exists(configured):
            raise RegulakeError(f"complaints.wordcloud.font_path {configured} does not exist; " + FONT_FIX)
        return configured
    for p in FONT_CANDIDATES:
        if os.path.exists(p):
            return p
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh"], capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if out and os.path.exists(out) and _has_cjk(out):
            return out
    raise RegulakeError(FONT_FIX)


def render(
    frequencies: dict[str, float], path: str | Path, font_path: str, width: int = 800, height: int = 500, max_words: int = 80
) -> Path | None:
    """Draw one cloud; returns the PNG's path (None when there are no words)."""
    freqs = {w: float(f) for w, f in frequencies.items() if f and f > 0}
    if not freqs:
        return None
    from wordcloud import WordCloud

    wc = WordCloud(
        font_path=font_path,
        width=width,
        height=height,
        max_words=max_words,
        background_color="white",
        prefer_horizontal=0.95,
        random_state=7,
        collocations=False,
        colormap="tab10",
    )
    wc.generate_from_frequencies(freqs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".png.tmp")
    wc.to_image().save(tmp, format="PNG")
    os.replace(tmp, path)
    return path


def render_period(
    period: str,
    words: list[tuple[str, str | None, str | None, str, float]],
    hotspots: list[tuple[str, str]],
    root: str | Path,
    font_path: str,
    scopes: list[str],
    width: int,
    height: int,
    max_words: int,
) -> list[Path]:
    """All clouds of one period from gold.complaint_hot_words rows (scope, district_code, industry_section, word, keyness):
    city from scope ``city``, districts from ``district``, hotspots from their ``district_industry`` rows; words sized by keyness."""
    out: list[Path] = []
    folder = Path(root) / period
    by_scope: dict[tuple, dict[str, float]] = {}
    for scope, d, s, w, k in words:
        if k is not None:
            by_scope.setdefault((scope, d, s), {})[w] = float(k)
    jobs: list[tuple[str, dict[str, float]]] = []
    if "city" in scopes:
        jobs.append(("city", by_scope.get(("city", None, None), {})))
    if "district" in scopes:
        jobs += [
            (f"district-{d}", f) for (scope, d, _), f in sorted(by_scope.items(), key=lambda kv: str(kv[0])) if scope == "district" and d
        ]
    if "hotspot" in scopes:
        jobs += [(f"hotspot-{d}-{s}", by_scope.get(("district_industry", d, s), {})) for d, s in hotspots]
    for name, freqs in jobs:
        p = render(freqs, folder / f"{name}.png", font_path, width, height, max_words)
        if p is not None:
            out.append(p)
    return out
