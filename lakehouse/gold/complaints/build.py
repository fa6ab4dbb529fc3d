"""Complaint text mining end to end: segment, count, score, detect hotspots, write gold, draw clouds.

Every gold table is partitioned by ``period`` and each run replaces exactly the periods it
computed (``replace_where``), so a re-run for the same ``as_of`` gives the same tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakehouse.config.complaints import ComplaintsSettings
    from lakehouse.tables import Tables

WORDS_TABLE = "gold.complaint_words"
KEYWORDS_TABLE = "gold.complaint_keywords"
RISING_TABLE = "gold.complaint_rising_words"
COOCCURRENCE_TABLE = "gold.complaint_cooccurrence"
HOTSPOTS_TABLE = "gold.complaint_hotspots"
HOTSPOT_ENTITIES_TABLE = "gold.hotspot_entities"
HOT_WORDS_TABLE = "gold.complaint_hot_words"
PHRASES_TABLE = "gold.complaint_phrases"
TABLES = [
    WORDS_TABLE,
    KEYWORDS_TABLE,
    RISING_TABLE,
    COOCCURRENCE_TABLE,
    HOTSPOTS_TABLE,
    HOTSPOT_ENTITIES_TABLE,
    HOT_WORDS_TABLE,
    PHRASES_TABLE,
]


@dataclass
class MiningResult:
    as_of: dt.date
    last_day: dt.date
    periods: list[str]
    complaints: int = 0
    written: dict[str, tuple[int | None, int]] = field(default_factory=dict)  # table → (version, rows in the periods)
    hotspots: list[dict] = field(default_factory=list)
    wordclouds: list[str] = field(default_factory=list)


def choose_periods(tables_complaints: DataFrame, settings: ComplaintsSettings, last_day: dt.date) -> tuple[list[str], list[str]]:
    """(periods to write, periods to compute) — the latter adds the one before the first, for rising words."""
    from pyspark.sql import functions as F

    from lakehouse.gold.complaints.hotspots import periods_between
    from lakehouse.gold.complaints.source import period_bounds, previous_period

    first = tables_complaints.agg(F.min("received_date")).first()[0]
    if first is None:
        return [], []
    all_periods = periods_between(first, last_day, settings.period)
    # the newest period must end by last_day (complete), unless partial periods are asked for
    if not settings.include_partial_period:
        all_periods = [p for p in all_periods if period_bounds(p, settings.period)[1] <= last_day]
    write = all_periods[-settings.periods_back :] if settings.periods_back else all_periods
    compute = ([previous_period(write[0], settings.period)] + write) if write else []
    return write, compute


def mine(
    spark: SparkSession,
    tables: Tables,
    settings: ComplaintsSettings,
    as_of: dt.date,
    progress: Callable[[str], None] | None = None,
    font_path: str | None = None,
) -> MiningResult:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from lakehouse.gold.complaints import hotspots as hs
    from lakehouse.gold.complaints import keyness, segment, source, words
    from lakehouse.gold.complaints.source import last_complete_day, previous_period

    say = progress or (lambda m: None)
    last_day = last_complete_day(as_of, settings.period, settings.include_partial_period)
    registered = source.entities(tables, last_day).persist(StorageLevel.MEMORY_AND_DISK)
    complaints = source.complaints(tables, settings, last_day, registered)
    write_periods, compute_periods = choose_periods(complaints, settings, last_day)
    result = MiningResult(as_of, last_day, write_periods)
    if not write_periods:
        registered.unpersist()
        return result

    res = segment.load_resources(settings)
    kn, ph = settings.keyness, settings.phrases
    _, bg_total = keyness.background(kn.background_path)
    background = keyness.background_df(spark, kn.background_path)
    say(f"complaints: segmenting {settings.period}s {write_periods[0]} .. {write_periods[-1]} with jieba")
    tokens = segment.segment(complaints.where(F.col("period").isin(compute_periods)), res).persist(StorageLevel.MEMORY_AND_DISK)
    persisted: list = []
    try:
        result.complaints = tokens.where(F.col("period").isin(write_periods)).count()
        mine_periods = F.col("period").isin(write_periods)
        outputs: dict[str, DataFrame] = {}
        occurrences = None
        if ph.enabled:
            found = words.phrases(tokens, ph.window, ph.min_count, ph.min_llr, ph.max_per_period).persist()
            persisted.append(found)
            outputs[PHRASES_TABLE] = found.where(mine_periods)
            occurrences = words.phrase_occurrences(tokens, found, ph.window)
        counts = words.word_counts(tokens, occurrences).persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(counts)

        outputs[WORDS_TABLE] = words.frequencies(counts, settings.min_word_count, background, bg_total, kn.smoothing_per_million).where(
            mine_periods
        )
        outputs[HOT_WORDS_TABLE] = words.hot_words(
            counts.where(mine_periods), background, bg_total, kn.smoothing_per_million, kn.min_count, kn.hot_words_top
        )
        keywords = words.keywords(counts, settings.top_keywords, settings.min_word_count).where(mine_periods).persist()
        persisted.append(keywords)
        outputs[KEYWORDS_TABLE] = keywords
        prev = {p: previous_period(p, settings.period) for p in write_periods}
        outputs[RISING_TABLE] = words.rising(counts, prev, settings.rising_min_count, settings.rising_min_ratio)
        outputs[COOCCURRENCE_TABLE] = words.cooccurrence(
            tokens.where(mine_periods), settings.cooccurrence_min_count, settings.cooccurrence_min_lift, settings.max_words_per_complaint
        )
        hot = hs.rates(tokens, registered, write_periods, settings, keywords).persist()
        persisted.append(hot)
        outputs[HOTSPOTS_TABLE] = hot
        outputs[HOTSPOT_ENTITIES_TABLE] = hs.hotspot_entities(tokens.where(mine_periods), hot, settings)

        for name, df in outputs.items():
            say(f"complaints: writing {name}")
            r = tables.write(
                name, df, mode="overwrite", partition_by=["period"], replace_where={"period": write_periods}, schema_mode="add_columns"
            )
            result.written[name] = (r.version, rows_in_partitions(tables, name, "period", write_periods))
        result.hotspots = [
            r.asDict()
            for r in tables.read(HOTSPOTS_TABLE, filters=[("period", "in", write_periods)])
            .where("hotspot")
            .select("period", "district_code", "district_name", "industry_section", "complaints", "ratio", "top_words")
            .orderBy("period", F.desc("ratio"))
            .collect()
        ]

        if settings.wordcloud.enabled:
            result.wordclouds = [str(p) for p in draw(tables, settings, write_periods, font_path, say)]
    finally:
        for df in persisted + [tokens, registered]:
            df.unpersist()
    return result


def rows_in_partitions(tables: Tables, name: str, column: str, values) -> int:
    """Rows of the table's partitions ``column in values``, from the snapshot's file statistics (no Spark job)."""
    wanted = {str(v) for v in values}
    return sum(f.num_records or 0 for f in tables.snapshot(name).files if f.partition_values.get(column) in wanted)


def draw(tables: Tables, settings: ComplaintsSettings, periods: list[str], font_path: str | None, say) -> list:
    """Word clouds of the newest ``settings.wordcloud.periods`` periods from gold.complaint_hot_words, sized by keyness."""
    from lakehouse.config.complaints import resolve_path
    from lakehouse.gold.complaints import wordcloud

    wc = settings.wordcloud
    font = font_path or wordcloud.find_font(wc.font_path)
    root = resolve_path(wc.root)
    out = []
    for period in periods[-wc.periods :]:
        say(f"complaints: word clouds for {period} under {root}")
        rows = tables.read(
            HOT_WORDS_TABLE, filters=[("period", "=", period)], columns=["scope", "district_code", "industry_section", "word", "keyness"]
        ).collect()
        hot = (
            tables.read(HOTSPOTS_TABLE, filters=[("period", "=", period)], columns=["district_code", "industry_section", "hotspot"])
            .where("hotspot")
            .collect()
        )
        out += wordcloud.render_period(
            period, [tuple(r) for r in rows], [(h[0], h[1]) for h in hot], root, font, wc.scopes, wc.width, wc.height, wc.max_words
        )
    return out
