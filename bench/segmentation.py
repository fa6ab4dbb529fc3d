"""Benchmark: complaint segmentation in Spark (mapInArrow) vs plain jieba in one process.

Both sides run the same function (:func:`lakehouse.complaints.segment.words`: jieba with the
user dictionary, then stopwords and noise removed) over the same simulated complaint texts.
Plain: one Python process, tokenizer already loaded. Spark: ``local[N]``, texts cached in
the JVM, workers warmed up once (dictionary loaded), then timed end to end including Arrow
transfer to and from the Python workers; the rate is divided by N cores.

    .venv/bin/python bench/segmentation.py                       # 200k texts, local[1]
    .venv/bin/python bench/segmentation.py --texts 400000 --cores 2

Goal: Spark sentences/s per core >= 0.8 x plain jieba. Wall-clock rates suffer when other
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

    from lakehouse.landing.complaints import ComplaintTexts

    hot = [{"district_code": "440605", "district": "南海区", "section": "H", "keyword": "食品变质", "label": "餐饮", "boost": 5.0}]
    ct = ComplaintTexts(hot, seed)
    pool = [t for p in list(ct.pools.values()) + ct.hot_pools for t in p]
    rng = np.random.default_rng(seed)
    return [pool[i] for i in rng.integers(0, len(pool), n)]


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
    a = ap.parse_args()

    from lakehouse.complaints import segment
    from lakehouse.complaints.settings import ComplaintsSettings

    data = texts(a.texts)
    res = segment.load_resources(ComplaintsSettings())
    tok = segment.tokenizer(res)
    vocab = res.vocabulary
    segment.words(tok, data[0], res, vocab)

    from pyspark.sql import functions as F

    from lakehouse.config import load_config
    from lakehouse.spark import get_spark

    cfg = load_config(overrides={"spark.master": f"local[{a.cores}]", "spark.ui_enabled": False, "spark.log_level": "ERROR",
                                 "spark.shuffle_partitions": a.cores})
    spark = get_spark(cfg)
    df = spark.createDataFrame([(t,) for t in data], "complaint_text string").repartition(a.cores * 4).cache()
    df.count()
    segment.segment(df.sample(fraction=0.002, seed=1), res).agg(F.sum(F.size("words"))).collect()  # warm-up: every worker loads the dictionary
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
    print(f"texts: {a.texts:,} (mean {sum(map(len, data)) / len(data):.1f} characters), words: {n_words:,}; "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print(f"plain jieba, one process:      {plain_rate:10,.0f} sentences/s   (best of {a.repeat}: {min(plain):.2f} s wall, {min(plain_cpu):.2f} s CPU)")
    print(f"Spark mapInArrow, local[{a.cores}]:   {spark_rate:10,.0f} sentences/s per core   (best of {a.repeat}: {min(spark_times):.2f} s wall, "
          f"{min(spark_cpu):.2f} s CPU of the JVM and its Python workers)")
    print(f"ratio (Spark per core / plain), wall time:       {spark_rate / plain_rate:.2f}   goal >= 0.8")
    print(f"ratio (sentences per CPU second, Spark / plain): {min(plain_cpu) / min(spark_cpu):.2f}   (insensitive to other load on the machine)")
    emit("segmentation", f"{a.texts:,} texts: Spark {spark_rate:,.0f} vs plain jieba {plain_rate:,.0f} sentences/s per core",
         spark_rate / plain_rate, "≥ 0.8", spark_rate / plain_rate >= 0.8)
    spark.stop()


if __name__ == "__main__":
    main()
