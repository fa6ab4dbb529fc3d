"""The city simulator's output: determinism, validity against the catalog, the answer key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from catalog.loader import load_catalog
from catalog.standards import validate_value
from lakehouse.landing.writers import read_file
from simulator.answer_key import read_dirty, read_faults
from simulator.simulate import simulate

SCALE, DAYS, SEED = 0.0005, 2, 11


@pytest.fixture(scope="session")
def city_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim")
    run = simulate(SCALE, DAYS, SEED, root / "landing", root / "answer_key")
    return root, run


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files_whatever_the_workers(city_run, tmp_path):
    root, _ = city_run
    simulate(SCALE, DAYS, SEED, tmp_path / "landing", tmp_path / "answer_key", workers=2)
    assert _hashes(root / "landing") == _hashes(tmp_path / "landing")
    assert _hashes(root / "answer_key") == _hashes(tmp_path / "answer_key")


def test_another_seed_gives_another_city(tmp_path):
    a = simulate(SCALE, 0, 1, tmp_path / "a", tmp_path / "ka", catalogs=["SCJG-001"])
    b = simulate(SCALE, 0, 2, tmp_path / "b", tmp_path / "kb", catalogs=["SCJG-001"])
    fa = next((tmp_path / "a").rglob("part-*.csv")).read_bytes()
    fb = next((tmp_path / "b").rglob("part-*.csv")).read_bytes()
    assert a["entities"] == b["entities"] and fa != fb


def test_layout_manifests_and_formats(city_run):
    root, run = city_run
    reg = load_catalog()
    landing = root / "landing"
    manifests = sorted(landing.rglob("_manifest.json"))
    catalogs_seen = set()
    faults = {(f["file"], f["kind"]) for f in read_faults(root / "answer_key")}
    for m in manifests:
        man = json.loads(m.read_text(encoding="utf-8"))
        cat = reg.catalogs[man["catalog"]]
        catalogs_seen.add(cat.code)
        assert m.parent.parent.name == cat.code and m.parent.parent.parent.name == cat.department
        assert man["format"] == cat.format and man["batch_date"] == m.parent.name
        assert man["columns"] == [f.source_name for f in cat.fields]
        for f in man["files"]:
            rel = f"{cat.department}/{cat.code}/{man['batch_date']}/{f['name']}"
            data = (m.parent / f["name"]).read_bytes()
            damaged = any(file == rel for file, kind in faults if kind in ("gbk_invalid_byte", "truncated_file"))
            assert (hashlib.sha256(data).hexdigest() == f["sha256"]) != damaged, rel
    assert catalogs_seen == set(reg.catalogs)  # every catalog delivers its history
    assert run["batches"] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert run["records_by_batch"]["2026-01-02"] > 0


def test_every_record_validates_except_the_listed_dirty_ones(city_run):
    root, _ = city_run
    reg = load_catalog()
    landing, key = root / "landing", root / "answer_key"
    dirty = read_dirty(key)
    listed = {(d["file"], d["row"], d["field"]): d["kind"] for d in dirty}
    faults = read_faults(key)
    gbk_rows = {(f["file"], int(f["row"])) for f in faults if f["kind"] == "gbk_invalid_byte"}
    truncated = {f["file"]: int(f["row"]) for f in faults if f["kind"] == "truncated_file"}
    failures, checked, normalised_ok = [], 0, 0
    for m in sorted(landing.rglob("_manifest.json")):
        man = json.loads(m.read_text(encoding="utf-8"))
        cat = reg.catalogs[man["catalog"]]
        for f in man["files"]:
            rel = f"{cat.department}/{cat.code}/{man['batch_date']}/{f['name']}"
            path = m.parent / f["name"]
            if any(file == rel for file, _ in gbk_rows):
                with pytest.raises(UnicodeDecodeError):
                    read_file(path, cat.format)
                continue
            if rel in truncated:
                data = path.read_bytes()
                assert data.count(b"\n") - 1 == truncated[rel] < f["rows"]
                continue
            rows = read_file(path, cat.format)
            assert len(rows) == f["rows"], rel
            for i, row in enumerate(rows):
                for fld in cat.fields:
                    std = reg.standards[fld.standard]
                    ok, _, reason = validate_value(std, row.get(fld.source_name), fld.required)
                    checked += 1
                    kind = listed.get((rel, i, fld.name))
                    if not ok and kind not in ("missing", "bad_check_digit"):
                        failures.append(f"{rel} row {i} {fld.name}={row.get(fld.source_name)!r}: {reason}")
                    if ok and kind in ("missing", "bad_check_digit"):
                        failures.append(f"{rel} row {i} {fld.name}: listed as {kind} but valid")
                    if kind in ("date_format", "full_width", "whitespace"):
                        assert ok, (rel, i, fld.name)  # repairable by normalisation
                        normalised_ok += 1
    assert checked > 100_000
    by_field = sorted({f.split(" row ")[0].split("/")[1] + ":" + f.split(" ")[3].split("=")[0] for f in failures})
    assert not failures, f"{len(failures)} failures in {by_field[:30]}\n" + "\n".join(failures[:10])
    assert normalised_ok > 0


def test_dirty_kinds_at_their_rates(city_run):
    root, run = city_run
    dirty = read_dirty(root / "answer_key")
    kinds = {}
    for d in dirty:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    n = run["records"]
    for kind, rate in (
        ("missing", 0.002),
        ("date_format", 0.002),
        ("whitespace", 0.002),
        ("bad_check_digit", 0.001),
        ("full_width", 0.001),
        ("duplicate", 0.001),
    ):
        assert 0.4 * rate * n < kinds.get(kind, 0) < 1.6 * rate * n, (kind, kinds.get(kind), rate * n)
    dup = [d for d in dirty if d["kind"] == "duplicate"][0]
    assert dup["original_row"] >= 0 and dup["original_row"] < dup["row"]
    faults = {f["kind"] for f in read_faults(root / "answer_key")}
    assert faults == {"added_column", "gbk_invalid_byte", "truncated_file"}


def test_added_column_appears_in_later_batches_only(city_run):
    root, _ = city_run
    reg = load_catalog()
    cat = reg.catalogs["SCJG-004"]
    first = read_file(next((root / "landing" / "SCJG" / "SCJG-004" / "2026-01-01").glob("part-*")), cat.format)
    later = read_file(next((root / "landing" / "SCJG" / "SCJG-004" / "2026-01-02").glob("part-*")), cat.format)
    assert "变更原因" not in first[0] and "变更原因" in later[0]


def test_late_corrections_point_at_real_earlier_records(tmp_path):
    from lakehouse.config import SimulatorConfig
    from simulator.simulate import Settings

    cfg = SimulatorConfig(late_correction_rate=1.0)
    settings = Settings.from_config(cfg, SCALE, 2, SEED, tmp_path / "l", tmp_path / "k")
    simulate(SCALE, 2, SEED, tmp_path / "l", tmp_path / "k", settings=settings, catalogs=["SCJG-001", "SCJG-004", "SCJG-008"])
    reg = load_catalog()
    corr = [d for d in read_dirty(tmp_path / "k") if d["kind"] == "late_correction"]
    assert corr
    for d in corr:
        cat = reg.catalogs[d["catalog"]]
        src = cat.field(d["field"]).source_name
        original = read_file(tmp_path / "l" / d["original_file"], cat.format)[d["original_row"]]
        resent = read_file(tmp_path / "l" / d["file"], cat.format)[d["row"]]
        assert str(original[src]) == d["original_value"] and str(resent[src]) == d["delivered_value"]
        for k in cat.key_fields:
            ks = cat.field(k).source_name
            assert original[ks] == resent[ks]


def test_refuses_unsafe_folders(tmp_path):
    from lakehouse.errors import RegulakeError

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("x")
    with pytest.raises(RegulakeError, match="not empty"):
        simulate(SCALE, 0, 1, tmp_path / "mine", tmp_path / "key")
    with pytest.raises(RegulakeError, match="outside the landing zone"):
        simulate(SCALE, 0, 1, tmp_path / "l", tmp_path / "l" / "key")
    simulate(SCALE, 0, 1, tmp_path / "l2", tmp_path / "k2", catalogs=["SCJG-010"])
    with pytest.raises(RegulakeError, match="--overwrite"):
        simulate(SCALE, 0, 1, tmp_path / "l2", tmp_path / "k2", catalogs=["SCJG-010"])
    simulate(SCALE, 0, 1, tmp_path / "l2", tmp_path / "k2", catalogs=["SCJG-010"], overwrite=True)
    with pytest.raises(RegulakeError, match="unknown catalog"):
        simulate(SCALE, 0, 1, tmp_path / "l3", tmp_path / "k3", catalogs=["NOPE-1"])


def test_late_corrections_take_chunked_columns():
    """At SF 1 some delivery columns are chunked arrays; a late correction appends to them all the same."""
    import numpy as np
    import pyarrow as pa

    from simulator.simulate import _late_corrections

    cols = {"id": pa.chunked_array([["1", "2"], ["3"]]), "v": pa.chunked_array([["a", "b"], ["c"]])}
    samples = [{"values": {"id": "9", "v": "z"}, "row": 4, "file": "old.csv"}]
    out, extra = _late_corrections(cols, ["id", "v"], {"id"}, samples, 3, np.random.default_rng(0))
    assert extra and all(isinstance(a, pa.Array) for a in out.values())
    assert out["id"].to_pylist() == ["1", "2", "3"] + ["9"] * len(extra)
    assert out["v"].to_pylist()[:3] == ["a", "b", "c"] and set(out["v"].to_pylist()[3:]) <= {"a", "b", "c"}
