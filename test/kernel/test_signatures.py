"""Message signatures: compared in constant time, and a message signed with another key is
dropped with a line in the kernel's log on every channel, never acted on."""
import json
import subprocess
import time
from pathlib import Path
from queue import Empty

import pytest
from jupyter_client.session import Session

from kernel_client import Kernel, of_type

DIST = Path(__file__).resolve().parents[2] / "kernel" / "dist"

PROBE = r"""
const crypto = require("node:crypto");
const calls = [];
const real = crypto.timingSafeEqual;
crypto.timingSafeEqual = (a, b) => { calls.push([a.length, b.length]); return real(a, b); };
const { Codec } = require("./shared/wire.js");
const codec = new Codec({ key: "secret", signature_scheme: "hmac-sha256" });
const frames = codec.encode([Buffer.from("id")], "kernel_info_request", {}, undefined).map((f) => Buffer.from(f));
const result = { good: codec.decode(frames).header.msg_type, calls: calls.length, lengths: calls[0] };
const outcome = (fs) => { try { codec.decode(fs); return "accepted"; } catch (e) { return e.message; } };
const flip = frames.slice(); flip[2] = Buffer.from(frames[2].toString().replace(/^./, (c) => (c === "a" ? "b" : "a")));
result.flipped = outcome(flip);
const short = frames.slice(); short[2] = frames[2].subarray(0, 10);
const before = calls.length;
result.short = outcome(short);
result.shortCompared = calls.length - before;
process.stdout.write(JSON.stringify(result));
"""


def test_signature_is_compared_in_constant_time():
    out = subprocess.run(["node", "-e", PROBE], capture_output=True, text=True, timeout=30, cwd=DIST)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["good"] == "kernel_info_request"
    assert r["calls"] == 1 and r["lengths"] == [64, 64]
    assert "bad signature" in r["flipped"]
    # A signature of another length is refused before any comparison.
    assert "bad signature" in r["short"] and r["shortCompared"] == 0


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    log = tmp_path_factory.mktemp("kernel") / "stderr.log"
    with open(log, "w") as f:
        kernel = Kernel(stderr=f)
    kernel.log = log
    yield kernel
    kernel.close()


def forged(k) -> Session:
    return Session(key=b"not-the-kernel-key", username=k.kc.session.username, session=k.kc.session.session)


def wait_log(k, text, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in k.log.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the kernel log:\n{k.log.read_text()}")


def test_forged_messages_are_dropped_and_logged(logged):
    k = logged
    k.ok("let forgedRan = 0;")
    forged(k).send(k.kc.shell_channel.socket, "execute_request", {"code": "forgedRan = 1", "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False})
    wait_log(k, "shell: Error: message with a bad signature")
    # A forged shutdown on the control channel does not stop the kernel.
    forged(k).send(k.kc.control_channel.socket, "shutdown_request", {"restart": False})
    wait_log(k, "control: Error: message with a bad signature")
    time.sleep(0.3)
    assert k.km.is_alive()
    assert k.value("forgedRan") == "0"
    with pytest.raises(Empty):
        k.kc.get_shell_msg(timeout=0.3)


def test_forged_input_reply_is_not_taken(logged):
    k = logged
    msg_id = k.submit('prompt("answer: ")', allow_stdin=True)
    request = k.kc.get_stdin_msg(timeout=10)
    assert request["msg_type"] == "input_request"
    forged(k).send(k.kc.stdin_channel.socket, "input_reply", {"value": "forged"}, parent=request)
    wait_log(k, "stdin: Error: message with a bad signature")
    k.kc.input("real")
    reply, msgs = k.collect(msg_id)
    assert of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "'real'"
