"""deploy/local-twin --redis-cluster: the cluster topology of deploy/docker-compose.cluster.yml as
local processes, six redis-servers joined into 3 masters with a replica each."""
import os
import signal
import subprocess
from pathlib import Path


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
    # The operator reads through the cluster (-c follows MOVED) and writes nothing; the default user is off.
    assert twin.redis_cli("-c", "GET", "monopoly:{K7QZ2M}:last") == ""
    assert "NOPERM" in twin.redis_cli("-c", "SET", "monopoly:{K7QZ2M}:last", "x")
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
