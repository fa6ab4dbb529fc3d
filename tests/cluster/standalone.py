"""A real Spark standalone cluster (one master, N workers) from the pip-installed PySpark, on loopback.

Every daemon runs ``bin/spark-class`` of the pyspark package in a process group of its own;
the executors a worker launches (and their Python workers) inherit that group, so
:meth:`StandaloneCluster.stop` ends all of them by signalling the groups.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# The test's JVMs live for a minute on two cores: the C1 compiler alone halves their CPU time
# (measured on bronze/silver/gold of the tiny city); results do not depend on the JIT.
SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


class ClusterError(RuntimeError):
    """The cluster did not come up (or did not go away); the message carries the daemons' log tails."""


@dataclass
class Daemon:
    name: str
    proc: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])


@dataclass
class StandaloneCluster:
    root: Path  # logs, work and local dirs go under here
    workers: int = 2
    cores: int = 1
    memory: str = "1536m"  # per worker; executors get spark.executor.memory of it
    daemon_memory: str = "512m"  # heap of the master and worker JVMs themselves
    python: str = sys.executable  # the executors' Python (PYSPARK_PYTHON)
    java_options: str = ""  # JAVA_TOOL_OPTIONS of the daemons, inherited by the executors they launch
    start_timeout: float = 120.0
    daemons: list[Daemon] = field(default_factory=list)
    master_url: str = ""
    master_ui: str = ""

    # -- start ---------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REGULAKE", "PYSPARK_GATEWAY", "SPARK_"))}
        conf_dir = self.root / "conf"
        conf_dir.mkdir(parents=True, exist_ok=True)  # empty: no site spark-defaults.conf leaks in
        env.update(
            SPARK_HOME=str(spark_home()),
            SPARK_CONF_DIR=str(conf_dir),
            SPARK_LOCAL_IP=HOST,
            SPARK_DAEMON_MEMORY=self.daemon_memory,
            PYSPARK_PYTHON=self.python,
            SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false",  # no REST server on the fixed port 6066
        )
        if self.java_options:
            env["JAVA_TOOL_OPTIONS"] = self.java_options
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Daemon:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log, "wb")
        try:
            proc = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), *args],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.root,
                start_new_session=True,  # own process group: stop() signals it whole
            )
        finally:
            fh.close()
        daemon = Daemon(name, proc, log)
        self.daemons.append(daemon)
        return daemon

    def _wait_for(self, what: str, ready, daemons: list[Daemon], timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            value = ready()
            if value:
                return value
            for d in daemons:
                if d.proc.poll() is not None:
                    raise ClusterError(
                        f"{d.name} exited with status {d.proc.returncode} before {what}; its log ({d.log}) ends:\n{d.tail()}"
                    )
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {d.name} ({d.log}):\n{d.tail()}" for d in daemons)
                raise ClusterError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")
            time.sleep(0.5)

    def start(self) -> StandaloneCluster:
        env = self._env()
        port, ui_port = free_port(), free_port()
        master = self._spawn(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                HOST,
                "--port",
                str(port),
                "--webui-port",
                str(ui_port),
            ],
            env,
        )

        def master_ready():
            text = master.log.read_text(errors="replace") if master.log.exists() else ""
            url = re.search(r"Starting Spark master at (spark://\S+)", text)
            ui = re.search(r"MasterWebUI.* started at (http://\S+)", text)
            if url and ui and "New state: ALIVE" in text:
                actual = int(url.group(1).rsplit(":", 1)[1])
                if port_open(actual):
                    return url.group(1), ui.group(1)
            return None

        self.master_url, self.master_ui = self._wait_for("the master to be ALIVE and listening", master_ready, [master], self.start_timeout)

        workers = []
        for i in range(self.workers):
            work = self.root / f"worker-{i}"
            local = work / "local"
            local.mkdir(parents=True, exist_ok=True)
            wenv = dict(env, SPARK_LOCAL_DIRS=str(local), SPARK_WORKER_DIR=str(work / "work"))
            workers.append(
                self._spawn(
                    f"worker-{i}",
                    [
                        "org.apache.spark.deploy.worker.Worker",
                        "--host",
                        HOST,
                        "--webui-port",
                        str(free_port()),
                        "--cores",
                        str(self.cores),
                        "--memory",
                        self.memory,
                        "--work-dir",
                        str(work / "work"),
                        self.master_url,
                    ],
                    wenv,
                )
            )

        def workers_alive():
            state = self.state()
            return state if state and state.get("aliveworkers", 0) >= self.workers else None

        self._wait_for(f"{self.workers} workers to register with {self.master_url}", workers_alive, [master, *workers], self.start_timeout)
        return self

    # -- look ----------------------------------------------------------------------------------
    def state(self) -> dict | None:
        """The master's JSON status (workers, active and completed applications)."""
        try:
            with urllib.request.urlopen(f"{self.master_ui}/json/", timeout=5) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return None

    def completed_apps(self) -> list[dict]:
        return list((self.state() or {}).get("completedapps", []))

    def executor_dirs(self, app_id: str) -> list[Path]:
        """The executor folders the workers created for an application (one per executor)."""
        return sorted(p for i in range(self.workers) for p in (self.root / f"worker-{i}" / "work" / app_id).glob("*") if p.is_dir())

    # -- stop ----------------------------------------------------------------------------------
    def _groups_alive(self) -> list[int]:
        alive = []
        for d in self.daemons:
            d.proc.poll()  # reap the daemon itself: a zombie still counts as a member of its group
            try:
                os.killpg(d.proc.pid, 0)
                alive.append(d.proc.pid)
            except ProcessLookupError:
                pass
            except PermissionError:
                alive.append(d.proc.pid)
        return alive

    def stop(self, grace: float = 15.0) -> list[str]:
        """End every process the cluster started (workers first); returns leftovers, if any, as descriptions."""
        for d in reversed(self.daemons):
            try:
                os.killpg(d.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while self._groups_alive() and time.monotonic() < deadline:
            time.sleep(0.3)
        for pgid in self._groups_alive():
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for d in self.daemons:
            try:
                d.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.5)
        return self.leftovers()

    def leftovers(self) -> list[str]:
        """Processes still in the cluster's process groups or running under its folder."""
        import psutil

        groups = {d.proc.pid for d in self.daemons}
        root = str(self.root)
        out = []
        for p in psutil.process_iter(["pid", "cmdline", "cwd"]):
            try:
                in_group = os.getpgid(p.pid) in groups
                under_root = (p.info["cwd"] or "").startswith(root) or any(root in a for a in (p.info["cmdline"] or []))
            except (ProcessLookupError, psutil.Error):
                continue
            if (in_group or under_root) and p.pid != os.getpid():
                out.append(f"{p.pid}: {' '.join(p.info['cmdline'] or [])[:200]}")
        return out
