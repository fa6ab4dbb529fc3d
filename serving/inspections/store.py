"""Where records live: append-only Delta tables written through :class:`lakehouse.tables.Tables` (delta-rs, no Spark).

``audit.inspection_records`` holds one row per event of a record — ``submitted`` (the canonical
record), ``inspector_signed`` (an inspector's Ed25519 signature and handwritten image),
``party_signed`` (the inspected party's handwritten image) and ``sealed`` (both inspector
signatures verified and the party signed: from here the record is immutable). Nothing is ever
updated or deleted; a record's state is the fold of its events (:func:`record_state`). A
correction is a new record whose ``corrects`` names the one it replaces.

The API runs one writer (one uvicorn worker for these routes); :data:`LOCK` serialises the
read-check-append sequences, so two requests never both pass a check meant for one.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from lakehouse.tables import Tables

LOCK = threading.RLock()

RECORD_EVENTS = pa.schema(
    [
        ("record_id", pa.string()),
        ("task_id", pa.string()),
        ("uscc", pa.string()),
        ("plan_id", pa.string()),
        ("event", pa.string()),
        ("inspector_id", pa.string()),
        ("record_json", pa.string()),
        ("record_sha256", pa.string()),
        ("signature", pa.string()),
        ("public_key", pa.string()),
        ("image_png", pa.binary()),
        ("image_sha256", pa.string()),
        ("signer_role", pa.string()),
        ("corrects", pa.string()),
        ("result", pa.string()),
        ("at", pa.timestamp("us")),
    ]
)
DRAFTS = pa.schema(
    [
        ("task_id", pa.string()),
        ("uscc", pa.string()),
        ("inspector_id", pa.string()),
        ("answers_json", pa.string()),
        ("at", pa.timestamp("us")),
    ]
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _rows(tables: Tables, name: str, filters: list | None = None) -> list[dict]:
    if not tables.exists(name):
        return []
    return tables.read_arrow(name, filters=filters).to_pylist()


def append(tables: Tables, name: str, schema: pa.Schema, rows: list[dict[str, Any]], audit: bool = True) -> int:
    data = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
    return int(tables.write(name, data, audit=audit, schema_mode="add_columns").version)


@dataclass
class RecordState:
    record_id: str
    task_id: str
    uscc: str
    plan_id: str
    record: dict
    record_json: str
    record_sha256: str
    submitted_at: dt.datetime
    signatures: dict[str, dict] = field(default_factory=dict)  # inspector_id -> event row
    party: dict | None = None
    sealed_at: dt.datetime | None = None

    @property
    def status(self) -> str:
        return "sealed" if self.sealed_at else "awaiting_signatures"

    def public_view(self) -> dict:
        return {
            "record_id": self.record_id,
            "task_id": self.task_id,
            "uscc": self.uscc,
            "plan_id": self.plan_id,
            "status": self.status,
            "record_sha256": self.record_sha256,
            "record": self.record,
            "signed_by": sorted(self.signatures),
            "party_signed": self.party is not None,
            "submitted_at": self.submitted_at.isoformat() + "Z",
            "sealed_at": self.sealed_at.isoformat() + "Z" if self.sealed_at else None,
        }


def fold(rows: list[dict]) -> dict[str, RecordState]:
    out: dict[str, RecordState] = {}
    for r in sorted(rows, key=lambda r: (r["at"], {"submitted": 0, "inspector_signed": 1, "party_signed": 2, "sealed": 3}[r["event"]])):
        if r["event"] == "submitted":
            import json

            out[r["record_id"]] = RecordState(
                r["record_id"],
                r["task_id"],
                r["uscc"],
                r["plan_id"],
                json.loads(r["record_json"]),
                r["record_json"],
                r["record_sha256"],
                r["at"],
            )
            continue
        st = out.get(r["record_id"])
        if st is None:
            continue
        if r["event"] == "inspector_signed":
            st.signatures[r["inspector_id"]] = r
        elif r["event"] == "party_signed":
            st.party = r
        elif r["event"] == "sealed":
            st.sealed_at = r["at"]
    return out


def task_records(tables: Tables, name: str, task_id: str, uscc: str) -> list[RecordState]:
    """The records of one task's entity, oldest first."""
    states = fold(_rows(tables, name, [("task_id", "=", task_id), ("uscc", "=", uscc)]))
    return sorted(states.values(), key=lambda s: s.submitted_at)


def record_state(tables: Tables, name: str, record_id: str) -> RecordState | None:
    return fold(_rows(tables, name, [("record_id", "=", record_id)])).get(record_id)


def sealed_records(tables: Tables, name: str, plan_id: str | None = None) -> list[RecordState]:
    states = fold(_rows(tables, name, [("plan_id", "=", plan_id)] if plan_id else None))
    return sorted((s for s in states.values() if s.sealed_at), key=lambda s: (s.sealed_at, s.record_id))


def latest_per_task(records: list[RecordState]) -> dict[tuple[str, str], RecordState]:
    """The record that stands for each (task_id, uscc): the last sealed one of its correction chain."""
    out: dict[tuple[str, str], RecordState] = {}
    for s in sorted(records, key=lambda s: s.sealed_at or s.submitted_at):
        if s.sealed_at:
            out[(s.task_id, s.uscc)] = s
    return out


def task(tables: Tables, name: str, task_id: str, uscc: str) -> dict | None:
    """The drawn task of one entity (gold.inspection_tasks: a plan's task id is shared by its entities; the key is task_id + uscc)."""
    rows = _rows(tables, name, [("task_id", "=", task_id), ("uscc", "=", uscc)])
    return rows[0] if rows else None


def latest_draft(tables: Tables, name: str, task_id: str, uscc: str) -> dict | None:
    rows = _rows(tables, name, [("task_id", "=", task_id), ("uscc", "=", uscc)])
    return max(rows, key=lambda r: r["at"]) if rows else None
