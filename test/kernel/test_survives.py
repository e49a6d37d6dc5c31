"""A kernel that survives its cells: process.exit is refused with an error in the cell (its
output delivered), and a cell that replaces built-ins the kernel's machinery relies on
breaks only itself: the kernel replies, goes idle and runs later cells."""
import pytest

from kernel_client import Kernel, of_type, stream_text


@pytest.fixture(scope="module")
def k():
    kernel = Kernel()
    yield kernel
    kernel.close()


def error_of(msgs):
    errors = of_type(msgs, "error")
    return errors[-1]["content"] if errors else None


def assert_alive(k):
    assert k.value("1 + 1") == "2"
    msgs = k.ok('display("still here")')
    assert [m["content"]["data"]["text/plain"] for m in of_type(msgs, "display_data")] == ["still here"]


@pytest.mark.parametrize("call", ["process.exit(3)", "process.exit()", "process.abort()", "(process as any).reallyExit(1)"])
def test_process_exit_in_a_cell_is_an_error_and_its_output_arrives(k, call):
    reply, msgs = k.run(f"console.log('bye'); {call}; console.log('not reached')", timeout=30)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ProcessExitRefused"
    assert "refused in a notebook" in reply["content"]["evalue"]
    assert "restart the kernel" in reply["content"]["evalue"]
    assert stream_text(msgs) == "bye\n"
    assert_alive(k)


def test_process_exit_in_a_timer_is_reported_and_the_kernel_goes_on(k):
    k.ok("setTimeout(() => process.exit(4), 10); await new Promise((r) => setTimeout(r, 100));")
    assert_alive(k)


BUILTINS = {
    "JSON.stringify": "JSON.stringify = () => { throw new Error('stringify is gone'); };",
    "JSON.parse": "JSON.parse = () => { throw new Error('parse is gone'); };",
    "Date.prototype.toISOString": "Date.prototype.toISOString = () => { throw new Error('no dates'); };",
    "Buffer.from": "(Buffer as any).from = () => { throw new Error('no buffers'); };",
    "Buffer.byteLength": "(Buffer as any).byteLength = () => -1;",
    "Date.now": "Date.now = () => NaN;",
    "Array.prototype.push": "Array.prototype.push = function () { throw new Error('no push'); };",
    "Array.prototype.slice": "Array.prototype.slice = function () { return []; };",
    "Array.prototype[Symbol.iterator]": "(Array.prototype as any)[Symbol.iterator] = function* () {};",
    "Promise.prototype.then": "Promise.prototype.then = function () { throw new Error('no then'); } as any;",
    "Promise": "(globalThis as any).Promise = function () { throw new Error('no promises'); };",
    "setTimeout": "(globalThis as any).setTimeout = () => { throw new Error('no timers'); };",
}


@pytest.mark.parametrize("name", list(BUILTINS))
def test_a_cell_that_replaces_a_builtin_breaks_only_itself(k, name):
    k.ok("(globalThis as any).__saved = [JSON.stringify, JSON.parse, Date.prototype.toISOString, Buffer.from, "
         "Buffer.byteLength, Date.now, Array.prototype.push, Array.prototype.slice, Array.prototype[Symbol.iterator], "
         "Promise.prototype.then, Promise, globalThis.setTimeout];")
    # The cell that breaks the built-in gets a reply and the kernel goes idle...
    # (type-checking an assignment to Promise's members takes the compiler some 20 s)
    reply, _ = k.run(BUILTINS[name] + "\nconsole.log('replaced');", timeout=120)
    assert reply["content"]["status"] in ("ok", "error")
    # ...and answers the cell after it, even before the built-in is put back.
    reply, _ = k.run("1 + 1", timeout=30)
    assert reply["content"]["status"] in ("ok", "error")
    reply, msgs = k.run(
        "{ const s = (globalThis as any).__saved;\n"
        "  Object.defineProperty(Array.prototype, Symbol.iterator, { value: s[8], writable: true, configurable: true });\n"
        "  JSON.stringify = s[0]; JSON.parse = s[1]; Date.prototype.toISOString = s[2]; (Buffer as any).from = s[3];\n"
        "  (Buffer as any).byteLength = s[4]; Date.now = s[5]; Array.prototype.push = s[6]; Array.prototype.slice = s[7];\n"
        "  Promise.prototype.then = s[9]; (globalThis as any).Promise = s[10]; (globalThis as any).setTimeout = s[11]; }",
        timeout=30,
    )
    assert reply["content"]["status"] == "ok", error_of(msgs)
    assert_alive(k)
