"""Verify a plan's draw from the published tables alone — anyone can run it, no warehouse, no Spark.

    python -m lakehouse.gold.plans.verifier PLAN_ID --tables DIR [--values FILE] [--full] [--json]

``DIR`` is a folder holding the published Delta tables in the warehouse layout (``gold/public_plan_commitments``,
``gold/public_inspection_results``; the warehouse root itself, or any copy/mirror of those tables). It checks,
each as ``ok`` / ``mismatch`` / ``unavailable``:

1. **drawn once** — exactly one draw of the plan was published (a plan drawn twice fails);
2. **commitment** — the drawn attempt has a published commitment and its hash is SHA-256 of its JSON;
3. **commitment before T** — it was committed (the ledger row, and the Delta commit that published it) before
   T = commitment time + the recorded delay, and the draw was published at or after T — a plan drawn without
   a published commitment older than T fails;
4. **shares** — every committed party's revealed share has the committed hash, committed before T (a
   tampered share is named);
5. **public value** — the value the commitment named (e.g. drand round R, the first after T), its BLS
   signature verified against the recorded chain key; or a published value's source and time (``--values``:
   checked against a copy of the published-values file); or none in local mode;
6. **seed** — SHA-256 of the commitment hash, the shares and the public value is the seed published;
7. **public tasks** — the public results table lists exactly the tasks published with the draw (a changed,
   added or missing task is named);
8. with ``--full`` (the auditor's copy: ``audit.plan_registers``, ``gold.inspectors``, ``gold.inspection_tasks``
   also in ``DIR``): the draw recomputed from the frozen register, the inspector register and the seed gives
   exactly the published tasks.

Exit status 0 when nothing is a mismatch and the seed and public tasks checked out, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.gold.plans import commitment as cm
from lakehouse.gold.plans import randomness
from lakehouse.gold.plans.randomness import utc

PUBLIC_RESULTS = "gold.public_inspection_results"


@dataclass
class Check:
    name: str
    status: str  # ok | mismatch | unavailable
    detail: str = ""


@dataclass
class Verification:
    plan_id: str
    checks: list[Check] = field(default_factory=list)
    required: tuple[str, ...] = ("seed", "public tasks")  # checks that must be ok, not merely not failed

    @property
    def ok(self) -> bool:
        return all(c.status != "mismatch" for c in self.checks) and all(self.status_of(n) == "ok" for n in self.required)

    def add(self, name, status, detail=""):
        self.checks.append(Check(name, status, detail))

    def status_of(self, name: str) -> str | None:
        return next((c.status for c in self.checks if c.name == name), None)


def verify_public(
    plan_id: str,
    ledger: list[dict],
    results: list[dict] | None,
    log_times: dict | None = None,
    values_file: str | None = None,
    ver: Verification | None = None,
) -> tuple[Verification, dict | None, dict | None]:
    """The checks 1–7 over the public ledger rows (and the public results rows); returns the verification and the
    (committed, drawn) rows of the drawn attempt for further checks."""
    ver = ver or Verification(plan_id)
    rows = [r for r in ledger if r["plan_id"] == plan_id]
    drawn = [r for r in rows if r["event"] == "drawn"]
    if not rows:
        ver.add(
            "commitment",
            "mismatch",
            f"no published commitment of plan {plan_id} in {cm.LEDGER}: a plan drawn without one cannot be shown to be unsteerable",
        )
        return ver, None, None
    if not drawn:
        ver.add(
            "drawn once",
            "mismatch",
            f"plan {plan_id} has no published draw (attempts: {', '.join(str(a) for a in sorted(cm.attempts(rows)))})",
        )
        return ver, None, None
    if len(drawn) > 1:
        ver.add(
            "drawn once",
            "mismatch",
            f"plan {plan_id} was drawn {len(drawn)} times (attempts {', '.join(str(r['attempt']) for r in drawn)}): a plan is drawn once",
        )
    else:
        ver.add(
            "drawn once",
            "ok",
            f"one published draw (attempt {drawn[0]['attempt']}); {len(cm.attempts(rows)) - 1} other attempt(s) in the ledger",
        )
    d = drawn[-1]
    com = next((r for r in rows if r["event"] == "committed" and r["attempt"] == d["attempt"]), None)
    if com is None:
        ver.add("commitment", "mismatch", f"attempt {d['attempt']} was drawn without a published commitment")
        return ver, None, d
    c = json.loads(com["commitment_json"])
    c_hash = cm.commitment_hash(c)
    same = c_hash == com["commitment_hash"] == d["commitment_hash"]
    ver.add(
        "commitment",
        "ok" if same else "mismatch",
        f"commitment {com['commitment_hash'][:16]}… = SHA-256 of its JSON, named by the draw"
        if same
        else f"the commitment's JSON hashes to {c_hash[:16]}…, the ledger says {str(com['commitment_hash'])[:16]}…, "
        f"the draw names {str(d['commitment_hash'])[:16]}…",
    )

    # 3. committed before T, drawn at or after T
    t = utc(c["reveal_after"])
    committed_at = utc(c["committed_at"])
    problems = []
    if utc(com["reveal_after"]) != t:
        problems.append(f"the ledger's T {com['reveal_after']} differs from the commitment's {c['reveal_after']}")
    if abs((utc(com["at"]) - committed_at).total_seconds()) > 1:
        problems.append(f"the ledger row is dated {com['at']}, the commitment says {c['committed_at']}")
    if t != committed_at + dt.timedelta(seconds=int(c["delay_seconds"])):
        problems.append(f"T {c['reveal_after']} ≠ committed at + {c['delay_seconds']} s")
    if committed_at > t:
        problems.append("committed after T")
    pub = (log_times or {}).get((plan_id, int(com["attempt"]), "committed", None))
    dpub = (log_times or {}).get((plan_id, int(d["attempt"]), "drawn", None))
    # with a public value, the commitment must have been public before T (before anyone could know the value);
    # in local mode there is none, and it must have been public before the draw revealed any share
    local = (c.get("randomness") or {}).get("source", {}).get("kind") == "local"
    deadline, deadline_name = (dpub or utc(d["at"]), "the draw's publication") if local else (t, "T")
    where = ""
    if pub is not None:
        where = f"; published in the ledger's Delta commit of {randomness.iso(pub)}"
        if pub > deadline or (pub == deadline and local):
            problems.append(f"the commitment was published at {randomness.iso(pub)}, after {deadline_name} {randomness.iso(deadline)}")
    if utc(d["at"]) < t:
        problems.append(f"drawn at {d['at']}, before T {randomness.iso(t)}")
    if dpub is not None and dpub < t:
        problems.append(f"the draw was published at {randomness.iso(dpub)}, before T")
    if problems:
        ver.add("commitment before T", "mismatch", "; ".join(problems))
    else:
        ver.add(
            "commitment before T",
            "ok",
            f"committed {randomness.iso(committed_at)}{where}; T = +{c['delay_seconds']} s = {randomness.iso(t)}; "
            f"drawn {randomness.iso(utc(d['at']))}"
            + ("" if pub is not None else " (the ledger's commit times were not readable here)")
            + (" — local mode: no public value, the commitment was public before the draw" if local else ""),
        )

    # 4. shares
    committed = cm.committed_shares(rows, int(d["attempt"]))
    revealed = json.loads(d.get("shares_json") or "{}")
    bad = []
    for party, info in sorted(committed.items()):
        if party not in revealed:
            bad.append(f"party {party}: committed a share but none was revealed")
            continue
        if cm.share_hash(plan_id, party, revealed[party]) != info["share_hash"]:
            bad.append(f"party {party}: the revealed share does not match its committed hash {info['share_hash'][:16]}…")
        if info["at"] > t:
            bad.append(f"party {party}: its share was committed at {randomness.iso(info['at'])}, not before T")
        lt = (log_times or {}).get((plan_id, int(d["attempt"]), "share_committed", party))
        if lt is not None and (lt >= deadline):
            bad.append(f"party {party}: its share hash was published at {randomness.iso(lt)}, not before {deadline_name}")
    for party in sorted(set(revealed) - set(committed)):
        bad.append(f"party {party}: revealed a share that was never committed")
    missing = [p for p in c.get("expected_parties", []) if p not in committed]
    if missing:
        bad.append(f"the commitment names party(ies) {missing} who committed no share")
    if len(committed) < int(c.get("min_parties", 1)):
        bad.append(f"{len(committed)} party(ies) committed, the commitment asks for at least {c['min_parties']}")
    ver.add(
        "shares",
        "mismatch" if bad else "ok",
        "; ".join(bad)
        if bad
        else f"{len(committed)} share(s) ({', '.join(sorted(committed))}): each revealed share has its committed hash, committed before T",
    )

    # 5. the public value
    value = json.loads(d.get("public_value_json") or "{}")
    src = c["randomness"]
    try:
        detail = randomness.verify(src["source"], src["target"], value, values_file)
        ver.add("public value", "ok", detail)
    except randomness.InvalidPublicValue as exc:
        ver.add("public value", "mismatch", str(exc))

    # 6. the seed
    seed = cm.derive_seed(c_hash, revealed, value.get("value") or "")
    ok = seed == d["seed"]
    ver.add(
        "seed",
        "ok" if ok else "mismatch",
        f"SHA-256(commitment, {len(revealed)} share(s), public value) {'=' if ok else '≠'} the published seed {str(d['seed'])[:16]}…",
    )

    # 7. the public tasks
    try:
        listed = json.loads(d.get("public_tasks_json") or "[]")
    except json.JSONDecodeError:
        listed = None
    if listed is None or cm.public_tasks_hash(listed) != d.get("public_tasks_hash"):
        ver.add("public tasks", "mismatch", "the task list published with the draw does not match its fingerprint")
    elif results is None:
        ver.add("public tasks", "unavailable", f"{PUBLIC_RESULTS} not given")
    else:
        now_rows = cm.public_tasks([r for r in results if r["plan_id"] == plan_id])
        diff = task_diff(listed, now_rows)
        ver.add(
            "public tasks",
            "mismatch" if diff else "ok",
            f"{PUBLIC_RESULTS} differs from the {len(listed):,} tasks published with the draw: {diff}"
            if diff
            else f"{PUBLIC_RESULTS} lists exactly the {len(listed):,} tasks published with the draw "
            f"({sum(1 for r in listed if r[3]):,} cross-district)",
        )
    return ver, com, d


def task_diff(expected: list[list], actual: list[list], limit: int = 5) -> str:
    e = {r[0]: r for r in expected}
    a = {r[0]: r for r in actual}
    out = []
    for u in sorted(set(e) | set(a)):
        if u not in a:
            out.append(f"task for {u} missing")
        elif u not in e:
            out.append(f"task for {u} added")
        elif list(e[u]) != list(a[u]):
            cols = [f"{n} {x!r} → {y!r}" for n, x, y in zip(cm.PUBLIC_TASK_FIELDS, e[u], a[u]) if x != y]
            out.append(f"task for {u}: " + ", ".join(cols))
    n = len(out)
    return "; ".join(out[:limit]) + (f"; … {n - limit} more" if n > limit else "")


# ---------------------------------------------------------------------------
# reading the published tables (delta-rs, no Spark)


def _uri(root: str, name: str) -> str:
    layer, table = name.split(".", 1)
    return f"{root.rstrip('/')}/{layer}/{table}"


def read_table(root: str, name: str, plan_id: str | None = None, version: int | None = None) -> list[dict] | None:
    from deltalake import DeltaTable

    uri = _uri(root, name)
    if not DeltaTable.is_deltatable(uri):
        return None
    table = DeltaTable(uri, version=version).to_pyarrow_table(filters=[("plan_id", "=", plan_id)] if plan_id else None)
    rows = table.to_pylist()
    for r in rows:
        for k, v in r.items():
            if isinstance(v, dt.datetime) and v.tzinfo is not None:
                r[k] = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
            elif isinstance(v, list) and v and isinstance(v[0], tuple):
                r[k] = dict(v)
    return rows


def ledger_log_times(root: str) -> dict:
    """(plan, attempt, event, party) → time of the Delta commit that first published the ledger row, from the
    table's own log (a local folder): what the row's own 'at' cannot prove."""
    import pyarrow.parquet as pq

    uri = _uri(root, cm.LEDGER)
    log = Path(uri.removeprefix("file://")) / "_delta_log"
    out: dict = {}
    if not log.is_dir():
        return out
    for f in sorted(log.glob("*.json")):
        ts, adds = None, []
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            a = json.loads(line)
            if "commitInfo" in a and a["commitInfo"].get("timestamp") is not None:
                ts = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(a["commitInfo"]["timestamp"]))
            if "add" in a:
                adds.append(a["add"]["path"])
        if ts is None:
            continue
        for p in adds:
            from urllib.parse import unquote

            path = log.parent / unquote(p)
            if not path.exists():
                continue
            t = pq.read_table(path, columns=[c for c in ("plan_id", "attempt", "event", "party") if c in pq.read_schema(path).names])
            for r in t.to_pylist():
                key = (
                    r.get("plan_id"),
                    int(r.get("attempt") or 0),
                    r.get("event"),
                    r.get("party") if r.get("event") == "share_committed" else None,
                )
                if key not in out or ts < out[key]:
                    out[key] = ts
    return out


def full_check(ver: Verification, root: str, com: dict, drawn: dict) -> None:
    """Check 8: recompute the draw from the frozen register and the inspector register (the auditor's copy)."""
    import pandas as pd

    from lakehouse.config.plans import Plan
    from lakehouse.gold.plans.assign import INSPECTOR_COLUMNS, normalise_inspectors
    from lakehouse.gold.plans.draw import REGISTER_COLUMNS, TASK_COLUMNS, draw, normalise_register, register_hash, tasks_hash

    c = json.loads(com["commitment_json"])
    reg_rows = read_table(root, "audit.plan_registers", c["plan_id"], int(c["register_version"]))
    insp_rows = read_table(root, "gold.inspectors", None, int(c["inspectors_version"]))
    if reg_rows is None or insp_rows is None:
        ver.add("draw", "unavailable", "the frozen register (audit.plan_registers) or gold.inspectors is not in the given folder")
        return
    register = normalise_register(pd.DataFrame(reg_rows, columns=["plan_id", *REGISTER_COLUMNS]))
    same = register_hash(register) == c["register_hash"]
    ver.add(
        "frozen register",
        "ok" if same else "mismatch",
        f"audit.plan_registers@v{c['register_version']}: {len(register):,} entities, "
        f"fingerprint {'=' if same else '≠'} the committed {c['register_hash'][:16]}…",
    )
    plan = Plan.model_validate_json(c["plan_json"])
    inspectors = normalise_inspectors(pd.DataFrame(insp_rows, columns=INSPECTOR_COLUMNS + ["source"]))
    try:
        expected = draw(plan, register, inspectors, drawn["seed"], c["rule_version"]).tasks
    except Exception as exc:  # noqa: BLE001
        ver.add("draw", "mismatch", f"recomputation failed: {exc}")
        return
    h = tasks_hash(expected)
    ok = h == drawn["tasks_hash"] and cm.public_tasks_hash(cm.public_tasks(expected)) == drawn["public_tasks_hash"]
    ver.add(
        "draw",
        "ok" if ok else "mismatch",
        f"recomputed {len(expected):,} tasks: fingerprint {'=' if ok else '≠'} the published {str(drawn['tasks_hash'])[:16]}…",
    )
    stored = read_table(root, "gold.inspection_tasks", c["plan_id"])
    if stored is not None:
        df = pd.DataFrame(stored, columns=TASK_COLUMNS)
        df["inspectors"] = [list(v or []) for v in df["inspectors"]]
        s = tasks_hash(df.sort_values("task_no").reset_index(drop=True))
        ver.add(
            "tasks now",
            "ok" if s == h else "mismatch",
            "gold.inspection_tasks " + ("identical to the recomputed draw" if s == h else "differs from the recomputed draw"),
        )


def verify_folder(root: str, plan_id: str, values_file: str | None = None, full: bool = False) -> Verification:
    """Verify a plan from a copy of the published tables alone (no Spark, no warehouse access).

    Args:
        root: a folder holding the published Delta tables in the warehouse layout (``gold/public_plan_commitments``, ...).
        plan_id: the plan to verify.
        values_file: a copy of the published-values file, for a ``published`` randomness source.
        full: also recompute the draw from the published register, when it is published.

    Returns:
        A ``Verification``; ``python -m lakehouse.gold.plans.verifier PLAN --tables ROOT`` prints it.

    Example::

        ver = verify_folder("/copy/of/public/tables", "demo-2026q1")
        print(ver.ok)
    """
    ledger = read_table(root, cm.LEDGER, plan_id)
    if ledger is None:
        ver = Verification(plan_id)
        ver.add("commitment", "mismatch", f"no {cm.LEDGER} under {root}: no published commitment")
        return ver
    ver, com, drawn = verify_public(plan_id, ledger, read_table(root, PUBLIC_RESULTS, plan_id), ledger_log_times(root), values_file)
    if full and com is not None and drawn is not None:
        full_check(ver, root, com, drawn)
    return ver


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m lakehouse.gold.plans.verifier", description=__doc__.split("\n\n")[0])
    ap.add_argument("plan_id")
    ap.add_argument("--tables", required=True, help="folder of the published Delta tables (warehouse layout: gold/…)")
    ap.add_argument("--values", help="a copy of the published-values file, to check a 'published' source's value")
    ap.add_argument("--full", action="store_true", help="also recompute the draw (needs audit.plan_registers and gold.inspectors)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    ver = verify_folder(a.tables, a.plan_id, a.values, a.full)
    ok = ver.ok
    if a.json:
        print(json.dumps({"plan_id": a.plan_id, "ok": ok, "checks": [c.__dict__ for c in ver.checks]}, ensure_ascii=False, indent=1))
    else:
        for c in ver.checks:
            print(f"{c.status:>11}  {c.name}: {c.detail}")
        print(f"plan {a.plan_id} {'verified' if ok else 'NOT verified'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
