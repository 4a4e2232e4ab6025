"""A real Redis Cluster (3 masters + 3 replicas on loopback ports) under gateways and authorities
that take it with REDIS_CLUSTER, for the cluster end-to-end tests (REDIS_CLUSTER_TESTS=1)."""
import os
import secrets
import subprocess
import tempfile
import time

from stack import REDIS_USERS, Process, free_port, monopoly_binary, wait_for_port, wait_until, write_redis_acl


def key_slot(key: str) -> int:
    """CRC-16/XMODEM of the key's hash tag (or the whole key) mod 16384, as Redis Cluster computes it."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    crc = 0
    for byte in key.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc % 16384


class RedisCluster:
    """Six redis-servers joined by `redis-cli --cluster create --cluster-replicas 1`, with the
    deployment's ACL users and an `admin` user (replication between nodes, cluster set-up, the
    test's own reads). `cluster-node-timeout` is short, so a killed master's replica takes over fast."""

    def __init__(self, directory, passwords, node_timeout_ms=2000):
        self.dir = directory
        self.admin_password = secrets.token_hex(16)
        acl_path = os.path.join(directory, "cluster-users.acl")
        write_redis_acl(monopoly_binary(), acl_path, passwords)
        with open(acl_path, "a") as acl:
            acl.write(f"user admin reset on >{self.admin_password} ~* &* +@all\n")
        self.ports = [free_port() for _ in range(6)]
        self.nodes = {}
        try:
            self._start(directory, acl_path, node_timeout_ms)
        except BaseException:
            self.close()
            raise

    def _start(self, directory, acl_path, node_timeout_ms):
        for port in self.ports:
            node_dir = os.path.join(directory, f"node-{port}")
            os.makedirs(node_dir)
            self.nodes[port] = Process(f"redis-{port}", [
                "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", node_dir, "--aclfile", acl_path, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(node_timeout_ms), "--cluster-port", str(free_port()),
                "--masteruser", "admin", "--masterauth", self.admin_password], directory)
        for port in self.ports:
            wait_for_port(port)
        out = subprocess.run(["redis-cli", "--no-auth-warning", "--user", "admin", "--cluster", "create",
                              *[f"127.0.0.1:{p}" for p in self.ports], "--cluster-replicas", "1", "--cluster-yes"],
                             capture_output=True, text=True, env=self._env(), timeout=60)
        assert "[OK] All 16384 slots covered" in out.stdout, out.stdout + out.stderr
        wait_until(self.healthy, 60, "cluster_state:ok on every node and every replica linked")

    def _env(self):
        return {**os.environ, "REDISCLI_AUTH": self.admin_password}

    def cli(self, port, *args) -> str:
        return subprocess.run(["redis-cli", "--no-auth-warning", "--user", "admin", "-p", str(port), *args],
                              capture_output=True, text=True, env=self._env(), timeout=30).stdout.strip()

    def live_ports(self):
        return [p for p, node in self.nodes.items() if node.proc.poll() is None]

    def healthy(self) -> bool:
        for port in self.live_ports():
            if "cluster_state:ok" not in self.cli(port, "CLUSTER", "INFO"):
                return False
            info = self.cli(port, "INFO", "replication")
            if "role:slave" in info and "master_link_status:up" not in info:
                return False
        return True

    def master_of(self, slot: int) -> int:
        """The port of the master serving `slot`, as a live node sees it."""
        for line in self.cli(self.live_ports()[0], "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "master" not in fields[2] or "fail" in fields[2]:
                continue
            for part in fields[8:]:
                low, _, high = part.partition("-")
                if low.isdigit() and int(low) <= slot <= int(high or low):
                    return int(fields[1].split(":")[1].split("@")[0])
        return 0

    def seeds(self, user, passwords) -> str:
        return f"redis://{user}:{passwords[user]}@" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def kill(self, port):
        self.nodes[port].kill9()

    def close(self):
        for node in self.nodes.values():
            node.kill9()


class ClusterStack:
    """The cluster, `authorities` authorities and `gateways` gateways with REDIS_CLUSTER."""

    def __init__(self, gateways=2, authorities=2, node_timeout_ms=2000):
        self.dir = tempfile.mkdtemp(prefix="monopoly-cluster-e2e-")
        self.binary = monopoly_binary()
        self.passwords = {user: secrets.token_hex(16) for user in REDIS_USERS}
        self.authorities, self.gateways = [], []
        self.cluster = RedisCluster(self.dir, self.passwords, node_timeout_ms)
        try:
            self._start(gateways, authorities)
        except BaseException:
            print(self.logs())
            self.close()
            raise

    def _start(self, gateways, authorities):
        # The test creates games from one address until one has its keys on the master it kills:
        # more than MAX_GAMES_PER_CLIENT (3), which since 6fe817a holds over every authority.
        LIMITS_OFF = {"MAX_GAMES_PER_CLIENT": "1000", "CREATE_RATE_PER_MINUTE": "100000"}
        self.seat_token_secret = secrets.token_hex(32)
        self.authorities = [Process(f"authority-{n + 1}", [
            self.binary, "authority", "--redis-cluster", self.cluster.seeds("authority", self.passwords), "--id", f"authority-{n + 1}",
            "--bot-delay-ms", "50"], self.dir, env=LIMITS_OFF) for n in range(authorities)]
        self.gateway_ports = [free_port() for _ in range(gateways)]
        self.gateways = [Process(f"gateway-{n + 1}", [
            self.binary, "gateway", "--port", str(port), "--redis-cluster", self.cluster.seeds("gateway", self.passwords),
            "--id", f"gw{n + 1}"], self.dir, env={"SEAT_TOKEN_SECRET": self.seat_token_secret})
            for n, port in enumerate(self.gateway_ports)]
        for port in self.gateway_ports:
            wait_for_port(port)
        wait_until(self.every_shard_held, 60, "every shard lease held")
        for index in range(gateways):
            wait_until(lambda: self.healthy_gateway(index), 30, f"gateway {index + 1} healthy with an authority")

    def get(self, key) -> str:
        port = self.cluster.master_of(key_slot(key))
        return self.cluster.cli(port, "GET", key) if port else ""

    def every_shard_held(self) -> bool:
        return all(self.get("monopoly:shard:{%d}:lease" % n) for n in range(64))

    def healthy_gateway(self, index) -> bool:
        import urllib.request
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.gateway_ports[index]}/healthz", timeout=5) as r:
                return r.status == 200 and "no authority" not in r.read().decode()
        except OSError:
            return False

    def ws_url(self, index) -> str:
        return f"ws://127.0.0.1:{self.gateway_ports[index]}/ws"

    def log_entries(self, game):
        """The game's command log by seq, read from the master of its slot."""
        import json
        key = "monopoly:{%s}:log" % game
        port = self.cluster.master_of(key_slot(key))
        lines = self.cluster.cli(port, "LRANGE", key, "0", "-1").splitlines()
        entries = {}
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            entries[entry.get("seq")] = entry
        return entries

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()}" for p in [*self.authorities, *self.gateways])

    def close(self):
        for p in [*self.gateways, *self.authorities]:
            p.terminate(timeout=8)
        self.cluster.close()
