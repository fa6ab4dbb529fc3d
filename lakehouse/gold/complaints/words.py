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
* phrases — two-word collocations per period over the city (Dunning's log-likelihood ratio,
  :mod:`lakehouse.gold.complaints.keyness`); their occurrences count as terms of ``kind = 'phrase'``
  beside the words (``kind = 'word'``) in every table above. Totals and shares are over words only.
* hot_words — per period x scope (city, district, district x industry): words and phrases ranked
  by keyness against general Chinese, beside their raw counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.gold.complaints.source import GROUP

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def _word_total(keys):
    """Sum of the counts of words (not phrases) over ``keys``: the denominator of every share."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return F.sum(F.when(F.col("kind") == "word", F.col("count")).otherwise(F.lit(0))).over(Window.partitionBy(*keys))


def _pairs_expr(col: str, window: int) -> str:
    """Spark SQL: the ordered pairs (a, b) of array ``col``, b within ``window`` elements after a (arrays of 2+ elements)."""
    return (
        f"flatten(transform(sequence(1, size({col}) - 1), i -> transform(sequence(i + 1, least(i + {int(window)}, size({col}))), "
        f"j -> named_struct('a', element_at({col}, i), 'b', element_at({col}, j)))))"
    )


def phrases(tokens: DataFrame, window: int, min_count: int, min_llr: float, max_per_period: int) -> DataFrame:
    """Two-word phrases per period over the city: period, phrase, word_a, word_b, count, complaints, count_a, count_b, period_words, llr, rank."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from lakehouse.gold.complaints.keyness import bigram_llr_col, join_phrase_col

    uni = tokens.select("period", F.explode("words").alias("word")).groupBy("period", "word").agg(F.count(F.lit(1)).alias("n_word"))
    totals = uni.groupBy("period").agg(F.sum("n_word").alias("words"))
    pairs = (
        tokens.where(F.size("words") > 1)
        .select("period", "complaint_id", F.explode(F.expr(_pairs_expr("words", window))).alias("p"))
        .where(F.col("p.a") != F.col("p.b"))
    )
    pc = (
        pairs.groupBy("period", F.col("p.a").alias("word_a"), F.col("p.b").alias("word_b"))
        .agg(F.count(F.lit(1)).alias("count"), F.countDistinct("complaint_id").alias("complaints"))
        .where(F.col("count") >= min_count)
    )
    a = uni.select("period", F.col("word").alias("word_a"), F.col("n_word").alias("count_a"))
    b = uni.select("period", F.col("word").alias("word_b"), F.col("n_word").alias("count_b"))
    out = pc.join(a, ["period", "word_a"]).join(b, ["period", "word_b"]).join(F.broadcast(totals), "period")
    out = out.withColumn("llr", bigram_llr_col(F.col("count"), F.col("count_a"), F.col("count_b"), F.col("words")))
    out = out.where(F.col("llr") >= min_llr).withColumn("phrase", join_phrase_col(F.col("word_a"), F.col("word_b")))
    w = Window.partitionBy("period").orderBy(F.desc("llr"), F.desc("count"), "phrase")
    out = out.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= max_per_period)
    return out.select(
        "period",
        "rank",
        "phrase",
        "word_a",
        "word_b",
        "count",
        "complaints",
        "count_a",
        "count_b",
        F.col("words").alias("period_words"),
        "llr",
    )


def phrase_occurrences(tokens: DataFrame, found: DataFrame, window: int) -> DataFrame:
    """One row per occurrence of a phrase in a complaint: the group keys, complaint_id, word (the phrase), parts."""
    from pyspark.sql import functions as F

    pairs = (
        tokens.where(F.size("words") > 1)
        .select(*GROUP, "complaint_id", F.explode(F.expr(_pairs_expr("words", window))).alias("p"))
        .select(*GROUP, "complaint_id", F.col("p.a").alias("word_a"), F.col("p.b").alias("word_b"))
    )
    ph = found.select("period", "word_a", "word_b", "phrase")
    return pairs.join(F.broadcast(ph), ["period", "word_a", "word_b"]).select(
        *GROUP, "complaint_id", F.col("phrase").alias("word"), F.array("word_a", "word_b").alias("parts")
    )


def word_counts(tokens: DataFrame, phrase_occ: DataFrame | None = None) -> DataFrame:
    """period, district_code, industry_section, word, kind (word | phrase), parts (a phrase's two words), count, complaints."""
    from pyspark.sql import functions as F

    terms = tokens.select(
        *GROUP,
        "complaint_id",
        F.explode("words").alias("word"),
        F.lit("word").alias("kind"),
        F.lit(None).cast("array<string>").alias("parts"),
    )
    if phrase_occ is not None:
        terms = terms.unionByName(phrase_occ.select(*GROUP, "complaint_id", "word", F.lit("phrase").alias("kind"), "parts"))
    return terms.groupBy(*GROUP, "word", "kind").agg(
        F.count(F.lit(1)).alias("count"), F.countDistinct("complaint_id").alias("complaints"), F.first("parts").alias("parts")
    )


def with_keyness(df: DataFrame, background: DataFrame, background_total: int, k: float) -> DataFrame:
    """``df`` (count, total_words, word) plus background_count, per_million, background_per_million, keyness, log_likelihood."""
    from pyspark.sql import functions as F

    from lakehouse.gold.complaints.keyness import MILLION, keyness_col, log_likelihood_col

    out = df.join(F.broadcast(background), "word", "left").withColumn("background_count", F.coalesce("background_count", F.lit(0)))
    bg, tot = F.col("background_count"), F.col("total_words")
    return (
        out.withColumn("per_million", F.col("count") / tot * MILLION)
        .withColumn("background_per_million", bg / F.lit(float(background_total)) * MILLION)
        .withColumn("keyness", keyness_col(F.col("count"), tot, bg, background_total, k))
        .withColumn("log_likelihood", log_likelihood_col(F.col("count"), tot, bg, background_total))
    )


def frequencies(
    counts: DataFrame, min_count: int, background: DataFrame | None = None, background_total: int = 0, k: float = 10.0
) -> DataFrame:
    """Word and phrase counts per period x district x industry with their share of the group's words (and keyness)."""
    from pyspark.sql import functions as F

    out = counts.withColumn("total_words", _word_total(GROUP))  # null keys group together
    out = out.where(F.col("count") >= min_count).withColumn("share", F.col("count") / F.col("total_words"))
    cols = [*GROUP, "word", "kind", "parts", "count", "complaints", "share", "total_words"]
    if background is not None:
        out = with_keyness(out, background, background_total, k)
        cols += ["keyness", "log_likelihood", "per_million", "background_per_million", "background_count"]
    return out.select(*cols)


def keywords(counts: DataFrame, top_k: int, min_count: int = 1) -> DataFrame:
    """The ``top_k`` TF-IDF keywords of each period x district x industry."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    c = counts.where(F.col("industry_section").isNotNull() & F.col("district_code").isNotNull())
    word_w = Window.partitionBy("period", "word")
    groups = c.select("period", "district_code", "industry_section").distinct().groupBy("period").agg(F.count(F.lit(1)).alias("groups"))
    scored = (
        c.join(F.broadcast(groups), "period")
        .withColumn("total_words", _word_total(GROUP))
        .withColumn("groups_with_word", F.count(F.lit(1)).over(word_w))
        .withColumn("tf", F.col("count") / F.col("total_words"))
        .withColumn("idf", F.log((1 + F.col("groups")) / (1 + F.col("groups_with_word"))) + 1)
        .withColumn("tfidf", F.col("tf") * F.col("idf"))
        .where(F.col("count") >= min_count)
    )
    ranked = scored.withColumn("rank", F.row_number().over(Window.partitionBy(*GROUP).orderBy(F.desc("tfidf"), F.desc("count"), "word")))
    return ranked.where(F.col("rank") <= top_k).select(*GROUP, "rank", "word", "kind", "tfidf", "tf", "idf", "count", "complaints")


SCOPES = {"city": [], "district": ["district_code"], "district_industry": ["district_code", "industry_section"]}


def scoped_counts(counts: DataFrame) -> DataFrame:
    """Counts rolled up to the three scopes: scope, period, district_code, industry_section, word, kind, parts, count, complaints."""
    from pyspark.sql import functions as F

    out = None
    for scope, keys in SCOPES.items():
        g = counts.groupBy("period", *keys, "word", "kind").agg(
            F.sum("count").alias("count"), F.sum("complaints").alias("complaints"), F.first("parts").alias("parts")
        )
        for k in ("district_code", "industry_section"):
            if k not in keys:
                g = g.withColumn(k, F.lit(None).cast("string"))
        g = g.select(F.lit(scope).alias("scope"), *GROUP, "word", "kind", "parts", "count", "complaints")
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
    keys = ["scope", "district_code", "industry_section", "word", "kind"]
    following = F.create_map(*[F.lit(x) for x in chain.from_iterable((p, c) for c, p in previous.items())])
    current = F.create_map(*[F.lit(x) for x in chain.from_iterable((c, c) for c in previous)])
    both = s.select(
        *keys, current[F.col("period")].alias("period"), F.col("count"), F.lit(0).cast("long").alias("previous_count")
    ).unionByName(
        s.select(
            *keys, following[F.col("period")].alias("period"), F.lit(0).cast("long").alias("count"), F.col("count").alias("previous_count")
        )
    )
    g = (
        both.where(F.col("period").isNotNull())
        .groupBy("period", *keys)
        .agg(F.sum("count").alias("count"), F.sum("previous_count").alias("previous_count"))
    )
    scope_w = Window.partitionBy("period", "scope", "district_code", "industry_section")
    word = F.col("kind") == "word"
    g = g.withColumn("total_words", F.sum(F.when(word, F.col("count")).otherwise(F.lit(0))).over(scope_w)).withColumn(
        "previous_words", F.sum(F.when(word, F.col("previous_count")).otherwise(F.lit(0))).over(scope_w)
    )
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
        "period",
        "previous_period",
        "scope",
        "district_code",
        "industry_section",
        "rank",
        "word",
        "kind",
        "count",
        "previous_count",
        "share",
        "previous_share",
        "ratio",
        "is_new",
    )


def hot_words(counts: DataFrame, background: DataFrame, background_total: int, k: float, min_count: int, top: int) -> DataFrame:
    """The ``top`` words and phrases of each period x scope by keyness (ties: count, word), beside their raw counts."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    s = scoped_counts(counts)
    keys = ["period", "scope", "district_code", "industry_section"]
    s = s.withColumn("total_words", _word_total(keys)).where(F.col("count") >= min_count)
    s = with_keyness(s, background, background_total, k).withColumn("share", F.col("count") / F.col("total_words"))
    w = Window.partitionBy(*keys).orderBy(F.desc("keyness"), F.desc("count"), "word")
    out = s.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= top)
    return out.select(
        *keys,
        "rank",
        "word",
        "kind",
        "parts",
        "count",
        "complaints",
        "share",
        "keyness",
        "log_likelihood",
        "per_million",
        "background_per_million",
        "background_count",
        "total_words",
    )


def cooccurrence(tokens: DataFrame, min_count: int, min_lift: float, max_words: int) -> DataFrame:
    """Word pairs (word_a < word_b) in the same complaints, per period over the city."""
    from pyspark.sql import functions as F

    docs = tokens.select("period", "complaint_id", F.slice(F.array_sort(F.array_distinct("words")), 1, max_words).alias("w"))
    docs = docs.where(F.size("w") > 0)
    n_docs = docs.groupBy("period").agg(F.count(F.lit(1)).alias("n"))
    singles = docs.select("period", F.explode("w").alias("word")).groupBy("period", "word").agg(F.count(F.lit(1)).alias("n_word"))
    pairs_expr = (
        "flatten(transform(w, (x, i) -> transform(slice(w, i + 2, greatest(size(w) - i - 1, 0)), y -> named_struct('a', x, 'b', y))))"
    )
    pairs = docs.where(F.size("w") > 1).select("period", F.explode(F.expr(pairs_expr)).alias("p"))
    pair_counts = pairs.groupBy("period", F.col("p.a").alias("word_a"), F.col("p.b").alias("word_b")).agg(
        F.count(F.lit(1)).alias("complaints")
    )
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
    return out.select(
        "period",
        "word_a",
        "word_b",
        "complaints",
        F.col("n_a").alias("complaints_a"),
        F.col("n_b").alias("complaints_b"),
        F.col("n").alias("period_complaints"),
        "support",
        "confidence_ab",
        "confidence_ba",
        "lift",
    )
