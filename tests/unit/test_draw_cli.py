"""``regulake plan`` commands that need no Spark: list, show's clear error, bad options."""
from pathlib import Path

from typer.testing import CliRunner

from lakehouse.errors import RegulakeError

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path):
    return {"REGULAKE__WAREHOUSE__ROOT": str(tmp_path / "w"), "REGULAKE__RUNS__ROOT": str(tmp_path / "r"), "REGULAKE_CONF_DIR": str(REPO / "conf")}


def test_plan_list_shows_the_configured_plans(tmp_path, monkeypatch):
    from lakehouse.plans.cli import plan_app

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(plan_app, ["list", "--env", "test"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "demo-2026q1" in out.output and "no" in out.output


def test_show_of_an_undrawn_plan_is_a_clear_error(tmp_path, monkeypatch):
    from lakehouse.plans.cli import plan_app

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    out = CliRunner().invoke(plan_app, ["show", "demo-2026q1", "--env", "test"])
    assert isinstance(out.exception, RegulakeError) and "has not been drawn" in str(out.exception)


def test_simulate_inspections_rejects_a_bad_date(tmp_path, monkeypatch):
    import typer

    from lakehouse.plans.cli import simulate_inspections

    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    app = typer.Typer()
    app.command()(simulate_inspections)
    out = CliRunner().invoke(app, ["demo-2026q1", "--batch-date", "2026/04/01", "--env", "test"])
    assert isinstance(out.exception, RegulakeError) and "YYYY-MM-DD" in str(out.exception)
