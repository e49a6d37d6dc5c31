"""Generated hostile cells (seeded): built-ins replaced, process exits, huge outputs, throws
of things that are not errors, display loops under a time budget, unhandled rejections,
results whose display hooks misbehave. After each, the kernel must answer the next cell."""
import json
import random

import pytest

from kernel_client import Kernel

SEED = 24
CASES = 60

SAVE = (
    "(globalThis as any).__saved = { stringify: JSON.stringify, parse: JSON.parse, iso: Date.prototype.toISOString,"
    " from: Buffer.from, now: Date.now, push: Array.prototype.push, map: Array.prototype.map, join: Array.prototype.join,"
    " then: Promise.prototype.then, Promise, setTimeout: globalThis.setTimeout, log: console.log };"
)
RESTORE = (
    "{ const s = (globalThis as any).__saved; JSON.stringify = s.stringify; JSON.parse = s.parse;"
    " Date.prototype.toISOString = s.iso; (Buffer as any).from = s.from; Date.now = s.now;"
    " Array.prototype.push = s.push; Array.prototype.map = s.map; Array.prototype.join = s.join;"
    " Promise.prototype.then = s.then; (globalThis as any).Promise = s.Promise;"
    " (globalThis as any).setTimeout = s.setTimeout; console.log = s.log; }"
)

TARGETS = [
    "JSON.stringify", "JSON.parse", "Date.prototype.toISOString", "(Buffer as any).from", "Date.now",
    "Array.prototype.push", "Array.prototype.map", "Array.prototype.join", "(Promise.prototype as any).then",
    "(globalThis as any).Promise", "(globalThis as any).setTimeout", "console.log",
]
REPLACEMENTS = [
    "(() => { throw new Error('replaced'); }) as any",
    "undefined as any",
    "((..._a: any[]) => 42) as any",
    "(function* () {}) as any",
]
THROWN = [
    "42", "null", "undefined", "'a string'", "Symbol('s')", "123n", "{ toString() { throw new Error('no'); } }",
    "Object.create(null)", "new Proxy({}, { get() { throw new Error('trap'); } })",
    "Object.assign(new Error('x'), { name: undefined, stack: 42 })",
    "(() => { const e = new Error('m'); Object.defineProperty(e, 'message', { get() { throw new Error('getter'); } }); return e; })()",
]


def hostile(rng: random.Random) -> str:
    kind = rng.choice(["builtin", "exit", "output", "throw", "loop", "rejection", "result", "timer"])
    if kind == "builtin":
        return f"{rng.choice(TARGETS)} = {rng.choice(REPLACEMENTS)};\nconsole.log('x'); display('y');"
    if kind == "exit":
        call = rng.choice(["process.exit", "process.abort", "(process as any).reallyExit"])
        return f"console.log('bye'); {call}({rng.randint(0, 255)});"
    if kind == "output":
        n = rng.choice([1, 1000, 3000])
        what = rng.choice(["console.log('#'.repeat({size}))", "display('#'.repeat({size}))", "process.stderr.write('#'.repeat({size}))"])
        size = rng.choice([10, 10_000, 2_000_000 // n])
        return f"for (let i = 0; i < {n}; i++) {what.format(size=size)};"
    if kind == "throw":
        thrown = rng.choice(THROWN)
        return f"throw {thrown};" if rng.random() < 0.5 else f"await null; throw {thrown};"
    if kind == "loop":
        # An endless display loop that stops itself after a budget of time.
        ms = rng.choice([200, 500])
        pause = rng.choice(["", "if (i % 100 === 0) await null;"])
        return f"const t0 = performance.now(); for (let i = 0; performance.now() - t0 < {ms}; i++) {{ display(`loop ${{i}}`); {pause} }}"
    if kind == "rejection":
        return f"Promise.reject({rng.choice(THROWN)}); queueMicrotask(() => {{ throw {rng.choice(THROWN)}; }}); 1"
    if kind == "timer":
        return f"setTimeout(() => {{ throw {rng.choice(THROWN)}; }}, 0); setInterval(() => {{}}, 1e9); await new Promise((r) => setTimeout(r, 20));"
    # a result whose display hook misbehaves, or a value that is hard to print
    return rng.choice([
        "({ [Symbol.for('Jupyter.display')]() { throw new Error('hook'); } })",
        "({ [Symbol.for('Jupyter.display')]() { return 42; } })",
        "({ [Symbol.for('Jupyter.display')]() { return { 'text/plain': 10n }; } })",
        "(() => { const a: any = {}; a.self = a; return a; })()",
        "new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); } })",
        "2n ** 4000n",
    ])


@pytest.fixture(scope="module")
def k():
    kernel = Kernel()
    kernel.ok(SAVE)
    yield kernel
    kernel.close()


def test_generated_hostile_cells_leave_the_kernel_answering(k):
    rng = random.Random(SEED)
    for i in range(CASES):
        code = hostile(rng)
        try:
            reply, _ = k.run(code, timeout=60)
            assert reply["content"]["status"] in ("ok", "error")
            # the kernel answers the next cell, even before anything is put back
            reply, _ = k.run("1 + 1", timeout=30)
            assert reply["content"]["status"] in ("ok", "error")
            reply, _ = k.run(RESTORE, timeout=30)
            assert reply["content"]["status"] == "ok", reply["content"]
            assert k.value("1 + 1") == "2"
        except Exception as e:
            raise AssertionError(f"case {i} (seed {SEED}): {json.dumps(code)}") from e
