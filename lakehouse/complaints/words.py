"""Hot words of complaints: frequencies, TF-IDF keywords, rising words, co-occurrence.

All functions take the segmented complaints (``complaint_id``, ``period``, ``district_code``,
``industry_section``, ``words``) and return Spark DataFrames; nothing is collected.

* frequencies — per period x district x industry: occurrences, complaints holding the word,
  share of the group's words.
* keywords — TF-IDF per period x district x industry, each group's words being one document
  and the period's groups the corpus (``idf = ln((1+groups)/(1+groups with the word)) + 1``),
  so words every group uses (赔偿, 经营) sink and a group's own words (食品变质) rise.
* rising — a word's share of a scope's words against its share in the previous period:
  ``ratio = (count + 1) / (previous_count * words / previous_words + 1)``, at three scopes:
  the city, each district, each district x industry.
* cooccurrence — pairs of words in one complaint, per period over the city: complaints,
  support, confidence both ways and lift.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.complaints.source import GROUP

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def word_counts(tokens: DataFrame) -> DataFrame:
    """period, district_code, industry_section, word, count, complaints."""
    from pyspark.sql import functions as F

    exploded = tokens.select(*GROUP, "complaint_id", F.explode("words").alias("word"))
    return exploded.groupBy(*GROUP, "word").agg(F.count(F.lit(1)).alias("count"), F.countDistinct("complaint_id").alias("complaints"))


def frequencies(counts: DataFrame, min_count: int) -> DataFrame:
    """Word counts per period x district x industry with their share of the group's words."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    out = counts.withColumn("total_words", F.sum("count").over(Window.partitionBy(*GROUP)))  # null keys group together
    out = out.where(F.col("count") >= min_count).withColumn("share", F.col("count") / F.col("total_words"))
    return out.select(*GROUP, "word", "count", "complaints", "share", "total_words")


def keywords(counts: DataFrame, top_k: int, min_count: int = 1) -> DataFrame:
    """The ``top_k`` TF-IDF keywords of each period x district x industry."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    c = counts.where(F.col("industry_section").isNotNull() & F.col("district_code").isNotNull())
    group_w = Window.partitionBy(*GROUP)
    word_w = Window.partitionBy("period", "word")
    groups = c.select("period", "district_code", "industry_section").distinct().groupBy("period").agg(F.count(F.lit(1)).alias("groups"))
    scored = (
        c.join(F.broadcast(groups), "period")
        .withColumn("total_words", F.sum("count").over(group_w))
        .withColumn("groups_with_word", F.count(F.lit(1)).over(word_w))
        .withColumn("tf", F.col("count") / F.col("total_words"))
        .withColumn("idf", F.log((1 + F.col("groups")) / (1 + F.col("groups_with_word"))) + 1)
        .withColumn("tfidf", F.col("tf") * F.col("idf"))
        .where(F.col("count") >= min_count)
    )
    ranked = scored.withColumn("rank", F.row_number().over(Window.partitionBy(*GROUP).orderBy(F.desc("tfidf"), F.desc("count"), "word")))
    return ranked.where(F.col("rank") <= top_k).select(*GROUP, "rank", "word", "tfidf", "tf", "idf", "count", "complaints")


SCOPES = {"city": [], "district": ["district_code"], "district_industry": ["district_code", "industry_section"]}


def scoped_counts(counts: DataFrame) -> DataFrame:
    """Counts rolled up to the three scopes: scope, period, district_code, industry_section, word, count, complaints."""
    from pyspark.sql import functions as F

    out = None
    for scope, keys in SCOPES.items():
        g = counts.groupBy("period", *keys, "word").agg(F.sum("count").alias("count"), F.sum("complaints").alias("complaints"))
        for k in ("district_code", "industry_section"):
            if k not in keys:
                g = g.withColumn(k, F.lit(None).cast("string"))
        g = g.select(F.lit(scope).alias("scope"), *GROUP, "word", "count", "complaints")
        out = g if out is None else out.unionByName(g)
    return out


def rising(counts: DataFrame, previous: dict[str, str], min_count: int, min_ratio: float) -> DataFrame:
    """Words whose share rose at least ``min_ratio``-fold against the previous period.

    ``previous`` maps each period to report to its previous period (calendar order). Each
    count is used twice — for its own period and, as the previous count, for the next one —
    so one aggregation lines both up (null districts and sections group together).
    """
    from itertools import chain

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    s = scoped_counts(counts)
    keys = ["scope", "district_code", "industry_section", "word"]
    following = F.create_map(*[F.lit(x) for x in chain.from_iterable((p, c) for c, p in previous.items())])
    current = F.create_map(*[F.lit(x) for x in chain.from_iterable((c, c) for c in previous)])
    both = s.select(*keys, current[F.col("period")].alias("period"), F.col("count"), F.lit(0).cast("long").alias("previous_count")).unionByName(
        s.select(*keys, following[F.col("period")].alias("period"), F.lit(0).cast("long").alias("count"), F.col("count").alias("previous_count")))
    g = both.where(F.col("period").isNotNull()).groupBy("period", *keys).agg(F.sum("count").alias("count"), F.sum("previous_count").alias("previous_count"))
    scope_w = Window.partitionBy("period", "scope", "district_code", "industry_section")
    g = g.withColumn("total_words", F.sum("count").over(scope_w)).withColumn("previous_words", F.sum("previous_count").over(scope_w))
    prev_label = F.create_map(*[F.lit(x) for x in chain.from_iterable(previous.items())])
    out = (
        g.where(F.col("previous_words") > 0)  # no words in the scope's previous period: nothing can rise
        .withColumn("previous_period", prev_label[F.col("period")])
        .withColumn("share", F.col("count") / F.col("total_words"))
        .withColumn("previous_share", F.col("previous_count") / F.col("previous_words"))
        .withColumn("ratio", (F.col("count") + 1) / (F.col("previous_count") * F.col("total_words") / F.col("previous_words") + 1))
        .withColumn("is_new", F.col("previous_count") == 0)
        .where((F.col("count") >= min_count) & (F.col("ratio") >= min_ratio))
    )
    w = Window.partitionBy("period", "scope", "district_code", "industry_section").orderBy(F.desc("ratio"), F.desc("count"), "word")
    return out.withColumn("rank", F.row_number().over(w)).select(
        "period", "previous_period", "scope", "district_code", "industry_section", "rank", "word", "count", "previous_count",
        "share", "previous_share", "ratio", "is_new",
    )


def cooccurrence(tokens: DataFrame, min_count: int, min_lift: float, max_words: int) -> DataFrame:
    """Word pairs (word_a < word_b) in the same complaints, per period over the city."""
    from pyspark.sql import functions as F

    docs = tokens.select("period", "complaint_id", F.slice(F.array_sort(F.array_distinct("words")), 1, max_words).alias("w"))
    docs = docs.where(F.size("w") > 0)
    n_docs = docs.groupBy("period").agg(F.count(F.lit(1)).alias("n"))
    singles = docs.select("period", F.explode("w").alias("word")).groupBy("period", "word").agg(F.count(F.lit(1)).alias("n_word"))
    pairs_expr = "flatten(transform(w, (x, i) -> transform(slice(w, i + 2, greatest(size(w) - i - 1, 0)), y -> named_struct('a', x, 'b', y))))"
    pairs = docs.where(F.size("w") > 1).select("period", F.explode(F.expr(pairs_expr)).alias("p"))
    pair_counts = pairs.groupBy("period", F.col("p.a").alias("word_a"), F.col("p.b").alias("word_b")).agg(F.count(F.lit(1)).alias("complaints"))
    pair_counts = pair_counts.where(F.col("complaints") >= min_count)
    a = singles.select("period", F.col("word").alias("word_a"), F.col("n_word").alias("n_a"))
    b = singles.select("period", F.col("word").alias("word_b"), F.col("n_word").alias("n_b"))
    out = pair_counts.join(a, ["period", "word_a"]).join(b, ["period", "word_b"]).join(n_docs, "period")
    out = (
        out.withColumn("support", F.col("complaints") / F.col("n"))
        .withColumn("confidence_ab", F.col("complaints") / F.col("n_a"))
        .withColumn("confidence_ba", F.col("complaints") / F.col("n_b"))
        .withColumn("lift", F.col("complaints") * F.col("n") / (F.col("n_a") * F.col("n_b")))
        .where(F.col("lift") >= min_lift)
    )
    return out.select("period", "word_a", "word_b", "complaints", F.col("n_a").alias("complaints_a"), F.col("n_b").alias("complaints_b"),
                      F.col("n").alias("period_complaints"), "support", "confidence_ab", "confidence_ba", "lift")
