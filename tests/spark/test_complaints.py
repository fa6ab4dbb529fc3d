"""Complaint mining on crafted silver tables: hot words, keywords, rising words, co-occurrence,
hotspots, hotspot entities and word clouds, with real jieba in Spark and real Delta tables."""

import datetime as dt
import os

import pytest

from lakehouse.config.complaints import ComplaintsSettings, WordcloudSettings
from lakehouse.gold.complaints import build, segment

DISTRICTS = ["440604", "440605", "440606"]
SECTIONS = {"F": "5211", "H": "6210"}  # a retail class and a catering class
GENERIC = {
    "F": ["该店价格欺诈，多收顾客钱款", "该商户销售的服装以次充好，拒绝退换"],
    "H": ["该餐厅服务质量差，价格与菜单标价不符", "外卖订单餐具不洁，商家拒绝退款"],
}
HOT = "在该店就餐后出现腹泻，怀疑食品变质，要求赔偿并依法查处，近期多人反映食品变质问题"


def uscc(d, s, i):
    return f"91{d}{s}{i:09d}"[:18].ljust(18, "0")


def silver_tables(spark, tables):
    """10 entities per district x section; in 2025-Q4 the 440605 x H restaurants get 6x the complaints, about spoiled food."""
    reg, comp = [], []
    n = 0
    for d in DISTRICTS:
        for s, industry in SECTIONS.items():
            for i in range(10):
                u = uscc(d, s, i)
                reg.append(("SCJG-001", u, f"佛山市{d}{s}商行{i}", "1100", dt.date(2020, 1, 1), industry, d))
                for q, day in (("Q3", dt.date(2025, 8, 1)), ("Q4", dt.date(2025, 11, 1))):
                    hot = q == "Q4" and d == "440605" and s == "H"
                    for k in range(6 if hot else 1):
                        text = HOT if hot else GENERIC[s][(i + k) % 2]
                        comp.append(("SCJG-008", f"C{n:06d}", u, None, day + dt.timedelta(days=k), d, text))
                        n += 1
    comp.append(
        ("SCJG-008", "C999999", "91440604XXXXXXXXX1", "无照摊档", dt.date(2025, 11, 2), "440604", "无照经营，噪音扰民")
    )  # not registered
    comp.append(
        ("SCJG-007", "X1", uscc("440604", "F", 0), None, dt.date(2025, 11, 2), "440604", "另一目录的记录")
    )  # other catalog: ignored
    tables.write(
        "silver.registration",
        spark.createDataFrame(
            reg,
            "catalog string, uscc string, entity_name string, enterprise_type string, establishment_date date, industry_code string, district_code string",
        ),
        partition_by=["catalog"],
    )
    tables.write(
        "silver.complaints",
        spark.createDataFrame(
            comp,
            "catalog string, complaint_id string, uscc string, entity_name string, received_date date, district_code string, complaint_text string",
        ),
        partition_by=["catalog"],
    )


@pytest.fixture(scope="module")
def jieba_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("jieba"))


@pytest.fixture
def mined(spark, tables, tmp_path, jieba_cache):
    silver_tables(spark, tables)
    try:
        from lakehouse.gold.complaints.wordcloud import find_font

        font = find_font()
    except Exception:
        font = None
    settings = ComplaintsSettings(
        period="quarter",
        jieba_cache_dir=jieba_cache,
        min_word_count=1,
        rising_min_count=5,
        cooccurrence_min_count=3,
        hotspot_min_complaints=10,
        wordcloud=WordcloudSettings(enabled=font is not None, root=str(tmp_path / "clouds"), scopes=["city", "hotspot"]),
    )
    result = build.mine(spark, tables, settings, dt.date(2026, 1, 3), font_path=font)
    return settings, result, font


def rows(tables, name, where="true"):
    return [r.asDict() for r in tables.read(name).where(where).collect()]


def test_mining_finds_the_planted_hotspot_and_its_words(spark, tables, mined, tmp_path, monkeypatch):
    settings, result, font = mined
    # as of 2026-01-03 the quarter 2026-Q1 is not over: the newest period is 2025-Q4
    assert result.last_day == dt.date(2025, 12, 31) and result.periods == ["2025-Q3", "2025-Q4"]
    assert result.complaints == 60 + (50 + 60 + 1)  # Q3; Q4: 50 ordinary, 10 restaurants x 6, one unregistered
    for name in build.TABLES:
        assert tables.exists(name), name

    words = {
        (r["district_code"], r["industry_section"], r["word"]): r["count"] for r in rows(tables, build.WORDS_TABLE, "period = '2025-Q4'")
    }
    assert words[("440605", "H", "食品变质")] == 120  # twice in each of 60 complaints
    assert ("440605", "H", "要求") not in words  # stopword
    assert words[("440604", None, "无照经营")] == 1  # an unregistered entity: no industry, still counted

    kw = rows(tables, build.KEYWORDS_TABLE, "period = '2025-Q4' and district_code = '440605' and industry_section = 'H' and rank = 1")
    assert kw[0]["word"] == "食品变质"

    rising = rows(tables, build.RISING_TABLE, "period = '2025-Q4' and scope = 'city'")
    top = {r["word"]: r for r in rising}
    assert "食品变质" in top and top["食品变质"]["is_new"] and top["食品变质"]["previous_period"] == "2025-Q3"
    assert not rows(tables, build.RISING_TABLE, "period = '2025-Q3'")  # 2025-Q2 had no complaints: nothing can rise

    # keyness against jieba's dictionary beside the counts; phrases as terms of their own, not in the totals
    from lakehouse.gold.complaints import keyness as K

    bg_counts, bg_total = K.background()
    q4 = rows(tables, build.WORDS_TABLE, "period = '2025-Q4' and district_code = '440605' and industry_section = 'H'")
    assert sum(r["count"] for r in q4 if r["kind"] == "word") == q4[0]["total_words"]
    for r in q4:
        assert r["background_count"] == bg_counts.get(r["word"], 0)
        assert r["keyness"] == pytest.approx(K.keyness(r["count"], r["total_words"], r["background_count"], bg_total, 10.0))
        assert r["log_likelihood"] == pytest.approx(K.log_likelihood(r["count"], r["total_words"], r["background_count"], bg_total))
    phrases = rows(tables, build.PHRASES_TABLE, "period = '2025-Q4'")
    assert phrases and all(p["count"] >= settings.phrases.min_count and p["llr"] >= settings.phrases.min_llr for p in phrases)
    for p in phrases:
        assert p["phrase"] == K.join_phrase(p["word_a"], p["word_b"])
        assert p["llr"] == pytest.approx(K.bigram_llr(p["count"], p["count_a"], p["count_b"], p["period_words"]))
    assert {("就餐", "腹泻")} <= {(p["word_a"], p["word_b"]) for p in phrases}
    as_terms = {r["word"]: r for r in q4 if r["kind"] == "phrase"}
    assert as_terms["就餐腹泻"]["parts"] == ["就餐", "腹泻"] and as_terms["就餐腹泻"]["count"] == 60
    hot_words = rows(tables, build.HOT_WORDS_TABLE, "period = '2025-Q4'")
    top = sorted(
        (r for r in hot_words if r["scope"] == "district_industry" and r["district_code"] == "440605" and r["industry_section"] == "H"),
        key=lambda r: r["rank"],
    )
    assert top[0]["word"] == "食品变质" and top[0]["count"] == 120 and top[0]["keyness"] > top[1]["keyness"]
    city = sorted((r for r in hot_words if r["scope"] == "city"), key=lambda r: r["rank"])
    assert [r["keyness"] for r in city] == sorted((r["keyness"] for r in city), reverse=True)
    assert {"city", "district", "district_industry"} == {r["scope"] for r in hot_words}

    pairs = {(r["word_a"], r["word_b"]): r for r in rows(tables, build.COOCCURRENCE_TABLE, "period = '2025-Q4'")}
    pair = pairs[tuple(sorted(("腹泻", "食品变质")))]
    assert pair["complaints"] == 60 and pair["lift"] > 1.5

    hot = rows(tables, build.HOTSPOTS_TABLE, "period = '2025-Q4' and hotspot")
    assert [(h["district_code"], h["industry_section"]) for h in hot] == [("440605", "H")]
    assert hot[0]["top_words"][0] == "食品变质" and hot[0]["ratio"] > 4 and hot[0]["district_name"] == "南海区"
    assert not rows(tables, build.HOTSPOTS_TABLE, "period = '2025-Q3' and hotspot")

    ents = rows(tables, build.HOTSPOT_ENTITIES_TABLE)
    assert {e["uscc"] for e in ents} == {uscc("440605", "H", i) for i in range(10)}
    assert all(e["complaints"] == 6 and "食品变质" in e["reason"] and e["period"] == "2025-Q4" for e in ents)

    if font:
        pngs = {os.path.relpath(p, tmp_path / "clouds") for p in result.wordclouds}
        assert pngs == {"2025-Q4/city.png", "2025-Q4/hotspot-440605-H.png"}
        with open(result.wordclouds[0], "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"

    # the job on the same date replaces its periods: same content, no duplicates; it writes a run record
    import json

    from jobs import complaints as job
    from lakehouse.config import complaints as settings_module
    from lakehouse.config import load_config

    before = {n: sorted(map(str, tables.read(n).collect())) for n in build.TABLES}
    cfg = load_config(
        "test",
        overrides={
            "warehouse.root": tables.root,
            "runs.root": str(tmp_path / "runs"),
            "gold.cutoff_date": "2026-01-03",
            "landing.root": str(tmp_path / "landing"),
            "landing.answer_key_root": str(tmp_path / "key"),
        },
        environ={},
    )
    monkeypatch.setattr(
        settings_module, "settings_of", lambda config: settings.model_copy(update={"wordcloud": WordcloudSettings(enabled=False)})
    )
    assert job.run(cfg, spark) == ["2025-Q3", "2025-Q4"]
    assert {n: sorted(map(str, tables.read(n).collect())) for n in build.TABLES} == before
    record = json.loads(next((tmp_path / "runs").glob("*-complaints.json")).read_text(encoding="utf-8"))
    assert record["status"] == "succeeded" and record["rows_in"] == result.complaints and set(record["tables_written"]) == set(build.TABLES)
    assert [(h["district_code"], h["industry_section"]) for h in record["details"]["hotspots"]] == [("440605", "H")]


def test_segmentation_in_spark_loads_the_dictionary_once_per_worker(spark, jieba_cache):
    res = segment.load_resources(ComplaintsSettings(jieba_cache_dir=jieba_cache))
    df = spark.createDataFrame(
        [(i, HOT if i % 2 else "办理的会员卡预付卡跑路，要求退还余款") for i in range(200)], "id long, text string"
    ).repartition(6)
    got = {r["id"]: r["words"] for r in segment.segment(df, res, text_col="text").collect()}
    assert len(got) == 200 and all(got.values())
    assert "预付卡跑路" in got[0] and "食品变质" in got[1]

    # the same batches function segment() runs, reporting the worker process and its tokenizer loads
    digest = res.digest

    def run(batches):
        import os

        import pyarrow as pa

        from lakehouse.gold.complaints import segment as seg

        for b in seg.segment_batches(batches, res, "text"):
            yield pa.RecordBatch.from_pydict({"pid": [os.getpid()] * b.num_rows, "loads": [seg.LOADS.get(digest, 0)] * b.num_rows})

    out = df.mapInArrow(run, "pid long, loads long").collect()
    assert len(out) == 200
    assert {r["loads"] for r in out} == {1}, sorted({(r["pid"], r["loads"]) for r in out})  # six tasks, one tokenizer per Python worker
