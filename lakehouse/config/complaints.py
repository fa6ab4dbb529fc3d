"""Settings of the complaint text mining (``complaints:`` in conf/*.yaml).

Every section forbids unknown keys, like the rest of the configuration. Relative paths are
taken from the current directory (see :func:`resolve_path`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field

from lakehouse.config.base import Section

RESOURCES = Path(__file__).resolve().parents[1] / "gold" / "complaints" / "resources"
DEFAULT_USERDICT = str(RESOURCES / "userdict.txt")
DEFAULT_STOPWORDS = str(RESOURCES / "stopwords.txt")


class WordcloudSettings(Section):
    enabled: bool = Field(True, description="Render word-cloud PNGs (needs a CJK font: Debian fonts-wqy-microhei).")
    root: str = Field("./reports/wordclouds", description="Folder of the PNGs: <root>/<period>/<scope>.png.")
    font_path: str | None = Field(
        None,
        description="A TrueType/OpenType font with Chinese glyphs; default: the first CJK font found (WenQuanYi Micro Hei, Noto Sans CJK, ...).",
    )
    periods: int = Field(1, ge=1, description="Render the newest N computed periods.")
    scopes: list[Literal["city", "district", "hotspot"]] = Field(
        default_factory=lambda: ["city", "district", "hotspot"],
        description="One cloud for the whole city, one per district, one per detected hotspot.",
    )
    max_words: int = Field(80, ge=5, description="Words per cloud.")
    width: int = Field(800, ge=100)
    height: int = Field(500, ge=100)


# jieba's tags (ICTCLAS set, as in jieba/dict.txt and jieba.posseg)
CONTENT_TAGS = [
    "n",
    "nr",
    "nrt",
    "nrfg",
    "ns",
    "nt",
    "nz",
    "nl",  # nouns; person, place, organisation and other proper names
    "v",
    "vn",
    "vi",  # verbs, verbal nouns (服务, 驱动), intransitive verbs
    "a",
    "an",  # adjectives, adjectival nouns (麻烦)
    "i",
    "l",
    "j",  # idioms, set phrases, abbreviations
    "eng",  # Latin-script words (XP, CPU, USB): product and brand names
]


class PosSettings(Section):
    enabled: bool = Field(True, description="Filter words by part of speech (jieba.posseg's tags).")
    keep_tags: list[str] = Field(
        default_factory=lambda: list(CONTENT_TAGS),
        min_length=1,
        description=(
            "Tags kept (jieba's ICTCLAS set). Default: content nouns and names, verbs, adjectives, idioms, abbreviations, Latin words; "
            "dropped: adverbs (d, ad), pronouns (r), conjunctions (c), prepositions (p), particles (u*, y), numerals (m), measure words (q), "
            "time (t), place (s) and direction (f) words, distinguishing words (b), interjections (e, o), unknown (x). "
            "User-dictionary terms are always kept, whatever their tag."
        ),
    )
    tagger: Literal["lookup", "posseg", "posseg_no_hmm"] = Field(
        "lookup",
        description=(
            "lookup: jieba's plain lcut tokens tagged from posseg's dictionary tag table (HMM-found words from their dictionary pieces, "
            "cached per distinct token) - about the speed of lcut; posseg: jieba.posseg's own cut with HMM (slower: 0.12-0.45x); posseg_no_hmm: without HMM."
        ),
    )
    userdict_tag: str = Field("nz", min_length=1, description="Tag of user-dictionary terms that give none.")


class KeynessSettings(Section):
    background_path: str | None = Field(
        None,
        description=(
            "Background word frequencies of general Chinese ('word count [tag]' per line); default: jieba's own dictionary "
            "(jieba/dict.txt, ~349k words, 60M tokens), without the user dictionaries."
        ),
    )
    smoothing_per_million: float = Field(
        10.0,
        gt=0,
        description=(
            "k of keyness = (per_million + k) / (background_per_million + k): small k favours rare words absent from the background, "
            "large k frequent ones."
        ),
    )
    hot_words_top: int = Field(100, ge=1, description="Hot words kept per period x scope in gold.complaint_hot_words (by keyness).")
    min_count: int = Field(2, ge=1, description="A hot word occurs at least this many times in its scope and period.")


class PhraseSettings(Section):
    enabled: bool = Field(True, description="Find two-word phrases (虚假 宣传 -> 虚假宣传) and count them as terms in the hot-word tables.")
    window: int = Field(
        1, ge=1, le=5, description="The second word follows the first within this many content words (1: next content word)."
    )
    min_count: int = Field(5, ge=2, description="A phrase occurs at least this many times in the period, city-wide.")
    min_llr: float = Field(
        10.83, ge=0, description="... with a log-likelihood ratio (Dunning) of at least this against chance (10.83: p < 0.001)."
    )
    max_per_period: int = Field(300, ge=1, description="Most phrases kept per period (strongest log-likelihood first).")


class ComplaintsSettings(Section):
    catalog: str = Field("SCJG-008", description="Catalog of the complaints in silver.complaints.")
    period: Literal["month", "quarter", "year"] = Field("quarter", description="Grain of the word tables and hotspots.")
    as_of: dt.date | None = Field(None, description="Only complaints received on or before this date; default: the latest batch date.")
    include_partial_period: bool = Field(False, description="Also compute the period holding as_of, which is not over yet.")
    periods_back: int | None = Field(
        None,
        ge=1,
        description="Recompute only the newest N periods (plus the one before, for rising words); default: every period with complaints.",
    )
    builtin_userdict: bool = Field(
        True, description="Use the packaged dictionary of supervision and consumer terms (resources/userdict.txt)."
    )
    userdict_paths: list[str] = Field(
        default_factory=list,
        description="Further jieba user dictionaries (one term per line: word [freq] [tag]); shipped to the executors with the tasks.",
    )
    builtin_stopwords: bool = Field(True, description="Use the packaged stopword list (resources/stopwords.txt).")
    stopword_paths: list[str] = Field(default_factory=list, description="Further stopword lists (one per line, '#' comments).")
    jieba_cache_dir: str = Field(
        "./.cache/jieba",
        description="Where jieba keeps its prefix-dictionary cache (must be writable on the executors; else the temp folder is used).",
    )
    min_word_length: int = Field(2, ge=1, description="Shorter tokens are dropped (one Chinese character is rarely a hot word).")
    max_words_per_complaint: int = Field(40, ge=2, description="Distinct words of one complaint used for co-occurrence (bounds the pairs).")
    min_word_count: int = Field(
        2, ge=1, description="Words seen fewer times in a period x district x industry are left out of complaint_words."
    )
    top_keywords: int = Field(10, ge=1, description="TF-IDF keywords kept per period x district x industry.")
    rising_min_count: int = Field(5, ge=1, description="A rising word has at least this many occurrences in the period.")
    rising_min_ratio: float = Field(
        2.0, gt=1, description="... and a share of the words at least this many times its share in the previous period."
    )
    cooccurrence_min_count: int = Field(5, ge=1, description="Word pairs in fewer complaints of a period are left out.")
    cooccurrence_min_lift: float = Field(1.0, ge=0, description="Word pairs with a smaller lift are left out.")
    hotspot_ratio: float = Field(
        2.5, gt=1, description="A hotspot's complaint rate is at least this many times the baseline (its industry in the rest of the city)."
    )
    hotspot_min_complaints: int = Field(5, ge=1, description="... with at least this many complaints in the period ...")
    hotspot_min_z: float = Field(3.0, ge=0, description="... and (observed - expected) / sqrt(expected) at least this.")
    hotspot_entity_min_complaints: int = Field(
        1,
        ge=1,
        description="Entities of a hotspot with at least this many complaints in the period become risk signals (gold.hotspot_entities).",
    )
    pos: PosSettings = Field(default_factory=PosSettings)
    keyness: KeynessSettings = Field(default_factory=KeynessSettings)
    phrases: PhraseSettings = Field(default_factory=PhraseSettings)
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
