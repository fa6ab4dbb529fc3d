"""Effectiveness report of a plan: HTML with PNG charts and a JSON of every figure.

For a drawn plan it compares the hit rate (share of inspected entities found in violation)
of the targeted share, the random share and a purely random plan of the same size, and the
inspections of law-abiding entities the targeting avoids. Two sources:

* **expected** — from the simulator's answer key: the mean true propensity of the entities
  (exact expectations, no sampling noise). A purely random plan's expectation is the mean
  over the eligible population.
* **observed** — the results delivered for the plan's tasks (``silver.inspections``), e.g.
  after ``regulake simulate-inspections`` and ``regulake run bronze/silver``.

Because the simulator plants the signal, the report also gives the **oracle ratio**: the
targeted share's expected hit rate ÷ that of ranking the same candidates by the answer key's
true propensity at the same size (goal ≥ 0.95). And it replays the case's setting on the
same register — ≈29k targeted per 900k entities (3.2%), making 35% of the plan — beside the
case's 17.6% → 86% and −83% (law-abiding inspections in the targeted share vs as many drawn
at random: 1 − (1 − 86%)/(1 − 17.6%) = 83%).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lakehouse.errors import RegulakeError
from lakehouse.gold.plans import audit

if TYPE_CHECKING:
    from lakehouse.tables import Tables

CASE = {
    "targeted_sf1": 29_000,
    "entities_sf1": 900_000,
    "targeted_share": 0.35,
    "random_hit_rate": 0.176,
    "targeted_hit_rate": 0.86,
    "law_abiding_reduction": 0.83,
}
ORACLE_GOAL = 0.95


def _rate(x) -> float | None:
    x = np.asarray(x, dtype=float)
    return float(x.mean()) if len(x) else None


def _spread(p) -> list[float] | None:
    """95% range of the hit rate observed when entities with propensities ``p`` are inspected."""
    p = np.asarray(p, dtype=float)
    if not len(p):
        return None
    sd = float(np.sqrt((p * (1 - p)).sum())) / len(p)
    return [max(0.0, float(p.mean()) - 1.96 * sd), min(1.0, float(p.mean()) + 1.96 * sd)]


def _range(x) -> str:
    return "" if not x else f" [{100 * x[0]:.1f}%, {100 * x[1]:.1f}%]"


def avoided(h_targeted: float | None, h_random: float | None) -> float | None:
    """Share of law-abiding inspections avoided by targeting n entities instead of drawing n at random."""
    if h_targeted is None or h_random is None or h_random >= 1:
        return None
    return 1 - (1 - h_targeted) / (1 - h_random)


def effectiveness(tasks: pd.DataFrame, register: pd.DataFrame, truth: pd.DataFrame | None, observed: pd.DataFrame | None = None) -> dict:
    """Every figure of the report (pure). ``register``: derived register with ``exclusion``;
    ``truth``: uscc, propensity; ``observed``: uscc, share, hit (0/1)."""
    n_t = int((tasks["share"] == "targeted").sum())
    n_r = int((tasks["share"] == "random").sum())
    out: dict = {
        "tasks": int(len(tasks)),
        "targeted": n_t,
        "random": n_r,
        "targeted_share": n_t / len(tasks) if len(tasks) else 0.0,
        "eligible": int(register["exclusion"].isna().sum()),
        "register": int(len(register)),
    }
    if truth is not None:
        p = truth.set_index("uscc")["propensity"]
        el = register[register["exclusion"].isna()].copy()
        el["p"] = el["uscc"].map(p)
        tp = tasks.assign(p=tasks["uscc"].map(p))
        missing = int(el["p"].isna().sum())
        el = el[el["p"].notna()]
        h_pop = _rate(el["p"])
        h_t = _rate(tp.loc[tp["share"] == "targeted", "p"].dropna())
        h_r = _rate(tp.loc[tp["share"] == "random", "p"].dropna())
        pool = el[~el["uscc"].isin(tasks.loc[tasks["share"] == "random", "uscc"])]
        h_oracle = _rate(np.sort(pool["p"].to_numpy())[::-1][:n_t]) if n_t else None
        h_obs = None
        if "observable_logit" in truth and n_t:  # the best any model of the observable data can do
            pool_o = pool.assign(o=pool["uscc"].map(truth.set_index("uscc")["observable_logit"]))
            h_obs = _rate(pool_o.sort_values(["o", "uscc"], ascending=[False, True])["p"].to_numpy()[:n_t])
        law_plan = n_t * (1 - (h_t or 0)) + n_r * (1 - (h_r or 0))
        law_random = len(tasks) * (1 - h_pop)
        out["expected"] = {
            "random_plan_hit_rate": h_pop,
            "random_share_hit_rate": h_r,
            "targeted_hit_rate": h_t,
            "oracle_hit_rate": h_oracle,
            "oracle_ratio": (h_t / h_oracle) if h_t is not None and h_oracle else None,
            "observable_oracle_hit_rate": h_obs,
            "observable_oracle_ratio": (h_t / h_obs) if h_t is not None and h_obs else None,
            # where the observed hit rate of the targeted share falls 95% of the time (its propensities, normal approximation)
            "targeted_hit_rate_range": _spread(tp.loc[tp["share"] == "targeted", "p"].dropna()),
            "random_share_hit_rate_range": _spread(tp.loc[tp["share"] == "random", "p"].dropna()),
            "law_abiding_avoided_targeted": avoided(h_t, h_pop),
            "law_abiding_plan": law_plan,
            "law_abiding_random_plan": law_random,
            "law_abiding_avoided_plan": 1 - law_plan / law_random if law_random else None,
            "hits_plan": n_t * (h_t or 0) + n_r * (h_r or 0),
            "hits_random_plan": len(tasks) * h_pop,
            "entities_missing_in_answer_key": missing,
        }
        # precision at k: the model's ranking vs the true propensity's vs random, over the eligible population
        scored = el[el["probability"].notna()]
        ks = sorted({max(1, int(round(f * len(scored)))) for f in np.linspace(0.005, 0.5, 60)}) if len(scored) else []
        by_model = np.cumsum(scored.sort_values(["probability", "uscc"], ascending=[False, True])["p"].to_numpy())
        by_truth = np.cumsum(np.sort(scored["p"].to_numpy())[::-1])
        out["curve"] = {
            "k": ks,
            "model": [float(by_model[k - 1] / k) for k in ks],
            "oracle": [float(by_truth[k - 1] / k) for k in ks],
            "random": float(scored["p"].mean()) if len(scored) else None,
            "scored": int(len(scored)),
        }
        out["by_class"] = {
            str(c): {"entities": int(len(g)), "hit_rate": float(g["p"].mean())} for c, g in el.groupby(el["risk_class"].fillna("-"))
        }
    if observed is not None and len(observed):
        # the one metrics module (evaluation code, like this report's use of the answer key)
        from lakehouse.intervals import wilson

        o = {}
        for share in ("targeted", "random"):
            g = observed[observed["share"] == share]
            o[f"{share}_inspected"] = int(len(g))
            o[f"{share}_hits"] = int(g["hit"].sum())
            o[f"{share}_hit_rate"] = float(g["hit"].mean()) if len(g) else None
            o[f"{share}_hit_rate_wilson"] = list(wilson(float(g["hit"].sum()), len(g))) if len(g) else None
        o["law_abiding_avoided_targeted"] = avoided(o["targeted_hit_rate"], o["random_hit_rate"])
        out["observed"] = o
    return out


def case_setting(register: pd.DataFrame, plan, seed: str) -> pd.DataFrame:
    """The case's proportions replayed on this register: targeted = 29k/900k of the register, 35% of the plan."""
    from lakehouse.gold.plans.draw import select_entities

    n_t = int(round(CASE["targeted_sf1"] / CASE["entities_sf1"] * len(register)))
    total = int(round(n_t / CASE["targeted_share"]))
    eligible = int(register["exclusion"].isna().sum())
    total = min(total, eligible)
    data = plan.model_dump()
    data["id"] = f"{plan.id}-case"
    data["size"] = {"total": max(total, 1), "population_share": None}
    data["exclusions"] = plan.exclusions.model_dump() if plan.exclusions else None
    data["targeting"] = {"mode": "share", "share": CASE["targeted_share"], "method": "top", "ratios": {}}
    case_plan = type(plan).model_validate(data)
    cols = [c for c in register.columns if c not in ("exclusion", "industry_section", "industry_division")]
    return select_entities(case_plan, register[cols], seed).tasks


# ---------------------------------------------------------------------------
# rendering


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _charts(m: dict, case: dict | None, folder: Path, stem: str) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    e = m.get("expected")
    if e:
        fig, ax = plt.subplots(figsize=(7, 4))
        labels = ["purely random\nplan", "random share", "targeted share", "oracle\n(true propensity)"]
        vals = [e["random_plan_hit_rate"], e["random_share_hit_rate"], e["targeted_hit_rate"], e["oracle_hit_rate"]]
        vals = [v or 0 for v in vals]
        bars = ax.bar(labels, [100 * v for v in vals], color=["#9e9e9e", "#64b5f6", "#e53935", "#6d4c41"])
        if m.get("observed"):
            o = m["observed"]
            ax.scatter(
                [1, 2], [100 * (o["random_hit_rate"] or 0), 100 * (o["targeted_hit_rate"] or 0)], color="black", zorder=3, label="observed"
            )
        ax.axhline(100 * CASE["random_hit_rate"], ls="--", color="#616161", lw=1, label="case: random 17.6%")
        ax.axhline(100 * CASE["targeted_hit_rate"], ls=":", color="#b71c1c", lw=1, label="case: targeted 86%")
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, 100 * v + 1, f"{100 * v:.1f}%", ha="center", fontsize=9)
        ax.set_ylabel("hit rate (% found in violation)")
        ax.set_ylim(0, 105)
        ax.set_title("Hit rate: expected from the answer key")
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        name = f"{stem}-hit-rates.png"
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        out.append((name, "Hit rates of the plan's shares, a purely random plan of the same size and the oracle"))

        fig, ax = plt.subplots(figsize=(8, 4.2))
        n_t, h_t, h_pop = m["targeted"], e["targeted_hit_rate"] or 0, e["random_plan_hit_rate"]
        labels = [
            f"purely random\nplan ({m['tasks']})",
            f"this plan\n({m['tasks']})",
            f"{n_t} drawn\nat random",
            f"targeted share\n({n_t})",
        ]
        vals = [e["law_abiding_random_plan"], e["law_abiding_plan"], n_t * (1 - h_pop), n_t * (1 - h_t)]
        hits = [e["hits_random_plan"], e["hits_plan"], n_t * h_pop, n_t * h_t]
        ax.bar(labels, vals, color="#8bc34a", label="law-abiding entities inspected")
        ax.bar(labels, hits, bottom=vals, color="#e53935", label="violations found")
        ax.axvline(1.5, color="black", lw=0.6)
        red_plan, red_t = e["law_abiding_avoided_plan"], e["law_abiding_avoided_targeted"]
        ax.set_title(
            "Inspections of law-abiding entities avoided\n"
            f"whole plan {'–' if red_plan is None else f'−{100 * red_plan:.0f}%'}; targeted share "
            f"{'–' if red_t is None else f'−{100 * red_t:.0f}%'} (the case: −83%)",
            fontsize=10,
        )
        ax.set_ylabel("expected inspections")
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"{stem}-law-abiding.png"
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        out.append((name, "Expected inspections of law-abiding entities and violations found"))

        c = m.get("curve")
        if c and c["k"]:
            fig, ax = plt.subplots(figsize=(7, 4))
            ax.plot(c["k"], [100 * v for v in c["oracle"]], color="#6d4c41", label="ranked by true propensity (oracle)")
            ax.plot(c["k"], [100 * v for v in c["model"]], color="#e53935", label="ranked by the model's probability")
            ax.axhline(100 * c["random"], color="#9e9e9e", ls="--", label="random")
            ax.axvline(m["targeted"], color="black", lw=0.8, ls=":", label=f"this plan's targeted size ({m['targeted']})")
            if case:
                ax.axvline(case["targeted"], color="#1565c0", lw=0.8, ls="-.", label=f"case setting ({case['targeted']})")
            ax.set_xlabel("entities targeted (top k)")
            ax.set_ylabel("expected hit rate of the top k (%)")
            ax.set_title("Precision at k over the eligible population")
            ax.legend(fontsize=8)
            fig.tight_layout()
            name = f"{stem}-precision-at-k.png"
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            out.append((name, "Expected hit rate of the top k entities: model ranking vs true propensity vs random"))
    return out


def _staffing_table(st: dict | None) -> str:
    if not st:
        return ""

    def pct(x):
        return "–" if x is None else f"{100 * x:+.0f}%"

    cells = "".join(
        f"<tr><th>{html.escape(r['district_code'])}</th><td>{r['tasks']:,}</td><td>{r['assignments']:,}</td><td>{r['inspectors']:,}</td>"
        f"<td>{r['capacity']:,}</td><td>{pct(r['margin'])}</td></tr>"
        for r in st["districts"]
    )
    total = pct(st["margin"])
    return (
        f"<h2>Staffing margin</h2><p>Capacity (active inspectors × workload cap) against assignments (tasks × inspectors per task): "
        f"city {st['capacity']:,} vs {st['assignments']:,} ({total}); {st['cross_district'] or 0:,} task(s) staffed across districts.</p>"
        "<table><tr><th>district</th><td><b>tasks</b></td><td><b>assignments</b></td><td><b>inspectors</b></td><td><b>capacity</b></td>"
        f"<td><b>margin</b></td></tr>{cells}</table>"
    )


def render_html(
    plan_id: str, plan_name: str, m: dict, case: dict | None, charts: list[tuple[str, str]], meta: dict, staffing: dict | None = None
) -> str:
    e, o = m.get("expected"), m.get("observed")
    rows = []

    def row(label, *cells):
        rows.append("<tr><th>" + html.escape(label) + "</th>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")

    row(
        "tasks (targeted / random)",
        f"{m['tasks']:,} ({m['targeted']:,} / {m['random']:,}, {100 * m['targeted_share']:.1f}% targeted)",
        "",
        "",
    )
    row("eligible entities / register", f"{m['eligible']:,} / {m['register']:,}", "", "")
    table1 = "".join(rows)
    rows.clear()
    if e:
        row("hit rate, purely random plan of the same size", _pct(e["random_plan_hit_rate"]), "–", _pct(CASE["random_hit_rate"]))
        row(
            "hit rate, random share [95% range of what inspections would find]",
            _pct(e["random_share_hit_rate"]) + _range(e.get("random_share_hit_rate_range")),
            _pct(o and o.get("random_hit_rate")) + _range(o and o.get("random_hit_rate_wilson")),
            "–",
        )
        row(
            "hit rate, targeted share [95% range; observed: Wilson 95%]",
            _pct(e["targeted_hit_rate"]) + _range(e.get("targeted_hit_rate_range")),
            _pct(o and o.get("targeted_hit_rate")) + _range(o and o.get("targeted_hit_rate_wilson")),
            _pct(CASE["targeted_hit_rate"]),
        )
        row("hit rate, oracle: same candidates ranked by true propensity", _pct(e["oracle_hit_rate"]), "–", "–")
        if e.get("observable_oracle_hit_rate") is not None:
            row(
                "hit rate, observable oracle: ranked by the planted signal without its noise",
                _pct(e["observable_oracle_hit_rate"]),
                "–",
                "–",
            )
            row("observable-oracle ratio: targeted ÷ observable oracle", f"{e['observable_oracle_ratio']:.3f}", "–", "–")
        row(
            "law-abiding inspections avoided (targeted share vs as many at random)",
            _pct(e["law_abiding_avoided_targeted"]),
            _pct(o and o.get("law_abiding_avoided_targeted")),
            "−83%",
        )
        row("law-abiding inspections avoided (whole plan vs a purely random plan)", _pct(e["law_abiding_avoided_plan"]), "–", "–")
        ratio = e["oracle_ratio"]
        verdict = (
            "–"
            if ratio is None
            else (f"{ratio:.3f} ✓ (goal ≥ {ORACLE_GOAL})" if ratio >= ORACLE_GOAL else f"{ratio:.3f} ✗ (goal ≥ {ORACLE_GOAL})")
        )
        row("oracle ratio: targeted ÷ top-by-true-propensity at the same size", verdict, "–", "–")
    elif o:
        row(
            "hit rate, random share [Wilson 95%]",
            "–",
            _pct(o["random_hit_rate"]) + _range(o.get("random_hit_rate_wilson")),
            _pct(CASE["random_hit_rate"]),
        )
        row(
            "hit rate, targeted share [Wilson 95%]",
            "–",
            _pct(o["targeted_hit_rate"]) + _range(o.get("targeted_hit_rate_wilson")),
            _pct(CASE["targeted_hit_rate"]),
        )
        row("law-abiding inspections avoided (targeted share)", "–", _pct(o["law_abiding_avoided_targeted"]), "−83%")
    table2 = "".join(rows)
    rows.clear()
    if case and case.get("expected"):
        ce = case["expected"]
        row(
            "setting",
            f"{case['targeted']:,} targeted = {100 * case['targeted'] / max(case['register'], 1):.2f}% of {case['register']:,} entities; "
            f"{case['tasks']:,} tasks, {100 * case['targeted_share']:.0f}% targeted",
            "≈29k of ≈900k (3.2%); 35% of the plan",
        )
        row(
            "hit rate: random → targeted",
            f"{_pct(ce['random_plan_hit_rate'])} → {_pct(ce['targeted_hit_rate'])}{_range(ce.get('targeted_hit_rate_range'))}",
            "17.6% → 86%",
        )
        row("best possible targeted hit rate (true propensity)", _pct(ce["oracle_hit_rate"]), "–")
        row("law-abiding inspections avoided (targeted)", _pct(ce["law_abiding_avoided_targeted"]), "−83%")
        row("oracle ratio", "–" if ce["oracle_ratio"] is None else f"{ce['oracle_ratio']:.3f}", "–")
        if ce.get("observable_oracle_ratio") is not None:
            row("observable-oracle ratio", f"{ce['observable_oracle_ratio']:.3f}", "–")
    table3 = "".join(rows)
    imgs = "".join(
        f'<figure><img src="{html.escape(n)}" alt="{html.escape(cap)}"><figcaption>{html.escape(cap)}</figcaption></figure>'
        for n, cap in charts
    )
    metas = "".join(f"<li>{html.escape(k)}: {html.escape(str(v))}</li>" for k, v in meta.items())
    note = (
        ""
        if e
        else "<p class=note>No answer key: expected figures and the oracle ratio need the simulator's "
        "entities.parquet (landing.answer_key_root).</p>"
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(plan_id)} — effectiveness</title>
<style>body{{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;max-width:980px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}}
th{{background:#f5f5f5;font-weight:normal}}figure{{margin:1em 0}}img{{max-width:100%}}.note{{color:#b71c1c}}</style></head><body>
<h1>Effectiveness of plan {html.escape(plan_id)}</h1><p>{html.escape(plan_name)}</p>{note}
<table>{table1}</table>
<h2>Hit rates and law-abiding inspections</h2>
<table><tr><th></th><td><b>expected (answer key)</b></td><td><b>observed (delivered results)</b></td><td><b>the case</b></td></tr>{table2}</table>
<h2>The case's setting replayed on this register</h2>
<table><tr><th></th><td><b>here</b></td><td><b>the case (Foshan)</b></td></tr>{table3}</table>
{_staffing_table(staffing)}
{imgs}
<h2>Provenance</h2><ul>{metas}</ul>
<p>Hit rate: share of inspected entities found in violation. Law-abiding inspections avoided (targeted share):
1 − (1 − targeted hit rate) / (1 − random hit rate), the case's −83% = 1 − (1 − 0.86)/(1 − 0.176).
Oracle: the same candidates ranked by the simulator's true propensity, same size.</p>
</body></html>"""


def observed_results(tables: Tables, tasks: pd.DataFrame) -> pd.DataFrame | None:
    """(uscc, share, hit) of the plan's tasks whose results silver holds."""
    from lakehouse.gold.plans.registers import inspection_rows

    rows = inspection_rows(tables, sorted(set(tasks["task_id"])), ["uscc", "inspection_result"]) if len(tasks) else []
    if not rows:
        return None
    res = pd.DataFrame(rows)[["task_id", "uscc", "inspection_result"]]
    res = res.merge(tasks[["task_id", "uscc", "share"]], on=["task_id", "uscc"], how="inner")
    if res.empty:
        return None
    res["hit"] = (res["inspection_result"] != "1").astype(int)
    return res.groupby(["uscc", "share"], as_index=False)["hit"].max()


def write_report(tables: Tables, plan_id: str, reports_root: str, answer_key_root: str | None) -> dict:
    """Write <reports_root>/<plan_id>/effectiveness.html (+ PNGs, metrics.json); returns the metrics."""
    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans.draw import exclusion_reasons, with_derived

    pair = audit.revealed(audit.events(tables, plan_id))
    if not pair:
        raise RegulakeError(f"plan {plan_id} has not been drawn; run 'regulake plan draw {plan_id}' first")
    com, rev = pair
    plan = Plan.model_validate_json(com["plan_json"])
    tasks = audit.read_tasks(tables, plan_id, rev["tasks_version"])
    register = with_derived(audit.read_register(tables, plan_id, com["register_version"]))
    register["exclusion"] = exclusion_reasons(register, plan)
    truth = None
    truth_path = Path(answer_key_root) / "entities.parquet" if answer_key_root else None
    if truth_path and truth_path.exists():
        import pyarrow.parquet as pq

        names = pq.read_schema(truth_path).names
        truth = pd.read_parquet(truth_path, columns=["uscc", "propensity"] + (["observable_logit"] if "observable_logit" in names else []))
    observed = observed_results(tables, tasks)
    m = effectiveness(tasks, register, truth, observed)
    case = None
    if truth is not None:
        case_tasks = case_setting(register, plan, rev["seed"])
        case = effectiveness(case_tasks, register, truth)
        case.pop("curve", None)
    folder = Path(reports_root) / plan_id
    folder.mkdir(parents=True, exist_ok=True)
    charts = _charts(m, case, folder, "effectiveness")
    meta = {
        "plan": plan_id,
        "drawn at": rev["at"],
        "operator": rev["operator"],
        "rule version": com["rule_version"],
        "commitment": com.get("commitment_hash") or "none (drawn before issue 29's two phases)",
        "T": str(com.get("reveal_after") or ""),
        "seed": rev["seed"],
        "inputs": json.dumps(com["input_versions"], sort_keys=True),
        "entity profile as of": com["profile_as_of"],
        "scores of": com["score_date"],
        "answer key": str(truth_path) if truth is not None else "none",
        "report written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    staffing = None
    version = com.get("inspectors_version") or (com.get("input_versions") or {}).get("gold.inspectors")
    if version is not None and "inspectors" in tasks:
        from lakehouse.gold.plans import staffing as staffing_
        from lakehouse.gold.plans.registers import read_inspectors

        staffing = staffing_.margin(tasks, read_inspectors(tables, int(version)), plan.inspectors_per_task, plan.workload_cap)
    page = render_html(plan_id, plan.name, m, case, charts, meta, staffing)
    (folder / "effectiveness.html").write_text(page, encoding="utf-8")
    metrics = {"plan": m, "case_setting": case, "case": CASE, "oracle_goal": ORACLE_GOAL, "staffing": staffing}
    (folder / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return {"html": str(folder / "effectiveness.html"), "charts": [str(folder / n) for n, _ in charts], **metrics}
