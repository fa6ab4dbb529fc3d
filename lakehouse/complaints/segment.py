"""Chinese word segmentation (切词) of complaint texts with jieba, on Spark.

The driver reads the user dictionary and the stopword list once (:func:`load_resources`);
they travel to the executors inside the task closure (a few KB), so nothing has to be
installed or copied on a cluster beyond the package. Each Python worker builds ONE jieba
tokenizer per resource set (module-level cache: Spark reuses Python workers between tasks,
so the 5 MB prefix dictionary is loaded once per worker, from jieba's cache file in a
writable project folder) and segments Arrow batches with ``mapInArrow``.

Example::

    >>> res = load_resources(ComplaintsSettings())                       # doctest: +SKIP
    >>> words(tokenizer(res), "该店食品变质，要求依法查处", res)             # doctest: +SKIP
    ['食品变质']
    >>> segment(df, res).select("complaint_id", "words")                 # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    import jieba
    from pyspark.sql import DataFrame

    from lakehouse.complaints.settings import ComplaintsSettings

WORDS = "words"


@dataclass(frozen=True)
class Resources:
    """What every worker needs to segment: dictionary terms, stopwords, cache folder."""

    terms: tuple[tuple[str, int | None, str | None], ...]  # (word, freq, tag) of the user dictionaries
    stopwords: frozenset[str]
    cache_dir: str
    min_length: int = 2

    @property
    def digest(self) -> str:
        h = hashlib.sha256(repr((self.terms, sorted(self.stopwords), self.min_length)).encode("utf-8"))
        return h.hexdigest()[:16]

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(t[0] for t in self.terms)


def _lines(path: str, what: str) -> Iterator[str]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
    except FileNotFoundError:
        raise RegulakeError(f"{what} {path} not found; fix complaints.{'userdict_paths' if 'dictionary' in what else 'stopword_paths'} in conf/<env>.yaml") from None


def parse_userdict(lines: Iterable[str]) -> list[tuple[str, int | None, str | None]]:
    """jieba's user-dictionary format: ``word [freq] [tag]`` (freq optional)."""
    out = []
    for line in lines:
        parts = line.split()
        word, freq, tag = parts[0], None, None
        for p in parts[1:]:
            if p.isdigit() and freq is None:
                freq = int(p)
            else:
                tag = p
        out.append((unicodedata.normalize("NFKC", word), freq, tag))
    return out


def load_resources(settings: ComplaintsSettings) -> Resources:
    """Read the configured dictionaries and stopword lists (on the driver)."""
    from lakehouse.complaints.settings import resolve_path

    terms: list = []
    for p in settings.userdicts:
        terms += parse_userdict(_lines(resolve_path(p), "user dictionary"))
    stop: set[str] = set()
    for p in settings.stopword_lists:
        stop.update(unicodedata.normalize("NFKC", w) for w in _lines(resolve_path(p), "stopword list"))
    vocab = {t[0] for t in terms}
    return Resources(tuple(terms), frozenset(stop - vocab), resolve_path(settings.jieba_cache_dir), settings.min_word_length)


def _writable(folder: str) -> str:
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return tempfile.gettempdir()


_TOKENIZERS: dict[str, "jieba.Tokenizer"] = {}
LOADS: dict[str, int] = {}  # digest → tokenizers built for it in this process (tests check "once per worker")


def tokenizer(res: Resources) -> "jieba.Tokenizer":
    """This process's jieba tokenizer for ``res`` (built on first use, then reused)."""
    tok = _TOKENIZERS.get(res.digest)
    if tok is not None:
        return tok
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.tmp_dir = _writable(res.cache_dir)
    tok.initialize()
    for word, freq, tag in res.terms:
        tok.add_word(word, freq, tag)
    _TOKENIZERS[res.digest] = tok
    LOADS[res.digest] = LOADS.get(res.digest, 0) + 1
    return tok


def _is_word(token: str, res: Resources, vocab: frozenset[str]) -> bool:
    if token in vocab:
        return True
    if len(token) < res.min_length or token in res.stopwords:
        return False
    for ch in token:
        cat = unicodedata.category(ch)
        if cat[0] in "PSZC" or cat == "Nd":
            return False
    return True


def words(tok: "jieba.Tokenizer", text: str | None, res: Resources, vocab: frozenset[str] | None = None) -> list[str]:
    """The content words of one text: jieba tokens minus stopwords, punctuation, numbers, short tokens."""
    if not text:
        return []
    vocab = res.vocabulary if vocab is None else vocab
    text = unicodedata.normalize("NFKC", text)
    return [t for t in tok.lcut(text) if _is_word(t, res, vocab)]


def segment_batches(batches: Iterable, res: Resources, text_col: str, out_col: str = WORDS) -> Iterator:
    """Arrow record batches in, the same batches with a ``list<string>`` column of words out."""
    import pyarrow as pa

    tok = tokenizer(res)
    vocab = res.vocabulary
    for batch in batches:
        texts = batch.column(text_col).to_pylist()
        out = pa.array([words(tok, t, res, vocab) for t in texts], pa.list_(pa.string()))
        yield batch.append_column(out_col, out)


def segment(df: DataFrame, res: Resources, text_col: str = "complaint_text", out_col: str = WORDS) -> DataFrame:
    """``df`` plus ``out_col`` (array<string>): the words of ``text_col``, segmented in the executors."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    schema = StructType(list(df.schema.fields) + [StructField(out_col, ArrayType(StringType()))])

    def run(batches):
        return segment_batches(batches, res, text_col, out_col)

    return df.mapInArrow(run, schema)
