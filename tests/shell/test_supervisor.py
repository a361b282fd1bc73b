"""`burrow serve` runs its scheduler under burrow.supervisor: a child that dies is started again, and
stopping the supervisor passes the signal to the child (so it can finish its work) and stops it."""

import os
import signal
import subprocess
import sys

CHILD = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (print("stopping", flush=True), sys.exit(0)))
print(os.getpid(), flush=True)
while True:
    time.sleep(0.05)
"""


def test_a_killed_child_is_restarted_and_signals_reach_it():
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "burrow.supervisor", "--", sys.executable, "-c", CHILD],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = int(supervisor.stdout.readline())
        os.kill(first, signal.SIGKILL)
        second = int(supervisor.stdout.readline())  # started again after the first back-off delay
        assert second != first
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.stdout.readline().strip() == "stopping"
        assert supervisor.wait(timeout=20) == 0
        try:
            os.kill(second, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        assert not alive
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
