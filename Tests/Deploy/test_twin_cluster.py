"""deploy/local-twin --redis-cluster: the cluster topology of deploy/docker-compose.cluster.yml as
local processes, six redis-servers joined into 3 masters with a replica each."""
import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from game import cash, everyone_at, open_game, pay_one

ROOT = Path(__file__).resolve().parents[2]


def admin_cli(twin, port, *command):
    """redis-cli on one node as the cluster's `admin` user (the operator may not ask CLUSTER ...)."""
    return subprocess.run(["redis-cli", "--no-auth-warning", "--user", "admin", "-p", str(port), *command], capture_output=True,
                          text=True, timeout=10, env={**os.environ, "REDISCLI_AUTH": twin.info["redis_passwords"]["admin"]}).stdout


def cluster_nodes(twin, port):
    """CLUSTER NODES as `port` sees it: [(id, port, flags, master id or "-", [slot ranges])]."""
    nodes = []
    for line in admin_cli(twin, port, "CLUSTER", "NODES").splitlines():
        fields = line.split()
        ranges = [tuple(map(int, r.split("-"))) if "-" in r else (int(r), int(r)) for r in fields[8:] if not r.startswith("[")]
        nodes.append((fields[0], int(fields[1].split("@")[0].rsplit(":", 1)[1]), set(fields[2].split(",")), fields[3], ranges))
    return nodes


def test_twin_starts_a_redis_cluster_of_three_masters_and_three_replicas_and_stops_it(make_twin):
    twin = make_twin("--redis-cluster", "--redis-only")
    cluster = twin.info["redis_cluster"]
    ports = cluster["nodes"]
    assert sorted(ports) == [f"redis-{n}" for n in range(1, 7)]
    assert cluster["seeds"] == ",".join(f"127.0.0.1:{port}" for port in ports.values())
    for name, port in ports.items():
        assert "cluster_state:ok" in admin_cli(twin, port, "CLUSTER", "INFO"), name
        assert twin.alive(name)
    # Every node sees the same six: three masters whose slots cover 0 to 16383 once, each with one
    # replica, linked (it replicates as `admin`).
    for port in ports.values():
        nodes = cluster_nodes(twin, port)
        assert sorted(node[1] for node in nodes) == sorted(ports.values())
        masters = [node for node in nodes if "master" in node[2]]
        replicas = [node for node in nodes if "slave" in node[2]]
        assert len(masters) == 3 and len(replicas) == 3, nodes
        assert sorted(node[3] for node in replicas) == sorted(node[0] for node in masters)
        covered = sorted(r for node in masters for r in node[4])
        assert covered[0][0] == 0 and covered[-1][1] == 16383, covered
        assert all(a[1] + 1 == b[0] for a, b in zip(covered, covered[1:])), covered
    for name, port in ports.items():
        replication = admin_cli(twin, port, "INFO", "replication")
        assert "role:master" in replication or "master_link_status:up" in replication, (name, replication)
    # The operator reads through the cluster (conftest's redis_cli follows MOVED) and writes
    # nothing; the default user is off.
    assert twin.redis_cli("GET", "monopoly:{K7QZ2M}:last") == ""
    assert "NOPERM" in twin.redis_cli("SET", "monopoly:{K7QZ2M}:last", "x")
    assert "PONG" not in subprocess.run(["redis-cli", "-p", str(twin.info["redis_port"]), "PING"], capture_output=True, text=True).stdout

    # SIGTERM (Ctrl-C) stops every node and the twin exits 0.
    twin.proc.send_signal(signal.SIGTERM)
    assert twin.proc.wait(60) == 0
    for name in ports:
        twin.wait_exit(name, timeout=30)
    assert any("local-twin: stopped" in line for line in twin.lines)
    # Each node's data directory (AOF, nodes.conf) is under the twin's --dir, kept for inspection.
    for name in ports:
        assert (Path(twin.info["dir"]) / "redis" / name / "nodes.conf").exists(), name


def shards_tool(twin, *args, **popen):
    """deploy/redis-shards as the operator, pointed at the twin's first node."""
    argv = [sys.executable, str(ROOT / "deploy" / "redis-shards"), "--node", f"127.0.0.1:{twin.info['redis_port']}", *args]
    env = {**os.environ, "REDISCLI_AUTH": twin.info["redis_passwords"]["operator"]}
    if popen:
        return subprocess.Popen(argv, env=env, text=True, **popen)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def admin_cluster(twin, *command):
    """A command as `admin`, redirected to the node that owns its key (redis-cli -c)."""
    return admin_cli(twin, twin.info["redis_port"], "-c", *command)


def master_of(twin, name):
    """host:port of the master that owns the slot of a key or channel name (as a running node sees it)."""
    asked = next(port for node, port in twin.info["redis_cluster"]["nodes"].items() if twin.alive(node))
    slot = int(admin_cli(twin, asked, "CLUSTER", "KEYSLOT", name))
    for _, port, flags, _, ranges in cluster_nodes(twin, asked):
        if "master" in flags and "fail" not in flags and any(low <= slot <= high for low, high in ranges):
            return f"127.0.0.1:{port}"
    raise AssertionError(f"no master owns slot {slot}")


def test_operator_sees_shard_owners_and_sharded_channels_on_every_node(make_twin):
    """deploy/redis-shards, the operator guide's tool: the lease holders of the 64 shards wherever
    their keys live, and every shard's sharded command channel (SSUBSCRIBE on the node owning its
    slot) plus the classic channels."""
    twin = make_twin("--redis-cluster", "--redis-only")
    # Two authorities' leases, as their lease script writes them (the holder's id, a TTL).
    for shard in range(64):
        holder = "authority-a" if shard % 3 else "authority-b"
        if shard != 7:
            assert admin_cluster(twin, "SET", f"monopoly:shard:{{{shard}}}:lease", holder, "PX", "600000").strip() == "OK"
    result = shards_tool(twin, "owners")
    assert result.returncode == 0, result.stderr
    rows = {int(line.split()[0]): line.split() for line in result.stdout.splitlines() if re.match(r"^\s*\d+\s", line)}
    assert sorted(rows) == list(range(64))
    for shard, fields in rows.items():
        assert fields[1] == ("-" if shard == 7 else "authority-a" if shard % 3 else "authority-b"), fields
        # The node that keeps the lease key is the master of its slot.
        assert fields[3] == master_of(twin, f"monopoly:shard:{{{shard}}}:lease"), fields
    assert "authority-a: 41 shards" in result.stdout and "authority-b: 22 shards" in result.stdout
    assert "no holder: 1" in result.stdout

    # watch: SSUBSCRIBE each sharded channel on its own node, PSUBSCRIBE monopoly:* for the rest.
    watcher = shards_tool(twin, "watch", "--game", "K7QZ2M", "--count", "4", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        started = [watcher.stderr.readline(), watcher.stderr.readline()]
        assert "65 sharded channels on 3 nodes" in started[0] and "PSUBSCRIBE monopoly:*" in started[1], started
        published = {"monopoly:shard:{0}:cmd": "SPUBLISH", "monopoly:shard:{63}:cmd": "SPUBLISH",
                     "monopoly:{K7QZ2M}:state": "SPUBLISH", "monopoly:lobby": "PUBLISH"}
        for channel, command in published.items():
            assert admin_cluster(twin, command, channel, f"hello {channel}").strip() == "1", channel
        output, _ = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0
    lines = {line.split()[1]: line for line in output.splitlines()}
    assert set(lines) == set(published), output
    for channel, command in published.items():
        assert lines[channel].endswith(f"hello {channel}")
        if command == "SPUBLISH":
            # Heard on the node that owns the channel's slot, the only one that carries it.
            assert lines[channel].startswith(f"[{master_of(twin, channel)}]"), lines[channel]


def shard_owners(twin):
    """{holder: shards} from deploy/redis-shards owners ("-": shards nobody holds)."""
    result = shards_tool(twin, "owners")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"^\s*\d+\s", line)]
    owners = {}
    for fields in rows:
        owners[fields[1]] = owners.get(fields[1], 0) + 1
    return owners


def node_name(twin, address):
    port = int(address.rsplit(":", 1)[1])
    return next(name for name, node_port in twin.info["redis_cluster"]["nodes"].items() if node_port == port)


def test_a_game_through_the_twin_on_a_redis_cluster_survives_its_master_killed(make_twin):
    """The deployment of deploy/docker-compose.cluster.yml as processes: three gateways and two
    authorities on a 3+3 Redis Cluster. A game plays through the LB, its keys on its slot's master
    and its states on its sharded channel; the 64 shards are held; then kill -9 of the game's
    master: its replica takes over and play goes on, with nothing acknowledged lost."""
    twin = make_twin("--redis-cluster", "--cluster-node-timeout", "2000")
    deadline = time.monotonic() + 60
    while "-" in shard_owners(twin) and time.monotonic() < deadline:
        time.sleep(0.2)
    owners = shard_owners(twin)
    assert "-" not in owners and sorted(owners) == sorted(twin.info["authorities"]), owners
    asyncio.run(play_through_a_master_failover(twin))


async def play_through_a_master_failover(twin):
    clients = await open_game(twin.ws, ["alice", "bob"])
    alice, bob = clients
    game = alice.game
    watcher = shards_tool(twin, "watch", "--game", game, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    heard = []
    threading.Thread(target=lambda: heard.extend(iter(watcher.stdout.readline, "")), daemon=True).start()
    try:
        assert "sharded channels on 3 nodes" in watcher.stderr.readline()
        assert "PSUBSCRIBE" in watcher.stderr.readline()
        for _ in range(3):
            seq = await pay_one(alice, bob, clients)
        # The operator's watch heard the game's states on its sharded channel, from the node that
        # owns its slot, and the commands on the shard's command channel.
        state_channel = f"monopoly:{{{game}}}:state"
        master = master_of(twin, state_channel)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(line.startswith(f"[{master}] {state_channel} ") for line in heard):
            await asyncio.sleep(0.05)
        assert any(line.startswith(f"[{master}] {state_channel} ") for line in heard), heard
        assert any(" monopoly:shard:{" in line and f'"game":"{game}"' in line for line in heard), heard
    finally:
        watcher.kill()
        watcher.wait()

    # Committed on the master owning the game's slot (a plain GET there: no redirection).
    key = f"monopoly:{{{game}}}:seq"
    master = master_of(twin, key)
    assert admin_cli(twin, int(master.rsplit(":", 1)[1]), "GET", key).strip() == str(seq)
    assert cash(alice.state, alice.player) == 1500 - 3

    # kill -9 of that master: its replica is promoted, the clients' next command goes through.
    victim = node_name(twin, master)
    twin.signal(victim, signal.SIGKILL)
    twin.wait_exit(victim)
    deadline = time.monotonic() + 60
    answer = None
    # One id for every try, as the README asks of a client answered authority_unavailable: a try
    # applied on the master whose replica did not confirm it in time is answered as the first
    # time (ack, same seq), where a new id would be a second proposal (too_many_trades).
    while time.monotonic() < deadline:
        answer = await alice.request("trade_propose", to=bob.player, give={"cash": 1}, get={}, timeout=10,
                                     request_id="alice-after-the-kill")
        if answer["type"] == "ack":
            break
        assert answer["type"] == "error" and answer["code"] == "authority_unavailable", answer
        await asyncio.sleep(0.2)
    assert answer and answer["type"] == "ack", answer
    await everyone_at(clients, answer["seq"], timeout=30)
    promoted = master_of(twin, key)
    assert promoted != master
    # Nothing acknowledged lost: the state goes on from the last one everyone saw.
    assert answer["seq"] == seq + 1, (answer, seq)
    trade = next(t["id"] for t in reversed(alice.state["trades"]) if t["from"] == alice.player)
    answer = await bob.ok("trade_accept", trade=trade)
    await everyone_at(clients, answer["seq"], timeout=30)
    assert cash(alice.state, alice.player) == 1500 - 4 and cash(bob.state, bob.player) == 1500 + 4
    assert admin_cli(twin, int(promoted.rsplit(":", 1)[1]), "GET", key).strip() == str(answer["seq"])
    for client in clients:
        await client.close()
