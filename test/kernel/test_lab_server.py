"""What `npm run lab` serves: a real JupyterLab whose server lists the chainlab kernel with
its logos and the tutorial notebooks, and starts and interrupts that kernel over REST."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "chainlab-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, path: str, method: str = "GET", body: dict | None = None):
    req = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)


@pytest.fixture(scope="module")
def lab():
    port = free_port()
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={ROOT / 'notebooks'}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        args.append("--allow-root")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            api(base, "/api/status")
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("JupyterLab did not start within 60 s")
            time.sleep(0.5)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_lab_lists_the_chainlab_kernel_with_logos(lab):
    _, specs = api(lab, "/api/kernelspecs")
    spec = specs["kernelspecs"]["chainlab"]
    assert spec["spec"]["display_name"] == "chainlab (TypeScript)"
    assert spec["spec"]["interrupt_mode"] == "message"
    assert {"logo-32x32", "logo-64x64"} <= set(spec["resources"])
    with urllib.request.urlopen(f"{lab}{spec['resources']['logo-64x64']}?token={TOKEN}") as r:
        assert r.read(8) == b"\x89PNG\r\n\x1a\n"


def test_lab_serves_the_notebooks(lab):
    _, listing = api(lab, "/api/contents")
    names = {item["name"] for item in listing["content"]}
    on_disk = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert "01-chain-rule.ipynb" in on_disk and on_disk <= names


def test_lab_starts_and_interrupts_the_kernel(lab):
    status, kernel = api(lab, "/api/kernels", "POST", {"name": "chainlab"})
    assert status == 201
    try:
        status, _ = api(lab, f"/api/kernels/{kernel['id']}/interrupt", "POST")
        assert status == 204
    finally:
        api(lab, f"/api/kernels/{kernel['id']}", "DELETE")
