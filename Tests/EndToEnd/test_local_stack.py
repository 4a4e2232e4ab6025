"""`monopoly up`: the one-command local stack starts everything and Ctrl-C stops everything."""
import signal
import subprocess
import time
import urllib.error
import urllib.request

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
    proc = subprocess.Popen([monopoly_binary(), "up", "--port", str(port), "--redis-port", str(redis_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
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
        lease = subprocess.run(["redis-cli", "-p", str(redis_port), "GET", "monopoly:authority:lease"],
                               capture_output=True, text=True).stdout.strip()
        assert lease == "authority-1"
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
