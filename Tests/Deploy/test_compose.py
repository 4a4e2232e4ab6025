"""deploy/: both compose files (one Redis, and a Redis Cluster) parse, scale by a flag (one service
per role, nothing that names or numbers a replica), and they, the HAProxy config and the Dockerfile
agree with the deployment table and the configuration table of the operator guide (README.md, or
docs/operations.md until it is merged). The cluster file's Redis scripts run for real here (no
Docker engine): its six node commands and its init service's, on local ports."""
import functools
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
CLUSTER_COMPOSE = DEPLOY / "docker-compose.cluster.yml"
COMPOSE_FILES = (COMPOSE, CLUSTER_COMPOSE)
HAPROXY = DEPLOY / "haproxy.cfg"


# Variables of the caller's shell that would change what compose resolves.
PASSWORDS = {"REDIS_GATEWAY_PASSWORD": "gateway-password", "REDIS_AUTHORITY_PASSWORD": "authority-password",
             "REDIS_OPERATOR_PASSWORD": "operator-password", "SEAT_TOKEN_SECRET": "s" * 64}
# The cluster's own user (replication, redis-cli --cluster): the cluster file's alone.
CLUSTER_PASSWORDS = {**PASSWORDS, "REDIS_ADMIN_PASSWORD": "admin-password"}
COMPOSE_INPUTS = (*CLUSTER_PASSWORDS, "TLS_CERT")
# The services `--scale` multiplies, and how many `up` starts without it (deploy.replicas).
REPLICATED = {"gateway": 3, "authority": 2}
# The cluster file's Redis: six named nodes with fixed addresses, and the one-shot that joins them.
CLUSTER_NODES = tuple(f"redis-{n}" for n in range(1, 7))
CLUSTER_INIT = "redis-cluster-init"


def passwords_of(path):
    return CLUSTER_PASSWORDS if path == CLUSTER_COMPOSE else PASSWORDS


def compose(*args, env=None, path=COMPOSE):
    return subprocess.run(["docker-compose", "-f", str(path), *args], capture_output=True, text=True,
                          env={**{k: v for k, v in os.environ.items() if k not in COMPOSE_INPUTS}, **(env or {})}, timeout=60)


@functools.lru_cache(maxsize=4)
def resolved_compose(tls_cert=None, path=COMPOSE):
    env = {**passwords_of(path), **({"TLS_CERT": tls_cert} if tls_cert else {})}
    result = compose("config", env=env, path=path)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def haproxy_check(**env):
    """haproxy -c on deploy/haproxy.cfg with the local twin's kind of addresses and `env` (None: unset)."""
    addresses = {"LB_BIND": "127.0.0.1:18080", "LB_DNS": "127.0.0.1:5353", "LB_GATEWAYS": "gateway:18081"}
    merged = {**{k: v for k, v in os.environ.items() if k != "TLS_CERT"}, **addresses, **env}
    return subprocess.run(["haproxy", "-c", "-f", str(HAPROXY)], capture_output=True, text=True,
                          env={k: v for k, v in merged.items() if v is not None})


# What docker-compose itself decides when it scales a service (compose.service.Service): how many
# containers `up` starts (deploy.replicas), whether the service binds a host port (a second
# replica's would clash) or has a container name (a second replica is refused). Run in the Python
# that docker-compose runs in, without a Docker engine (every lookup finds nothing).
COMPOSE_SCALE_PROBE = """
import json, sys
import docker.errors
from compose.config import config
from compose.config.environment import Environment
from compose.project import Project

class Offline:
    api_version = "1.41"
    def __getattr__(self, name):
        def missing(*args, **kwargs):
            raise docker.errors.NotFound("no engine: " + name)
        return missing

directory, path = sys.argv[1], sys.argv[2]
details = config.find(directory, [path], Environment.from_env_file(directory))
project = Project.from_config("deploy", config.load(details), client=Offline())
print(json.dumps({s.name: {"replicas": s.scale_num, "host_port": s.specifies_host_port(),
                           "container_name": s.custom_container_name} for s in project.services}))
"""


def compose_scale_view(path=COMPOSE):
    interpreter = Path(shutil.which("docker-compose")).read_text().splitlines()[0].removeprefix("#!").split()
    result = subprocess.run([*interpreter, "-c", COMPOSE_SCALE_PROBE, str(DEPLOY), str(path)], capture_output=True, text=True,
                            env={**{k: v for k, v in os.environ.items() if k not in COMPOSE_INPUTS}, **passwords_of(path)}, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def deployment_section():
    """The `Deployment` section (heading level 2 to 4) up to the next heading of its level or
    above, from README.md if it has one with the service table, else from docs/operations.md."""
    for path in (ROOT / "README.md", ROOT / "docs" / "operations.md"):
        if path.exists():
            text = path.read_text() + "\n# end\n"
            for match in re.finditer(r"^(#{2,4}) [^\n]*Deployment[^\n]*\n", text, re.M):
                level = len(match.group(1))
                end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, match.end())
                section = text[match.end():end.start()]
                if "| Service |" in section:
                    return path, section
    raise AssertionError("no Deployment section with a `| Service |` table in README.md or docs/operations.md")


def service_table(section):
    """Rows of the table whose header starts with `| Service |`: {service: {column: cell}}."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Service |"))
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = cells[0].strip("`")
        rows[name] = dict(zip(header, cells))
    return rows


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_config_parses_with_the_passwords_and_refuses_without_any_of_them(path):
    passwords = passwords_of(path)
    result = compose("config", "-q", env=passwords, path=path)
    assert result.returncode == 0, result.stderr
    for missing in passwords:
        result = compose("config", "-q", env={k: v for k, v in passwords.items() if k != missing}, path=path)
        assert result.returncode != 0 and missing in result.stderr, missing


def test_compose_topology():
    config = resolved_compose()
    services = config["services"]
    assert set(services) == {"redis", "authority", "gateway", "lb"}
    published = {name: s.get("ports", []) for name, s in services.items() if s.get("ports")}
    assert list(published) == ["lb"], f"only the load balancer publishes a port: {published}"
    redis = services["redis"]
    assert "--appendonly yes" in " ".join(redis["command"]) and "--aclfile" in " ".join(redis["command"])
    volumes = [v if isinstance(v, str) else f"{v.get('source')}:{v.get('target')}" for v in redis["volumes"]]
    assert any(v.startswith("redis-data:/data") for v in volumes), volumes
    # The ACL users' template (monopoly admin redis-acl --template), its placeholders replaced.
    assert any("redis-users.acl:/etc/monopoly/redis-users.acl" in v for v in volumes), volumes
    for placeholder in ("GATEWAY_PASSWORD_SHA256", "AUTHORITY_PASSWORD_SHA256", "OPERATOR_PASSWORD_SHA256"):
        assert placeholder in (DEPLOY / "redis-users.acl").read_text() and placeholder in " ".join(redis["command"])
    assert "redis-data" in config["volumes"]
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name
    for name in REPLICATED:
        service = services[name]
        env = service["environment"]
        # One Redis ACL user per service: every replica logs in as it.
        assert env["REDIS_URL"] == f"redis://{name}:{name}-password@redis:6379", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["gateway"]["environment"]["GATEWAY_TIMEOUT"] == "10"


def test_cluster_compose_topology():
    """Six cluster nodes (AOF, the ACL file, each its own volume and fixed address), a one-shot that
    joins them, and gateways and authorities that start after it and find the cluster by seeds."""
    config = resolved_compose(path=CLUSTER_COMPOSE)
    services = config["services"]
    ipam = config["networks"]["default"]["ipam"]["config"][0]
    subnet, dynamic = ipaddress.ip_network(ipam["subnet"]), ipaddress.ip_network(ipam["ip_range"])
    addresses = [services["lb"]["networks"]["default"]["ipv4_address"]]
    for name in CLUSTER_NODES:
        node = services[name]
        script = node["command"][-1]
        for option in ("--cluster-enabled yes", "--cluster-config-file /data/nodes.conf", "--appendonly yes",
                       "--aclfile /tmp/users.acl", "--dir /data"):
            assert option in script, (name, option)
        volumes = [v if isinstance(v, str) else f"{v.get('source')}:{v.get('target')}" for v in node["volumes"]]
        assert any(v.startswith(f"{name}-data:/data") for v in volumes) and any("redis-users.acl:/etc/monopoly/redis-users.acl" in v for v in volumes)
        assert f"{name}-data" in config["volumes"]
        assert "ports" not in node and node["restart"] == "unless-stopped" and "healthcheck" in node, name
        addresses.append(node["networks"]["default"]["ipv4_address"])
    # Fixed addresses, all different, in the subnet and outside the replicas' range.
    assert len(set(addresses)) == len(addresses), addresses
    for address in map(ipaddress.ip_address, addresses):
        assert address in subnet and address not in dynamic, address
    init = services[CLUSTER_INIT]
    assert init["restart"] == "no" and "ports" not in init
    assert {name: dependency["condition"] for name, dependency in init["depends_on"].items()} == \
        {name: "service_healthy" for name in CLUSTER_NODES}
    # It joins the nodes at their fixed addresses (redis-cli --cluster create takes addresses, not names).
    assert init["environment"]["REDIS_NODES"].split() == [f"{address}:6379" for address in addresses[1:]]
    for name in REPLICATED:
        service = services[name]
        env = service["environment"]
        assert "REDIS_URL" not in env, name
        # One Redis ACL user per service, every node a seed.
        assert env["REDIS_CLUSTER"] == f"redis://{name}:{name}-password@" + ",".join(f"{node}:6379" for node in CLUSTER_NODES)
        assert service["depends_on"] == {CLUSTER_INIT: {"condition": "service_completed_successfully"}}, name
    # Apart from Redis, the same deployment as the single-Redis file.
    single = resolved_compose()["services"]
    assert services["lb"] == single["lb"]
    for name in REPLICATED:
        ours = {k: v for k, v in services[name].items() if k not in ("environment", "depends_on")}
        theirs = {k: v for k, v in single[name].items() if k not in ("environment", "depends_on")}
        assert ours == theirs, name
        cluster_only = {"REDIS_CLUSTER", "REDIS_WAIT_REPLICAS", "REDIS_WAIT_TIMEOUT_MS"}
        assert {k: v for k, v in services[name]["environment"].items() if k not in cluster_only} == \
            {k: v for k, v in single[name]["environment"].items() if k != "REDIS_URL"}, name
    # Each commit waits for the replica of its master (the default on a cluster, said explicitly).
    assert services["authority"]["environment"]["REDIS_WAIT_REPLICAS"] == "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_cli(port, *command):
    return subprocess.run(["redis-cli", "--no-auth-warning", "--user", "admin", "-p", str(port), *command], capture_output=True,
                          text=True, timeout=10, env={**os.environ, "REDISCLI_AUTH": CLUSTER_PASSWORDS["REDIS_ADMIN_PASSWORD"]}).stdout


def test_cluster_compose_scripts_form_a_cluster(tmp_path):
    """No Docker engine here, so the cluster file's own shell scripts run as local processes: each
    node's command (the ACL file with the hashed passwords and `admin`, replication credentials in a
    file) with its paths under tmp_path and a loopback port added, then the init service's script
    twice (it creates the cluster, then finds it formed). What compose would do but the addresses."""
    services = resolved_compose(path=CLUSTER_COMPOSE)["services"]
    nodes = {}
    processes = []
    try:
        for name in CLUSTER_NODES:
            node = services[name]
            home = tmp_path / name
            home.mkdir()
            # `docker-compose config` writes `$` as `$$`, as the file does.
            script = node["command"][-1].replace("$$", "$")
            # The ACL path last: the checkout itself may be under /tmp/ (a CI clone in /tmp/ci/main).
            for inside, outside in (("/tmp/", f"{home}/"), ("/data", str(home)),
                                    ("/etc/monopoly/redis-users.acl", str(DEPLOY / "redis-users.acl"))):
                script = script.replace(inside, outside)
            # A port found free may be taken before redis-server binds it: then again on others.
            for _ in range(5):
                port, bus_port = free_port(), free_port()
                if port == bus_port:
                    continue
                log = open(home / "redis.log", "ab")
                process = subprocess.Popen(["sh", "-c", script + f" --port {port} --bind 127.0.0.1 --cluster-port {bus_port} --save ''"],
                                           env={**os.environ, **node["environment"]}, stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
                log.close()
                processes.append(process)
                deadline = time.time() + 30
                while process.poll() is None and "PONG" not in admin_cli(port, "PING") and time.time() < deadline:
                    time.sleep(0.1)
                if process.poll() is None and "PONG" in admin_cli(port, "PING"):
                    nodes[name] = port
                    break
            assert name in nodes, (home / "redis.log").read_text()
        init = services[CLUSTER_INIT]
        script = init["command"][-1].replace("$$", "$")
        env = {**os.environ, **init["environment"], "REDIS_NODES": " ".join(f"127.0.0.1:{port}" for port in nodes.values())}
        created = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=180)
        assert created.returncode == 0, created.stdout + created.stderr
        assert "All 16384 slots covered" in created.stdout and "cluster_state:ok" in created.stdout
        again = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=180)
        assert again.returncode == 0 and "already form a cluster" in again.stdout, again.stdout + again.stderr

        # Three masters covering every slot, a replica each, linked with the admin user's credentials
        # (and known as such to redis-1: gossip spreads the roles a little after the create).
        def settled():
            linked = all("master_link_status:up" in admin_cli(port, "INFO", "replication")
                         for port in nodes.values() if "role:slave" in admin_cli(port, "INFO", "replication"))
            return linked and admin_cli(nodes["redis-1"], "CLUSTER", "NODES").count("slave") == 3
        deadline = time.time() + 60
        while time.time() < deadline and not settled():
            time.sleep(0.2)
        assert settled()
        lines = [line.split() for line in admin_cli(nodes["redis-1"], "CLUSTER", "NODES").splitlines()]
        masters = [fields for fields in lines if "master" in fields[2]]
        replicas = [fields for fields in lines if "slave" in fields[2]]
        assert len(masters) == 3 and len(replicas) == 3
        assert sorted(fields[3] for fields in replicas) == sorted(fields[0] for fields in masters)
        covered = sorted(tuple(map(int, r.split("-"))) for fields in masters for r in fields[8:])
        assert covered[0][0] == 0 and covered[-1][1] == 16383
        assert all(a[1] + 1 == b[0] for a, b in zip(covered, covered[1:])), covered
        # The ACL users of deploy/redis-users.acl, with the passwords compose gave: the operator reads
        # (and cannot write), the default user is off.
        operator = {**os.environ, "REDISCLI_AUTH": PASSWORDS["REDIS_OPERATOR_PASSWORD"]}
        cli = ["redis-cli", "--no-auth-warning", "--user", "operator", "-p", str(nodes["redis-1"])]
        assert subprocess.run([*cli, "PING"], capture_output=True, text=True, env=operator).stdout.strip() == "PONG"
        assert "NOPERM" in subprocess.run([*cli, "SET", "monopoly:x", "1"], capture_output=True, text=True, env=operator).stdout
        anonymous = subprocess.run(["redis-cli", "-p", str(nodes["redis-1"]), "PING"], capture_output=True, text=True)
        assert "PONG" not in anonymous.stdout
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_scales_by_a_flag(path):
    """`up --scale gateway=N --scale authority=M` with no file edited: one service per role, and
    nothing in it that two replicas of it could not share."""
    config = resolved_compose(path=path)
    services = config["services"]
    for name, default in REPLICATED.items():
        service = services[name]
        assert service["deploy"]["replicas"] == default, name
        # A fixed name, host name, host port or address would collide on a second replica.
        for key in ("container_name", "hostname", "ports"):
            assert key not in service, f"{name}: {key}"
        for network in (service.get("networks") or {}).values():
            assert not (network or {}).get("ipv4_address"), name
        # No fixed id: each start takes a unique one from its container's host name (a fixed one
        # would be refused while its crashed predecessor's heartbeat lives, and replicas sharing
        # one would refuse each other).
        assert not {"GATEWAY_ID", "AUTHORITY_ID"} & set(service["environment"]), name
    # docker-compose's own view: the default counts, and nothing it would refuse or warn about on scale.
    view = compose_scale_view(path)
    assert {name: view[name]["replicas"] for name in REPLICATED} == REPLICATED
    for name in REPLICATED:
        assert not view[name]["host_port"] and not view[name]["container_name"], (name, view[name])
    # However many replicas take addresses, none takes the LB's fixed one: they draw from ip_range.
    ipam = config["networks"]["default"]["ipam"]["config"][0]
    lb_address = ipaddress.ip_address(services["lb"]["networks"]["default"]["ipv4_address"])
    dynamic = ipaddress.ip_network(ipam["ip_range"])
    assert dynamic.subnet_of(ipaddress.ip_network(ipam["subnet"])) and lb_address not in dynamic
    # The LB waits for the gateway service, not for numbered ones.
    assert list(services["lb"]["depends_on"]) == ["gateway"]


def test_nothing_names_a_replica_by_number():
    """Replicas are found by their service's name (HAProxy and Prometheus ask Docker's DNS), so no
    file of the deployment lists them."""
    for path in (*COMPOSE_FILES, HAPROXY, DEPLOY / "prometheus.yml"):
        text = path.read_text()
        for pattern in (r"gateway-\d", r"GATEWAY_\d", r"authority-standby", r"authority-\d", r"^\s*server\s"):
            assert not re.search(pattern, text, re.M), f"{path.name} names a replica: {pattern}"
    # The cluster's nodes are the only numbered services, and they are not replicas: each has its
    # own data, address and slots, so none is scaled (`deploy.replicas` would clash on the address).
    services = resolved_compose(path=CLUSTER_COMPOSE)["services"]
    assert set(services) - {*REPLICATED, "lb"} == {*CLUSTER_NODES, CLUSTER_INIT}
    for name in CLUSTER_NODES:
        assert "deploy" not in services[name], name


def test_every_variable_compose_sets_is_read_by_the_cli():
    """Compose configures the processes by environment: each variable must be read somewhere, and
    is in the README's configuration table."""
    cli = "".join(p.read_text() for p in (ROOT / "Sources" / "MonopolyCLI").glob("*.swift"))
    healthcheck = (DEPLOY / "healthcheck").read_text()
    documented = configuration_table_variables()
    for path in COMPOSE_FILES:
        services = resolved_compose(path=path)["services"]
        for name in REPLICATED:
            for variable in services[name]["environment"]:
                assert variable in documented, f"{path.name}: {name}'s ${variable} is not in the README's configuration table"
                assert f'"{variable}"' in cli or variable in healthcheck, f"{path.name}: {name}: nothing reads ${variable}"


def configuration_table_variables():
    """The variables named in the first column of the README's `| Variable | Flag |` table."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Variable | Flag |"))
    names = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_variable_a_compose_file_reads_is_documented():
    """Each `${VARIABLE}` an operator may set for either compose file is in the configuration table."""
    documented = configuration_table_variables()
    for path in COMPOSE_FILES:
        for variable in set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", path.read_text())):
            assert variable in documented, f"{path.name} reads ${variable}: not in the README's configuration table"


def test_every_variable_compose_sets_on_the_lb_is_read_by_its_config():
    lb = resolved_compose()["services"]["lb"]
    config = HAPROXY.read_text() + (DEPLOY / "healthcheck").read_text()
    for variable in lb["environment"]:
        assert f"${{{variable}" in config or f'"${variable}"' in config, f"lb: nothing reads ${variable}"
    # The container's probe goes to the loopback health frontend, which the LB binds on that port.
    assert lb["environment"]["LB_HEALTH_BIND"] == "127.0.0.1:" + lb["environment"]["HEALTHCHECK_PORT"]
    # Compose's defaults are haproxy.cfg's (the local twin leaves these unset).
    for variable in ("LB_CONN_RATE", "LB_CONN_PER_CLIENT", "LB_HSTS_MAX_AGE"):
        default = re.search(rf"\$\{{{variable}-(\d+)\}}", HAPROXY.read_text())
        assert default and str(lb["environment"][variable]) == default.group(1), variable


def test_tls_cert_is_mounted_at_its_own_path_and_empty_without_it():
    plain = resolved_compose()["services"]["lb"]
    assert plain["environment"]["TLS_CERT"] == ""
    tls = resolved_compose("/etc/ssl/private/site.pem")["services"]["lb"]
    assert tls["environment"]["TLS_CERT"] == "/etc/ssl/private/site.pem"
    volumes = [v if isinstance(v, str) else f"{v['source']}:{v['target']}:{'ro' if v.get('read_only') else 'rw'}"
               for v in tls["volumes"]]
    assert "/etc/ssl/private/site.pem:/etc/ssl/private/site.pem:ro" in volumes, volumes


def test_haproxy_serves_tls_only_when_given_a_certificate(tmp_path):
    cert = tmp_path / "site.pem"
    key = tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    cert.write_text(cert.read_text() + key.read_text())
    result = haproxy_check(TLS_CERT=str(cert))
    assert result.returncode == 0, result.stdout + result.stderr
    # The TLS branch really reads TLS_CERT (a missing file is an error), and empty means plain HTTP.
    result = haproxy_check(TLS_CERT=str(tmp_path / "missing.pem"))
    assert result.returncode != 0 and "missing.pem" in result.stdout + result.stderr
    assert haproxy_check(TLS_CERT="").returncode == 0
    config = HAPROXY.read_text()
    assert re.search(r'^\s*bind "\$\{LB_BIND-:8080\}" ssl crt "\$\{TLS_CERT\}"', config, re.M)
    assert re.search(r"^\s*http-response set-header Strict-Transport-Security ", config, re.M)


def test_gateways_trust_proxy_headers_from_the_lb_address_only():
    config = resolved_compose()
    services = config["services"]
    lb_address = services["lb"]["networks"]["default"]["ipv4_address"]
    subnet = ipaddress.ip_network(config["networks"]["default"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(lb_address) in subnet
    assert services["gateway"]["environment"]["TRUSTED_PROXIES"] == lb_address
    # Every connection to a gateway, health checks included, starts with the header.
    server_options = re.search(r"^\s*default-server (.*)$", HAPROXY.read_text(), re.M).group(1).split()
    assert "send-proxy-v2" in server_options and "check-send-proxy" in server_options
    # The local twin's LB dials the gateways from its own source address.
    result = haproxy_check(LB_GATEWAY_SOURCE="127.0.0.9")
    assert result.returncode == 0, result.stdout + result.stderr


def test_haproxy_config_is_valid_and_checks_the_documented_path():
    result = haproxy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    config = HAPROXY.read_text()
    assert re.search(r"^\s*timeout tunnel\s", config, re.M), "WebSocket tunnels need `timeout tunnel`"
    # Compose's view (no LB_DNS, no LB_GATEWAYS): the servers wait for their DNS answer (init-addr none).
    result = haproxy_check(LB_DNS=None, LB_GATEWAYS=None)
    assert result.returncode == 0, result.stdout + result.stderr

    # The gateways: a server template over the service's name, filled from Docker's DNS, health-checked.
    template = re.search(r'^\s*server-template gateway "\$\{LB_GATEWAY_SLOTS-(\d+)\}" "\$\{LB_GATEWAYS-([^:}]+):(\d+)\}" check$',
                         config, re.M)
    assert template, "one server template for the gateways"
    slots, service, port = template.groups()
    gateway = resolved_compose()["services"][service]
    assert gateway["command"] == ["gateway"] and gateway["environment"]["PORT"] == port
    assert resolved_compose()["services"]["lb"]["environment"]["LB_GATEWAY_SLOTS"] == slots
    assert re.search(r'^resolvers docker\n\s+nameserver dns "\$\{LB_DNS-127\.0\.0\.11:53\}"', config, re.M)
    default_server = re.search(r"^\s*default-server (.*)$", config, re.M).group(1).split()
    assert default_server[default_server.index("resolvers") + 1] == "docker"
    assert default_server[default_server.index("init-addr") + 1] == "none"

    _, section = deployment_section()
    check = re.search(r"health check: `GET (\S+)`", section)
    assert check, "the deployment section names the load balancer's health check"
    assert re.search(rf"http-check send meth GET uri {re.escape(check.group(1))}\b", config)
    assert check.group(1) == "/healthz"


def test_readme_deployment_table_matches_compose():
    path, section = deployment_section()
    rows = service_table(section)
    config = resolved_compose()
    services = config["services"]
    assert set(rows) == set(services), f"{path.name} lists {sorted(rows)}, compose has {sorted(services)}"

    published = re.search(r"Published port: `(\d+)`", section)
    assert published, "the deployment section states the published port"
    lb_ports = services["lb"]["ports"]
    host_ports = {str(p["published"]) if isinstance(p, dict) else str(p).split(":")[0] for p in lb_ports}
    assert host_ports == {published.group(1)}
    for name, row in rows.items():
        documented = row["Published"].strip("`")
        actual = services[name].get("ports")
        if name == "lb":
            assert documented == published.group(1)
        else:
            assert documented == "no" and not actual, name

    raw = COMPOSE.read_text()
    # The table's environment covers both files (REDIS_URL or REDIS_CLUSTER).
    cluster = resolved_compose(path=CLUSTER_COMPOSE)["services"]
    for name, row in rows.items():
        cell = row["Environment"]
        if cell.startswith("same as"):
            other = re.search(r"`([^`]+)`", cell).group(1)
            cell = rows[other]["Environment"]
        for variable in re.findall(r"`([A-Z_0-9]+)`", cell):
            env = {**services[name].get("environment", {}), **cluster.get(name, {}).get("environment", {})}
            assert variable in env or f"${{{variable}" in raw, f"{name}: {variable} is documented but not in compose"
    # The published port in compose comes from LB_PORT, as documented.
    assert "${LB_PORT:-" + published.group(1) + "}:8080" in raw


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?", text, re.M)
    assert len(stages) == 2 and stages[0][0].startswith("swift:") and "slim" in stages[1][0]
    assert "libhiredis-dev" in text and "libhiredis0.14" in text
    assert "--static-swift-stdlib" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0")), user
    assert re.search(r"^HEALTHCHECK .*healthcheck", text, re.M)
    assert "/healthz" in (DEPLOY / "healthcheck").read_text()
    # Every instruction is known to Docker (a cheap parse: no engine here).
    known = {"FROM", "RUN", "COPY", "ARG", "ENV", "WORKDIR", "USER", "EXPOSE", "STOPSIGNAL", "HEALTHCHECK", "ENTRYPOINT",
             "CMD", "LABEL", "ADD", "VOLUME", "SHELL", "ONBUILD"}
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            assert line.split()[0] in known, line
    for source in re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+) ", text, re.M):
        assert (ROOT / source).exists(), f"COPY {source}: missing in the build context"


def test_prometheus_scrapes_every_gateway_and_authority_on_their_ports():
    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    services = resolved_compose()["services"]
    # Every replica by DNS, as HAProxy finds the gateways: the service's name, its port.
    found = {job["job_name"]: [(name, config["port"]) for config in job["dns_sd_configs"] for name in config["names"]]
             for job in scrape["scrape_configs"]}
    assert all(config["type"] == "A" for job in scrape["scrape_configs"] for config in job["dns_sd_configs"])
    assert found == {"monopoly-gateway": [("gateway", int(services["gateway"]["environment"]["PORT"]))],
                     "monopoly-authority": [("authority", int(services["authority"]["environment"]["HTTP_PORT"]))]}
