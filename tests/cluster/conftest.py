"""A Spark standalone cluster (a master and two workers of 1 core each) on loopback, per module."""

from __future__ import annotations

import pytest

from tests.cluster.standalone import SHORT_LIVED_JVM, ClusterError, StandaloneCluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = StandaloneCluster(tmp_path_factory.mktemp("spark-cluster"), workers=2, cores=1, memory="1536m", java_options=SHORT_LIVED_JVM)
    try:
        c.start()
    except ClusterError as exc:
        leftovers = c.stop()
        pytest.fail(
            f"the Spark standalone cluster did not start: {exc}" + (f"\nleft running: {leftovers}" if leftovers else ""), pytrace=False
        )
    try:
        yield c
    finally:
        leftovers = c.stop()
        assert not leftovers, f"processes of the standalone cluster still running after stop: {leftovers}"
