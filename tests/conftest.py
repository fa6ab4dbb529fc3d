"""Shared fixtures: one local Spark session for the whole run, warehouses in temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("REGULAKE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def test_config(tmp_path_factory):
    from lakehouse.config import load_config

    base = tmp_path_factory.mktemp("regulake")
    return load_config(
        "test",
        conf_dir=REPO / "conf",
        overrides={
            "warehouse.root": str(base / "warehouse"),
            "landing.root": str(base / "landing"),
            "landing.answer_key_root": str(base / "answer_key"),
            "runs.root": str(base / "runs"),
            "spark.local_dir": str(base / "spark-local"),
            "plans.randomness.secrets_dir": str(base / "secrets"),
        },
        environ={},
    )


@pytest.fixture(scope="session")
def spark(test_config):
    from lakehouse.spark import get_spark

    session = get_spark(test_config)
    yield session
    session.stop()


@pytest.fixture
def tables(spark, tmp_path, test_config):
    """A fresh, empty warehouse per test."""
    from lakehouse.tables import Tables

    return Tables(str(tmp_path / "warehouse"), spark, test_config.tables)
