"""`monopoly up`: the one-command local stack starts everything and Ctrl-C stops everything."""
import signal
import subprocess
import time
import urllib.request

from stack import free_port, monopoly_binary, wait_for_port


def test_up_starts_redis_an_authority_and_two_gateways_and_ctrl_c_stops_them():
    # `up` takes two consecutive gateway ports: find a pair that is free.
    while True:
        port = free_port()
        try:
            wait_for_port(port + 1, timeout=0.05)
        except TimeoutError:
            break
    redis_port = free_port()
    while redis_port in (port, port + 1):
        redis_port = free_port()
    proc = subprocess.Popen([monopoly_binary(), "up", "--port", str(port), "--redis-port", str(redis_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        for p in (port, port + 1, redis_port):
            wait_for_port(p, timeout=30)
        deadline = time.time() + 15
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/healthz", timeout=5) as response:
                body = response.read().decode()
            if "no authority" not in body or time.time() > deadline:
                break
            time.sleep(0.1)
        assert "authority-1" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
        lease = subprocess.run(["redis-cli", "-p", str(redis_port), "GET", "monopoly:authority:lease"],
                               capture_output=True, text=True).stdout.strip()
        assert lease == "authority-1"
    finally:
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
