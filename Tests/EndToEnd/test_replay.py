"""The command log and `monopoly replay`: a bot game played by a real authority (killed and taken
over half-way) replays to the very states it published; a tampered log is reported as divergent."""
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from client import GameClient
from conftest import Observer
from stack import wait_until


def stored(stack, game, key):
    return stack.redis_cli("GET", f"monopoly:{{{game}}}:{key}")


def log_lines(stack, game):
    text = stack.redis_cli("--raw", "LRANGE", f"monopoly:{{{game}}}:log", "0", "-1")
    return [line for line in text.split("\n") if line]


def replay(stack, *arguments):
    return subprocess.run([stack.binary, "replay", *arguments], capture_output=True, text=True, timeout=120)


def log_file(stack, game, entries, last):
    """A log document as the gateway serves it (GameLogFile)."""
    path = os.path.join(stack.dir, f"log-{time.time_ns()}.json")
    with open(path, "w") as f:
        f.write(json.dumps({"type": "monopoly_log", "version": 1, "game": game, "last": last, "entries": entries}))
    return path


async def bot_game(stack):
    """Alice creates a game of four, fills it with bots, starts it and resigns: the bots play it to
    the turn limit, 200 turns (with $100,000 each nobody goes bankrupt first; seed 7, so every run
    is the same game)."""
    alice = await GameClient.connect(stack.ws_url(0), "alice")
    game = (await alice.ok("create", name="Alice", options={"turn_limit": 200, "starting_cash": 100000}))["game"]
    for _ in range(3):
        await alice.ok("add_bot")
    await alice.ok("start")
    await alice.ok("roll")
    await alice.ok("leave")
    await alice.close()
    return game


def test_a_bot_game_of_500_commands_replays_to_identical_states_and_a_tampered_log_diverges(make_stack):
    # Scripted dice for the first rolls (the log carries them: the replay has no script).
    stack = make_stack(gateways=1, dice=[3, 4, 5, 5, 2, 1], authority_args=["--bot-delay-ms", "0"])
    observer = Observer(stack.redis_port)
    try:
        game = asyncio.run(bot_game(stack))
        # Half-way, the authority dies and another takes the game over from its snapshot.
        wait_until(lambda: int(stored(stack, game, "seq") or 0) >= 200, 300, "seq 200")
        stack.authorities["authority-1"].kill9()
        stack.start_authority("authority-2")
        last = json.loads(wait_until(lambda: (lambda s: s if s and json.loads(s)["state"]["phase"] == "finished" else None)(
            stored(stack, game, "last")), 600, "the end of the game"))
    finally:
        time.sleep(0.5)
        observer.close()

    entries = [json.loads(line) for line in log_lines(stack, game)]
    assert len(entries) == last["seq"] >= 500, f"{len(entries)} entries: {last['state']['end_reason']} at turn {last['state']['turn_number']}"
    assert [entry["seq"] for entry in entries] == list(range(1, last["seq"] + 1))
    # Every applied command is there: the gateway's (with their ids) and the authority's own.
    types = {entry["msg"]["type"] for entry in entries}
    assert {"create", "add_bot", "start", "roll", "leave", "end_turn"} <= types
    assert entries[0]["seed"] == "7" and entries[0]["msg"]["options"]["turn_limit"] == 200
    alices_roll = next(entry for entry in entries if entry["msg"]["type"] == "roll" and entry["id"] is not None)
    assert alices_roll["dice"] == [3, 4]  # from the script
    assert any(entry.get("resumed_at") for entry in entries)  # the takeover
    assert all(entry["id"] is None for entry in entries if entry["by"] != "p1")
    # Each entry's digest is the SHA-256 of the state published with its seq.
    published = {}
    for channel, payload in observer.messages():
        if channel == f"monopoly:{{{game}}}:state" and payload.startswith('{"cmd"'):
            published[json.loads(payload)["seq"]] = hashlib.sha256(payload.encode()).hexdigest()
    assert len(published) >= len(entries) - 5  # states published while the subscriber was catching up may be missed
    for entry in entries:
        if entry["seq"] in published:
            assert entry["digest"] == published[entry["seq"]], entry
    # The log expires with the finished game.
    ttl = int(stack.redis_cli("PTTL", f"monopoly:{{{game}}}:log"))
    assert 0 < ttl <= 86_400_000

    result = replay(stack, game, "--redis", stack.redis_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(entries)} commands replayed, {len(entries)} states match" in result.stdout
    assert "the last published state" in result.stdout and "matches the replay" in result.stdout

    # The gateway serves the same log as a file (what the results screen links), and it replays the same.
    with urllib.request.urlopen(f"http://127.0.0.1:{stack.gateway_ports[0]}/games/{game}/log.json", timeout=30) as response:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["content-disposition"] == f'attachment; filename="monopoly-{game}-log.json"'
        assert response.headers["cache-control"] == "no-store"
        downloaded = response.read()
    document = json.loads(downloaded)
    assert document["entries"] == entries and document["last"] == last and document["game"] == game
    intact = os.path.join(stack.dir, "downloaded.json")
    with open(intact, "wb") as f:
        f.write(downloaded)
    result = replay(stack, "--file", intact)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(entries)} states match" in result.stdout

    # Tampered logs diverge, at the entry tampered with.
    buy = next(i for i, entry in enumerate(entries) if entry["msg"]["type"] == "buy" and entry["id"] is None)
    tampered = [dict(entry) for entry in entries]
    tampered[buy]["msg"] = {"type": "decline"}
    result = replay(stack, "--file", log_file(stack, game, tampered, last))
    assert result.returncode == 1, result.stdout
    assert f"DIVERGED at seq {buy + 1} (decline by " in result.stdout

    tampered = [dict(entry) for entry in entries]
    tampered[300]["digest"] = "0" * 64
    result = replay(stack, "--file", log_file(stack, game, tampered, last))
    assert result.returncode == 1 and "DIVERGED at seq 301" in result.stdout, result.stdout

    result = replay(stack, "--file", log_file(stack, game, entries[:100] + entries[101:], last))
    assert result.returncode == 1 and "DIVERGED at seq 101" in result.stdout and "from seq 100 to 102" in result.stdout, result.stdout

    tampered = [dict(entry) for entry in entries]
    tampered[50]["at"] = "yesterday"
    result = replay(stack, "--file", log_file(stack, game, tampered, last))
    assert result.returncode == 1 and 'unreadable: "at" must be a time' in result.stdout, result.stdout

    forged = json.loads(json.dumps(last))
    forged["state"]["players"][1]["cash"] += 1
    result = replay(stack, "--file", log_file(stack, game, entries, forged))
    assert result.returncode == 1, result.stdout
    assert f"DIVERGED at seq {last['seq']}" in result.stdout and "/state/players/1/cash" in result.stdout

    # A log that is not one, and a game without a log: could not be checked (2).
    broken = os.path.join(stack.dir, "broken.json")
    with open(broken, "w") as f:
        f.write('{"type":"monopoly_log","version":1,"game":"not a game","entries":[]}')
    result = replay(stack, "--file", broken)
    assert result.returncode == 2 and "not a command log" in result.stdout, result.stdout
    result = replay(stack, "NOSUCHGAME", "--redis", stack.redis_url)
    assert result.returncode == 2 and "no command log" in result.stdout, result.stdout


def test_the_log_stops_at_its_bound_with_a_truncation_mark(make_stack):
    stack = make_stack(gateways=1, authority_args=["--max-log-entries", "3"])

    async def scenario():
        alice = await GameClient.connect(stack.ws_url(0), "alice")
        game = (await alice.ok("create", name="Alice"))["game"]
        for _ in range(4):
            await alice.ok("add_bot")
        await alice.close()
        return game

    game = asyncio.run(scenario())
    lines = log_lines(stack, game)
    assert len(lines) == 4
    assert json.loads(lines[3]) == {"seq": 4, "truncated": True}
    assert int(stored(stack, game, "seq")) >= 5  # the game went on
    result = replay(stack, game, "--redis", stack.redis_url)
    assert result.returncode == 2, result.stdout
    assert "3 commands replayed, 3 states match" in result.stdout and "truncated" in result.stdout
    # Logs are served for finished games only, and only at their own path.
    assert stack.http_get(0, f"/games/{game}/log.json")[0] == 409
    assert stack.http_get(0, "/games/NOSUCHGAME/log.json")[0] == 404
    assert stack.http_get(0, "/games/not-a-game/log.json")[0] == 404
    assert stack.http_get(0, f"/games/{game}/snapshot")[0] == 404
    request = urllib.request.Request(f"http://127.0.0.1:{stack.gateway_ports[0]}/games/{game}/log.json", method="POST", data=b"x")
    try:
        urllib.request.urlopen(request, timeout=5)
        assert False, "POST was answered"
    except urllib.error.HTTPError as error:
        assert error.code == 405


def test_logs_a_client_does_not_read_count_against_the_downloads_at_once(make_stack):
    """A download counted only while its log was read from Redis: 60 connections from one address
    that asked for an 8 MB log with `Connection: close` and read nothing all got it, the gateway
    holding 60 logs (180 MB for 3 MB logs) for as long as they stayed open. It counts until its
    response is written or its connection closed: the fifth gets 503 while four are unread."""
    # The deadline that drops an unread response is far off here: only the slots are under test.
    stack = make_stack(gateways=1, gateway_args=["--handshake-timeout", "600"])
    game = "BIGLOG"
    # A finished game with a long log, as the authority would have left it (entries are not read).
    last = {"type": "state", "game": game, "epoch": 1, "seq": 20000, "state": {"phase": "finished"}, "events": [], "cmd": None}
    stack.redis_cli("SET", f"monopoly:{{{game}}}:last", json.dumps(last, separators=(",", ":")))
    entry = json.dumps({"seq": 1, "at": 1, "by": "p1", "id": "x" * 300, "msg": {"type": "roll"}, "digest": "0" * 64})
    for _ in range(20):
        stack.redis_cli("RPUSH", f"monopoly:{{{game}}}:log", *([entry] * 1000))
    url = f"/games/{game}/log.json"

    unread = []
    try:
        for _ in range(4):
            reader = socket.socket()
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.connect(("127.0.0.1", stack.gateway_ports[0]))
            reader.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            reader.settimeout(60)
            assert reader.recv(12) == b"HTTP/1.1 200"
            unread.append(reader)
        status, body = stack.http_get(0, url)
        assert status == 503 and "too many command logs" in body, (status, body[:200])
    finally:
        for reader in unread:
            reader.close()
    # Closed: their slots are free again.
    wait_until(lambda: stack.http_get(0, url)[0] == 200, 60, "a download after the unread ones closed")
