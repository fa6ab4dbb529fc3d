"""Job: complaint hot words, keywords, rising words, co-occurrence, hotspots and word clouds."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config import RegulakeConfig


def run(config: RegulakeConfig, spark: SparkSession, progress=None) -> list:
    from jobs.gold import latest_batch_date
    from lakehouse.config.complaints import settings_of
    from lakehouse.errors import RegulakeError
    from lakehouse.gold.complaints import build
    from lakehouse.gold.complaints.keyness import background
    from lakehouse.gold.complaints.wordcloud import find_font
    from lakehouse.runs import record_run
    from lakehouse.tables import Tables

    settings = settings_of(config)
    tables = Tables.from_config(config, spark)
    for needed in ("silver.complaints", "silver.registration"):
        if not tables.exists(needed):
            raise RegulakeError(f"complaint mining needs {needed}; run 'regulake run bronze' and 'regulake run silver' first")
    # fail before any Spark work when word clouds are asked for and no CJK font exists
    font = find_font(settings.wordcloud.font_path) if settings.wordcloud.enabled else None
    background(settings.keyness.background_path)  # a missing or empty keyness background fails here too, with the fix
    as_of = settings.as_of or getattr(getattr(config, "gold", None), "cutoff_date", None) or latest_batch_date(tables)
    with record_run(config, "complaints") as run_record:
        run_record.read("silver.complaints", tables.version("silver.complaints"))
        run_record.read("silver.registration", tables.version("silver.registration"))
        result = build.mine(spark, tables, settings, as_of, progress=progress, font_path=font)
        run_record.rows_in += result.complaints
        for name, (version, rows) in result.written.items():
            run_record.wrote(name, version, rows=rows)
        run_record.details.update(
            as_of=as_of.isoformat(),
            last_day=result.last_day.isoformat(),
            period=settings.period,
            periods=result.periods,
            complaints=result.complaints,
            hotspots=[{k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in h.items()} for h in result.hotspots],
            wordclouds=result.wordclouds,
        )
    return result.periods
