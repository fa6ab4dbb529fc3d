"""``regulake serve trino`` / ``regulake trino sync`` as a user runs them, and Trino beyond loopback:
password-file authentication over HTTPS with a self-signed certificate."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import check_trino_installed

REPO = Path(__file__).resolve().parents[2]


def regulake(args, env, **kw):
    return subprocess.Popen(
        [sys.executable, "-c", "from lakehouse.cli import main; main()", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def cli_env(root: Path, state: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "REGULAKE__WAREHOUSE__ROOT": str(root),
            "REGULAKE__SERVING__TRINO__STATE_DIR": str(state),
            "REGULAKE__SERVING__TRINO__PORT": str(port),
            "REGULAKE__SERVING__TRINO__HEAP": "1G",
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


def test_serve_refuses_a_public_host_without_authentication(tmp_path):
    from typer.testing import CliRunner

    from lakehouse.cli import app

    env = {"REGULAKE__WAREHOUSE__ROOT": str(tmp_path), "REGULAKE__SERVING__TRINO__STATE_DIR": str(tmp_path / "state")}
    res = CliRunner().invoke(app, ["serve", "trino", "--host", "0.0.0.0", "--env", "test"], env=env)
    assert res.exit_code == 2
    assert "refusing to serve Trino on 0.0.0.0" in res.output and "tls_cert_file" in res.output and "password_hash" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "state" / "server.json").exists()


def test_serve_sync_port_in_use_and_sigterm(spark, tmp_path, test_config, trino_settings):
    from lakehouse.tables import Tables
    from serving.trino.launcher import connect, free_port

    check_trino_installed(trino_settings)
    root, state = tmp_path / "wh", tmp_path / "state"
    tables = Tables(str(root), spark, test_config.tables)
    tables.write("gold.kpi", spark.createDataFrame([("entities", "", 3.0)], "metric string, dimension string, value double"))
    port = free_port()
    env = cli_env(root, state, port)
    proc = regulake(["serve", "trino", "--env", "test"], env)
    out = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if "Ctrl-C stops Trino" in line:
                break
        text = "".join(out)
        assert "Ctrl-C stops Trino" in text, text
        for want in (
            f"trino --server http://127.0.0.1:{port}",
            f"trino://analyst@127.0.0.1:{port}/regulake/gold",
            f"jdbc:trino://127.0.0.1:{port}/regulake/gold",
            "trino.dbapi.connect(",
            "registered gold.kpi",
        ):
            assert want in text, want
        info = json.loads((state / "server.json").read_text())

        # the port is taken: a second server says so instead of hanging
        second = regulake(["serve", "trino", "--env", "test"], cli_env(root, tmp_path / "state2", port))
        msg = second.communicate(timeout=120)[0]
        assert second.returncode == 2 and f"127.0.0.1:{port}" in msg and "in use" in msg and "Traceback" not in msg

        # a table written later is registered by 'regulake trino sync'
        tables.write("gold.risk_scores", spark.createDataFrame([("x", 0.5)], "uscc string, probability double"))
        sync = regulake(["trino", "sync", "--env", "test"], env)
        msg = sync.communicate(timeout=120)[0]
        assert sync.returncode == 0 and "registered gold.risk_scores" in msg, msg
        cur = connect(info["uri"], "regulake", "analyst", schema="gold").cursor()
        cur.execute("SELECT count(*) FROM risk_scores")
        assert cur.fetchall() == [[1]]

        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=90)[0]
        assert "stopping Trino" in rest
        with pytest.raises(OSError):
            os.kill(info["pid"], 0)  # the JVM is gone
        assert not (state / "server.json").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        if (state / "server.json").exists():
            pid = json.loads((state / "server.json").read_text())["pid"]
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "trino.crt", tmp_path / "trino.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_password_file_authentication_over_https(trino_warehouse, trino_settings, tmp_path, monkeypatch):
    import requests
    import trino
    from trino.exceptions import HttpError, TrinoUserError

    from lakehouse.config.serving import TrinoSettings, TrinoUser, hash_password
    from serving.trino.launcher import TrinoServer
    from serving.trino.sync import sync

    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)  # requests would trust them instead of verify=<our cert>
    cert, key = self_signed(tmp_path)
    settings = TrinoSettings(
        host="0.0.0.0",
        port=0,
        heap="1G",
        state_dir=str(tmp_path / "state"),
        tables=trino_settings.tables,
        users=[TrinoUser(name="bi", password_hash=hash_password("s3cret-pw", 1000))],
        tls_cert_file=str(cert),
        tls_key_file=str(key),
    )
    server = TrinoServer(settings, trino_warehouse.root)
    server.start()
    try:
        assert server.uri.startswith("https://127.0.0.1:")
        sync(server.connect(), settings, trino_warehouse.root, trino_warehouse)
        base = dict(host="127.0.0.1", port=server.port, catalog="regulake", schema="gold", http_scheme="https", verify=str(cert))
        ok = trino.dbapi.connect(user="bi", auth=trino.auth.BasicAuthentication("bi", "s3cret-pw"), **base).cursor()
        ok.execute("SELECT count(*) FROM kpi")
        assert ok.fetchall() == [[2]]
        ok.execute("SELECT legal_rep_id FROM silver.registration ORDER BY uscc LIMIT 1")
        assert ok.fetchall() == [["440604********0000"]]
        with pytest.raises(HttpError, match="401"):
            trino.dbapi.connect(user="bi", auth=trino.auth.BasicAuthentication("bi", "wrong"), **base).cursor().execute("SELECT 1")
        with pytest.raises((HttpError, TrinoUserError)):
            trino.dbapi.connect(user="bi", **{**base, "http_scheme": "https"}).cursor().execute("SELECT 1")
        # the plain-HTTP port is for the node's internal calls only: a client there is refused
        internal = server.layout.internal_port
        r = requests.post(f"http://127.0.0.1:{internal}/v1/statement", data="SELECT 1", headers={"X-Trino-User": "bi"}, timeout=10)
        assert r.status_code in (401, 403), r.text
    finally:
        server.stop()


def test_a_trino_that_fails_to_start_reports_trinos_message(trino_warehouse, tmp_path):
    from lakehouse.config.serving import TrinoSettings
    from serving.trino.launcher import TrinoError, TrinoServer

    bad = TrinoSettings(port=0, heap="1G", query_max_memory="1GB", state_dir=str(tmp_path / "bad"))
    server = TrinoServer(bad, trino_warehouse.root)
    with pytest.raises(TrinoError) as info:
        server.start()
    assert "Trino exited" in str(info.value) and "Invalid memory configuration" in str(info.value)
    assert not server.running()


def test_a_trino_that_does_not_answer_in_time_is_stopped(trino_warehouse, tmp_path):
    from lakehouse.config.serving import TrinoSettings
    from serving.trino.launcher import TrinoError, TrinoServer

    slow = TrinoSettings(port=0, heap="1G", start_timeout_s=1, state_dir=str(tmp_path / "slow"))
    server = TrinoServer(slow, trino_warehouse.root)
    with pytest.raises(TrinoError, match="did not come up within 1 s"):
        server.start()
    assert not server.running() and server.proc.returncode is not None
