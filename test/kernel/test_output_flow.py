"""No output lost: every display_data, stream chunk and status a cell produces reaches the
client, however fast the cell produces it (flow control at the kernel's IOPub socket), or
the cell is told what was dropped and why."""
import os

import pytest

from kernel_client import Kernel, of_type, stream_text


@pytest.fixture(scope="module")
def k():
    kernel = Kernel()
    yield kernel
    kernel.close()


def test_ten_thousand_displays_in_one_cell_all_arrive_in_order_then_idle(k):
    # collect() raises if the idle status never comes.
    reply, msgs = k.run("for (let i = 0; i < 10000; i++) display(`d${i}`);", timeout=180)
    assert reply["content"]["status"] == "ok"
    shown = [m["content"]["data"]["text/plain"] for m in of_type(msgs, "display_data")]
    assert len(shown) == 10000, f"{10000 - len(shown)} display_data lost"
    assert shown == [f"d{i}" for i in range(10000)]
    assert k.value("1 + 1") == "2"


def test_a_loop_that_awaits_is_held_back_and_loses_nothing(k):
    reply, msgs = k.run(
        "for (let i = 0; i < 6000; i++) { display(`a${i}`); if (i % 50 === 0) await null; }", timeout=180
    )
    assert reply["content"]["status"] == "ok"
    assert len(of_type(msgs, "display_data")) == 6000


def test_megabytes_of_printed_text_all_arrive(k):
    # 6 MB: more than jupyter_server lets through in one message or one 3 s window.
    reply, msgs = k.run('for (let i = 0; i < 60000; i++) console.log(String(i).padEnd(99, "."));', timeout=180)
    assert reply["content"]["status"] == "ok"
    lines = stream_text(msgs).splitlines()
    assert len(lines) == 60000
    assert lines[-1].startswith("59999")
    assert max(len(m["content"]["text"]) for m in of_type(msgs, "stream")) <= 200_000


def test_past_the_backlog_ceiling_the_cell_is_told_what_was_dropped():
    # A cell that never yields cannot be held back; past the ceiling (lowered here) output
    # is dropped and counted, and the cell says so before its reply.
    kernel = Kernel(env={**os.environ, "CHAINLAB_OUTPUT_BACKLOG": "3000"})
    try:
        reply, msgs = kernel.run("for (let i = 0; i < 5000; i++) display(`d${i}`);", timeout=120)
        assert reply["content"]["status"] == "ok"
        shown = len(of_type(msgs, "display_data"))
        assert 2900 <= shown < 5000
        notice = stream_text(msgs, "stderr")
        assert f"{5000 - shown} output message(s) of this cell were dropped ({5000 - shown} display_data)" in notice
        assert "faster than the frontend reads it" in notice
        # the next cell is not told again
        assert stream_text(kernel.ok('display("again")'), "stderr") == ""
    finally:
        kernel.close()
