"""`monopoly up`: the one-command local stack starts everything and Ctrl-C stops everything."""
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from stack import free_port, monopoly_binary, wait_for_port


def healthz(port: int) -> str:
    """The body of /healthz, also when it answers 503 (not connected to Redis yet, no authority)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()


def test_up_starts_redis_an_authority_and_two_gateways_and_ctrl_c_stops_them():
    port = free_port()  # and port + 1: `up` takes consecutive gateway ports
    redis_port = free_port()
    operator_password = "operator-" + str(redis_port)  # `up` takes it from the environment, else makes one
    proc = subprocess.Popen([monopoly_binary(), "up", "--port", str(port), "--redis-port", str(redis_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "REDIS_OPERATOR_PASSWORD": operator_password})
    try:
        try:
            for p in (port, port + 1, redis_port):
                wait_for_port(p, timeout=30)
        except TimeoutError as error:
            proc.send_signal(signal.SIGINT)
            raise AssertionError(f"{error}; monopoly up said:\n{proc.communicate(timeout=30)[0]}") from None
        # The gateway may still be connecting to Redis (503) or waiting for the authority's lease.
        deadline = time.time() + 15
        body = healthz(port + 1)
        while "authority-1" not in body and time.time() < deadline:
            time.sleep(0.1)
            body = healthz(port + 1)
        assert "authority-1" in body, body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
        lease = subprocess.run(["redis-cli", "--no-auth-warning", "--user", "operator", "-p", str(redis_port),
                                "GET", "monopoly:authority:lease"],
                               capture_output=True, text=True, env={**os.environ, "REDISCLI_AUTH": operator_password}).stdout.strip()
        assert lease == "authority-1"
        # Redis has the ACL users: without them nothing is read.
        anonymous = subprocess.run(["redis-cli", "-p", str(redis_port), "GET", "monopoly:authority:lease"],
                                   capture_output=True, text=True).stdout.strip()
        assert anonymous.startswith("NOAUTH"), anonymous
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output and f"http://127.0.0.1:{port + 1}/" in output
    # Nothing is left listening.
    for p in (port, port + 1, redis_port):
        try:
            wait_for_port(p, timeout=0.3)
            raise AssertionError(f"port {p} still open after Ctrl-C")
        except TimeoutError:
            pass


@pytest.mark.parametrize("how", ["sigterm", "ctrl_c"])
def test_up_stops_cleanly_on_sigterm_and_ctrl_c(how):
    """SIGTERM (docker stop, systemd, timeout) and an interactive Ctrl-C (SIGINT to the terminal's
    process group) stop every child with its own clean shutdown, and `up` exits 0. Before, the
    children inherited the signal mask of the thread `up` runs on, SIGTERM blocked: redis-server
    never saw it and was killed when the grace period ran out."""
    port = free_port()
    redis_port = free_port()
    proc = subprocess.Popen([monopoly_binary(), "up", "--port", str(port), "--redis-port", str(redis_port), "--gateways", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        for p in (port, redis_port):
            wait_for_port(p, timeout=30)
        # Started means every child is running, so none of them can miss the signal.
        deadline = time.time() + 15
        while "authority-1" not in healthz(port) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "Redis is now ready to exit" in output, output
    assert "gateway stopped" in output and "authority stopped" in output, output
    assert "exited with status" not in output, output
    for p in (port, redis_port):
        with pytest.raises(TimeoutError):
            wait_for_port(p, timeout=0.3)


@pytest.mark.parametrize("arguments, message", [
    # Before, --gateways=-1 trapped (an empty range) after redis-server and the authority had
    # started, leaving both running.
    (["--gateways=-1"], "--gateways must be 1 to 64"),
    (["--gateways", "65"], "--gateways must be 1 to 64"),
    (["--authorities", "0"], "--authorities must be 1 to 16"),
    (["--authorities", "17"], "--authorities must be 1 to 16"),
    (["--port", "65535", "--gateways", "2"], "--port must leave room for 2 consecutive ports"),
    (["--redis-port", "70000"], "--redis-port must be 1 to 65535"),
])
def test_up_refuses_counts_and_ports_out_of_range_before_starting_anything(arguments, message):
    redis_port = free_port()
    command = [monopoly_binary(), "up", *arguments]
    if "--redis-port" not in arguments:
        command += ["--redis-port", str(redis_port)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 64 and message in result.stderr, result
    with pytest.raises(TimeoutError):
        wait_for_port(redis_port, timeout=0.3)


def children(pid):
    """The command lines of a process's children."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(open(f"/proc/{entry}/cmdline").read().split("\0"))
        except OSError:
            pass
    return found


def test_up_starts_as_many_authorities_as_asked_one_holds_the_lease():
    port = free_port()
    redis_port = free_port()
    operator_password = "operator-" + str(redis_port)
    proc = subprocess.Popen([monopoly_binary(), "up", "--port", str(port), "--redis-port", str(redis_port), "--gateways", "1",
                             "--authorities", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env={**os.environ, "REDIS_OPERATOR_PASSWORD": operator_password})
    try:
        for p in (port, redis_port):
            wait_for_port(p, timeout=30)
        ids = sorted(argv[argv.index("--id") + 1] for argv in children(proc.pid) if "authority" in argv[1:2])
        assert ids == ["authority-1", "authority-2", "authority-3"], children(proc.pid)
        deadline = time.time() + 15
        lease = ""
        while not lease and time.time() < deadline:
            lease = subprocess.run(["redis-cli", "--no-auth-warning", "--user", "operator", "-p", str(redis_port),
                                    "GET", "monopoly:authority:lease"], capture_output=True, text=True,
                                   env={**os.environ, "REDISCLI_AUTH": operator_password}).stdout.strip()
            time.sleep(0.1)
        assert lease in ids
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "authority-1..authority-3" in output
    assert output.count("authority stopped") == 3, output
