"""Real processes for end-to-end tests: redis-server, authorities and gateways on free ports.

Nothing is mocked: each process is the `monopoly` binary (or redis-server) started as an
operator would, and killed with signals the way failures happen.
"""
import os
import random
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def game_shard(game: str) -> int:
    """The game's shard as GameShard computes it: its Redis Cluster slot (CRC-16/XMODEM) / 256."""
    crc = 0
    for byte in game.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return (crc % 16384) // 256


def command_channel(game: str) -> str:
    """Where a gateway publishes the game's commands: its shard's channel."""
    return "monopoly:shard:{%d}:cmd" % game_shard(game)


def monopoly_binary() -> str:
    explicit = os.environ.get("MONOPOLY_BIN")
    if explicit:
        return explicit
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    path = os.path.join(bin_path, "monopoly")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: run `swift build` first")
    return path


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A port from bind(0) is an ephemeral one:
    the kernel may give it, a moment later, to an outgoing connection (a Redis client starting up)
    as its source port, and the server meant to listen on it then cannot bind (EADDRINUSE). Ports
    are never handed out twice in one run, and the next port is kept free too (`monopoly up`
    takes consecutive ports)."""
    top = _ephemeral_range_start() - 2
    while True:
        port = random.randrange(10000, top)
        if port in _handed_out or port + 1 in _handed_out:
            continue
        try:
            for candidate in (port, port + 1):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        _handed_out.update((port, port + 1))
        return port


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def wait_until(condition, timeout, what):
    """Polls `condition()` until it returns something truthy, and returns that (checked once more
    at the deadline: the servers share the machine with everything else CI runs)."""
    deadline = time.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Process:
    def __init__(self, name, args, log_dir, env=None):
        self.name, self.args, self.env = name, args, env
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None
        self.start()

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(self.env or {})}, start_new_session=True)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-4000:]
        except OSError:
            return ""


# Redis ACL users (`monopoly admin redis-acl`), as in production: the default user is off.
REDIS_USERS = ("gateway", "authority", "operator")
_passwords_by_port: dict[int, dict[str, str]] = {}


def redis_password(port: int, user: str) -> str:
    """The password of `user` on the stack's Redis at `port` (for redis-cli in tests)."""
    return _passwords_by_port[port][user]


def redis_cli_argv(port: int, user: str) -> tuple[list[str], dict[str, str]]:
    """redis-cli's argv and environment to connect to the stack's Redis at `port` as `user`."""
    return (["redis-cli", "--no-auth-warning", "-p", str(port), "--user", user],
            {**os.environ, "REDISCLI_AUTH": redis_password(port, user)})


def write_redis_acl(binary: str, path: str, passwords: dict[str, str]) -> None:
    env = {**os.environ, **{f"REDIS_{user.upper()}_PASSWORD": password for user, password in passwords.items()}}
    subprocess.run([binary, "admin", "redis-acl", "--output", path], env=env, check=True, capture_output=True)


class Stack:
    """redis-server (with the ACL users) + authority + N gateways, all on loopback ports chosen at random."""

    def __init__(self, gateways=2, dice=(), seed=7, authority_args=(), gateway_args=(), durable_redis=False, authority_env=None):
        self.dir = tempfile.mkdtemp(prefix="monopoly-e2e-")
        self.binary = monopoly_binary()
        self.redis_port = free_port()
        self.redis_passwords = {user: secrets.token_hex(16) for user in REDIS_USERS}
        _passwords_by_port[self.redis_port] = self.redis_passwords
        acl_path = os.path.join(self.dir, "users.acl")
        write_redis_acl(self.binary, acl_path, self.redis_passwords)
        # redis_url: the authority's (tests poke Redis with it, `monopoly admin` runs with it).
        self.redis_url = self.redis_url_for("authority")
        self.gateway_redis_url = self.redis_url_for("gateway")
        # The gateways' key for seat token proofs (the same on every gateway, as in compose).
        self.seat_token_secret = secrets.token_hex(32)
        # Durable only for tests that restart Redis (as production runs it: AOF, fsync always).
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable_redis else ["--appendonly", "no"]
        self.redis = Process("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                       "--save", "", *persistence, "--dir", self.dir, "--aclfile", acl_path], self.dir)
        wait_for_port(self.redis_port)
        self.dice_path = os.path.join(self.dir, "dice.txt")
        Path(self.dice_path).write_text(" ".join(str(d) for d in dice))
        self.authority_args = list(authority_args)
        self.authorities = {}
        self.start_authority("authority-1", env=authority_env)
        self.gateway_ports = []
        self.gateways = []
        for index in range(gateways):
            port = free_port()
            self.gateway_ports.append(port)
            self.gateways.append(Process(f"gateway-{index + 1}", [
                self.binary, "gateway", "--port", str(port), "--redis", self.gateway_redis_url, "--id", f"gw{index + 1}",
                *gateway_args], self.dir, env={"SEAT_TOKEN_SECRET": self.seat_token_secret}))
        for port in self.gateway_ports:
            wait_for_port(port)
        self.wait_for_authority()
        for index in range(gateways):
            self.wait_for_gateway(index)

    def wait_for_gateway(self, index, timeout=15):
        """Until the gateway is healthy (Redis up) and has seen the authority's lease."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, body = self.http_get(index, "/healthz")
            if status == 200 and "no authority" not in body:
                return body
            time.sleep(0.05)
        raise TimeoutError(f"gateway {index + 1} never became ready: {self.http_get(index, '/healthz')}")

    def set_dice(self, values):
        """The dice script a (re)started authority will read."""
        Path(self.dice_path).write_text(" ".join(str(d) for d in values))

    def start_authority(self, name, extra=(), env=None):
        self.authorities[name] = Process(name, [
            self.binary, "authority", "--redis", self.redis_url, "--id", name, "--dice-script", self.dice_path,
            "--seed", "7", "--cards", "unshuffled", "--bot-delay-ms", "50", *self.authority_args, *extra], self.dir, env=env)
        return self.authorities[name]

    def redis_url_for(self, user: str) -> str:
        return f"redis://{user}:{self.redis_passwords[user]}@127.0.0.1:{self.redis_port}"

    def redis_cli(self, *args, user="authority") -> str:
        argv, env = redis_cli_argv(self.redis_port, user)
        return subprocess.run([*argv, *args], check=True, capture_output=True, text=True, env=env).stdout.strip()

    def wait_for_authority(self, holder=None, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.redis_cli("GET", "monopoly:authority:lease")
            if value and (holder is None or value == holder):
                return value
            time.sleep(0.05)
        raise TimeoutError("no authority took the lease; logs:\n" + "\n".join(p.log() for p in self.authorities.values()))

    def every_shard_subscribed(self) -> bool:
        """Whether every shard's command channel has a subscriber (an authority serves it)."""
        channels = ["monopoly:shard:{%d}:cmd" % n for n in range(64)]
        return all(int(c) >= 1 for c in self.redis_cli("PUBSUB", "NUMSUB", *channels).split("\n")[1::2])

    def wait_for_every_shard(self, timeout=15):
        """Until every shard's command channel has a subscriber (an authority serves it)."""
        deadline = time.time() + timeout
        while True:
            if self.every_shard_subscribed():
                return
            if time.time() >= deadline:
                raise TimeoutError("some shard has no authority; logs:\n" + self.logs())
            time.sleep(0.05)

    def wait_for_shards_spread(self, authorities: int, timeout=20):
        """Until `authorities` authorities hold the 64 shard leases fairly (counts within one) and
        every shard channel has a subscriber: while an authority that just joined takes its share,
        a shard the others released is briefly served by nobody (`authority_unavailable`)."""
        leases = ["monopoly:shard:{%d}:lease" % n for n in range(64)]
        deadline = time.time() + timeout
        while True:
            holders = self.redis_cli("MGET", *leases).split("\n")
            counts = {}
            for holder in holders:
                counts[holder] = counts.get(holder, 0) + 1
            # A free lease is an empty line (and stripped at either end): all 64 named, none empty.
            if (len(holders) == 64 and "" not in counts and len(counts) == authorities and max(counts.values()) - min(counts.values()) <= 1
                    and self.every_shard_subscribed()):
                return counts
            if time.time() >= deadline:
                raise TimeoutError(f"the shards are not spread over {authorities} authorities: {counts}; logs:\n" + self.logs())
            time.sleep(0.05)

    def ws_url(self, gateway_index: int) -> str:
        return f"ws://127.0.0.1:{self.gateway_ports[gateway_index]}/ws"

    def http_get(self, gateway_index: int, path: str):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.gateway_ports[gateway_index]}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def restart_redis(self, down_seconds: float):
        self.redis.kill9()
        time.sleep(down_seconds)
        self.redis.start()
        wait_for_port(self.redis_port)

    def logs(self) -> str:
        parts = [f"--- {p.name}\n{p.log()}" for p in [self.redis, *self.authorities.values(), *self.gateways]]
        return "\n".join(parts)

    def close(self):
        for p in [*self.gateways, *self.authorities.values()]:
            p.terminate(timeout=8)
        self.redis.kill9()
