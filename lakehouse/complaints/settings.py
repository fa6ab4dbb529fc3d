"""Settings of the complaint text mining (``complaints:`` in conf/*.yaml).

Every section forbids unknown keys, like the rest of the configuration. Relative paths are
taken from the current directory (see :func:`resolve_path`).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_USERDICT = str(RESOURCES / "userdict.txt")
DEFAULT_STOPWORDS = str(RESOURCES / "stopwords.txt")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class WordcloudSettings(_Section):
    enabled: bool = Field(True, description="Render word-cloud PNGs (needs a CJK font: Debian fonts-wqy-microhei).")
    root: str = Field("./reports/wordclouds", description="Folder of the PNGs: <root>/<period>/<scope>.png.")
    font_path: str | None = Field(None, description="A TrueType/OpenType font with Chinese glyphs; default: the first CJK font found (WenQuanYi Micro Hei, Noto Sans CJK, ...).")
    periods: int = Field(1, ge=1, description="Render the newest N computed periods.")
    scopes: list[Literal["city", "district", "hotspot"]] = Field(default_factory=lambda: ["city", "district", "hotspot"], description="One cloud for the whole city, one per district, one per detected hotspot.")
    max_words: int = Field(80, ge=5, description="Words per cloud.")
    width: int = Field(800, ge=100)
    height: int = Field(500, ge=100)


class ComplaintsSettings(_Section):
    catalog: str = Field("SCJG-008", description="Catalog of the complaints in silver.complaints.")
    period: Literal["month", "quarter", "year"] = Field("quarter", description="Grain of the word tables and hotspots.")
    as_of: dt.date | None = Field(None, description="Only complaints received on or before this date; default: the latest batch date.")
    include_partial_period: bool = Field(False, description="Also compute the period holding as_of, which is not over yet.")
    periods_back: int | None = Field(None, ge=1, description="Recompute only the newest N periods (plus the one before, for rising words); default: every period with complaints.")
    builtin_userdict: bool = Field(True, description="Use the packaged dictionary of supervision and consumer terms (resources/userdict.txt).")
    userdict_paths: list[str] = Field(default_factory=list, description="Further jieba user dictionaries (one term per line: word [freq] [tag]); shipped to the executors with the tasks.")
    builtin_stopwords: bool = Field(True, description="Use the packaged stopword list (resources/stopwords.txt).")
    stopword_paths: list[str] = Field(default_factory=list, description="Further stopword lists (one per line, '#' comments).")
    jieba_cache_dir: str = Field("./.cache/jieba", description="Where jieba keeps its prefix-dictionary cache (must be writable on the executors; else the temp folder is used).")
    min_word_length: int = Field(2, ge=1, description="Shorter tokens are dropped (one Chinese character is rarely a hot word).")
    max_words_per_complaint: int = Field(40, ge=2, description="Distinct words of one complaint used for co-occurrence (bounds the pairs).")
    min_word_count: int = Field(2, ge=1, description="Words seen fewer times in a period x district x industry are left out of complaint_words.")
    top_keywords: int = Field(10, ge=1, description="TF-IDF keywords kept per period x district x industry.")
    rising_min_count: int = Field(5, ge=1, description="A rising word has at least this many occurrences in the period.")
    rising_min_ratio: float = Field(2.0, gt=1, description="... and a share of the words at least this many times its share in the previous period.")
    cooccurrence_min_count: int = Field(5, ge=1, description="Word pairs in fewer complaints of a period are left out.")
    cooccurrence_min_lift: float = Field(1.0, ge=0, description="Word pairs with a smaller lift are left out.")
    hotspot_ratio: float = Field(2.5, gt=1, description="A hotspot's complaint rate is at least this many times the baseline (its industry in the rest of the city).")
    hotspot_min_complaints: int = Field(5, ge=1, description="... with at least this many complaints in the period ...")
    hotspot_min_z: float = Field(3.0, ge=0, description="... and (observed - expected) / sqrt(expected) at least this.")
    hotspot_entity_min_complaints: int = Field(1, ge=1, description="Entities of a hotspot with at least this many complaints in the period become risk signals (gold.hotspot_entities).")
    wordcloud: WordcloudSettings = Field(default_factory=WordcloudSettings)

    @property
    def userdicts(self) -> list[str]:
        return ([DEFAULT_USERDICT] if self.builtin_userdict else []) + list(self.userdict_paths)

    @property
    def stopword_lists(self) -> list[str]:
        return ([DEFAULT_STOPWORDS] if self.builtin_stopwords else []) + list(self.stopword_paths)


def resolve_path(path: str) -> str:
    """A local relative path made absolute from the current directory; URIs unchanged."""
    if "://" in path and not path.startswith("file://"):
        return path
    return str(Path(path.removeprefix("file://")).expanduser().resolve())


def settings_of(config) -> ComplaintsSettings:
    """The ``complaints`` section of a RegulakeConfig."""
    return config.complaints
