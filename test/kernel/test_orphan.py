"""A kernel whose server dies (killed with SIGKILL, so it cannot shut the kernel down) exits
on its own instead of running on as an orphan."""
import os
import signal
import subprocess
import sys
import time

from conftest import KERNEL_NAME

LAUNCHER = f"""
import sys, time
from jupyter_client import KernelManager
km = KernelManager(kernel_name={KERNEL_NAME!r})
km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=120)
print(km.provisioner.process.pid, flush=True)
time.sleep(600)
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie has exited; only its parent (init here) has yet to reap it
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_kernel_exits_when_its_server_is_killed():
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(launcher.stdout.readline())
        assert alive(pid)
        time.sleep(3)
        assert alive(pid), "the kernel exited while its server was still there"
        launcher.send_signal(signal.SIGKILL)
        launcher.wait()
        deadline = time.time() + 30
        while alive(pid) and time.time() < deadline:
            time.sleep(0.2)
        gone = not alive(pid)
        if not gone:
            os.kill(pid, signal.SIGKILL)
        assert gone, "the kernel ran on after its server was killed"
    finally:
        if launcher.poll() is None:
            launcher.kill()
