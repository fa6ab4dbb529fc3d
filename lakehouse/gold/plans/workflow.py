"""Commit, draw, verify and show plans against the warehouse (the pure draw is in draw.py).

``commit_plan`` (phase 1): registers at the current table versions → frozen register → the
operator's share hash, the input versions, the register fingerprint and the public value the draw
will use (``randomness``), published with T = now + the configured delay. ``commit_share``: a
further party's share hash, before T. ``draw_committed`` (phase 2, after T only): revealed shares +
the verified public value → seed → draw → tasks → public disclosure. ``verify_plan``: every public
check (``verifier``) and the recomputation from the recorded inputs.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lakehouse.config.plans import Plan
from lakehouse.errors import RegulakeError
from lakehouse.gold.plans import audit, randomness, registers
from lakehouse.gold.plans import commitment as cm
from lakehouse.gold.plans.commitment import OPERATOR
from lakehouse.gold.plans.draw import RULE_VERSION, draw, register_hash, seed_hash, tasks_hash
from lakehouse.gold.plans.verifier import Check, Verification  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakehouse.config.plans import PlansSettings
    from lakehouse.tables import Tables


@dataclass
class CommitOutcome:
    plan_id: str
    attempt: int
    commitment_hash: str
    committed_at: dt.datetime
    reveal_after: dt.datetime
    target: dict
    share_file: str | None
    share_hash: str
    register_entities: int
    input_versions: dict[str, int]
    abandoned: int | None = None


@dataclass
class DrawOutcome:
    plan_id: str
    attempt: int
    seed_hash: str
    seed: str
    tasks: int
    tasks_hash: str
    tasks_version: int
    input_versions: dict[str, int]
    summary: dict
    commitment_hash: str = ""
    reveal_after: dt.datetime | None = None
    public_value: dict = field(default_factory=dict)
    waited: str | None = None


class DrawTooEarly(RegulakeError):
    """A draw asked for before T: refused (nobody may draw while the public value is unknown)."""


def operator_name(settings: PlansSettings, operator: str | None) -> str:
    if operator:
        return operator
    if settings.operator:
        return settings.operator
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "unknown"


def share_path(settings: PlansSettings, plan_id: str, attempt: int, party: str = OPERATOR) -> Path:
    """Where the operator's share waits for the draw: ``plans.randomness.secrets_dir`` (never a plan's own setting)."""
    return Path(settings.randomness.secrets_dir).expanduser() / plan_id / f"attempt-{attempt}" / f"{party}.share"


def _keep_secret(path: Path, share: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(share + "\n")


def _iso(t):
    return randomness.iso(t) if t is not None else None


def _configured_plans(settings: PlansSettings, plan: Plan) -> list[Plan]:
    """This plan and every plan of the plans folder, resolved: the ones a simulated inspector register must staff."""
    from lakehouse.config.plans import load_plans

    try:
        others = [p.resolved(settings) for pid, p in load_plans(settings).items() if pid != plan.id]
    except Exception:  # noqa: BLE001 - a broken plan file fails when that plan is used, not here
        others = []
    return [plan, *others]


def commit_plan(
    spark: SparkSession,
    tables: Tables,
    settings: PlansSettings,
    plan: Plan,
    operator: str | None = None,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    share: str | None = None,
    replace: bool = False,
    reason: str | None = None,
) -> CommitOutcome:
    """Phase 1: freeze the register, commit the operator's share hash and the public value the draw will use,
    publish the commitment. ``share`` only for tests (default: 256 fresh random bits, kept in the secrets folder)."""
    say = progress or (lambda m: None)
    plan = plan.resolved(settings)
    rs = plan.randomness_settings(settings)
    evts = audit.events(tables, plan.id)
    done = audit.revealed(evts)
    if done:
        raise RegulakeError(
            f"plan {plan.id} was drawn already (attempt {done[1]['attempt']} at {done[1]['at']}); "
            "a plan is drawn once — give a new plan a new id, or check this one with 'regulake plan verify'"
        )
    ledger_rows = audit.ledger(tables, plan.id)
    open_ = cm.open_attempt(ledger_rows)
    abandoned = None
    if open_ is not None:
        if not replace:
            raise RegulakeError(
                f"plan {plan.id} has an open commitment (attempt {open_['attempt']}, T {open_['reveal_after']}); "
                f"draw it with 'regulake plan draw {plan.id}' — or replace it with 'regulake plan commit {plan.id} "
                "--replace --reason TEXT': the replaced commitment is shown as abandoned in the public tables"
            )
        abandoned = int(open_["attempt"])
    source = randomness.source_from_settings(rs)
    attempt = max(audit.next_attempt(evts), max((int(r["attempt"]) for r in ledger_rows), default=0) + 1)
    who = operator_name(settings, operator)
    versions = registers.input_versions(tables)
    as_of, score_date = registers.resolve_dates(tables, versions, plan.profile_as_of, plan.score_date)
    say(f"{plan.id}: entity register as of {as_of}, scores of {score_date}")
    register = registers.build_entity_register(tables, versions, as_of, score_date)
    versions[registers.INSPECTORS] = registers.ensure_inspectors(
        spark, tables, settings, register, plan.inspectors_per_task, _configured_plans(settings, plan)
    )
    reg_hash = register_hash(register)
    reg_version = audit.freeze_register(spark, tables, plan.id, register)
    if abandoned is not None:
        msg = f"replaced by attempt {attempt}" + (f": {reason}" if reason else "")
        audit.record(spark, tables, event="abandoned", plan_id=plan.id, attempt=abandoned, message=msg, operator=who)
        audit.publish_event(spark, tables, plan_id=plan.id, attempt=abandoned, event="abandoned", message=msg)
        say(f"{plan.id}: attempt {abandoned} abandoned ({msg}) — public")
    # the commitment's time is taken just before it is published (first in the public ledger, then the audit trail):
    # verification asks the ledger's Delta commit to be older than T
    committed_at = randomness.utc(now) if now is not None else audit.now()
    reveal_after = committed_at + dt.timedelta(seconds=rs.delay_seconds)
    share = share or cm.new_share()
    s_hash = cm.share_hash(plan.id, OPERATOR, share)
    target = source.target(reveal_after)
    plan_json = plan.canonical_json()
    commitment = {
        "plan_id": plan.id,
        "attempt": attempt,
        "plan_json": plan_json,
        "plan_hash": seed_hash(plan_json),
        "rule_version": RULE_VERSION,
        "input_versions": versions,
        "profile_as_of": str(as_of),
        "score_date": str(score_date),
        "register_hash": reg_hash,
        "register_version": reg_version,
        "register_entities": int(len(register)),
        "inspectors_version": versions[registers.INSPECTORS],
        "parties": [{"party": OPERATOR, "share_hash": s_hash}],
        "expected_parties": list(rs.parties),
        "min_parties": rs.min_parties,
        "randomness": {"source": source.describe(), "target": target},
        "committed_at": _iso(committed_at),
        "reveal_after": _iso(reveal_after),
        "delay_seconds": rs.delay_seconds,
    }
    c_hash = cm.commitment_hash(commitment)
    c_json = cm.canonical(commitment)
    path = share_path(settings, plan.id, attempt)  # the operator's secret until the draw: outside the warehouse
    _keep_secret(path, share)
    audit.publish_event(
        spark,
        tables,
        plan_id=plan.id,
        attempt=attempt,
        event="committed",
        at=committed_at,
        commitment_hash=c_hash,
        commitment_json=c_json,
        reveal_after=reveal_after,
        party=OPERATOR,
        share_hash=s_hash,
    )
    audit.record(
        spark,
        tables,
        event="committed",
        plan_id=plan.id,
        attempt=attempt,
        rule_version=RULE_VERSION,
        plan_json=plan_json,
        plan_hash=commitment["plan_hash"],
        input_versions=versions,
        profile_as_of=as_of,
        score_date=score_date,
        register_hash=reg_hash,
        register_version=reg_version,
        seed_hash=s_hash,
        operator=who,
        at=committed_at,
        commitment_hash=c_hash,
        commitment_json=c_json,
        reveal_after=reveal_after,
        party=OPERATOR,
    )
    if rs.source != "local" and audit.now() >= reveal_after:
        say(
            f"{plan.id}: warning: publishing the commitment took longer than the delay ({rs.delay_seconds} s); verification will "
            "fail — replace it with a longer delay ('regulake plan commit --replace')"
        )
    say(f"{plan.id}: commitment {c_hash[:16]}… published (attempt {attempt}); draw after {_iso(reveal_after)} with {target['text']}")
    from lakehouse.gold.plans import disclosure

    disclosure.publish(spark, tables, plan.id, settings)
    return CommitOutcome(
        plan.id, attempt, c_hash, committed_at, reveal_after, target, str(path), s_hash, int(len(register)), versions, abandoned
    )


def commit_share(
    spark: SparkSession, tables: Tables, settings: PlansSettings, plan_id: str, party: str, share_hash_: str, now: dt.datetime | None = None
) -> dict:
    """A further party's share hash, committed before T (the party keeps the share and reveals it at the draw)."""
    rows = audit.ledger(tables, plan_id)
    com = cm.open_attempt(rows)
    if com is None:
        raise RegulakeError(f"plan {plan_id} has no open commitment; commit it first with 'regulake plan commit {plan_id}'")
    c = json.loads(com["commitment_json"])
    t = randomness.utc(com["reveal_after"])
    at = randomness.utc(now) if now is not None else audit.now()
    if at >= t:
        raise RegulakeError(f"T ({_iso(t)}) has passed: a share committed now could be chosen knowing the public value; refused")
    if party == OPERATOR or party not in c.get("expected_parties", []):
        raise RegulakeError(
            f"party {party!r} is not among the parties the commitment names ({', '.join(c.get('expected_parties', [])) or 'none'})"
        )
    if party in cm.committed_shares(rows, int(com["attempt"])):
        raise RegulakeError(f"party {party!r} has committed a share for attempt {com['attempt']} already")
    if len(share_hash_) != 64 or any(ch not in "0123456789abcdef" for ch in share_hash_.lower()):
        raise RegulakeError("a share hash is 64 hexadecimal digits (SHA-256; 'regulake plan share' makes a share and its hash)")
    audit.record(
        spark,
        tables,
        event="share_committed",
        plan_id=plan_id,
        attempt=int(com["attempt"]),
        party=party,
        seed_hash=share_hash_.lower(),
        at=at,
        commitment_hash=com["commitment_hash"],
    )
    audit.publish_event(
        spark,
        tables,
        plan_id=plan_id,
        attempt=int(com["attempt"]),
        event="share_committed",
        at=at,
        party=party,
        share_hash=share_hash_.lower(),
        commitment_hash=com["commitment_hash"],
    )
    return {"plan_id": plan_id, "attempt": int(com["attempt"]), "party": party, "reveal_after": t}


def draw_committed(
    spark: SparkSession,
    tables: Tables,
    settings: PlansSettings,
    plan_id: str,
    shares: dict[str, str] | None = None,
    beacon_round: dict | None = None,
    operator: str | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    publish: bool = True,
    fetch=None,
) -> DrawOutcome:
    """Phase 2, allowed only after T: the revealed shares (checked against their hashes) and the public value named by
    the commitment (verified) give the seed; draw from the frozen register; publish.

    Args:
        plan_id: a plan committed with :func:`commit_plan` (``regulake plan commit``).
        shares: further parties' revealed shares by party name (the operator's is read from its secrets folder).
        beacon_round: the public value already fetched (else it is fetched, or read from the published-values file).
        now: the time of the draw (default: now); before T the draw is refused with ``DrawTooEarly``.
        publish: also write the public tables (``gold.public_plan_*``).

    Returns:
        A ``DrawOutcome``: the attempt, the seed and its hash, the number of tasks and their hash,
        the version of the tasks table and of every input read.

    Example::

        out = draw_committed(spark, tables, cfg.plans, "demo-2026q1")
        print(out.seed_hash, out.tasks)
    """
    say = progress or (lambda m: None)
    evts = audit.events(tables, plan_id)
    if audit.revealed(evts):
        raise RegulakeError(f"plan {plan_id} was drawn already; a plan is drawn once (check it with 'regulake plan verify {plan_id}')")
    rows = audit.ledger(tables, plan_id)
    com = cm.open_attempt(rows)
    if com is None:
        raise RegulakeError(
            f"plan {plan_id} has no open published commitment; commit it first with 'regulake plan commit {plan_id}' "
            "and draw after the time it names"
        )
    c = json.loads(com["commitment_json"])
    attempt = int(com["attempt"])
    t = randomness.utc(com["reveal_after"])
    at = randomness.utc(now) if now is not None else audit.now()
    if at < t:
        raise DrawTooEarly(
            f"plan {plan_id}: the draw is allowed only after T = {_iso(t)} ({randomness._in(t - at)}); committed "
            f"{c['committed_at']}, the draw will use {c['randomness']['target']['text']} — refused"
        )
    plan = Plan.model_validate_json(c["plan_json"])
    rs = settings.randomness  # where to fetch from (relays, timeout, values file); what to fetch is in the commitment
    shares = dict(shares or {})
    if OPERATOR not in shares:
        p = share_path(settings, plan_id, attempt)
        if not p.exists():
            raise RegulakeError(f"the operator's share of {plan_id} attempt {attempt} is not in {p}; give it with --share operator=HEX")
        shares[OPERATOR] = p.read_text(encoding="utf-8").strip()
    committed = cm.committed_shares(rows, attempt)
    missing = [p for p in [OPERATOR, *c.get("expected_parties", [])] if p not in committed]
    if missing:
        raise RegulakeError(
            f"plan {plan_id}: party(ies) {missing} committed no share before T; the draw cannot go on — "
            f"commit anew with 'regulake plan commit {plan_id} --replace' (public as abandoned)"
        )
    for party, info in committed.items():
        if party not in shares:
            raise RegulakeError(f"plan {plan_id}: the share of party {party!r} is needed (--share {party}=HEX)")
        if cm.share_hash(plan_id, party, shares[party]) != info["share_hash"]:
            raise RegulakeError(
                f"plan {plan_id}: the share given for party {party!r} does not match the hash it committed "
                f"({info['share_hash'][:16]}…); refused"
            )
    extra = sorted(set(shares) - set(committed))
    if extra:
        raise RegulakeError(f"plan {plan_id}: share(s) of {extra} were never committed; refused")
    if len(committed) < int(c.get("min_parties", 1)):
        raise RegulakeError(f"plan {plan_id}: {len(committed)} committed share(s), the commitment asks for {c['min_parties']}")
    src_desc, target = c["randomness"]["source"], c["randomness"]["target"]
    source = randomness.source_from_description(src_desc)
    if src_desc["kind"] == "drand":
        source.urls = list(dict.fromkeys([*source.urls, *rs.drand_urls]))  # the recorded relays, then the configured ones
        source.timeout = rs.timeout_seconds
        if fetch is not None:
            source.get = fetch
    elif src_desc["kind"] == "published" and rs.published_file:
        source.path = rs.published_file
    if beacon_round is not None:
        if src_desc["kind"] != "drand":
            raise RegulakeError("--beacon-round is for a drand source; this commitment names " + src_desc["kind"])
        value = source.accept(target, beacon_round, "given with --beacon-round")
    else:
        value = source.fetch(target, at)  # ValueNotYet: the draw waits; InvalidPublicValue: refused
    randomness.verify(src_desc, target, value)
    seed = cm.derive_seed(com["commitment_hash"], shares, value.get("value") or "")
    who = operator_name(settings, operator)
    common = dict(
        plan_id=plan_id,
        attempt=attempt,
        rule_version=c["rule_version"],
        plan_json=c["plan_json"],
        plan_hash=c["plan_hash"],
        input_versions=c["input_versions"],
        profile_as_of=dt.date.fromisoformat(c["profile_as_of"]),
        score_date=dt.date.fromisoformat(c["score_date"]),
        register_hash=c["register_hash"],
        register_version=c["register_version"],
        operator=who,
        commitment_hash=com["commitment_hash"],
        reveal_after=t,
    )
    say(f"{plan_id}: public value {value.get('value', '')[:16] or '(none: local mode)'}…; drawing from the frozen register")
    frozen = audit.read_register(tables, plan_id, c["register_version"])
    if register_hash(frozen) != c["register_hash"]:
        raise RegulakeError(
            f"the frozen register of {plan_id} ({audit.REGISTERS}@v{c['register_version']}) no longer has the committed "
            "fingerprint; refused"
        )
    inspectors = registers.read_inspectors(tables, c["inspectors_version"])
    shares_json = cm.canonical(shares)
    value_json = cm.canonical(value)
    try:
        result = draw(plan, frozen, inspectors, seed, c["rule_version"])
    except RegulakeError as exc:
        audit.record(
            spark,
            tables,
            event="failed",
            message=str(exc),
            seed=seed,
            shares_json=shares_json,
            public_value_json=value_json,
            at=at,
            **common,
        )
        audit.publish_event(
            spark,
            tables,
            plan_id=plan_id,
            attempt=attempt,
            event="failed",
            at=at,
            commitment_hash=com["commitment_hash"],
            shares_json=shares_json,
            public_value_json=value_json,
            seed=seed,
            message=str(exc),
        )
        from lakehouse.gold.plans import disclosure

        disclosure.publish(spark, tables, plan_id, settings)
        raise
    versions = {k: int(v) for k, v in c["input_versions"].items()}
    result.summary["input_retention"] = input_retention(tables, versions)
    t_hash = tasks_hash(result.tasks)
    t_version = audit.write_tasks(spark, tables, plan_id, result.tasks)
    audit.record(
        spark,
        tables,
        event="revealed",
        seed=seed,
        tasks_hash=t_hash,
        tasks_version=t_version,
        tasks=len(result.tasks),
        summary_json=json.dumps(result.summary, ensure_ascii=False, sort_keys=True),
        seed_hash=seed_hash(seed),
        shares_json=shares_json,
        public_value_json=value_json,
        at=at,
        **common,
    )
    pub_rows = cm.public_tasks(result.tasks)
    audit.publish_event(
        spark,
        tables,
        plan_id=plan_id,
        attempt=attempt,
        event="drawn",
        at=at,
        commitment_hash=com["commitment_hash"],
        reveal_after=t,
        shares_json=shares_json,
        public_value_json=value_json,
        seed=seed,
        tasks_hash=t_hash,
        public_tasks_hash=cm.public_tasks_hash(pub_rows),
        public_tasks_json=cm.canonical(pub_rows),
        tasks=len(result.tasks),
        cross_district_tasks=int(result.summary.get("cross_district", 0)),
    )
    say(
        f"{plan_id}: {len(result.tasks):,} tasks ({result.summary['targeted']:,} targeted, "
        f"{result.summary.get('cross_district', 0):,} cross-district), seed and shares revealed"
    )
    if publish:
        from lakehouse.gold.plans import disclosure

        disclosure.publish(spark, tables, plan_id, settings)
    return DrawOutcome(
        plan_id,
        attempt,
        seed_hash(seed),
        seed,
        len(result.tasks),
        t_hash,
        t_version,
        versions,
        result.summary,
        com["commitment_hash"],
        t,
        value,
    )


def draw_plan(
    spark: SparkSession,
    tables: Tables,
    settings: PlansSettings,
    plan: Plan,
    operator: str | None = None,
    progress: Callable[[str], None] | None = None,
    publish: bool = True,
    shares: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> DrawOutcome:
    """Commit and draw in one go — only where the plan's delay is zero (demos, tests): T is then the commitment
    time, and a draw before T is refused like any other."""
    commit_plan(spark, tables, settings, plan, operator=operator, progress=progress, now=now)
    later = None if now is None else randomness.utc(now) + dt.timedelta(microseconds=1)
    return draw_committed(spark, tables, settings, plan.id, shares=shares, operator=operator, now=later, progress=progress, publish=publish)


def input_retention(tables: Tables, versions: dict[str, int]) -> dict[str, dict]:
    """Each input's log and file retention, and whether they cover the audit horizon."""
    from lakehouse.tables.maintenance import interval_hours

    out = {}
    for name in versions:
        try:
            props = tables.properties(name)
        except Exception:  # noqa: BLE001
            continue
        log = props.get("delta.logRetentionDuration", "")
        files = props.get("delta.deletedFileRetentionDuration", "")
        need = tables.audit_retention_days * 24
        ok = all((interval_hours(x) or 0) >= need for x in (log, files))
        out[name] = {"log_retention": log or "default", "file_retention": files or "default", "audit": ok}
    return out


# ---------------------------------------------------------------------------
# verification


def _diff(expected: pd.DataFrame, actual: pd.DataFrame, limit: int = 5) -> str:
    from lakehouse.gold.plans.draw import TASK_COLUMNS, _fmt

    def rows(df):
        return {int(r["task_no"]): "\t".join(_fmt(r[c]) for c in TASK_COLUMNS) for r in df.to_dict("records")}

    e, a = rows(expected), rows(actual)
    out = []
    for k in sorted(set(e) | set(a)):
        if e.get(k) != a.get(k):
            if k not in a:
                out.append(f"task {k} missing")
            elif k not in e:
                out.append(f"task {k} added")
            else:
                ev, av = e[k].split("\t"), a[k].split("\t")
                cols = [c for c, x, y in zip(TASK_COLUMNS, ev, av) if x != y]
                out.append(f"task {k}: " + ", ".join(f"{c} {x!r} → {y!r}" for c, x, y in zip(TASK_COLUMNS, ev, av) if c in cols))
    n = len(out)
    return "; ".join(out[:limit]) + (f"; … {n - limit} more" if n > limit else "") if out else ""


def verify_plan(spark: SparkSession, tables: Tables, plan_id: str, values_file: str | None = None) -> Verification:
    """Every public check (``verifier``: commitment before T, shares, public value, seed, public tasks) and the
    recomputation from the recorded inputs; ``ok`` only when all match exactly.

    Args:
        plan_id: a drawn plan.
        values_file: a copy of the published-values file, to check a ``published`` randomness source.

    Returns:
        A ``Verification``: ``.ok``, and ``.checks``, one per check with its status and what it compared.

    Example::

        ver = verify_plan(spark, tables, "demo-2026q1")
        assert ver.ok, [(c.name, c.detail) for c in ver.checks if c.status != "ok"]
    """
    from lakehouse.gold.plans import disclosure, verifier

    ver = Verification(plan_id, required=("seed", "public tasks", "draw"))
    evts = audit.events(tables, plan_id)
    ledger_rows = audit.ledger(tables, plan_id)
    if not evts and not ledger_rows:
        raise RegulakeError(f"plan {plan_id} has no commitment or draw in {audit.DRAWS}; commit it with 'regulake plan commit {plan_id}'")
    results = (
        audit.read_rows(tables, disclosure.PUBLIC_RESULTS, filters=[("plan_id", "=", plan_id)])
        if tables.exists(disclosure.PUBLIC_RESULTS)
        else None
    )
    try:
        log_times = verifier.ledger_log_times(tables.root)
    except Exception:  # noqa: BLE001 - an object store: the rows' own times are checked
        log_times = {}
    ver, _, drawn_pub = verifier.verify_public(plan_id, ledger_rows, results, log_times, values_file, ver)
    pair = audit.revealed(evts)
    if not pair:
        if not ver.status_of("drawn once"):
            ver.add("drawn once", "mismatch", f"plan {plan_id} has not been drawn")
        return ver
    com, rev = pair
    # the audit trail and the public ledger tell the same story
    if drawn_pub is not None:
        same = (
            rev.get("seed") == drawn_pub["seed"]
            and rev.get("tasks_hash") == drawn_pub["tasks_hash"]
            and rev.get("commitment_hash") == drawn_pub["commitment_hash"] == com.get("commitment_hash")
        )
        ver.add(
            "audit trail",
            "ok" if same else "mismatch",
            "the audit trail's commitment, seed and tasks fingerprint are the published ones"
            if same
            else "the audit trail's commitment, seed or tasks fingerprint differ from the published ledger",
        )
    fields_same = all(com[f] == rev[f] for f in ("plan_json", "rule_version", "register_hash", "input_versions"))
    if not fields_same:
        ver.add("audit trail", "mismatch", "the revealed event differs from the committed one (plan, rule, inputs or register)")
    plan = Plan.model_validate_json(com["plan_json"])
    versions = {k: int(v) for k, v in (com["input_versions"] or {}).items()}
    # the inputs at their recorded versions give the recorded register
    try:
        rebuilt = registers.build_entity_register(tables, versions, com["profile_as_of"], com["score_date"])
        same = register_hash(rebuilt) == com["register_hash"]
        ver.add(
            "inputs",
            "ok" if same else "mismatch",
            f"entity register rebuilt from {', '.join(f'{k}@v{v}' for k, v in sorted(versions.items()))}: "
            f"{'same' if same else 'different'} fingerprint",
        )
    except Exception as exc:  # noqa: BLE001 - an input past its retention is reported, not fatal
        ver.add(
            "inputs",
            "unavailable",
            f"cannot re-read the inputs at their recorded versions ({type(exc).__name__}: {str(exc)[:200]}); using the frozen register",
        )
    frozen = audit.read_register(tables, plan_id, com["register_version"])
    same = register_hash(frozen) == com["register_hash"]
    ver.add("frozen register", "ok" if same else "mismatch", f"{audit.REGISTERS}@v{com['register_version']}: {len(frozen):,} entities")
    # the draw recomputed from the frozen register, the inspectors and the seed
    inspectors = registers.read_inspectors(tables, versions[registers.INSPECTORS])
    try:
        expected = draw(plan, frozen, inspectors, rev["seed"], com["rule_version"]).tasks
    except RegulakeError as exc:
        ver.add("draw", "mismatch", f"recomputation failed: {exc}")
        return ver
    e_hash = tasks_hash(expected)
    ver.add(
        "draw",
        "ok" if e_hash == rev["tasks_hash"] else "mismatch",
        f"recomputed {len(expected):,} tasks, fingerprint {'=' if e_hash == rev['tasks_hash'] else '≠'} the revealed {rev['tasks_hash'][:16]}…",
    )
    # the tasks: as written and as they are now
    for label, version in (("tasks as written", rev["tasks_version"]), ("tasks now", None)):
        stored = audit.read_tasks(tables, plan_id, version)
        s_hash = tasks_hash(stored)
        where = f"{audit.TASKS}@v{version}" if version is not None else f"{audit.TASKS}@v{tables.version(audit.TASKS)} (current)"
        if s_hash == e_hash:
            ver.add(label, "ok", f"{where}: identical to the recomputed draw")
        else:
            ver.add(label, "mismatch", f"{where}: differs from the recomputed draw: {_diff(expected, stored)}")
    return ver


def show(tables: Tables, plan_id: str) -> dict:
    """The plan's audit trail, sizes and workloads."""
    evts = audit.events(tables, plan_id)
    if not evts:
        raise RegulakeError(
            f"plan {plan_id} has not been drawn (no events in {audit.DRAWS}); commit it with 'regulake plan commit {plan_id}'"
        )
    rows = audit.ledger(tables, plan_id)
    out = {
        "plan_id": plan_id,
        "status": cm.plan_status(rows, audit.now(), 168)["status"] if rows else "drawn without a published commitment",
        "events": [
            {
                k: (str(v) if isinstance(v, (dt.date, dt.datetime)) else v)
                for k, v in e.items()
                if k
                in (
                    "attempt",
                    "event",
                    "at",
                    "operator",
                    "seed_hash",
                    "seed",
                    "tasks",
                    "tasks_hash",
                    "message",
                    "input_versions",
                    "party",
                    "reveal_after",
                    "commitment_hash",
                )
            }
            for e in evts
        ],
    }
    pair = audit.revealed(evts)
    if pair:
        tasks = audit.read_tasks(tables, plan_id)
        out["summary"] = audit.summary_of(pair[1])
        out["by_share"] = tasks.groupby("share").size().to_dict()
        out["by_district"] = tasks.groupby(["district_code", "share"]).size().unstack(fill_value=0).to_dict("index")
        out["by_item"] = tasks.groupby("inspection_item").size().to_dict()
        loads = pd.Series([i for lst in tasks["inspectors"] for i in lst]).value_counts()
        out["workload"] = {
            "inspectors": int(len(loads)),
            "min": int(loads.min()) if len(loads) else 0,
            "max": int(loads.max()) if len(loads) else 0,
            "mean": float(loads.mean()) if len(loads) else 0.0,
        }
    return out
