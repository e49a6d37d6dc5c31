"""A training Monitor over the wire, as a widget sees it: commands that would break training
(lr 1e308, 1e400, 0, -1, "fast") and malformed messages are refused with a reply naming the
problem and nothing on the training cell's stderr; when the cell ends (its loop's own end,
Stop, an error, Kernel › Interrupt) the widget gets the final state and the kernel closes
the comm, and the display keeps how the run ended."""
import threading
import time

import pytest

from kernel_client import Kernel, stream_text

CURVES = "application/vnd.chainlab.curves+json"


@pytest.fixture(scope="module")
def k():
    kernel = Kernel()
    yield kernel
    kernel.close()


def train_cell(limit: int, extra: str = "") -> str:
    """A loop steered by its monitor; in a block so every test may declare the same names."""
    return (
        "{\n"
        "  const opt = { paramGroups: [{ lr: 0.1 }] };\n"
        '  const mon = new Monitor({ title: "wire", optimizer: opt, redrawMs: 20 });\n'
        "  let step = 0;\n"
        f"  while ((await mon.poll()) && step < {limit}) {{\n"
        "    mon.log({ train: 1 / (step + 1) }, step);\n"
        f"    {extra}\n"
        "    step++;\n"
        "    await new Promise((r) => setTimeout(r, 5));\n"
        "  }\n"
        "  console.log(`loop ended at ${step} with lr ${opt.paramGroups[0].lr}`);\n"
        "}\n"
    )


class Widget:
    """The frontend's side: opens a comm to the monitor the cell displays, and records what
    the kernel sends on it. `script(widget, n)` runs after the n-th message on the comm."""

    def __init__(self, k: Kernel, comm_id: str, script=None):
        self.k, self.comm_id, self.script = k, comm_id, script
        self.monitor_id = None
        self.received: list[dict] = []
        self.closed = None
        self.others: dict[str, list[dict]] = {}

    def send(self, data, raw_lr: str | None = None):
        """A comm_msg; `raw_lr` puts that JSON text (e.g. 1e400) where the lr goes."""
        session = self.k.kc.session
        if raw_lr is None:
            return self.k.send("comm_msg", {"comm_id": self.comm_id, "data": data})
        pack = session.pack
        session.pack = lambda o: pack(o).replace(b'"__RAW_LR__"', raw_lr.encode())
        try:
            return self.k.send("comm_msg", {"comm_id": self.comm_id, "data": {"action": "lr", "lr": "__RAW_LR__"}})
        finally:
            session.pack = pack

    def on_msg(self, msg: dict):
        c = msg["content"]
        if msg["msg_type"] == "display_data" and CURVES in c.get("data", {}) and self.monitor_id is None:
            self.monitor_id = c["data"][CURVES]["monitorId"]
            self.k.send("comm_open", {"comm_id": self.comm_id, "target_name": "chainlab.monitor", "data": {"monitorId": self.monitor_id}})
        elif msg["msg_type"] == "comm_msg" and c["comm_id"] == self.comm_id:
            self.received.append(c["data"])
            if self.script:
                self.script(self, len(self.received))
        elif msg["msg_type"] == "comm_close" and c["comm_id"] == self.comm_id:
            self.closed = c["data"]
        elif msg["msg_type"] in ("comm_msg", "comm_close"):
            self.others.setdefault(c["comm_id"], []).append(msg)


def run_with(k: Kernel, code: str, widget: Widget, timeout: float = 180.0):
    reply, msgs = k.collect(k.submit(code), timeout=timeout, on_msg=widget.on_msg)
    return reply, msgs


def wait_iopub(k: Kernel, pred, timeout: float = 30.0) -> dict:
    """The first IOPub message, of any parent, that `pred` accepts."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = k.iopub(timeout=max(0.05, deadline - time.time()))
        if pred(msg):
            return msg
    raise TimeoutError("no such IOPub message")


def final_curves(msgs: list[dict]) -> dict:
    shown = [m["content"]["data"] for m in msgs if m["msg_type"] in ("display_data", "update_display_data") and CURVES in m["content"]["data"]]
    assert shown, "the monitor displayed nothing"
    return shown[-1]


BAD = [
    # (data sent, or a raw JSON lr, and what the reply's error must name)
    ({"action": "lr", "lr": 1e308}, None, "lr must be a finite number with 0 < lr ≤ 10, got 1e+308"),
    (None, "1e400", "lr must be a finite number with 0 < lr ≤ 10, got Infinity"),
    ({"action": "lr", "lr": None}, None, "lr must be a finite number with 0 < lr ≤ 10, got null"),
    ({"action": "lr", "lr": 0}, None, "lr must be a finite number with 0 < lr ≤ 10, got 0"),
    ({"action": "lr", "lr": -1}, None, "lr must be a finite number with 0 < lr ≤ 10, got -1"),
    ({"action": "lr", "lr": "fast"}, None, 'lr must be a finite number with 0 < lr ≤ 10, got "fast"'),
    ({"action": "lr"}, None, 'the "lr" action needs a field lr'),
    (None, None, "a monitor command must be an object"),
    ({"monitorId": {"a": 1}}, None, "unknown monitor action undefined"),
    ({"action": "explode"}, None, 'unknown monitor action "explode"'),
    ({"action": ["stop"]}, None, "unknown monitor action an array of 1"),
]


def test_bad_commands_are_refused_by_name_and_never_reach_the_cell(k):
    bad_open = "bad-open-1"

    def script(w: Widget, n: int):
        if n == 1:
            # a second widget whose open names no monitor, then every bad command in turn
            k.send("comm_open", {"comm_id": bad_open, "target_name": "chainlab.monitor", "data": {"monitorId": {"id": 1}}})
            k.send("comm_open", {"comm_id": "bad-open-2", "target_name": "chainlab.monitor", "data": None})
            for data, raw, _ in BAD:
                w.send(data, raw_lr=raw)
            w.send({"action": "lr", "lr": 0.5})
        elif n == len(BAD) + 2:
            w.send({"action": "stop"})

    w = Widget(k, "w-bad", script)
    reply, msgs = run_with(k, train_cell(1_000_000), w)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert stream_text(msgs, "stderr") == "", "a comm message printed into the training cell"
    assert w.received[0] == {"state": {"stopRequested": False, "paused": False, "lr": 0.1}}
    for (data, raw, expected), got in zip(BAD, w.received[1:]):
        assert expected in got.get("error", ""), (data, raw, got)
        assert got["state"]["lr"] == 0.1, "a refused lr reached the optimizer"
    assert w.received[len(BAD) + 1] == {"state": {"stopRequested": False, "paused": False, "lr": 0.5}}
    # the refused opens were answered with a close naming the problem
    assert w.others[bad_open][-1]["content"]["data"] == {"error": "comm_open data needs a string monitorId, got an object"}
    assert w.others["bad-open-2"][-1]["content"]["data"] == {"error": "comm_open data needs a string monitorId, got undefined"}
    # Stop ended the loop with the lr the widget set, and the widget heard how
    out = stream_text(msgs)
    assert "with lr 0.5" in out, out
    step = int(out.split("loop ended at ")[1].split()[0]) - 1
    ended = {"outcome": "stopped", "step": step}
    assert w.received[-1]["state"]["ended"] == ended
    assert w.closed == {"ended": ended}
    curves = final_curves(msgs)
    assert curves[CURVES]["running"] is False and curves[CURVES]["ended"] == ended
    assert f"(stopped at step {step})" in curves["text/plain"]


def test_malformed_comm_messages_never_print(k):
    """Messages that name no comm, or a comm nobody opened, are dropped quietly."""
    sent = []

    def script(w: Widget, n: int):
        if n == 1:
            k.send("comm_msg", {"comm_id": "nobody", "data": {"action": "stop"}})
            k.send("comm_msg", {"data": None})
            k.send("comm_open", {"target_name": "chainlab.monitor", "data": {}})
            k.send("comm_open", {"comm_id": "no-target", "data": {}})
            sent.append(1)
            w.send({"action": "pause"})
        elif n == 2:
            w.send({"action": "stop"})

    w = Widget(k, "w-quiet", script)
    reply, msgs = run_with(k, train_cell(1_000_000), w)
    assert reply["content"]["status"] == "ok"
    assert sent and stream_text(msgs, "stderr") == ""
    assert w.received[1]["state"]["paused"] is True
    assert w.others["no-target"][-1]["content"]["data"] == {"error": "comm_open needs a string target_name"}


def test_a_loop_that_ends_on_its_own_says_finished_without_close(k):
    w = Widget(k, "w-natural")
    reply, msgs = run_with(k, train_cell(40), w)
    assert reply["content"]["status"] == "ok"
    ended = {"outcome": "finished", "step": 39}
    curves = final_curves(msgs)[CURVES]
    assert curves["running"] is False and curves["ended"] == ended
    assert w.received and w.received[-1]["state"]["ended"] == ended
    assert w.closed == {"ended": ended}
    # the run is over: a widget opened now is told so
    k.send("comm_open", {"comm_id": "late", "target_name": "chainlab.monitor", "data": {"monitorId": w.monitor_id}})
    close = wait_iopub(k, lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == "late")
    assert close["content"]["data"] == {"error": f"no running monitor {w.monitor_id}"}


def test_a_failing_cell_says_failed_with_its_message(k):
    w = Widget(k, "w-failed")
    reply, msgs = run_with(k, train_cell(1_000_000, 'if (step === 12) throw new RangeError("boom at twelve");'), w)
    assert reply["content"]["status"] == "error"
    ended = {"outcome": "failed", "step": 12, "message": "RangeError: boom at twelve"}
    assert final_curves(msgs)[CURVES]["ended"] == ended
    assert w.received[-1]["state"]["ended"] == ended
    assert w.closed == {"ended": ended}


def test_an_interrupted_cell_says_interrupted(k):
    def script(w: Widget, n: int):
        if n == 1:
            # what JupyterLab's Kernel › Interrupt does, once the loop is under way
            threading.Timer(1.0, k.km.interrupt_kernel).start()

    w = Widget(k, "w-interrupt", script)
    reply, msgs = run_with(k, train_cell(1_000_000), w)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    ended = final_curves(msgs)[CURVES]["ended"]
    assert ended["outcome"] == "interrupted" and ended["step"] > 0
    assert w.received[-1]["state"]["ended"] == ended
    assert w.closed == {"ended": ended}
    # the kernel goes on
    assert k.value("1 + 1") == "2"


def test_stop_ends_the_cell_at_once_and_the_widget_hears_stopped(k):
    times = {}

    def script(w: Widget, n: int):
        if n == 1:
            time.sleep(0.3)
            times["stop"] = time.time()
            w.send({"action": "stop"})

    w = Widget(k, "w-stop", script)
    reply, msgs = run_with(k, train_cell(1_000_000), w)
    times["end"] = time.time()
    assert reply["content"]["status"] == "ok"
    assert w.closed is not None and w.closed["ended"]["outcome"] == "stopped"
    # generous: the loop sees the stop at its next poll
    assert times["end"] - times["stop"] < 5
