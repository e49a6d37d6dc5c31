"""What jupyter_kernel_test does not cover: results and errors in detail, execution counts,
display updates under the IOPub rate limit, comms both ways while a cell runs, interrupts
of synchronous and asynchronous loops (and that nothing of them keeps running), stdin."""
import re
import signal
import threading
import time

import pytest

from kernel_client import Kernel, of_type, stream_text

# A cell that uses the library with no import. Switch to a richer expression as the
# library grows; the value must stay the text/plain of the result.
LIBRARY_CELL = ("tensor([1, 2]).mul(3).toArray()", "[ 3, 6 ]")


@pytest.fixture(scope="module")
def k():
    kernel = Kernel()
    yield kernel
    kernel.close()


def strip_ansi(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", s)


def test_kernel_info_is_complete(k):
    msg_id = k.kc.kernel_info()
    reply = k.reply(msg_id)["content"]
    assert reply["status"] == "ok"
    assert reply["implementation"] == "chainlab"
    assert reply["protocol_version"].startswith("5.")
    assert re.match(r"^\d+\.\d+\.\d+$", reply["language_info"]["version"])
    assert "Node v" in reply["banner"]


def test_library_is_preloaded(k):
    code, expected = LIBRARY_CELL
    assert k.value(code) == expected


def test_earlier_cells_names_in_shorthand_properties(k):
    k.run("const shorthandValue = 41;")
    assert k.value("const wrapped = { shorthandValue }; wrapped.shorthandValue + 1") == "42"


def test_display_without_an_id_returns_nothing(k):
    reply, msgs = k.run('display("shown once")')
    assert [m["content"]["data"]["text/plain"] for m in of_type(msgs, "display_data")] == ["shown once"]
    assert of_type(msgs, "execute_result") == []


def test_rich_result_bundle_and_no_stdout_echo(k):
    reply, msgs = k.run(
        'const thing = { [Symbol.for("Jupyter.display")]() { return { "text/html": "<i>x</i>" }; } };\nthing'
    )
    results = of_type(msgs, "execute_result")
    assert len(results) == 1
    data = results[0]["content"]["data"]
    assert data["text/html"] == "<i>x</i>" and "text/plain" in data
    assert stream_text(msgs) == ""


def test_tensor_result_has_its_mime_type(k):
    reply, msgs = k.run("tensor([[1, 2], [3, 4]])")
    data = of_type(msgs, "execute_result")[0]["content"]["data"]
    assert "application/vnd.chainlab.tensor+json" in data
    assert "text/plain" in data


def test_execution_counts(k):
    first = k.reply(k.submit("1"))["content"]["execution_count"]
    k.collect(k.submit("2"))
    reply, msgs = k.run("3")
    count = reply["content"]["execution_count"]
    assert of_type(msgs, "execute_input")[0]["content"]["execution_count"] == count
    assert of_type(msgs, "execute_result")[0]["content"]["execution_count"] == count
    silent = k.reply(k.submit("4", silent=True))["content"]["execution_count"]
    assert silent == count
    k.run("throw new Error('x')")
    reply, _ = k.run("5")
    assert reply["content"]["execution_count"] == count + 2
    assert count >= first + 2


def test_runtime_error_has_cell_line_numbers(k):
    code = "const a: number = 1;\n\nfunction fail(x: number) {\n  if (x > 0) throw new RangeError(`bad ${x}`);\n}\nfail(a);\n"
    reply, msgs = k.run(code)
    assert reply["content"]["status"] == "error"
    err = of_type(msgs, "error")[0]["content"]
    assert err["ename"] == "RangeError"
    assert err["evalue"] == "bad 1"
    tb = strip_ansi("\n".join(err["traceback"]))
    assert "line 4, in fail" in tb
    assert "line 6" in tb
    assert "if (x > 0) throw new RangeError" in tb


def test_type_error_is_a_compile_error_with_lines(k):
    reply, msgs = k.run("const ok = 1;\nconst s: string = 42;")
    err = of_type(msgs, "error")[0]["content"]
    assert err["ename"] == "CompileError"
    assert "line 2" in err["evalue"]
    assert "TS2322" in strip_ansi("\n".join(err["traceback"]))
    assert k.value("1 + 1") == "2"


def test_errors_in_callbacks_do_not_kill_the_kernel(k):
    k.ok('setTimeout(() => { throw new Error("late throw") }, 10);\nPromise.reject(new Error("late reject"));\nawait new Promise((r) => setTimeout(r, 100));')
    assert k.value("40 + 2") == "42"


def test_display_and_update_are_throttled_and_last_is_delivered(k):
    reply, msgs = k.run('const id = display("start", { displayId: true });\nfor (let i = 0; i < 5000; i++) updateDisplay(id, `v${i}`);')
    assert reply["content"]["status"] == "ok"
    shown = of_type(msgs, "display_data")
    updates = of_type(msgs, "update_display_data")
    assert len(shown) == 1
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert 1 <= len(updates) <= 10
    assert updates[-1]["content"]["data"]["text/plain"] == "v4999"
    assert all(u["content"]["transient"]["display_id"] == display_id for u in updates)

    started = time.time()
    reply, msgs = k.run(
        'const id2 = display("a", { displayId: true });\nfor (let i = 0; i < 300; i++) { updateDisplay(id2, `w${i}`); await new Promise((r) => setTimeout(r, 2)); }'
    )
    elapsed = time.time() - started
    updates = of_type(msgs, "update_display_data")
    assert updates[-1]["content"]["data"]["text/plain"] == "w299"
    # At most one update per 50 ms per display, plus the final one.
    assert len(updates) <= elapsed / 0.05 + 3


def test_a_large_update_is_not_starved_by_small_ones(k):
    # A big display (a gradient-flow picture) updated once while a small one (a loss curve)
    # updates all the time: the big update must go out while the loop runs, not at its end.
    reply, msgs = k.run(
        'const big = display("big", { displayId: true });\n'
        'const small = display("s", { displayId: true });\n'
        'for (let i = 0; i < 150; i++) {\n'
        '  if (i === 20) updateDisplay(big, "B".repeat(300_000));\n'
        '  updateDisplay(small, "x".repeat(40_000) + i);\n'
        '  await new Promise((r) => setTimeout(r, 10));\n'
        '}\n'
        'updateDisplay(small, "done");'
    )
    assert reply["content"]["status"] == "ok"
    shown = of_type(msgs, "display_data")
    big_id = shown[0]["content"]["transient"]["display_id"]
    updates = of_type(msgs, "update_display_data")
    order = [u["content"]["transient"]["display_id"] == big_id for u in updates]
    assert True in order, "the large update never arrived"
    # it arrived before the small display's last few updates, i.e. during the loop
    assert order.index(True) < len(order) - 3, f"the large update waited for the loop to end: {order}"


def test_progress_updates_in_place(k):
    reply, msgs = k.run("let total = 0;\nfor (const i of progress(50)) { total += i; }\ntotal")
    assert of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "1225"
    shown = of_type(msgs, "display_data")
    assert len(shown) == 1
    updates = of_type(msgs, "update_display_data")
    assert updates and "50/50" in updates[-1]["content"]["data"]["text/plain"]


def test_comm_from_kernel_receives_while_cell_awaits(k):
    code = (
        "const got: unknown[] = [];\n"
        'const comm = comms.open("chainlab.test", { hello: 1 });\n'
        "comm.onMsg((data) => { got.push(data); comm.send({ ack: data }); });\n"
        "for (let i = 0; i < 500 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));\n"
        "JSON.stringify(got)"
    )
    msg_id = k.submit(code)
    comm_id = None
    deadline = time.time() + 20
    while comm_id is None and time.time() < deadline:
        msg = k.iopub()
        if msg["msg_type"] == "comm_open":
            assert msg["content"]["target_name"] == "chainlab.test"
            assert msg["content"]["data"] == {"hello": 1}
            comm_id = msg["content"]["comm_id"]
    assert comm_id
    k.send("comm_msg", {"comm_id": comm_id, "data": {"lr": 0.01}})
    acks = []
    reply, msgs = k.collect(msg_id, on_msg=lambda m: m["msg_type"] == "comm_msg" and acks.append(m["content"]))
    assert reply["content"]["status"] == "ok"
    assert of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "'[{\"lr\":0.01}]'"
    assert acks and acks[0]["comm_id"] == comm_id and acks[0]["data"] == {"ack": {"lr": 0.01}}


def test_comm_opened_by_frontend(k):
    k.ok(
        'comms.registerTarget("chainlab.echo", (comm, open) => {\n'
        "  comm.send({ opened: open.content.data });\n"
        "  comm.onMsg((data) => comm.send({ echo: data }));\n"
        "});"
    )
    comm_id = "frontend-comm-1"
    seen = []

    def wait_comm_msg():
        deadline = time.time() + 10
        while time.time() < deadline:
            msg = k.iopub()
            if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
                return msg["content"]["data"]
        raise TimeoutError("no comm_msg")

    k.send("comm_open", {"comm_id": comm_id, "target_name": "chainlab.echo", "data": {"x": 1}})
    assert wait_comm_msg() == {"opened": {"x": 1}}
    k.send("comm_msg", {"comm_id": comm_id, "data": {"ping": 2}})
    assert wait_comm_msg() == {"echo": {"ping": 2}}

    info = k.reply(k.send("comm_info_request", {"target_name": "chainlab.echo"}))
    assert info["msg_type"] == "comm_info_reply"
    assert info["content"]["comms"] == {comm_id: {"target_name": "chainlab.echo"}}
    k.send("comm_close", {"comm_id": comm_id, "data": {}})
    info = k.reply(k.send("comm_info_request", {}))
    assert comm_id not in info["content"]["comms"]

    # Nobody listens on an unknown target: the kernel closes the comm at once.
    k.send("comm_open", {"comm_id": "nobody", "target_name": "no.such.target", "data": {}})
    deadline = time.time() + 10
    while time.time() < deadline:
        msg = k.iopub()
        if msg["msg_type"] == "comm_close" and msg["content"]["comm_id"] == "nobody":
            break
    else:
        raise AssertionError("no comm_close for an unknown target")


def interrupt_after(k, msg_id, delay, how="message"):
    def fire():
        time.sleep(delay)
        if how == "message":
            msg = k.kc.session.msg("interrupt_request", {})
            k.kc.control_channel.send(msg)
        elif how == "manager":
            # What JupyterLab's interrupt button does: the manager follows the kernelspec.
            k.km.interrupt_kernel()
        else:
            k.km.signal_kernel(signal.SIGINT)

    t = threading.Thread(target=fire)
    t.start()
    return t


def assert_interrupted(reply, msgs):
    assert reply["content"]["status"] == "error"
    assert of_type(msgs, "error")[0]["content"]["ename"] == "KeyboardInterrupt"


def interrupt_and_collect(k, msg_id, delay, how="message"):
    """Interrupt the running cell after `delay` s, check it ended as interrupted, and
    return the seconds from this call to its reply."""
    started = time.time()
    t = interrupt_after(k, msg_id, delay, how)
    reply, msgs = k.collect(msg_id, timeout=20)
    t.join()
    assert_interrupted(reply, msgs)
    return time.time() - started


@pytest.mark.parametrize("how", ["message", "signal", "manager"])
def test_interrupt_async_training_loop(k, how):
    k.ok(f"let steps_{how} = 0;")
    msg_id = k.submit(f"while (true) {{ steps_{how}++; await new Promise((r) => setTimeout(r, 5)); }}")
    assert interrupt_and_collect(k, msg_id, 0.7, how) < 0.7 + 1.5
    # The loop is dead: its counter no longer moves.
    assert k.value(f"const before_{how} = steps_{how}; await new Promise((r) => setTimeout(r, 300)); steps_{how} - before_{how}") == "0"
    assert k.value(f"steps_{how} > 10") == "true"


def test_interrupt_kills_background_work_of_the_cell(k):
    k.ok("let bg = 0; let ticks = 0;")
    msg_id = k.submit(
        "(async () => { while (true) { bg++; await new Promise((r) => setTimeout(r, 5)); } })();\n"
        "setInterval(() => ticks++, 5);\n"
        "await new Promise((r) => setTimeout(r, 60_000));"
    )
    interrupt_and_collect(k, msg_id, 0.5)
    assert k.value("const b0 = bg, t0 = ticks; await new Promise((r) => setTimeout(r, 300)); [bg - b0, ticks - t0]") == "[ 0, 0 ]"


@pytest.mark.parametrize("how", ["message", "signal", "manager"])
def test_interrupt_sync_loop(k, how):
    msg_id = k.submit(f"let spins_{how} = 0;\nwhile (true) {{ spins_{how}++; }}")
    assert interrupt_and_collect(k, msg_id, 0.7, how) < 0.7 + 1.5
    assert k.value("1 + 1") == "2"


def test_interrupt_sync_loop_after_an_await(k):
    msg_id = k.submit("await new Promise((r) => setTimeout(r, 10));\nlet spins = 0;\nwhile (true) { spins++; }")
    interrupt_and_collect(k, msg_id, 0.7)
    assert k.value("2 + 2") == "4"


def answer_input(k, value, password=None):
    msg = k.kc.get_stdin_msg(timeout=10)
    assert msg["msg_type"] == "input_request"
    if password is not None:
        assert msg["content"]["password"] is password
    k.kc.input(value)
    return msg["content"]["prompt"]


def test_stdin_prompt_and_input(k):
    msg_id = k.submit('const name = prompt("name? ");\n`hello ${name}`', allow_stdin=True)
    assert answer_input(k, "ada", password=False) == "name? "
    reply, msgs = k.collect(msg_id)
    assert of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "'hello ada'"

    msg_id = k.submit('const secret = await input("pin: ", { password: true });\nsecret.length', allow_stdin=True)
    answer_input(k, "1234", password=True)
    reply, msgs = k.collect(msg_id)
    assert of_type(msgs, "execute_result")[0]["content"]["data"]["text/plain"] == "4"


def test_stdin_not_allowed(k):
    reply, msgs = k.run('prompt("x? ")', allow_stdin=False)
    assert reply["content"]["status"] == "error"
    assert of_type(msgs, "error")[0]["content"]["ename"] == "StdinNotImplementedError"


def test_errors_abort_queued_cells_and_kernel_recovers(k):
    first = k.submit("await new Promise((r) => setTimeout(r, 200)); throw new Error('stop here')")
    second = k.submit("1")
    r1, _ = k.collect(first)
    r2, _ = k.collect(second)
    assert r1["content"]["status"] == "error"
    assert r2["content"]["status"] == "aborted"
    assert k.value("3 * 3") == "9"


@pytest.mark.parametrize("how", ["message", "signal"])
def test_interrupt_loop_without_checkpoints(k, how):
    # Code the kernel did not compile (library code, eval) has no checkpoints; a signal
    # breaks it while the cell's synchronous part runs.
    msg_id = k.submit('eval("let i = 0; while (true) { i++; }")')
    interrupt_and_collect(k, msg_id, 0.7, how)
    assert k.value("5 + 5") == "10"
    # Neither path leaves a stray interrupt behind for the next cell.
    assert k.value("await new Promise((r) => setTimeout(r, 200)); 6") == "6"


def test_names_of_an_interrupted_cell_stay_usable(k):
    msg_id = k.submit(
        "const losses: number[] = [];\n"
        "for (let step = 0; ; step++) { losses.push(1 / (step + 1)); await new Promise((r) => setTimeout(r, 5)); }"
    )
    interrupt_and_collect(k, msg_id, 0.5)
    assert k.value("losses.length > 5 && losses[0] === 1") == "true"


def test_interrupt_while_waiting_for_input(k):
    msg_id = k.submit('prompt("never answered: ")', allow_stdin=True)
    msg = k.kc.get_stdin_msg(timeout=10)
    assert msg["msg_type"] == "input_request"
    interrupt_and_collect(k, msg_id, 0.2)
    assert k.value("7 * 6") == "42"


def test_user_expressions_run_in_the_cells_scope_with_types(k):
    reply, _ = k.run(
        "const ueTensor = tensor([1, 2]);\nlet ueCount = 3;",
        user_expressions={
            "double": "ueCount * 2",
            "typed": "(ueCount as number) + 1",
            "tensor": "ueTensor",
            "thrown": '(() => { throw new RangeError("no such step"); })()',
            "mistyped": "(ueCount as string).length",
        },
    )
    assert reply["content"]["status"] == "ok"
    ue = reply["content"]["user_expressions"]
    assert ue["double"] == {"status": "ok", "data": {"text/plain": "6"}, "metadata": {}}
    assert ue["typed"]["data"]["text/plain"] == "4"
    assert "application/vnd.chainlab.tensor+json" in ue["tensor"]["data"]
    thrown = ue["thrown"]
    assert thrown["status"] == "error" and thrown["ename"] == "RangeError" and thrown["evalue"] == "no such step"
    assert isinstance(thrown["traceback"], list) and thrown["traceback"]
    assert ue["mistyped"]["status"] == "error" and ue["mistyped"]["ename"] == "CompileError"
    # Expressions are no cells: the next cell's count follows the one before.
    count = reply["content"]["execution_count"]
    assert k.reply(k.submit("1"))["content"]["execution_count"] == count + 1


def traceback_text(k, code):
    reply, msgs = k.run(code)
    assert reply["content"]["status"] == "error"
    return strip_ansi("\n".join(of_type(msgs, "error")[0]["content"]["traceback"]))


def assert_no_machinery(tb):
    # No absolute paths of this machine, no node internals, nothing of the kernel or tslab.
    assert not re.search(r"(^|[\s(])/\w", tb, re.M), tb
    assert "node:" not in tb and "kernel" not in tb and "tslab" not in tb and ".js" not in tb, tb


def test_traceback_shows_library_frames_by_module_name(k):
    tb = traceback_text(k, "const tbA = tensor([[1, 2]]);\nconst tbB = tbA.matmul(tensor([[1, 2]]));")
    assert "Cell In[" in tb and "line 2" in tb
    assert "at Tensor.matmul (chainlab/tensor)" in tb
    assert "at matmul (chainlab/ops/matmul)" in tb
    assert_no_machinery(tb)
    frames = [line.strip() for line in tb.splitlines() if re.match(r"^  (Cell |at |…)", line)]
    # Most recent call last: the cell's line comes before the library frames it called.
    assert frames[0].startswith("Cell In[") and frames[-1] == "at matmul (chainlab/ops/matmul)"


def test_traceback_folds_long_runs_of_library_frames(k):
    tb = traceback_text(
        k, "const tbModel = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));\ntbModel.forward(randn([1, 5]));"
    )
    assert re.search(r"^  … \d+ more frames in chainlab$", tb, re.M), tb
    assert_no_machinery(tb)


def test_traceback_of_cell_functions_and_callbacks(k):
    tb = traceback_text(k, "function tbInner() { throw new TypeError('deep'); }\nfunction tbOuter() { tbInner(); }\n[1].forEach(() => tbOuter());")
    assert re.search(r"line 3.*\n.*line 2, in tbOuter\n.*line 1, in tbInner", tb), tb
    assert_no_machinery(tb)


def inspect(k, code, cursor=None):
    msg_id = k.kc.inspect(code, len(code) if cursor is None else cursor)
    return k.reply(msg_id)["content"]


def test_inspect_shows_the_doc_comment(k):
    k.ok("/**\n * Adds one to a step count.\n * @param step the current step\n * @example bumped(1) // 2\n */\nfunction bumped(step: number) { return step + 1; }")
    reply = inspect(k, "bumped")
    assert reply["found"]
    plain, md = reply["data"]["text/plain"], reply["data"]["text/markdown"]
    assert plain.startswith("function bumped(step: number): number")
    assert "Adds one to a step count." in plain and "@param step the current step" in plain and "bumped(1) // 2" in plain
    assert md.startswith("```typescript\nfunction bumped(step: number): number\n```")
    assert "Adds one to a step count." in md and "`step` the current step" in md


def test_inspect_of_a_library_name_has_its_docs_and_no_alias_noise(k):
    data = inspect(k, "nn.Linear")["data"]
    assert data["text/plain"].startswith("class Linear")
    assert "export Linear" not in data["text/plain"] and "(alias)" not in data["text/plain"]
    assert "W^T" in data["text/plain"] and "W^T" in data["text/markdown"]
    sig = inspect(k, "tensor")["data"]["text/plain"].splitlines()[0]
    assert sig.startswith("function tensor(") and "import tensor" not in inspect(k, "tensor")["data"]["text/plain"]
