"""``regulake plan`` commands that need no Spark: list, show's clear error, bad options."""

from pathlib import Path

from typer.testing import CliRunner

from lakehouse.errors import RegulakeError

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path):
    return {
        "REGULAKE__WAREHOUSE__ROOT": str(tmp_path / "w"),
        "REGULAKE__RUNS__ROOT": str(tmp_path / "r"),
        "REGULAKE_CONF_DIR": str(REPO / "conf"),
    }


def test_plan_list_shows_the_configured_plans(tmp_path, monkeypatch):
    from lakehouse.gold.plans.cli import plan_app

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(plan_app, ["list", "--env", "test"], terminal_width=200)
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if "demo-2026q1" in line)
    assert "not committed" in row and row.rstrip(" │|").rstrip().endswith("no"), row  # status, then 'drawn: no'


def test_show_of_an_undrawn_plan_is_a_clear_error(tmp_path, monkeypatch):
    from lakehouse.gold.plans.cli import plan_app

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(plan_app, ["show", "demo-2026q1", "--env", "test"])
    assert isinstance(out.exception, RegulakeError) and "has not been drawn" in str(out.exception)


def test_simulate_inspections_rejects_a_bad_date(tmp_path, monkeypatch):
    import typer

    from lakehouse.gold.plans.cli import simulate_inspections

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    app = typer.Typer()
    app.command()(simulate_inspections)
    out = CliRunner().invoke(app, ["demo-2026q1", "--batch-date", "2026/04/01", "--env", "test"])
    assert isinstance(out.exception, RegulakeError) and "YYYY-MM-DD" in str(out.exception)


def test_plan_list_shows_not_committed(tmp_path, monkeypatch):
    from lakehouse.gold.plans.cli import plan_app

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(plan_app, ["list", "--env", "test"], terminal_width=200)
    assert out.exit_code == 0 and "not committed" in out.output


def test_plan_share_makes_a_share_and_its_hash(tmp_path):
    from lakehouse.gold.plans import commitment as cm
    from lakehouse.gold.plans.cli import plan_app

    f = tmp_path / "mine.share"
    out = CliRunner().invoke(plan_app, ["share", "p1", "--party", "discipline", "--out", str(f)], terminal_width=200)
    assert out.exit_code == 0, out.output
    share = f.read_text().strip()
    assert cm.share_hash("p1", "discipline", share) in out.output and share not in out.output
    assert oct(f.stat().st_mode & 0o777) == "0o600"


def test_enter_value_and_bad_share_options(tmp_path, monkeypatch):
    from lakehouse.gold.plans.cli import plan_app
    from lakehouse.gold.plans.randomness import read_values

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("REGULAKE__PLANS__RANDOMNESS__PUBLISHED_FILE", str(tmp_path / "values.jsonl"))
    out = CliRunner().invoke(
        plan_app,
        [
            "enter-value",
            "--source",
            "福彩3D",
            "--ref",
            "2026001",
            "--value",
            "123",
            "--published-at",
            "2026-01-01T21:15:00+08:00",
            "--url",
            "https://example.org",
            "--env",
            "test",
        ],
    )
    assert out.exit_code == 0, out.output
    (entry,) = read_values(tmp_path / "values.jsonl")
    assert entry["published_at"] == "2026-01-01T13:15:00.000000Z" and entry["value"] == "123"
    out = CliRunner().invoke(plan_app, ["draw", "demo-2026q1", "--share", "nohex", "--env", "test"])
    assert isinstance(out.exception, RegulakeError) and "PARTY=HEX" in str(out.exception)


def test_public_router_serves_the_commitments_ledger(tmp_path):
    import datetime as dt

    import pyarrow as pa
    from deltalake import write_deltalake
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from lakehouse.gold.plans.commitment import LEDGER
    from lakehouse.gold.plans.disclosure import public_router

    root = tmp_path / "w"
    rows = [
        {
            "plan_id": "p1",
            "attempt": 1,
            "event": "committed",
            "at": dt.datetime(2026, 1, 1),
            "commitment_hash": "ab" * 32,
            "reveal_after": dt.datetime(2026, 1, 2),
            "public_tasks_json": None,
        },
        {
            "plan_id": "p1",
            "attempt": 1,
            "event": "abandoned",
            "at": dt.datetime(2026, 1, 1, 1),
            "commitment_hash": None,
            "reveal_after": None,
            "public_tasks_json": None,
        },
    ]
    write_deltalake(f"{root}/{LEDGER.replace('.', '/')}", pa.Table.from_pylist(rows))
    app = FastAPI()
    app.include_router(public_router(str(root)))
    c = TestClient(app)
    got = c.get("/public/plans/p1/commitments").json()
    assert [r["event"] for r in got] == ["committed", "abandoned"] and got[0]["reveal_after"].startswith("2026-01-02")
    assert "public_tasks_json" not in c.get("/public/commitments").json()[0]
    assert c.get("/public/plans/p2/commitments").status_code == 404
