"""The TypeScript compiler runs on a thread of its own: the main isolate, where cells run,
stays small; a compiler thread that crashes or hangs in a compile costs that cell an error
and the kernel a fresh compiler, never the kernel. The compiler thread is reached from a
cell through the inspector (NodeWorker domain), which runs code on it as a crash would."""
import json
import time

import pytest

from kernel_client import Kernel, of_type, stream_text
from test_protocol import assert_interrupted, interrupt_after


@pytest.fixture()
def k():
    kernel = Kernel()
    yield kernel
    kernel.close()


def on_compiler_thread(k, expression: str):
    """Evaluates `expression` on the compiler thread (from a cell, through the inspector)."""
    code = (
        'const inspector = require("node:inspector");\n'
        "const session = new inspector.Session();\n"
        "session.connect();\n"
        "const evaluated = new Promise((resolve) => {\n"
        '  session.on("NodeWorker.receivedMessageFromWorker", ({ params }) => {\n'
        "    const m = JSON.parse(params.message);\n"
        "    if (m.id === 1) resolve(JSON.stringify(m.result ?? m.error));\n"
        "  });\n"
        '  session.on("NodeWorker.attachedToWorker", ({ params }) => {\n'
        '    if (!params.workerInfo.url.includes("compiler/thread")) return;\n'
        '    session.post("NodeWorker.sendMessageToWorker", { sessionId: params.sessionId, message: JSON.stringify({\n'
        f'      id: 1, method: "Runtime.evaluate", params: {{ expression: {json.dumps(expression)} }} }}) }});\n'
        "  });\n"
        "});\n"
        'session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });\n'
        "const answer = await evaluated;\n"
        "session.disconnect();\n"
        "console.log(answer);"
    )
    return json.loads(stream_text(k.ok(code)))


def test_the_compiler_is_not_in_the_main_isolate(k):
    assert k.value("tensor([1, 2]).mul(3).toArray()") == "[ 3, 6 ]"
    # Types still come from the library, so the compiler has it loaded (elsewhere).
    reply, msgs = k.run("const n: number = tensor([1]);")
    assert "not assignable to type 'number'" in of_type(msgs, "error")[0]["content"]["evalue"]
    used = int(k.value('Math.round(require("node:v8").getHeapStatistics().used_heap_size / 2 ** 20)'))
    assert used < 40, f"{used} MB in the main isolate"
    assert k.value('Object.keys(require.cache).filter((f) => /typescript/.test(f)).length') == "0"
    # The compiler's thread holds the rest.
    compiler = on_compiler_thread(k, "Math.round(process.memoryUsage().heapUsed / 2 ** 20)")["result"]["value"]
    assert compiler > 2 * used, f"compiler thread {compiler} MB, main {used} MB"


def test_a_crashed_compiler_fails_its_cell_and_the_next_cell_gets_a_fresh_one(k):
    k.ok("const before = 41;")
    # The next compile ends the thread midway, as an out-of-memory compiler would.
    on_compiler_thread(k, "String.prototype.split = function () { process.exit(9); }")
    started = time.time()
    reply, msgs = k.run("before + 1")
    assert reply["content"]["status"] == "error"
    error = of_type(msgs, "error")[0]["content"]
    assert error["ename"] == "CompilerCrash" and "run the cell again" in error["evalue"], error
    assert time.time() - started < 5
    # Earlier cells' names are still there, with their types.
    assert k.value("before + 1") == "42"
    reply, msgs = k.run("const s: string = before;")
    assert "not assignable to type 'string'" in of_type(msgs, "error")[0]["content"]["evalue"]


@pytest.mark.parametrize("how", ["message", "signal"])
def test_interrupt_during_a_compile_that_never_ends(k, how):
    k.ok("const kept = 7;")
    on_compiler_thread(k, "String.prototype.split = function () { for (;;); }")
    msg_id = k.submit("kept * 6")
    started = time.time()
    t = interrupt_after(k, msg_id, 1.0, how)
    reply, msgs = k.collect(msg_id, timeout=20)
    t.join()
    assert_interrupted(reply, msgs)
    assert time.time() - started < 1.0 + 1.5
    # A fresh compiler takes the next cell; the interrupt does not hit it.
    assert k.value("kept * 6") == "42"
    assert k.value("kept + 1") == "8"


def test_the_notebooks_own_modules_compile_and_follow_edits(tmp_path):
    (tmp_path / "helper.ts").write_text("export const twice = (x: number): number => 2 * x;\n")
    kernel = Kernel(cwd=str(tmp_path))
    try:
        assert kernel.value('import { twice } from "./helper";\ntwice(21)') == "42"
        reply, msgs = kernel.run('twice("21")')
        assert "not assignable to parameter of type 'number'" in of_type(msgs, "error")[0]["content"]["evalue"]
        # The compiler thread watches the notebook's own files and rebuilds them between cells.
        (tmp_path / "helper.ts").write_text("export const twice = (x: number): number => 3 * x;\n")
        deadline = time.time() + 15
        value = None
        while time.time() < deadline and value != "63":
            time.sleep(0.5)
            value = kernel.value('import { twice as again } from "./helper";\nagain(21)')
        assert value == "63"
    finally:
        kernel.close()
