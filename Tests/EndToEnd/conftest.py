import subprocess
import threading
import time

import pytest

from stack import Stack, redis_cli_argv


@pytest.fixture
def make_stack(request):
    """Builds a stack on demand; on failure the processes' logs are printed."""
    stacks = []

    def make(**kwargs):
        stack = Stack(**kwargs)
        stacks.append(stack)
        return stack

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for stack in stacks:
        if failed:
            print(stack.logs())
        stack.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


class Observer:
    """`redis-cli PSUBSCRIBE 'monopoly:*'`, left running as an operator would (the operator user)."""

    def __init__(self, port: int):
        argv, env = redis_cli_argv(port, "operator")
        self.proc = subprocess.Popen([*argv, "PSUBSCRIBE", "monopoly:*"], stdout=subprocess.PIPE, text=True, env=env)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # Subscribed before the test goes on: a loaded run published the state it looks for
        # before redis-cli had subscribed, and the observer never saw it.
        deadline = time.time() + 20
        while "psubscribe" not in self.lines and time.time() < deadline:
            time.sleep(0.02)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def messages(self):
        """(channel, payload) of every pmessage seen."""
        found = []
        lines = self.lines
        i = 0
        while i + 3 < len(lines):
            if lines[i] == "pmessage":
                found.append((lines[i + 2], lines[i + 3]))
                i += 4
            else:
                i += 1
        return found

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)
