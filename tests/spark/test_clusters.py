"""Registration clusters on crafted registers: address variants grouped, near misses left out,
scores and reasons, no personal data in gold, idempotent re-runs, evaluation against a key."""

import datetime as dt

import pytest

from lakehouse.config.clusters import ClustersSettings
from lakehouse.gold.clusters import build
from simulator.cluster_recall import evaluate, planted, read_alerts

D0 = dt.date(2024, 5, 6)
# one building room written eight ways (full-width digits, 號, 房/室, no district, spaces, city prefix or not, numerals)
CLUSTER_A = [
    "广东省佛山市禅城区祖庙街道普东社区景庙西路135号20座1705室",
    "佛山市禅城区祖庙街道普东社区景庙西路１３５号２０座１７０５室",
    "禅城区祖庙街道普东社区景庙西路135號20座1705房",
    "广东省佛山市祖庙街道普东社区景庙西路135号20座1705室",
    "广东省佛山市禅城区 祖庙街道 普东社区 景庙西路 135号 20座 1705室",
    "禅城区祖庙街道景庙西路一百三十五号二十座一七零五室",
    "普东社区景庙西路135号20栋1705室",  # town and district only in the record's codes
]
SCHEMA = (
    "catalog string, uscc string, entity_name string, enterprise_type string, establishment_date date, industry_code string, "
    "registered_capital double, district_code string, town_code string, address string, legal_rep_name string, legal_rep_id string, "
    "legal_rep_phone string, legal_rep_id_hash string, legal_rep_phone_hash string, update_time timestamp"
)


def code(tag, i):
    return f"91440604{tag}{i:08d}"[:18].ljust(18, "0")


def entity(tag, i, address, day, industry="5191", etype="1100", capital=None, rep=None, town="440604012"):
    rep = rep or f"{tag}{i}"
    return (
        "SCJG-001",
        code(tag, i),
        f"佛山市{tag}{i}商贸有限公司",
        etype,
        day,
        industry,
        capital or 50.0 + i * 7.3,
        "440604",
        town,
        address,
        "张三",
        "440604199001011234",
        "13800138000",
        f"hash-id-{rep}",
        f"hash-phone-{rep}",
        dt.datetime(2024, 6, 1),
    )


def register(spark, tables):
    rows = []
    # A: 7 trading companies within 4 days at one room; three share a legal representative, two share capital
    for i, a in enumerate(CLUSTER_A):
        rows.append(
            entity("AA", i, a, D0 + dt.timedelta(days=i % 5), rep="nominee" if i < 3 else None, capital=100.0 if i in (3, 4) else None)
        )
    # B: 5 companies at one address, but over two months
    for i in range(5):
        rows.append(entity("BB", i, "佛山市禅城区祖庙街道季华五路18号3层", D0 + dt.timedelta(days=15 * i)))
    # C: 4 companies within 2 days: below the minimum size
    for i in range(4):
        rows.append(entity("CC", i, "佛山市禅城区祖庙街道汾江中路99号", D0 + dt.timedelta(days=i % 2)))
    # D: 6 individual businesses in one market within 3 days: a market, not a cluster
    for i in range(6):
        rows.append(entity("DD", i, "佛山市禅城区祖庙街道朝安路1号市场", D0 + dt.timedelta(days=i % 3), etype="9100", industry="5221"))
    # E: 5 manufacturers in one industrial building within 6 days, nothing shared: a cluster, but not an alert
    for i in range(5):
        rows.append(entity("EE", i, "佛山市禅城区祖庙街道工业大道8号2栋", D0 + dt.timedelta(days=i + (i > 2) * 2), industry="3381"))
    # F: two rooms of one building, 3 companies each: different addresses
    for i in range(6):
        rows.append(entity("FF", i, f"佛山市禅城区祖庙街道创业路6号{501 + i % 2}室", D0))
    # background: companies at their own addresses, one registered after as_of at A's address
    for i in range(20):
        rows.append(entity("ZZ", i, f"佛山市禅城区祖庙街道人民路{i + 1}号", D0 + dt.timedelta(days=i)))
    rows.append(entity("LATE", 0, CLUSTER_A[0], dt.date(2026, 2, 1)))
    tables.write("silver.registration", spark.createDataFrame(rows, SCHEMA), partition_by=["catalog"])


AS_OF = dt.date(2026, 1, 3)


def test_clusters_from_address_variants(spark, tables, tmp_path):
    import json

    from jobs import clusters as job
    from lakehouse.config import load_config

    register(spark, tables)
    settings = ClustersSettings(use_shareholders=False)
    result = build.run_clusters(spark, tables, settings, AS_OF)
    members = tables.read(build.CLUSTERS_TABLE).collect()
    by_cluster = {}
    for r in members:
        by_cluster.setdefault(r["cluster_id"], set()).add(r["uscc"])
    assert sorted(map(sorted, by_cluster.values())) == sorted(
        [sorted(code("AA", i) for i in range(len(CLUSTER_A))), sorted(code("EE", i) for i in range(5))]
    )
    assert result.clusters == 2 and result.alerts == 1 and result.alerted_entities == len(CLUSTER_A)

    alerts = [r.asDict() for r in tables.read(build.ALERTS_TABLE).collect()]
    assert len(alerts) == 1
    a = alerts[0]
    assert set(a["members"]) == {code("AA", i) for i in range(len(CLUSTER_A))}
    assert a["size"] == 7 and a["span_days"] == 4 and a["first_date"] == D0 and a["as_of"] == AS_OF
    assert a["same_legal_rep"] == 3 and a["same_capital"] == 2 and a["c_trading"] == 1.0
    assert {"size", "shared_legal_rep", "trading", "identical_capital"} <= set(a["reason_codes"])
    assert any("share one legal representative" in r for r in a["reasons"])
    assert (
        a["address_normalised"] == "禅城区祖庙街道景庙西路135号20栋1705室"
        and a["district_code"] == "440604"
        and a["town_code"] == "440604012"
    )
    low = [r for r in members if r["uscc"] == code("EE", 0)][0]
    assert low["alert"] is False and low["score"] < settings.alert_threshold <= a["score"]

    # no personal data in gold: hashes are not needed there, raw values never
    for name in (build.CLUSTERS_TABLE, build.ALERTS_TABLE):
        cols = set(tables.read(name).columns)
        assert not {"legal_rep_name", "legal_rep_id", "legal_rep_phone", "legal_rep_id_hash", "legal_rep_phone_hash", "address"} & cols
        text = " ".join(map(str, tables.read(name).collect()))
        assert "440604199001011234" not in text and "13800138000" not in text and "张三" not in text

    # the job on the same date: the as_of partition is replaced (ids are stable), and a run record is written
    before = sorted(map(str, tables.read(build.ALERTS_TABLE).collect()))
    cfg = load_config(
        "test",
        overrides={
            "warehouse.root": tables.root,
            "runs.root": str(tmp_path / "runs"),
            "gold.cutoff_date": AS_OF.isoformat(),
            "landing.root": str(tmp_path / "landing"),
            "landing.answer_key_root": str(tmp_path / "key"),
        },
        environ={},
    )
    assert job.run(cfg, spark) == [AS_OF]
    assert sorted(map(str, tables.read(build.ALERTS_TABLE).collect())) == before
    assert tables.read(build.CLUSTERS_TABLE).count() == len(members)
    record = json.loads(next((tmp_path / "runs").glob("*-clusters.json")).read_text(encoding="utf-8"))
    assert record["status"] == "succeeded" and record["details"]["alerts"] == 1 and record["rows_out"] == len(members) + 1
    assert set(record["tables_written"]) == {build.CLUSTERS_TABLE, build.ALERTS_TABLE}

    # evaluation against an answer key in the simulator's format
    key = tmp_path / "key"
    key.mkdir()
    lines = ["cluster_id,uscc,entity_name,address,establishment_date,shell"] + [
        f"0,{code('AA', i)},x,y,2024-05-06,True" for i in range(len(CLUSTER_A))
    ]
    (key / "clusters.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scores = evaluate(read_alerts(tables.root), planted(key))
    assert scores["entity_precision"] == scores["entity_recall"] == scores["cluster_recall"] == scores["cluster_precision"] == 1.0


@pytest.mark.parametrize("bad", [{"window_days": -1}, {"min_size": 1}, {"weights": {"size": -1}}, {"nope": 1}])
def test_settings_reject_bad_values(bad):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ClustersSettings(**bad)
