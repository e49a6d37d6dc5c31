"""The kernel's modules as a library: loading one runs nothing (no sockets, no globals, no
process hooks, no messages from a thread); only the two entry points start anything."""
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "kernel" / "dist"
ENTRY_POINTS = {"cli.js", "channels-thread.js", "compiler-thread.js"}

PROBE = r"""
const { Worker } = require("node:worker_threads");
const modules = JSON.parse(process.argv[1]);
const snapshot = () => ({
  globals: Reflect.ownKeys(globalThis).map(String).sort(),
  events: process.eventNames().map(String).sort(),
  stdout: process.stdout.write,
  stderr: process.stderr.write,
  timeout: globalThis.setTimeout,
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


def test_loading_modules_runs_nothing():
    modules = sorted(str(p) for p in DIST.glob("*.js") if p.name not in ENTRY_POINTS)
    assert any(m.endswith("channels.js") for m in modules)
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
    for src in (ROOT / "kernel" / "src").glob("*.ts"):
        for name in names:
            if re.search(rf"^\s*(export\s+)?(interface|type)\s+{name}\b", src.read_text(), re.M):
                copies.append(f"{src.name}: {name}")
    assert copies == []
    uses = "".join(src.read_text() for src in (ROOT / "kernel" / "src").glob("*.ts"))
    assert re.search(r'import type \{[^}]*NotebookSink[^}]*\} from "chainlab"', uses)


SRC = ROOT / "kernel" / "src"


def test_kernel_files_are_short():
    long = {p.name: n for p in SRC.glob("*.ts") if (n := len(p.read_text().splitlines())) > 250}
    assert long == {}


def test_every_export_is_used_by_another_module():
    sources = {p.name: p.read_text() for p in SRC.glob("*.ts")}
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
