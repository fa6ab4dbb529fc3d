"""Commit first, draw later: shares, the commitment, the seed, the public ledger's statuses. Pure functions.

* A **share** is a party's secret (256 random bits, hex). Its hash
  ``SHA-256("regulake-share|v1|<plan id>|<party>|<share>")`` is committed before T; the share itself is
  revealed at the draw. The operator's party is ``operator``; further parties (e.g. a discipline-inspection
  officer) are named in the commitment and commit their hashes before T.
* The **commitment** is a JSON object (plan and rule, input versions, register fingerprint, the inspector
  register's version, the parties' share hashes, the randomness source and target, committed at, T); its
  hash is ``SHA-256`` of its canonical JSON (sorted keys, no spaces, UTF-8).
* The **seed** is ``SHA-256("regulake-seed|v1|<commitment hash>|<party>=<share>|…(by party)|<public value>")``
  (hex) — the shares of every committed party and the public value named by the commitment; the draw
  (``draw.py``) takes it as its seed.
* The **public ledger** ``gold.public_plan_commitments`` holds every event in public, append-only:
  ``committed``, ``share_committed``, ``drawn``, ``failed``, ``abandoned``. ``statuses`` turns it into a
  plan's public status: committed (T not reached), awaiting draw, drawn, failed, abandoned (replaced by a new
  commitment, or never drawn ``abandon_after_hours`` after T), drawn more than once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from lakehouse.gold.plans.randomness import utc

OPERATOR = "operator"
LEDGER = "gold.public_plan_commitments"
LEDGER_SCHEMA = (
    "plan_id string, attempt int, event string, at timestamp, commitment_hash string, commitment_json string, reveal_after timestamp, "
    "party string, share_hash string, shares_json string, public_value_json string, seed string, tasks_hash string, "
    "public_tasks_hash string, public_tasks_json string, tasks int, cross_district_tasks int, message string"
)
LEDGER_FIELDS = [f.split(" ")[0] for f in LEDGER_SCHEMA.split(", ")]
PUBLIC_TASK_FIELDS = ["uscc", "district_code", "inspection_item", "cross_district"]


def canonical(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def new_share() -> str:
    return secrets.token_hex(32)


def share_hash(plan_id: str, party: str, share: str) -> str:
    return hashlib.sha256(f"regulake-share|v1|{plan_id}|{party}|{share}".encode()).hexdigest()


def commitment_hash(commitment: dict) -> str:
    return hashlib.sha256(canonical(commitment).encode("utf-8")).hexdigest()


def derive_seed(c_hash: str, shares: dict[str, str], public_value: str) -> str:
    parts = [f"{p}={shares[p]}" for p in sorted(shares)]
    text = "|".join(["regulake-seed", "v1", c_hash, *parts, public_value or ""])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def public_tasks(tasks) -> list[list]:
    """The public part of each task (uscc, district, item, cross-district), sorted by uscc — what the public
    results table shows of it; its fingerprint goes into the ledger with the draw."""
    rows = []
    for r in tasks.to_dict("records") if hasattr(tasks, "to_dict") else tasks:
        rows.append([str(r["uscc"]), str(r["district_code"]), str(r["inspection_item"]), bool(r.get("cross_district") or False)])
    return sorted(rows)


def public_tasks_hash(rows: list[list]) -> str:
    return hashlib.sha256(canonical(rows).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# statuses


def attempts(events: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for e in sorted(events, key=lambda e: (int(e["attempt"]), utc(e["at"]))):
        out.setdefault(int(e["attempt"]), []).append(e)
    return out


def attempt_status(evts: list[dict], now: dt.datetime, abandon_after_hours: float) -> str:
    kinds = [e["event"] for e in evts]
    if kinds.count("drawn") > 1:
        return "drawn more than once"
    if "drawn" in kinds:
        return "drawn"
    if "failed" in kinds:
        return "failed"
    if "abandoned" in kinds:
        return "abandoned"
    com = next((e for e in evts if e["event"] == "committed"), None)
    if com is None:
        return "no commitment"
    t = utc(com["reveal_after"])
    if utc(now) < t:
        return "committed"
    if utc(now) < t + dt.timedelta(hours=abandon_after_hours):
        return "awaiting draw"
    return "abandoned"


def plan_status(events: list[dict], now: dt.datetime, abandon_after_hours: float) -> dict:
    """The public status of one plan from its ledger rows: the latest attempt's status, how many attempts were
    abandoned, and 'drawn more than once' whenever more than one draw was published."""
    by = attempts(events)
    if not by:
        return {"status": "not committed", "attempt": None, "abandoned_attempts": 0, "attempts": {}}
    st = {a: attempt_status(e, now, abandon_after_hours) for a, e in by.items()}
    drawn = sum(1 for e in events if e["event"] == "drawn")
    latest = max(by)
    status = "drawn more than once" if drawn > 1 else st[latest]
    return {"status": status, "attempt": latest, "abandoned_attempts": sum(1 for s in st.values() if s == "abandoned"), "attempts": st}


def open_attempt(events: list[dict]) -> dict | None:
    """The latest attempt's committed row when that attempt is still open (not drawn, failed or abandoned)."""
    by = attempts(events)
    if not by:
        return None
    evts = by[max(by)]
    if any(e["event"] in ("drawn", "failed", "abandoned") for e in evts):
        return None
    return next((e for e in evts if e["event"] == "committed"), None)


def committed_shares(events: list[dict], attempt: int) -> dict[str, dict]:
    """party → {share_hash, at} committed for an attempt (the commitment's own and later share_committed rows)."""
    out: dict[str, dict] = {}
    for e in attempts(events).get(attempt, []):
        if e["event"] == "committed":
            for p in json.loads(e["commitment_json"])["parties"]:
                out[p["party"]] = {"share_hash": p["share_hash"], "at": utc(e["at"])}
        elif e["event"] == "share_committed" and e.get("party") not in out:
            out[e["party"]] = {"share_hash": e["share_hash"], "at": utc(e["at"])}
    return out
