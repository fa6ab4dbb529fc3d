"""Keyness of complaint words against general Chinese, and two-word phrases.

**Keyness** says how much more often complaints use a word than general Chinese does. The
background is jieba's own dictionary (``jieba/dict.txt``: ~349k words with their counts in
~60M tokens of general text), read from the file so the user dictionaries' frequencies never
leak into it; ``complaints.keyness.background_path`` names another file of ``word count`` lines.
Two scores, both beside the raw counts:

* ``keyness`` — the smoothed ratio of frequencies per million words (Kilgarriff's "simple
  maths"): ``(per_million + k) / (background_per_million + k)``, ``k`` =
  ``smoothing_per_million`` (10). Hot words are ranked by it.
* ``log_likelihood`` — Dunning's G² of the word's count in the complaints against the
  background (signed: negative when complaints use the word less than general text does).

**Phrases**: ordered pairs of content words, the second within ``window`` content words of the
first, counted city-wide per period; a pair is a phrase when it occurs at least ``min_count``
times and Dunning's log-likelihood ratio of the bigram (the pair against its two words'
counts) is at least ``min_llr``. A phrase is written as its two words joined (虚假 宣传 →
虚假宣传; Latin words keep a space: check in).

Every formula exists twice, in plain Python (:func:`keyness`, :func:`log_likelihood`,
:func:`bigram_llr`, :func:`hot_words`, :func:`find_phrases`: used by the tests on real text and
by the docs) and as Spark columns (``*_col``, used by the job); a Spark test checks they agree.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

MILLION = 1_000_000.0


# -- background -----------------------------------------------------------------------------


def jieba_dictionary() -> str:
    import jieba

    return os.path.join(os.path.dirname(jieba.__file__), "dict.txt")


_BACKGROUNDS: dict[str, tuple[dict[str, int], int]] = {}


def background(path: str | None = None) -> tuple[dict[str, int], int]:
    """(word → count, total count) of general Chinese: jieba's dictionary, or ``path`` (``word count [tag]`` lines)."""
    import unicodedata

    path = path or jieba_dictionary()
    got = _BACKGROUNDS.get(path)
    if got is not None:
        return got
    counts: dict[str, int] = {}
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and not parts[0].startswith("#") and parts[1].isdigit():
                    w = unicodedata.normalize("NFKC", parts[0]).lower()  # as the segmenter normalises words
                    counts[w] = counts.get(w, 0) + int(parts[1])
    except FileNotFoundError:
        raise RegulakeError(
            f"keyness background {path} not found; fix complaints.keyness.background_path in conf/<env>.yaml (null: jieba's dictionary)"
        ) from None
    if not counts:
        raise RegulakeError(f"keyness background {path} holds no 'word count' lines; fix complaints.keyness.background_path")
    got = _BACKGROUNDS[path] = (counts, sum(counts.values()))
    return got


def background_df(spark: SparkSession, path: str | None = None) -> DataFrame:
    """The background as a DataFrame (word, background_count), to broadcast-join on the words."""
    import pyarrow as pa

    counts, _ = background(path)
    table = pa.table({"word": pa.array(list(counts), pa.string()), "background_count": pa.array(list(counts.values()), pa.int64())})
    return spark.createDataFrame(table.to_pandas())


# -- scores, plain Python --------------------------------------------------------------------


def keyness(count: float, total: float, bg_count: float, bg_total: float, k: float) -> float:
    """Smoothed ratio of frequencies per million: (per_million + k) / (background_per_million + k)."""
    return (count / total * MILLION + k) / (bg_count / bg_total * MILLION + k)


def _xlogx(x: float, e: float) -> float:
    return x * math.log(x / e) if x > 0 else 0.0


def log_likelihood(count: float, total: float, bg_count: float, bg_total: float) -> float:
    """Dunning's G² of a word's count in a corpus against a background; negative when the corpus uses it less."""
    n = total + bg_total
    e1 = total * (count + bg_count) / n
    e2 = bg_total * (count + bg_count) / n
    g2 = 2 * (_xlogx(count, e1) + _xlogx(bg_count, e2))
    return g2 if count / total >= bg_count / bg_total else -g2


def bigram_llr(n_ab: float, n_a: float, n_b: float, n: float) -> float:
    """Dunning's log-likelihood ratio of a bigram a→b: 2 Σ k ln(k/E) over the 2x2 table of a first, b second.

    Cells: k11 = n_ab, k12 = n_a − n_ab, k21 = n_b − n_ab, k22 = n − n_a − n_b + n_ab (each at
    least 0); signed, negative when the pair occurs less often than chance.
    """
    k11, k12, k21 = n_ab, max(n_a - n_ab, 0.0), max(n_b - n_ab, 0.0)
    k22 = max(n - k11 - k12 - k21, 0.0)
    total = k11 + k12 + k21 + k22
    r1, r2, c1, c2 = k11 + k12, k21 + k22, k11 + k21, k12 + k22
    g2 = 2 * sum(_xlogx(k, r * c / total) for k, r, c in ((k11, r1, c1), (k12, r1, c2), (k21, r2, c1), (k22, r2, c2)) if r and c)
    return g2 if k11 * total >= r1 * c1 else -g2


def join_phrase(a: str, b: str) -> str:
    """虚假 + 宣传 → 虚假宣传; a space between two Latin-script words (check in)."""
    return f"{a} {b}" if a[-1:].isascii() and b[:1].isascii() else a + b


@dataclass(frozen=True)
class HotWord:
    word: str
    kind: str  # word | phrase
    count: int
    keyness: float
    log_likelihood: float
    background_count: int


def hot_words(
    counts: Counter,
    bg: tuple[dict[str, int], int],
    k: float = 10.0,
    min_count: int = 2,
    phrases: dict[str, tuple[str, str]] | None = None,
    top: int | None = None,
) -> list[HotWord]:
    """Words (and phrases, when given with their counts in ``counts``) ranked by keyness; ties: count, word.

    ``total`` is the number of words only (phrases are extra terms over the same words).
    """
    phrases = phrases or {}
    bg_counts, bg_total = bg
    total = sum(n for w, n in counts.items() if w not in phrases) or 1
    out = [
        HotWord(
            w,
            "phrase" if w in phrases else "word",
            n,
            keyness(n, total, bg_counts.get(w, 0), bg_total, k),
            log_likelihood(n, total, bg_counts.get(w, 0), bg_total),
            bg_counts.get(w, 0),
        )
        for w, n in counts.items()
        if n >= min_count
    ]
    out.sort(key=lambda h: (-h.keyness, -h.count, h.word))
    return out[:top] if top else out


def pairs(words: Sequence[str], window: int) -> Iterable[tuple[str, str]]:
    """Ordered pairs (a, b): b within ``window`` words after a, a != b."""
    for i, a in enumerate(words):
        for b in words[i + 1 : i + 1 + window]:
            if a != b:
                yield a, b


@dataclass(frozen=True)
class Phrase:
    phrase: str
    word_a: str
    word_b: str
    count: int
    llr: float


def find_phrases(
    docs: Iterable[Sequence[str]], window: int = 1, min_count: int = 5, min_llr: float = 10.83, max_phrases: int = 300
) -> list[Phrase]:
    """Two-word phrases of a corpus (lists of content words in order), strongest first."""
    docs = list(docs)
    uni = Counter(w for d in docs for w in d)
    n = sum(uni.values())
    pc = Counter(p for d in docs for p in pairs(d, window))
    out = []
    for (a, b), c in pc.items():
        if c >= min_count:
            llr = bigram_llr(c, uni[a], uni[b], n)
            if llr >= min_llr:
                out.append(Phrase(join_phrase(a, b), a, b, c, llr))
    out.sort(key=lambda p: (-p.llr, -p.count, p.phrase))
    return out[:max_phrases]


def phrase_occurrences(words: Sequence[str], phrases: dict[tuple[str, str], str], window: int) -> list[str]:
    """The phrases of one text (one entry per occurrence)."""
    return [phrases[p] for p in pairs(words, window) if p in phrases]


# -- scores, Spark columns -------------------------------------------------------------------


def keyness_col(count: Column, total: Column, bg_count: Column, bg_total: float, k: float) -> Column:
    return (count / total * MILLION + k) / (bg_count / bg_total * MILLION + k)


def _xlogx_col(x: Column, e: Column) -> Column:
    from pyspark.sql import functions as F

    return F.when(x > 0, x * F.log(x / e)).otherwise(F.lit(0.0))


def log_likelihood_col(count: Column, total: Column, bg_count: Column, bg_total: float) -> Column:
    from pyspark.sql import functions as F

    n = total + F.lit(float(bg_total))
    e1 = total * (count + bg_count) / n
    e2 = F.lit(float(bg_total)) * (count + bg_count) / n
    g2 = 2 * (_xlogx_col(count, e1) + _xlogx_col(bg_count.cast("double"), e2))
    return F.when(count / total >= bg_count / F.lit(float(bg_total)), g2).otherwise(-g2)


def bigram_llr_col(n_ab: Column, n_a: Column, n_b: Column, n: Column) -> Column:
    from pyspark.sql import functions as F

    k11 = n_ab.cast("double")
    k12 = F.greatest(n_a - n_ab, F.lit(0.0))
    k21 = F.greatest(n_b - n_ab, F.lit(0.0))
    k22 = F.greatest(n - k11 - k12 - k21, F.lit(0.0))
    total = k11 + k12 + k21 + k22
    r1, r2, c1, c2 = k11 + k12, k21 + k22, k11 + k21, k12 + k22

    def cell(k, r, c):
        return F.when((r > 0) & (c > 0), _xlogx_col(k, r * c / total)).otherwise(F.lit(0.0))

    g2 = 2 * (cell(k11, r1, c1) + cell(k12, r1, c2) + cell(k21, r2, c1) + cell(k22, r2, c2))
    return F.when(k11 * total >= r1 * c1, g2).otherwise(-g2)


def join_phrase_col(a: Column, b: Column) -> Column:
    from pyspark.sql import functions as F

    latin = F.substring(a, -1, 1).rlike("^[\\x00-\\x7F]$") & F.substring(b, 1, 1).rlike("^[\\x00-\\x7F]$")
    return F.when(latin, F.concat(a, F.lit(" "), b)).otherwise(F.concat(a, b))


# -- command line: hot words of a text file --------------------------------------------------


def text_file_report(path: str, top: int = 30, settings=None) -> dict[str, list[str]]:
    """Top words of a text file (one text per line): plain counts before, hot words by keyness after (POS filter, phrases)."""
    import dataclasses

    from lakehouse.config.complaints import ComplaintsSettings
    from lakehouse.gold.complaints import segment

    settings = settings or ComplaintsSettings()
    with open(path, encoding="utf-8") as fh:
        texts = [line.strip() for line in fh if line.strip()]
    res = segment.load_resources(settings)
    plain = segment.segmenter(dataclasses.replace(res, keep_tags=None))
    before = Counter(w for t in texts for w in plain.words(t))
    docs = [segment.segmenter(res).words(t) for t in texts]
    ph, kn = settings.phrases, settings.keyness
    found = find_phrases(docs, ph.window, ph.min_count, ph.min_llr, ph.max_per_period) if ph.enabled else []
    pm = {(p.word_a, p.word_b): p.phrase for p in found}
    counts = Counter(w for d in docs for w in d)
    for d in docs:
        counts.update(phrase_occurrences(d, pm, ph.window))
    ranked = hot_words(
        counts, background(kn.background_path), kn.smoothing_per_million, kn.min_count, {p.phrase: (p.word_a, p.word_b) for p in found}, top
    )
    return {
        "before": [f"{w} {n}" for w, n in before.most_common(top)],
        "after": [f"{h.word}{' (phrase)' if h.kind == 'phrase' else ''} {h.count} / {h.keyness:.0f}" for h in ranked],
        "phrases": [f"{p.phrase} {p.count}" for p in found[:top]],
    }


def main(argv: list[str] | None = None) -> None:
    """``python -m lakehouse.gold.complaints.keyness FILE [--top N]``: before/after top words of a text file."""
    import argparse
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("file")
    ap.add_argument("--top", type=int, default=30)
    a = ap.parse_args(argv)
    report = text_file_report(a.file, a.top)
    print(f"{'rank':>4}  {'before: plain jieba, count':28s}  {'after: POS filter + phrases, by keyness (count / keyness)':s}")
    for i in range(a.top):
        b = report["before"][i] if i < len(report["before"]) else ""
        f = report["after"][i] if i < len(report["after"]) else ""
        print(f"{i + 1:>4}  {b:28s}  {f}")
    print("strongest phrases:", ", ".join(report["phrases"]))


if __name__ == "__main__":
    main()
