"""The kernel's modules as a library: loading one runs nothing (no sockets, no globals, no
process hooks, no messages from a thread, no TypeScript loaded); only the entry points start
anything. Its folders are its threads: main/, channels/ and compiler/ each import only
themselves and shared/."""
import json
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "kernel" / "src"
DIST = ROOT / "kernel" / "dist"
# Only these start anything: the command, and the two threads the kernel starts.
ENTRY_POINTS = {"cli.js", "channels/thread.js", "compiler/thread.js"}

PROBE = r"""
const { Worker } = require("node:worker_threads");
// what gets compiled as a module or a script (the kernel loads TypeScript through vm.Script)
const vm = require("node:vm");
const Module = require("node:module");
const compiled = [];
const NativeScript = vm.Script;
vm.Script = class extends NativeScript {
  constructor(code, options) {
    super(code, options);
    compiled.push(String(options?.filename ?? options ?? ""));
  }
};
const nativeCompile = Module.prototype._compile;
Module.prototype._compile = function (code, file) {
  compiled.push(file);
  return nativeCompile.call(this, code, file);
};
const modules = JSON.parse(process.argv[1]);
const snapshot = () => ({
  globals: Reflect.ownKeys(globalThis).map(String).sort(),
  events: process.eventNames().map(String).sort(),
  stdout: process.stdout.write,
  stderr: process.stderr.write,
  timeout: globalThis.setTimeout,
  // TypeScript is the compiler thread's, loaded when it first converts (compiler/typescript.ts)
  typescript: compiled.filter((f) => /[\\/]node_modules[\\/](@tslab[\\/])?typescript/.test(f)),
});
const before = snapshot();
for (const m of modules) require(m);
const after = snapshot();
const changed = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) || before[k] !== after[k] && typeof before[k] === "function");
const posted = [];
const worker = new Worker(`for (const m of ${JSON.stringify(modules)}) require(m);`, { eval: true, workerData: {} });
worker.on("message", (m) => posted.push(m));
worker.on("error", (e) => posted.push({ error: String(e) }));
worker.on("exit", (code) => {
  process.stdout.write(JSON.stringify({ changed, posted, code }));
});
"""


def built_modules() -> list[Path]:
    """The built file of every source file (a stale file of an older layout is left out)."""
    return [DIST / p.relative_to(SRC).with_suffix(".js") for p in sorted(SRC.rglob("*.ts")) if not p.name.endswith(".d.ts")]


def test_loading_modules_runs_nothing():
    modules = [str(p) for p in built_modules() if p.relative_to(DIST).as_posix() not in ENTRY_POINTS]
    assert all(Path(m).exists() for m in modules), "kernel/dist is not built from the current sources"
    assert any(m.endswith("channels/serve.js") for m in modules) and any(m.endswith("compiler/converter.js") for m in modules)
    # The process ends by itself: nothing opened a socket, a timer or a thread that stays.
    out = subprocess.run(["node", "-e", PROBE, json.dumps(modules)], capture_output=True, text=True, timeout=60, cwd=DIST)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result == {"changed": [], "posted": [], "code": 0}
    assert out.stderr == ""


def library_type_names() -> set[str]:
    """Type names the library's notebook module exports for hosts (NotebookSink, ...)."""
    index = (ROOT / "lib" / "src" / "notebook" / "index.ts").read_text()
    names = set()
    for group in re.findall(r"export type \{([^}]*)\}", index):
        names.update(n.strip().split(" as ")[-1] for n in group.split(",") if n.strip())
    return names


def test_kernel_uses_the_library_types_instead_of_copies():
    names = library_type_names()
    assert {"NotebookSink", "CommChannel", "CommMessage", "MimeBundle"} <= names
    copies = []
    for src in SRC.rglob("*.ts"):
        for name in names:
            if re.search(rf"^\s*(export\s+)?(interface|type)\s+{name}\b", src.read_text(), re.M):
                copies.append(f"{src.relative_to(SRC)}: {name}")
    assert copies == []
    uses = "".join(src.read_text() for src in SRC.rglob("*.ts"))
    assert re.search(r'import type \{[^}]*NotebookSink[^}]*\} from "chainlab"', uses)


def test_kernel_files_are_short():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.ts") if (n := len(p.read_text().splitlines())) > 250}
    assert long == {}


def test_every_export_is_used_by_another_module():
    sources = {str(p.relative_to(SRC)): p.read_text() for p in SRC.rglob("*.ts")}
    unused = []
    for name, text in sources.items():
        if name == "index.ts":
            continue
        for export in re.findall(r"^export (?:async )?(?:function|class|const|interface|type|let) (\w+)", text, re.M):
            others = "".join(t for n, t in sources.items() if n != name)
            if not re.search(rf"\b{export}\b", others):
                unused.append(f"{name}: {export}")
    assert unused == []


def test_kernel_cli_is_the_packages_bin(tmp_path):
    package = json.loads((ROOT / "kernel" / "package.json").read_text())
    cli = ROOT / "kernel" / package["bin"]["chainlab-kernel"]
    assert cli.read_text().startswith("#!/usr/bin/env node\n")
    usage = subprocess.run(["node", str(cli)], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 2 and "chainlab-kernel install" in usage.stderr
    done = subprocess.run(["node", str(cli), "install", "--prefix", str(tmp_path), "--name", "cl-bin"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / "cl-bin" / "kernel.json").read_text())
    # node, its V8 flags, the CLI, then the command.
    at = spec["argv"].index(str(cli))
    assert all(a.startswith("--") for a in spec["argv"][1:at]) and spec["argv"][at + 1 : at + 3] == ["kernel", "--connection-file"]


THREADS = ("main", "channels", "compiler")


def runtime_imports(text: str) -> list[str]:
    """Relative modules a file imports at run time (type-only imports are erased)."""
    found = re.findall(r'^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+"(\.[^"]+)"', text, re.M | re.S)
    found += [("", m) for m in re.findall(r'require\("(\.[^"]+)"\)', text)]
    return [spec for names, spec in found if not re.fullmatch(r"\{(\s*type\s+[\w$]+\s*,?)*\}", names.strip())]


def crossings(sources: dict[str, str]) -> list[str]:
    """Imports from one thread's folder into another's (or from shared/ into any)."""
    out = []
    for name, text in sources.items():
        here = Path(name).parts[0] if len(Path(name).parts) > 1 else None
        if here not in THREADS + ("shared",):
            continue
        for spec in runtime_imports(text):
            target = Path(os.path.normpath(Path(name).parent / spec)).parts[0]
            if target != here and target != "shared":
                out.append(f"{name} -> {spec}")
    return out


def test_each_thread_imports_only_its_folder_and_shared():
    sources = {str(p.relative_to(SRC)): p.read_text() for p in SRC.rglob("*.ts")}
    assert {d for d in THREADS if (SRC / d).is_dir()} == set(THREADS)
    assert crossings(sources) == []


def test_crossings_are_found():
    assert crossings({"main/a.ts": 'import { b } from "../compiler/b";\nimport type { C } from "../channels/c";'}) == ["main/a.ts -> ../compiler/b"]
    assert crossings({"shared/a.ts": 'const m = require("../main/m");'}) == ["shared/a.ts -> ../main/m"]
    assert crossings({"channels/a.ts": 'import { type X } from "../main/x";\nimport { y } from "../shared/y";'}) == []
