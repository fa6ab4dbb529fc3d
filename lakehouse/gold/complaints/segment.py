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

import functools
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakehouse.errors import RegulakeError

if TYPE_CHECKING:
    import jieba
    from pyspark.sql import DataFrame

    from lakehouse.config.complaints import ComplaintsSettings

WORDS = "words"


@dataclass(frozen=True)
class Resources:
    """What every worker needs to segment: dictionary terms, stopwords, cache folder."""

    terms: tuple[tuple[str, int | None, str | None], ...]  # (word, freq, tag) of the user dictionaries
    stopwords: frozenset[str]
    cache_dir: str
    min_length: int = 2
    keep_tags: frozenset[str] | None = None  # parts of speech kept (jieba's tags); None: no part-of-speech filter
    tagger: str = "lookup"  # lookup | posseg | posseg_no_hmm (see :class:`Segmenter`)
    userdict_tag: str = "nz"  # tag of user-dictionary terms that give none

    @functools.cached_property  # computed once per instance: words() looks the segmenter up by it on every call
    def digest(self) -> str:
        key = (
            self.terms,
            sorted(self.stopwords),
            self.min_length,
            sorted(self.keep_tags or ()),
            self.keep_tags is None,
            self.tagger,
            self.userdict_tag,
        )
        return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:16]

    @functools.cached_property
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
        raise RegulakeError(
            f"{what} {path} not found; fix complaints.{'userdict_paths' if 'dictionary' in what else 'stopword_paths'} in conf/<env>.yaml"
        ) from None


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
        out.append((unicodedata.normalize("NFKC", word).lower(), freq, tag))
    return out


def load_resources(settings: ComplaintsSettings) -> Resources:
    """Read the configured dictionaries and stopword lists (on the driver)."""
    from lakehouse.config.complaints import resolve_path

    terms: list = []
    for p in settings.userdicts:
        terms += parse_userdict(_lines(resolve_path(p), "user dictionary"))
    stop: set[str] = set()
    for p in settings.stopword_lists:
        stop.update(unicodedata.normalize("NFKC", w).lower() for w in _lines(resolve_path(p), "stopword list"))
    vocab = {t[0] for t in terms}
    pos = settings.pos
    return Resources(
        tuple(terms),
        frozenset(stop - vocab),
        resolve_path(settings.jieba_cache_dir),
        settings.min_word_length,
        frozenset(pos.keep_tags) if pos.enabled else None,
        pos.tagger,
        pos.userdict_tag,
    )


def _writable(folder: str) -> str:
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return tempfile.gettempdir()


_TOKENIZERS: dict[str, jieba.Tokenizer] = {}
LOADS: dict[str, int] = {}  # digest → tokenizers built for it in this process (tests check "once per worker")


def tokenizer(res: Resources) -> jieba.Tokenizer:
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
        tok.add_word(word, freq, tag or res.userdict_tag)
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


# A token jieba's lcut found with its HMM (not in any dictionary) whose dictionary pieces start with
# one of these is a grammatical phrase (很差, 不太, 这是, 我要), not a content word.
_FUNCTION_HEADS = frozenset("r rr rz rg d df dg zg p c u ud ug uj ul uv uz y e o".split())  # zg: 很


def _normal(text: str) -> str:
    """NFKC (full-width → half-width), Latin letters in lower case (XP, xp → xp)."""
    text = unicodedata.normalize("NFKC", text)
    return text.lower() if not text.islower() else text


class Segmenter:
    """One process's segmenter for ``res``: jieba's tokenizer, plus its part-of-speech tagger when a tag set is given.

    ``tagger``:

    * ``lookup`` (default): the tokens of plain ``lcut`` (HMM on, exactly today's segmentation),
      each tagged with the tag jieba.posseg gives a dictionary word (its dictionary's tag table,
      user-dictionary tags on top); a token found by the HMM alone (no dictionary word) is tagged
      from its dictionary pieces: the last piece's tag, or ``x`` (dropped) when the first piece is a
      function word (很差, 不太, 这是), cached per distinct token. About the speed of ``lcut``
      (jieba.posseg's own HMM tagger on such tokens cost ~0.7 ms each, 0.36x on real text).
    * ``posseg``: ``jieba.posseg`` on the whole text (its own joint segmentation and tagging with
      its HMM): 0.12-0.45x the speed of ``lcut`` (bench/segmentation.py --tagging).
    * ``posseg_no_hmm``: ``jieba.posseg`` without HMM (unknown spans fall apart into characters).

    User-dictionary terms are always kept, with their own tag (``userdict_tag`` when none is given).
    """

    CACHE_MAX = 200_000

    def __init__(self, res: Resources):
        self.res = res
        self.tok = tokenizer(res)
        self.vocab = res.vocabulary
        self.pos = None
        self.word_tags: dict[str, str] = {}
        self._oov: dict[str, str] = {}
        if res.keep_tags is not None:
            from jieba import posseg

            self.pos = posseg.POSTokenizer(self.tok)
            self.pos.makesure_userdict_loaded()
            self.word_tags = self.pos.word_tag_tab
            for word, _, tag in res.terms:
                self.word_tags[word] = tag or res.userdict_tag

    def tag(self, token: str) -> str:
        """The part of speech of one token of ``lcut`` (``lookup`` tagger)."""
        t = self.word_tags.get(token)
        if t is not None:
            return t
        t = self._oov.get(token)
        if t is None:
            if token.isascii():
                t = "eng" if token.isalnum() else "x"  # as jieba.posseg tags Latin words
            else:
                # a word jieba's HMM found: tagged from its dictionary pieces, the head (last piece) giving the tag,
                # unless the first piece is a function word (很差, 不太, 这是: grammatical phrases, not content words)
                tags = [self.word_tags.get(p, "x") for p in self.tok.lcut(token, HMM=False)]
                t = tags[0] if len(tags) == 1 else "x" if tags[0] in _FUNCTION_HEADS else tags[-1]
            if len(self._oov) >= self.CACHE_MAX:
                self._oov.clear()
            self._oov[token] = t
        return t

    def tagged(self, text: str | None) -> list[tuple[str, str]]:
        """Every token of the (NFKC-normalised) text with its part of speech (before any filter)."""
        if not text:
            return []
        text = _normal(text)
        if self.pos is None:
            raise RegulakeError("part-of-speech tagging is off (complaints.pos.enabled: false)")
        if self.res.tagger == "lookup":
            return [(t, self.tag(t)) for t in self.tok.lcut(text)]
        return [(p.word, p.flag) for p in self.pos.lcut(text, HMM=self.res.tagger == "posseg")]

    def words(self, text: str | None) -> list[str]:
        """The content words of one text, in order."""
        if not text:
            return []
        res, vocab = self.res, self.vocab
        text = _normal(text)
        if self.pos is None:
            return [t for t in self.tok.lcut(text) if _is_word(t, res, vocab)]
        keep = res.keep_tags
        if res.tagger == "lookup":
            return [t for t in self.tok.lcut(text) if t in vocab or (_is_word(t, res, vocab) and self.tag(t) in keep)]
        return [
            p.word
            for p in self.pos.lcut(text, HMM=res.tagger == "posseg")
            if p.word in vocab or (p.flag in keep and _is_word(p.word, res, vocab))
        ]


_SEGMENTERS: dict[str, Segmenter] = {}


def segmenter(res: Resources) -> Segmenter:
    """This process's :class:`Segmenter` for ``res`` (built on first use, then reused)."""
    seg = _SEGMENTERS.get(res.digest)
    if seg is None:
        seg = _SEGMENTERS[res.digest] = Segmenter(res)
    return seg


def words(tok: jieba.Tokenizer, text: str | None, res: Resources, vocab: frozenset[str] | None = None) -> list[str]:
    """The content words of one text: jieba tokens minus stopwords, punctuation, numbers, short tokens
    and (when ``res.keep_tags`` is set) parts of speech outside the kept set. ``tok`` must be ``tokenizer(res)``."""
    return segmenter(res).words(text)


def segment_batches(batches: Iterable, res: Resources, text_col: str, out_col: str = WORDS) -> Iterator:
    """Arrow record batches in, the same batches with a ``list<string>`` column of words out."""
    import pyarrow as pa

    seg = segmenter(res)
    for batch in batches:
        texts = batch.column(text_col).to_pylist()
        out = pa.array([seg.words(t) for t in texts], pa.list_(pa.string()))
        yield batch.append_column(out_col, out)


def segment(df: DataFrame, res: Resources, text_col: str = "complaint_text", out_col: str = WORDS) -> DataFrame:
    """``df`` plus ``out_col`` (array<string>): the words of ``text_col``, segmented in the executors."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    schema = StructType(list(df.schema.fields) + [StructField(out_col, ArrayType(StringType()))])

    def run(batches):
        return segment_batches(batches, res, text_col, out_col)

    return df.mapInArrow(run, schema)
