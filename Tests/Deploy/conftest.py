"""The local twin of the compose deployment, started for real by the tests (deploy/local-twin)."""
import importlib.util
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "EndToEnd"))  # client.py: the WebSocket game client

from stack import game_shard, monopoly_binary  # noqa: E402

sys.path.insert(0, str(ROOT / "deploy"))
import haproxy_stats  # noqa: E402

# The end-to-end suite's report hook (sets item.rep_call, so failures print the logs), loaded under
# another name: both folders call their file conftest.py.
_spec = importlib.util.spec_from_file_location("e2e_conftest", ROOT / "Tests" / "EndToEnd" / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
pytest_runtest_makereport = _e2e.pytest_runtest_makereport

TWIN = ROOT / "deploy" / "local-twin"


class Twin:
    """deploy/local-twin --json: reads its READY line, then gives tests the ports and pids."""

    def __init__(self, tmp_path, *extra):
        self.stderr_path = tmp_path / "twin.stderr"
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(TWIN), "--port", "0", "--json", "--dir", str(tmp_path / "twin"), *extra],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, env={**os.environ, "MONOPOLY_BIN": monopoly_binary()})
        self.lines = []
        self.extra_processes = []
        ready = threading.Event()
        self.info = None

        def read():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("READY "):
                    self.info = json.loads(line[len("READY "):])
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(90)
        if self.info is None:
            self.close()
            raise RuntimeError("the local twin did not come up:\n" + self.stderr_path.read_text(errors="replace"))

    @property
    def ws(self):
        return self.info["ws"]

    @property
    def ssl_context(self):
        """Trusts the twin's self-signed certificate (None without --tls)."""
        tls = self.info.get("tls")
        return ssl.create_default_context(cafile=tls["ca"]) if tls else None

    def process(self, name):
        return self.info["processes"][name]

    def pid(self, name):
        return self.process(name)["pid"]

    def alive(self, name):
        try:
            os.kill(self.pid(name), 0)
        except ProcessLookupError:
            return False
        # A zombie (exited, not yet reaped by the twin) counts as gone.
        try:
            return Path(f"/proc/{self.pid(name)}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False

    def signal(self, name, sig):
        os.kill(self.pid(name), sig)

    def wait_exit(self, name, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive(name):
                return
            time.sleep(0.02)
        raise TimeoutError(f"{name} is still running")

    def exit_status(self, name, timeout=5):
        """The exit status the twin reported for a process it started (None: not reported)."""
        pattern = re.compile(rf"local-twin: {re.escape(name)} \(pid \d+\) exited with (-?\d+)")
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = pattern.search(self.stderr_path.read_text(errors="replace"))
            if match:
                return int(match.group(1))
            time.sleep(0.05)
        return None

    def http(self, name, path):
        url = self.process(name)["http"] + path
        try:
            with urllib.request.urlopen(url, timeout=3, context=self.ssl_context if url.startswith("https:") else None) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)

    def redis_cli(self, *args):
        """redis-cli as the read-only operator user, as the operator guide does (on a Redis Cluster
        with -c, following MOVED to the node that owns the key)."""
        cluster = ["-c"] if self.info.get("redis_cluster") else []
        return subprocess.run(["redis-cli", "--no-auth-warning", *cluster, "--user", "operator", "-p", str(self.info["redis_port"]), *args],
                              capture_output=True, text=True,
                              env={**os.environ, "REDISCLI_AUTH": self.info["redis_passwords"]["operator"]}, timeout=5).stdout.strip()

    def lb_servers(self):
        """{address: status} of the LB's gateway servers that DNS filled ("UP", "DOWN", ...)."""
        found = haproxy_stats.servers(self.process("lb")["stats_socket"])
        return {address: status for address, status in found.values() if address}

    def gateway_address(self, name):
        return f"{self.process(name)['host']}:{self.process(name)['port']}"

    def lease_holder(self):
        """An authority serving games (the last to look), or ""."""
        return self.redis_cli("GET", "monopoly:authority:lease")

    def shard_holder(self, game):
        """The authority holding the lease of `game`'s shard (see Tests/EndToEnd/stack.py), or ""."""
        return self.redis_cli("GET", "monopoly:shard:{%d}:lease" % game_shard(game))

    def respawn(self, name):
        """Starts a process again with the twin's command line and environment (as `restart` would)."""
        spec = self.process(name)
        log = open(spec["log"], "ab")
        proc = subprocess.Popen(spec["argv"], stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **spec["env"]},
                                start_new_session=True, cwd=self.info["dir"])
        log.close()
        self.extra_processes.append(proc)
        spec["pid"] = proc.pid
        return proc

    def logs(self):
        parts = []
        for name, spec in self.info["processes"].items():
            try:
                parts.append(f"--- {name}\n" + Path(spec["log"]).read_text(errors="replace")[-3000:])
            except OSError:
                pass
        parts.append("--- twin\n" + self.stderr_path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for proc in self.extra_processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        # Whatever the twin started and could not stop (it SIGKILLs its children if it dies, too).
        if self.info:
            for spec in self.info["processes"].values():
                try:
                    cmdline = Path(f"/proc/{spec['pid']}/cmdline").read_bytes().split(b"\0")[0].decode()
                except OSError:
                    continue
                if cmdline == spec["argv"][0]:
                    os.kill(spec["pid"], signal.SIGKILL)
        self.stderr.close()


@pytest.fixture
def make_twin(request, tmp_path):
    twins = []

    def make(*extra):
        twin = Twin(tmp_path, *extra)
        twins.append(twin)
        return twin

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for twin in twins:
        if failed:
            print(twin.logs())
        twin.close()

