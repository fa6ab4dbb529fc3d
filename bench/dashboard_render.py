"""First render of the dashboard in headless Chromium at SF 0.1's entity count.

    python bench/dashboard_render.py --warehouse WAREHOUSE [--entities 90000] [--repeats 3]

WAREHOUSE is a demo warehouse (``regulake demo``). Its tables are copied to a temporary
warehouse with ``gold.entity_profile`` and ``gold.risk_scores`` (two score dates) replicated to
``--entities`` rows under new, valid USCCs (SF 0.1 = 90,000 entities); the other tables stay as
the demo wrote them. The scoring API's app with the dashboard runs under uvicorn on loopback;
Chromium (Debian's /usr/bin/chromium through Playwright) loads /dashboard with a session and
waits until every panel has drawn. Prints the snapshot load time and the first render (cold:
the first page after start) and later page loads, two of them with a new district filter (computed on request).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

KEY = "bench-dashboard-key-0123456789abcdef"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _uscc(i: int, district: str) -> str:
    from stdnum.cn.uscc import calc_check_digit

    base = f"91{district}B{i:08d}"
    return base + calc_check_digit(base)


def scale(src: Path, dst: Path, entities: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable, write_deltalake

    shutil.copytree(src, dst)
    prof = DeltaTable(str(src / "gold" / "entity_profile")).to_pyarrow_table()
    reps = -(-entities // prof.num_rows)
    big = pa.concat_tables([prof] * reps).slice(0, entities)
    codes = [_uscc(i, d or "440604") for i, d in enumerate(big.column("district_code").to_pylist())]
    mapping = dict(zip(codes, big.column("uscc").to_pylist()))
    big = big.set_column(big.column_names.index("uscc"), "uscc", pa.array(codes))
    shutil.rmtree(dst / "gold" / "entity_profile")
    write_deltalake(str(dst / "gold" / "entity_profile"), big, partition_by=["as_of"])
    scores = DeltaTable(str(src / "gold" / "risk_scores")).to_pyarrow_table()
    day = pc.max(scores.column("score_date")).as_py()
    one = scores.filter(pc.equal(scores.column("score_date"), day))
    idx = {u: i for i, u in enumerate(one.column("uscc").to_pylist())}
    take = pa.array([idx.get(mapping[c], 0) for c in codes])
    s = one.take(take).set_column(one.column_names.index("uscc"), "uscc", pa.array(codes))
    import datetime as dt

    prev = s.set_column(s.column_names.index("score_date"), "score_date", pa.array([day - dt.timedelta(days=1)] * s.num_rows, pa.date32()))
    prob = pc.multiply(prev.column("probability"), 0.9)
    prev = prev.set_column(prev.column_names.index("probability"), "probability", prob)
    shutil.rmtree(dst / "gold" / "risk_scores")
    write_deltalake(str(dst / "gold" / "risk_scores"), pa.concat_tables([prev, s]), partition_by=["score_date"])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", required=True, type=Path)
    ap.add_argument("--entities", type=int, default=90_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)

    import uvicorn
    from playwright.sync_api import sync_playwright

    from lakehouse.config.api import ApiKey, ApiSettings, hash_api_key
    from serving.app import create_app
    from serving.dashboard.state import DashboardState

    tmp = Path(tempfile.mkdtemp(prefix="dash-bench-"))
    root = tmp / "warehouse"
    t0 = time.perf_counter()
    scale(a.warehouse, root, a.entities)
    print(f"scaled warehouse ({a.entities:,} entities) written in {time.perf_counter() - t0:.1f} s")
    settings = ApiSettings(
        api_keys=[ApiKey(name="bench", key_hash=hash_api_key(KEY), scopes=["dashboard:read"])], rate_limit={"enabled": False}
    )
    dash = DashboardState(str(root), reload_interval_s=3600)
    t0 = time.perf_counter()
    dash.refresh()
    print(f"dashboard snapshots loaded (and the unfiltered panels computed) in {time.perf_counter() - t0:.2f} s")
    app = create_app(settings, str(root), start_reloader=False, dashboard=dash)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = b.new_page(viewport={"width": 1360, "height": 900})
        page.goto(base + "/dashboard/login")
        page.fill("#api_key", KEY)
        t0 = time.perf_counter()
        page.click("#login")
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        cold = time.perf_counter() - t0
        warm = []
        for district in ["", "440605", "440606", ""][: a.repeats + 1]:
            t0 = time.perf_counter()
            page.goto(base + "/dashboard" + (f"?district={district}" if district else ""))
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            warm.append(time.perf_counter() - t0)
        entities = page.get_attribute("#ov-entities", "data-value")
        b.close()
    srv.should_exit = True
    print(
        f"first render (login submitted to every panel drawn, the first page after start): {cold:.2f} s; later page loads "
        f"(incl. two new district filters): median {statistics.median(warm):.2f} s, max {max(warm):.2f} s; entities shown {entities}"
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
