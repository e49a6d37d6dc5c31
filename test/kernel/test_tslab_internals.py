"""The kernel builds on three of tslab's internals (kernel/src/compiler/converter.ts and
main/process-hooks.ts): its converter module, compiled again with our TypeScript host; the
TypeScript it requires by name; and the display hook its public API calls through its Jupyter
module's exports. tslab is pinned exactly; this test fails, naming what moved, the day an
upgrade changes any of them."""
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "kernel"

PROBE = r"""
const { createRequire } = require("node:module");
const fs = require("node:fs");
const req = createRequire(require.resolve("tslab/package.json", { paths: [process.argv[1]] }));
const out = { version: req("./package.json").version };
const converterFile = req.resolve("./dist/converter.js");
const converter = req(converterFile);
out.createConverter = typeof converter.createConverter;
out.isCompleteCode = typeof converter.isCompleteCode;
out.requiresTs = fs.readFileSync(converterFile, "utf8").includes('require("@tslab/typescript-for-tslab")');
const jupyter = req("./dist/jupyter");
out.hookOwn = Object.prototype.hasOwnProperty.call(jupyter, "lastWriteDisplayData");
out.hookWritable = Object.getOwnPropertyDescriptor(jupyter, "lastWriteDisplayData")?.writable === true;
// the public display API must read the hook off the module at call time, so our assignment takes effect
out.publicReadsHook = /jupyter_1\.lastWriteDisplayData|jupyter\.lastWriteDisplayData/.test(fs.readFileSync(req.resolve("./dist/public.js"), "utf8"));
console.log(JSON.stringify(out));
"""


def test_tslab_is_pinned_and_its_internals_are_where_the_kernel_patches_them():
    pinned = json.loads((KERNEL / "package.json").read_text())["dependencies"]["tslab"]
    assert pinned[0].isdigit(), f"kernel/package.json must pin tslab exactly (it patches its internals), not {pinned!r}"
    found = json.loads(subprocess.run(["node", "-e", PROBE, str(KERNEL)], capture_output=True, text=True, check=True).stdout)
    assert found["version"] == pinned, f"tslab {found['version']} is installed, the kernel is written against {pinned}"
    assert found["createConverter"] == "function" and found["isCompleteCode"] == "function", f"tslab/dist/converter.js changed its exports: {found}"
    assert found["requiresTs"], "tslab/dist/converter.js no longer requires @tslab/typescript-for-tslab by name (compiler/converter.ts swaps that module)"
    assert found["hookOwn"] and found["hookWritable"], "tslab/dist/jupyter no longer has a writable lastWriteDisplayData (main/process-hooks.ts sets it)"
    assert found["publicReadsHook"], "tslab's public display API no longer calls jupyter.lastWriteDisplayData at call time"
