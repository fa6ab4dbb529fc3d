"""Issue 29 without Spark: randomness sources (a recorded drand round, a test key pair, published values,
local mode), shares and seeds, the public ledger's statuses and the public verifier's checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from lakehouse.gold.plans import commitment as cm
from lakehouse.gold.plans import randomness as rnd
from lakehouse.gold.plans.verifier import verify_public

# Recorded rounds of the League of Entropy's mainnet, as published in the README of the python-drand-verify
# package (github.com/very-lame-username/python-drand-verify): quicknet round 657413 and default-chain round 3311596.
QUICKNET_ROUND = {
    "round": 657413,
    "signature": "b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b",
    "randomness": "fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587",
}
DEFAULT_ROUND = {
    "round": 3311596,
    "previous_signature": "8ed588f2a7716fb1349e2d9803da5db0005e98a83783c353d4a08f183236a9ad91d70ddb01266f4b7c576983db464b43"
    "0e65680b9e0098552758afd6c1e6afcb77e3f62fe1b93d42d1cb63abbb2205512fe12fbf74ea9c5ac3b8f5c1e283a1d8",
    "signature": "a696b9409ababce45749c3a4ec369074453dd4a79967734e1390d969c8ad8d98897d217b9121e92c8ddebbddda8d92f9"
    "00e3bd6bf9deb166863b1a19390d743f82774001487594c5c09e581db7365f02b70a2c8cc41ce32446ef08e4890c4754",
    "randomness": "647c07b2abbf7ff2afb4d670214f565e5cd9f9c91bfdcecb59a21f3c78d73920",
}
QUICKNET = rnd.KNOWN_CHAINS["quicknet"]


def _flip(hexstr: str, at: int = 10) -> str:
    b = bytearray(bytes.fromhex(hexstr))
    b[at] ^= 0x01
    return b.hex()


# ---------------------------------------------------------------------------
# drand


def test_a_recorded_quicknet_round_verifies_and_a_changed_one_does_not():
    assert rnd.verify_round(QUICKNET, QUICKNET_ROUND) == QUICKNET_ROUND["randomness"]
    assert QUICKNET_ROUND["randomness"] == hashlib.sha256(bytes.fromhex(QUICKNET_ROUND["signature"])).hexdigest()
    with pytest.raises(rnd.InvalidPublicValue):
        rnd.verify_round(QUICKNET, {**QUICKNET_ROUND, "signature": _flip(QUICKNET_ROUND["signature"])})
    with pytest.raises(rnd.InvalidPublicValue, match="does not verify"):
        rnd.verify_round(QUICKNET, {**QUICKNET_ROUND, "round": 657414})  # the signature of another round
    with pytest.raises(rnd.InvalidPublicValue, match="not SHA-256 of its signature"):
        rnd.verify_round(QUICKNET, {**QUICKNET_ROUND, "randomness": "00" * 32})


def test_a_recorded_chained_round_of_the_default_chain_verifies():
    info = rnd.KNOWN_CHAINS["default"]
    assert rnd.verify_round(info, DEFAULT_ROUND) == DEFAULT_ROUND["randomness"]
    with pytest.raises(rnd.InvalidPublicValue, match="does not verify"):
        rnd.verify_round(info, {**DEFAULT_ROUND, "previous_signature": _flip(DEFAULT_ROUND["previous_signature"], 60)})


def test_round_math_first_round_after_t():
    t = rnd.round_time(QUICKNET, 657412)
    assert rnd.first_round_after(QUICKNET, t) == 657413
    assert rnd.first_round_after(QUICKNET, t - dt.timedelta(seconds=1)) == 657412
    assert rnd.round_time(QUICKNET, 1) == dt.datetime(2023, 8, 23, 15, 9, 27)


def _test_chain():
    """A test key pair and a round signed with it by the quicknet scheme (G1 signatures): not the League's key."""
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import compress_G1, compress_G2
    from py_ecc.optimized_bls12_381 import G2, multiply

    sk = int.from_bytes(hashlib.sha256(b"regulake test beacon key").digest(), "big") % (2**250)
    pk = compress_G2(multiply(G2, sk))
    info = {
        "hash": "ab" * 32,
        "public_key": pk[0].to_bytes(48, "big").hex() + pk[1].to_bytes(48, "big").hex(),
        "period": 3,
        "genesis_time": 1700000000,
        "schemeID": "bls-unchained-g1-rfc9380",
        "beaconID": "test",
    }

    def sign(round_: int) -> dict:
        msg = hashlib.sha256(round_.to_bytes(8, "big")).digest()
        sig = compress_G1(multiply(hash_to_G1(msg, rnd.DST_G1, hashlib.sha256), sk)).to_bytes(48, "big").hex()
        return {"round": round_, "signature": sig, "randomness": hashlib.sha256(bytes.fromhex(sig)).hexdigest()}

    return info, sign


def test_the_beacon_client_waits_for_a_missing_round_and_refuses_a_bad_one():
    info, sign = _test_chain()
    after = dt.datetime(2026, 1, 1, 9, 0, 0)
    calls = []

    def relay(url, timeout):
        calls.append(url)
        if "down" in url:
            raise OSError("connection refused")
        return sign(int(url.rsplit("/", 1)[1]))

    src = rnd.DrandSource(info, ["https://down.example", "https://relay.example"], get=relay)
    target = src.target(after)
    assert target["round"] == rnd.first_round_after(info, after) and rnd.utc(target["due"]) > after
    with pytest.raises(rnd.ValueNotYet, match=f"round {target['round']} is due"):
        src.fetch(target, after)  # not emitted yet: wait
    value = src.fetch(target, rnd.utc(target["due"]) + dt.timedelta(seconds=5))
    assert value["round"] == target["round"] and value["value"] == sign(target["round"])["randomness"]
    assert calls[0].startswith("https://down.example/" + info["hash"] + "/public/") and len(calls) == 2
    assert "BLS signature verified" in rnd.verify(src.describe(), target, value)
    late = rnd.utc(target["due"]) + dt.timedelta(seconds=5)
    unreachable = rnd.DrandSource(info, ["https://down.example"], get=relay)
    with pytest.raises(rnd.ValueNotYet, match="could not be fetched.*connection refused.*--beacon-round"):
        unreachable.fetch(target, late)
    forged = rnd.DrandSource(info, ["https://relay.example"], get=lambda u, t: {**sign(target["round"]), "signature": sign(5)["signature"]})
    with pytest.raises(rnd.InvalidPublicValue):
        forged.fetch(target, late)
    wrong_round = rnd.DrandSource(info, ["https://relay.example"], get=lambda u, t: sign(target["round"] + 1))
    with pytest.raises(rnd.InvalidPublicValue, match="names drand round"):
        wrong_round.fetch(target, late)


# ---------------------------------------------------------------------------
# published values, local mode


def test_published_values_file_first_value_after_t(tmp_path):
    path = tmp_path / "values.jsonl"
    src = rnd.PublishedSource(str(path), "福彩3D")
    target = src.target(dt.datetime(2026, 1, 1, 12))
    with pytest.raises(rnd.ValueNotYet, match="no value of '福彩3D' published after T"):
        src.fetch(target, dt.datetime(2026, 1, 2))
    now = dt.datetime(2026, 1, 2, 9)
    rnd.enter_value(path, "福彩3D", "2025350", "123", dt.datetime(2025, 12, 31, 21, 15), "https://example.org/3d/2025350", "op", now)
    rnd.enter_value(
        path,
        "福彩3D",
        "2026002",
        "907",
        dt.datetime(2026, 1, 2, 21, 15) - dt.timedelta(days=1),
        "https://example.org/3d/2026002",
        "op",
        now,
    )
    rnd.enter_value(
        path, "福彩3D", "2026003", "455", dt.datetime(2026, 1, 1, 21, 15) + dt.timedelta(days=1) - dt.timedelta(hours=13), None, "op", now
    )
    value = src.fetch(target, now)
    assert value["ref"] == "2026002" and value["value"] == "907"  # the first published after T, not the one before
    assert "compare it with the publication" in rnd.verify(src.describe(), target, value)
    assert "the first such value" in rnd.verify(src.describe(), target, value, str(path))
    with pytest.raises(rnd.InvalidPublicValue, match="gives"):
        rnd.verify(src.describe(), target, {**value, "value": "908"}, str(path))
    with pytest.raises(rnd.InvalidPublicValue, match="not after T"):
        rnd.verify(src.describe(), target, {**value, "published_at": "2026-01-01T11:00:00Z"})
    with pytest.raises(rnd.RegulakeError, match="never changed"):
        rnd.enter_value(path, "福彩3D", "2026002", "000", dt.datetime(2026, 1, 1, 21, 15), None, "op", now)
    with pytest.raises(rnd.RegulakeError, match="in the future"):
        rnd.enter_value(path, "福彩3D", "2026009", "1", dt.datetime(2026, 2, 1), None, "op", now)


def test_local_mode_has_no_public_value():
    src = rnd.LocalSource()
    t = src.target(dt.datetime(2026, 1, 1))
    assert src.fetch(t, dt.datetime(2026, 1, 1))["value"] == ""
    assert "local" in rnd.verify(src.describe(), t, {"kind": "local", "value": ""})
    with pytest.raises(rnd.InvalidPublicValue):
        rnd.verify(src.describe(), t, {"kind": "local", "value": "ff"})


# ---------------------------------------------------------------------------
# the public ledger and the public verifier


T0 = rnd.round_time(QUICKNET, 657412) - dt.timedelta(hours=24)  # committed a day before the round after T


def _ledger(parties=("operator", "discipline"), delay=86400, drawn_at=None, value=None):
    """A ledger as commit_plan / commit_share / draw_committed write it, with the recorded quicknet round as the value."""
    shares = {p: hashlib.sha256(f"share of {p}".encode()).hexdigest() for p in parties}
    src = rnd.DrandSource(QUICKNET, ["https://api.drand.sh"])
    t = T0 + dt.timedelta(seconds=delay)
    target = src.target(t)
    c = {
        "plan_id": "p1",
        "attempt": 1,
        "plan_json": "{}",
        "rule_version": "dr-2026.3",
        "register_hash": "r" * 64,
        "register_version": 3,
        "inspectors_version": 1,
        "parties": [{"party": "operator", "share_hash": cm.share_hash("p1", "operator", shares["operator"])}],
        "expected_parties": [p for p in parties if p != "operator"],
        "min_parties": 1,
        "randomness": {"source": src.describe(), "target": target},
        "committed_at": rnd.iso(T0),
        "reveal_after": rnd.iso(t),
        "delay_seconds": delay,
    }
    h = cm.commitment_hash(c)
    rows = [
        {
            "plan_id": "p1",
            "attempt": 1,
            "event": "committed",
            "at": T0,
            "commitment_hash": h,
            "commitment_json": cm.canonical(c),
            "reveal_after": t,
            "party": "operator",
            "share_hash": c["parties"][0]["share_hash"],
        }
    ]
    for p in parties[1:]:
        rows.append(
            {
                "plan_id": "p1",
                "attempt": 1,
                "event": "share_committed",
                "at": T0 + dt.timedelta(hours=1),
                "party": p,
                "share_hash": cm.share_hash("p1", p, shares[p]),
                "commitment_hash": h,
            }
        )
    value = value or src.accept(target, QUICKNET_ROUND, "recorded")
    tasks = [["91440604MA00000001", "440604", "01", False], ["91440605MA00000002", "440605", "03", True]]
    rows.append(
        {
            "plan_id": "p1",
            "attempt": 1,
            "event": "drawn",
            "at": drawn_at or rnd.utc(target["due"]) + dt.timedelta(minutes=1),
            "commitment_hash": h,
            "reveal_after": t,
            "shares_json": cm.canonical(shares),
            "public_value_json": cm.canonical(value),
            "seed": cm.derive_seed(h, shares, value["value"]),
            "tasks_hash": "x",
            "public_tasks_json": cm.canonical(tasks),
            "public_tasks_hash": cm.public_tasks_hash(tasks),
        }
    )
    results = [{"plan_id": "p1", "uscc": u, "district_code": d, "inspection_item": i, "cross_district": x} for u, d, i, x in tasks]
    return rows, results


def _status(ver):
    return {c.name: c.status for c in ver.checks}


def test_a_draw_committed_before_t_with_two_parties_and_a_beacon_round_verifies():
    rows, results = _ledger()
    ver, com, drawn = verify_public("p1", rows, results)
    assert ver.ok, ver.checks
    st = _status(ver)
    assert st == {
        "drawn once": "ok",
        "commitment": "ok",
        "commitment before T": "ok",
        "shares": "ok",
        "public value": "ok",
        "seed": "ok",
        "public tasks": "ok",
    }
    detail = {c.name: c.detail for c in ver.checks}
    assert "2 share(s) (discipline, operator)" in detail["shares"] and "round 657413" in detail["public value"]
    assert "1 cross-district" in detail["public tasks"]


def test_tampering_is_detected_and_named():
    rows, results = _ledger()
    # a revealed share that is not the committed one
    bad = [dict(r) for r in rows]
    d = bad[-1]
    shares = json.loads(d["shares_json"])
    shares["discipline"] = "00" * 32
    d["shares_json"] = cm.canonical(shares)
    ver = verify_public("p1", bad, results)[0]
    assert not ver.ok and "party discipline: the revealed share does not match" in next(c.detail for c in ver.checks if c.name == "shares")
    # a public value that is not the round's
    bad = [dict(r) for r in rows]
    v = json.loads(bad[-1]["public_value_json"])
    v["signature"] = _flip(v["signature"])
    bad[-1]["public_value_json"] = cm.canonical(v)
    ver = verify_public("p1", bad, results)[0]
    assert _status(ver)["public value"] == "mismatch" and not ver.ok
    # another round than the one committed to
    bad = [dict(r) for r in rows]
    v = json.loads(bad[-1]["public_value_json"])
    v["round"] = 657414
    bad[-1]["public_value_json"] = cm.canonical(v)
    assert "names drand round 657413" in next(c.detail for c in verify_public("p1", bad, results)[0].checks if c.name == "public value")
    # a seed that does not follow
    bad = [dict(r) for r in rows]
    bad[-1]["seed"] = "0" * 64
    assert _status(verify_public("p1", bad, results)[0])["seed"] == "mismatch"
    # a task changed in the public results
    changed = [dict(r) for r in results]
    changed[1]["inspection_item"] = "01"
    ver = verify_public("p1", rows, changed)[0]
    assert not ver.ok and "task for 91440605MA00000002: inspection_item '03' → '01'" in next(
        c.detail for c in ver.checks if c.name == "public tasks"
    )
    # a task added
    ver = verify_public(
        "p1",
        rows,
        results
        + [{"plan_id": "p1", "uscc": "91440606MA00000003", "district_code": "440606", "inspection_item": "02", "cross_district": False}],
    )[0]
    assert "task for 91440606MA00000003 added" in next(c.detail for c in ver.checks if c.name == "public tasks")
    # the commitment JSON edited after the fact
    bad = [dict(r) for r in rows]
    bad[0]["commitment_json"] = bad[0]["commitment_json"].replace('"delay_seconds":86400', '"delay_seconds":0')
    assert _status(verify_public("p1", bad, results)[0])["commitment"] == "mismatch"


def test_a_plan_drawn_before_t_or_without_a_commitment_or_twice_fails():
    rows, results = _ledger(drawn_at=T0 + dt.timedelta(hours=2))
    ver = verify_public("p1", rows, results)[0]
    assert not ver.ok and "before T" in next(c.detail for c in ver.checks if c.name == "commitment before T")
    rows, results = _ledger()
    ver = verify_public("p1", [r for r in rows if r["event"] == "drawn"], results)[0]
    assert not ver.ok and _status(ver)["commitment"] == "mismatch"
    ver = verify_public("p1", [], results)[0]
    assert not ver.ok and "no published commitment" in ver.checks[0].detail
    ver = verify_public("p1", rows + [dict(rows[-1])], results)[0]
    assert not ver.ok and "drawn 2 times" in ver.checks[0].detail
    # the Delta commit that published the commitment came after T (the row's own time is not enough)
    t = rnd.utc(rows[0]["reveal_after"])
    ver = verify_public("p1", rows, results, log_times={("p1", 1, "committed", None): t + dt.timedelta(seconds=1)})[0]
    assert not ver.ok and "published at" in next(c.detail for c in ver.checks if c.name == "commitment before T")
    # a party whose share hash was committed only after T
    late = [dict(r) for r in rows]
    late[1]["at"] = t + dt.timedelta(seconds=1)
    assert "not before T" in next(c.detail for c in verify_public("p1", late, results)[0].checks if c.name == "shares")


def test_public_statuses_of_attempts():
    rows, _ = _ledger()
    com = rows[0]
    t = rnd.utc(com["reveal_after"])
    open_ = [r for r in rows if r["event"] != "drawn"]
    assert cm.plan_status(open_, t - dt.timedelta(seconds=1), 168)["status"] == "committed"
    assert cm.plan_status(open_, t + dt.timedelta(hours=1), 168)["status"] == "awaiting draw"
    assert cm.plan_status(open_, t + dt.timedelta(hours=169), 168)["status"] == "abandoned"  # committed, never drawn
    assert cm.plan_status(rows, t + dt.timedelta(hours=500), 168)["status"] == "drawn"
    assert cm.open_attempt(open_) is com and cm.open_attempt(rows) is None
    replaced = open_ + [
        {"plan_id": "p1", "attempt": 1, "event": "abandoned", "at": t, "message": "replaced by attempt 2"},
        {**com, "attempt": 2, "at": t + dt.timedelta(seconds=1)},
    ]
    st = cm.plan_status(replaced, t + dt.timedelta(seconds=2), 168)
    assert st["attempt"] == 2 and st["abandoned_attempts"] == 1 and st["attempts"] == {1: "abandoned", 2: "awaiting draw"}
    assert cm.plan_status(rows + [dict(rows[-1])], t, 168)["status"] == "drawn more than once"


def test_shares_and_seed_are_plain_sha256():
    assert cm.share_hash("p", "operator", "ab") == hashlib.sha256(b"regulake-share|v1|p|operator|ab").hexdigest()
    seed = cm.derive_seed("c" * 64, {"operator": "s1", "discipline": "s2"}, "ff")
    assert seed == hashlib.sha256(("regulake-seed|v1|" + "c" * 64 + "|discipline=s2|operator=s1|ff").encode()).hexdigest()
    assert cm.derive_seed("c" * 64, {"operator": "s1"}, "ff") != seed
    assert len(cm.new_share()) == 64 and cm.new_share() != cm.new_share()
