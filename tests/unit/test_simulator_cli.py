"""`regulake simulate` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lakehouse.errors import RegulakeError


def test_simulate_command_writes_landing_and_answer_key(tmp_path):
    from lakehouse.cli import app

    out, key = tmp_path / "landing", tmp_path / "answer_key"
    args = [
        "simulate",
        "--scale",
        "0.0003",
        "--days",
        "1",
        "--seed",
        "9",
        "--env",
        "test",
        "--out-dir",
        str(out),
        "--answer-key-dir",
        str(key),
        "--catalog",
        "SCJG-001",
        "--catalog",
        "SCJG-008",
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "records/s" in r.output
    run = json.loads((key / "run.json").read_text(encoding="utf-8"))
    assert run["seed"] == 9 and set(run["records_by_catalog"]) == {"SCJG-001", "SCJG-008"}
    assert (out / "SCJG" / "SCJG-001" / "2026-01-01" / "_manifest.json").exists()
    r = CliRunner().invoke(app, args)  # second time without --overwrite: a user error, not a crash
    assert isinstance(r.exception, RegulakeError) and "--overwrite" in str(r.exception)
    r = CliRunner().invoke(app, args + ["--overwrite"])
    assert r.exit_code == 0, r.output


def test_simulate_defaults_to_the_configured_folders(tmp_path, monkeypatch):
    from lakehouse.cli import app

    monkeypatch.setenv("REGULAKE__LANDING__ROOT", str(tmp_path / "l"))
    monkeypatch.setenv("REGULAKE__LANDING__ANSWER_KEY_ROOT", str(tmp_path / "k"))
    monkeypatch.setenv("REGULAKE__SIMULATOR__FILE_FAULTS", "false")
    r = CliRunner().invoke(app, ["simulate", "--scale", "0.0002", "--days", "0", "--env", "test", "--catalog", "SCJG-010"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "l" / "SCJG" / "SCJG-010").is_dir() and (tmp_path / "k" / "entities.parquet").exists()
    assert json.loads((tmp_path / "k" / "run.json").read_text())["settings"]["file_faults"] is False
