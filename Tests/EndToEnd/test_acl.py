"""Redis ACL users (`monopoly admin redis-acl`), on the stack every end-to-end test runs: what each
user may not do is refused by Redis itself (NOPERM), and what each process needs still works."""
import asyncio
import os
import subprocess
import time

from client import GameClient
from conftest import Observer
from stack import Process, command_channel, free_port, redis_cli_argv, redis_password

# The commit script's first check, as a gateway would run it to take over a game's keys.
TAKE_LEASE = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', 3000) then return redis.call('INCR', KEYS[2]) end return 0"


def cli(stack, user, *args, password=None):
    """redis-cli as `user`, with its password or the one given."""
    if password is None:
        argv, env = redis_cli_argv(stack.redis_port, user)
    else:
        argv = ["redis-cli", "--no-auth-warning", "-p", str(stack.redis_port), "--user", user]
        env = {**os.environ, "REDISCLI_AUTH": password}
    result = subprocess.run([*argv, *args], capture_output=True, text=True, env=env, timeout=10)
    return (result.stdout + result.stderr).strip()


def test_the_gateway_user_may_publish_commands_and_read_states_but_not_forge_anything(make_stack):
    stack = make_stack(gateways=1)
    game = "ACL234"
    denied = [
        ("SET", f"monopoly:{{{game}}}:snapshot", "{}"),
        ("SET", f"monopoly:{{{game}}}:last", "{}"),
        ("PUBLISH", f"monopoly:{{{game}}}:state", '{"type":"state"}'),
        ("PUBLISH", "monopoly:gateway:{gw1}:reply", '{"type":"ack"}'),
        ("PUBLISH", "monopoly:lobby", '{"type":"lobby_changed"}'),
        ("SET", "monopoly:authority:lease", "gateway", "NX", "PX", "3000"),
        ("DEL", "monopoly:authority:lease"),
        ("EVAL", TAKE_LEASE, "2", "monopoly:authority:lease", "monopoly:authority:fence", "gateway"),
        ("HSET", "monopoly:lobby:games", game, "{}"),
        ("SADD", "monopoly:games:active", game),
        ("SET", "monopoly:shard:{0}:lease", "gateway", "PX", "3000"),
        ("GET", f"monopoly:{{{game}}}:snapshot"),
        ("FLUSHALL",),
        ("KEYS", "*"),
        ("CONFIG", "GET", "*"),
        ("ACL", "LIST"),
    ]
    for command in denied:
        assert cli(stack, "gateway", *command).startswith("NOPERM"), command
    # Subscribing to the command channels (other gateways' players' commands) is refused too.
    assert "NOPERM" in cli(stack, "gateway", "SUBSCRIBE", command_channel(game))
    # What a gateway does.
    assert cli(stack, "gateway", "PUBLISH", command_channel(game), "{}").isdigit()
    assert cli(stack, "gateway", "GET", "monopoly:authority:lease") == "authority-1"
    assert not cli(stack, "gateway", "GET", f"monopoly:{{{game}}}:last").startswith("NOPERM")
    assert not cli(stack, "gateway", "HVALS", "monopoly:lobby:games").startswith("NOPERM")
    assert cli(stack, "gateway", "SET", "monopoly:gateway:gw9", "alive", "PX", "10000") == "OK"
    assert cli(stack, "gateway", "PING") == "PONG"
    # Nothing above took the lease away from the authority.
    assert stack.redis_cli("GET", "monopoly:authority:lease") == "authority-1"


def test_the_operator_user_reads_everything_and_writes_nothing(make_stack):
    stack = make_stack(gateways=1)

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        created = await alice.ok("create", name="Alice")
        await alice.wait_seq(1)
        await alice.close()
        return created["game"]

    game = asyncio.run(scenario())
    snapshot = f"monopoly:{{{game}}}:snapshot"
    assert cli(stack, "operator", "GET", snapshot).startswith("{")
    assert int(cli(stack, "operator", "PTTL", "monopoly:authority:lease")) > 0
    assert cli(stack, "operator", "HGET", "monopoly:lobby:games", game).startswith("{")
    assert snapshot in cli(stack, "operator", "SCAN", "0", "MATCH", "monopoly:*", "COUNT", "1000")
    assert cli(stack, "operator", "PUBSUB", "NUMSUB", f"monopoly:{{{game}}}:state").splitlines()[-1].isdigit()
    for command in [("SET", snapshot, "{}"), ("DEL", snapshot), ("EXPIRE", snapshot, "1"),
                    ("HSET", "monopoly:lobby:games", game, "{}"), ("SREM", "monopoly:games:active", game),
                    ("PUBLISH", command_channel(game), "{}"), ("PUBLISH", f"monopoly:{{{game}}}:state", "{}"),
                    ("EVAL", "return 1", "0"), ("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "SET", "appendonly", "no"),
                    ("SCRIPT", "FLUSH"), ("SHUTDOWN",)]:
        assert cli(stack, "operator", *command).startswith("NOPERM"), command
    assert cli(stack, "operator", "GET", snapshot).startswith("{"), "the snapshot is untouched"


def test_nobody_gets_in_without_a_user_and_its_password(make_stack):
    stack = make_stack(gateways=1)
    plain = subprocess.run(["redis-cli", "-p", str(stack.redis_port), "GET", "monopoly:authority:lease"],
                           capture_output=True, text=True, timeout=10)
    assert "NOAUTH" in plain.stdout + plain.stderr, "the default user is off"
    for user in ("default", "gateway", "authority", "operator", "nobody"):
        assert "WRONGPASS" in cli(stack, user, "PING", password="not-the-password"), user
    # One user's password is not another's.
    assert "WRONGPASS" in cli(stack, "authority", "PING", password=redis_password(stack.redis_port, "gateway"))


def test_a_gateway_with_a_wrong_password_reports_it_and_stays_unhealthy(make_stack):
    stack = make_stack(gateways=1)
    port = free_port()
    url = f"redis://gateway:wrong-{redis_password(stack.redis_port, 'gateway')}@127.0.0.1:{stack.redis_port}"
    gateway = Process("gateway-wrong-password", [stack.binary, "gateway", "--port", str(port), "--redis", url, "--id", "gwx"],
                      stack.dir)
    try:
        deadline = time.time() + 30
        while "WRONGPASS" not in gateway.log() and time.time() < deadline:
            time.sleep(0.1)
        assert "WRONGPASS" in gateway.log(), gateway.log()
        assert redis_password(stack.redis_port, "gateway") not in gateway.log(), "the log names no password"
        stack.gateway_ports.append(port)
        status, body = stack.http_get(len(stack.gateway_ports) - 1, "/healthz")
        assert status == 503, body
    finally:
        gateway.terminate()


def test_the_observer_sees_the_game_as_the_operator(make_stack):
    """The operator guide's `PSUBSCRIBE 'monopoly:*'` works with the operator user."""
    stack = make_stack(gateways=1)
    observer = Observer(stack.redis_port)
    try:
        async def scenario():
            alice = await GameClient.connect(stack.ws_url(0), "alice")
            created = await alice.ok("create", name="Alice")
            await alice.close()
            return created["game"]

        game = asyncio.run(scenario())
        deadline = time.time() + 20
        while not any(channel == f"monopoly:{{{game}}}:state" for channel, _ in observer.messages()) and time.time() < deadline:
            time.sleep(0.05)
        assert any(channel == f"monopoly:{{{game}}}:state" for channel, _ in observer.messages()), observer.lines[-20:]
    finally:
        observer.close()
    assert os.path.exists(os.path.join(stack.dir, "users.acl"))
