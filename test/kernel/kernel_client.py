"""A small synchronous driver for protocol tests: start the kernel, run cells, collect the
IOPub messages a request caused, talk on the comm, control and stdin channels."""
import time
from queue import Empty

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME


class Kernel:
    def __init__(self, name: str = KERNEL_NAME, **launch):
        """`launch` goes to the kernel's process (e.g. stderr=<file> to read its log)."""
        self.km, self.kc = start_new_kernel(kernel_name=name, startup_timeout=60, **launch)
        self.stray: list[dict] = []

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def iopub(self, timeout: float = 10.0) -> dict:
        return self.kc.get_iopub_msg(timeout=timeout)

    def send(self, msg_type: str, content: dict) -> str:
        msg = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def submit(self, code: str, **kw) -> str:
        return self.kc.execute(code, **kw)

    def collect(self, msg_id: str, timeout: float = 30.0, on_msg=None) -> tuple[dict, list[dict]]:
        """IOPub messages of one request up to its idle status, then its shell reply."""
        deadline = time.time() + timeout
        out = []
        while time.time() < deadline:
            try:
                msg = self.iopub(timeout=max(0.05, deadline - time.time()))
            except Empty:
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                self.stray.append(msg)
                continue
            if on_msg:
                on_msg(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            out.append(msg)
        else:
            raise TimeoutError(f"no idle status for {msg_id} in {timeout}s")
        reply = self.reply(msg_id, timeout=max(1.0, deadline - time.time()))
        return reply, out

    def reply(self, msg_id: str, timeout: float = 10.0) -> dict:
        while True:
            msg = self.kc.get_shell_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def run(self, code: str, timeout: float = 30.0, **kw) -> tuple[dict, list[dict]]:
        return self.collect(self.submit(code, **kw), timeout=timeout)

    def value(self, code: str, timeout: float = 30.0) -> str:
        """text/plain of a cell's result; fails with the error if the cell fails."""
        reply, msgs = self.run(code, timeout=timeout)
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        assert reply["content"]["status"] == "ok", errors or reply["content"]
        results = [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]
        assert results, f"no execute_result for {code!r}: {msgs}"
        return results[-1]

    def ok(self, code: str, timeout: float = 30.0) -> list[dict]:
        reply, msgs = self.run(code, timeout=timeout)
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        assert reply["content"]["status"] == "ok", errors or reply["content"]
        return msgs


def of_type(msgs: list[dict], msg_type: str) -> list[dict]:
    return [m for m in msgs if m["msg_type"] == msg_type]


def stream_text(msgs: list[dict], name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == name)
