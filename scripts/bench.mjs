// `npm run bench`: chainlab's backends against peers measured in the same run, as ratios.
//
//   node scripts/bench.mjs [--parts matmul,mlp,gpt,kernel-step,time-to-loss,gpt2,render] [--impls a,b,...] [--rounds 2] [--quick]
//   node scripts/bench.mjs gpt2          (parts may also be named without --parts)
//
// Every implementation runs in its own process, one at a time (a BLAS or worker pool left
// spinning in a shared process would slow its neighbour). The whole list runs `rounds`
// times and each cell keeps its best median, which damps noise from other load on the
// machine; `time-to-loss` (a whole training run) and `gpt2` run in the first round only. Results: a table on stdout and JSON in bench/results/. The `render` part is the
// extension in a real JupyterLab and Chromium (bench/render.bench.ts, run once by vitest);
// it prints its own tables and writes bench/results/render-latest.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[i + 1] : true;
};
const quick = !!opt("quick", false);
const rounds = Number(opt("rounds", quick ? 1 : 2));
// parts named on their own (`npm run bench -- gpt2`) or with --parts
const named = argv.filter((a, i) => !a.startsWith("--") && !["--parts", "--impls", "--rounds"].includes(argv[i - 1]));
const parts = (named.length ? named.join(",") : String(opt("parts", "matmul,mlp,gpt,kernel-step,time-to-loss,gpt2,render"))).split(",");

// Build the library (TypeScript, WebAssembly) if it has not been built yet
if (!existsSync(join(root, "lib", "dist", "index.js")) || !existsSync(join(root, "lib", "wasm", "chainlab.wasm"))) {
  console.log("building lib ...");
  const r = spawnSync("npm", ["run", "build", "-w", "lib"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(1);
}

function probeBackends() {
  const code = `const b=require("./lib/dist/backend");const r=[];let g="";for(const n of ["blas","wasm","js"]){try{b.setBackend(n);r.push(n);if(n==="blas")g=b.kernels().info().gemm}catch{}}console.log(r.join(",")+" "+g)`;
  const r = spawnSync(process.execPath, ["-e", code], { cwd: root, encoding: "utf8" });
  const [list, gemm] = r.status === 0 ? r.stdout.trim().split(" ") : ["js", ""];
  return { names: list.split(",").filter(Boolean), gemm };
}

/** A Python with PyTorch: $PYTHON, Debian's /usr/bin/python3, then python3 on PATH. */
function findTorch() {
  for (const py of [process.env.PYTHON, "/usr/bin/python3", "python3", "python"].filter(Boolean)) {
    const r = spawnSync(py, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
  }
  return null;
}

/**
 * PyTorch 2 from PyPI (its CPU kernels: MKL and oneDNN), the PyTorch a user installs today:
 * $TORCH2_PYTHON, else tmp/torch2-venv (made with "python3 -m venv tmp/torch2-venv &&
 * tmp/torch2-venv/bin/pip install torch", about 5 GB with its CUDA libraries). Left out
 * when neither imports a torch 2.x.
 */
function findTorch2() {
  for (const py of [process.env.TORCH2_PYTHON, join(root, "tmp", "torch2-venv", "bin", "python")].filter(Boolean)) {
    if (!existsSync(py) && py.includes("/")) continue;
    const r = spawnSync(py, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (r.status === 0 && !/^1\./.test(r.stdout.trim())) return { python: py, version: r.stdout.trim() };
  }
  return null;
}

/** A Python with JAX and optax: $JAX_PYTHON, the project's .venv, then the Pythons tried for PyTorch. */
function findJax() {
  const venv = join(root, ".venv", "bin", "python");
  for (const py of [process.env.JAX_PYTHON, existsSync(venv) ? venv : null, process.env.PYTHON, "/usr/bin/python3", "python3"].filter(Boolean)) {
    const r = spawnSync(py, ["-c", "import jax, optax; print(jax.__version__)"], { encoding: "utf8" });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
  }
  return null;
}

/**
 * The PyTorch peers of the GPT-2 part, each a Python that imports torch and transformers:
 * Debian's torch 1.13 (CHAINLAB_TORCH_PYTHON, the venv scripts/gpt2-references.py describes,
 * or /usr/bin/python3) and PyTorch 2 from PyPI ($TORCH2_PYTHON or tmp/torch2-venv), as the other parts'.
 */
function findGpt2Peers() {
  const check = "import torch, transformers; print(torch.__version__, transformers.__version__)";
  const found = [];
  for (const [impl, candidates] of [
    ["torch", [process.env.CHAINLAB_TORCH_PYTHON, join(root, "tmp", "gpt2-venv", "bin", "python"), "/usr/bin/python3"]],
    ["torch2", [process.env.TORCH2_PYTHON, join(root, "tmp", "torch2-venv", "bin", "python")]],
  ]) {
    const hit = candidates.filter(Boolean).map((py) => [py, spawnSync(py, ["-c", check], { encoding: "utf8" })]).find(([, r]) => r.status === 0);
    if (hit) found.push({ impl, python: hit[0], version: hit[1].stdout.trim() });
    else console.log(`gpt2: no ${impl === "torch" ? "Debian torch 1.13" : "PyTorch 2"} with transformers (tried ${candidates.filter(Boolean).join(", ")}): left out`);
  }
  return found;
}
const GPT2_MEASURES = ["step", "step-checkpointed", "lora", "generate"];

const probe = probeBackends();
const backends = probe.names;
const torch = findTorch();
const torch2 = findTorch2();
const jax = findJax();
const gpt2Peers = parts.includes("gpt2") ? findGpt2Peers() : [];
const ours = backends.map((b) => `chainlab-${b}`);
const pythons = [...(torch ? ["torch"] : []), ...(torch2 ? ["torch2"] : []), ...(jax ? ["jax"] : [])];
const peers = ["tfjs-cpu", "tfjs-wasm"];
const defaultImpls = {
  matmul: [...ours, ...peers, ...pythons],
  mlp: [...ours, ...peers, ...pythons],
  gpt: [...ours.filter((i) => i !== "chainlab-js" || quick === false), ...pythons],
  // a whole training run each: the fastest backend here against the Python peers
  "time-to-loss": [ours[0], ...pythons],
  // the same GPT step in a plain node process and in the notebook kernel, watched by a Monitor
  "kernel-step": ["plain", "kernel"],
  // GPT-2 small: the fastest backend here, its tokenizer's npm peer, PyTorch + transformers
  gpt2: [ours[0], "gpt-3-encoder", ...gpt2Peers.map((p) => p.impl)],
};
const only = opt("impls", null);

const load = os.loadavg()[0];
console.log(`chainlab benchmarks: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, Node ${process.version}, ` +
  `backends ${backends.join("/")}${probe.gemm ? ` (blas GEMM: ${probe.gemm})` : ""}, torch ${torch ? `${torch.version} (${torch.python})` : "not found"}, ` +
  `torch2 ${torch2 ? `${torch2.version} (${torch2.python})` : "not found (see findTorch2 in scripts/bench.mjs)"}, ` +
  `jax ${jax ? `${jax.version} (${jax.python})` : "not found (pip install jax optax into .venv to add it)"}, load ${load.toFixed(2)}`);
if (load > 0.7) console.log(`note: the machine is busy (1-minute load ${load.toFixed(2)}); numbers will be low and noisy`);

/** Moby Dick as the library loads it, in a file for the Python peers' time-to-loss runs. */
function corpusFile() {
  const file = join(root, "bench", "results", "moby-dick.txt");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const code = `require("fs").writeFileSync(${JSON.stringify(file)}, require("./lib/dist").data.loadMobyDick())`;
    spawnSync(process.execPath, ["-e", code], { cwd: root, stdio: "inherit" });
  }
  return file;
}

/** Thread counts for a Python peer: the one that won its GPT step when that ran, else 1 and all cores. */
function threadsFor(part, impl) {
  const won = part === "time-to-loss" ? get("gpt", impl)?.threads : undefined;
  return String(won ?? [...new Set([1, os.cpus().length])].join(","));
}

/**
 * OpenBLAS kernels for PyTorch to try: its own choice, and where the CPU has AVX-512 the
 * AVX-512 ones too (OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs newer than it, and
 * to AVX2 ones on AMD's). Unless OPENBLAS_CORETYPE is set: then that alone.
 */
function torchCoreTypes() {
  if (process.env.OPENBLAS_CORETYPE) return [process.env.OPENBLAS_CORETYPE];
  let flags = new Set();
  try {
    flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1].trim().split(/\s+/) ?? []);
  } catch { /* not Linux */ }
  const avx512 = ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"].every((f) => flags.has(f));
  return [null, ...(avx512 ? [flags.has("avx512_bf16") ? "COOPERLAKE" : "SKYLAKEX"] : [])];
}
const ownChoice = "OpenBLAS's own choice";

/**
 * Measurements a Python peer takes of each matrix product in a round: one per thread count
 * and OpenBLAS kernel set it tries, keeping the fastest. The fast JavaScript implementations
 * (ours and tfjs-wasm) get as many, each in a fresh process, so that no side's ratio comes
 * from drawing more samples of the machine's noise; the slow references (chainlab-js,
 * tfjs-cpu) take one.
 */
function samplesFor(part, impl) {
  if (part !== "matmul" || pythons.includes(impl) || ["chainlab-js", "tfjs-cpu"].includes(impl)) return 1;
  const counts = pythons.map((p) => threadsFor(part, p).split(",").length * (p === "torch" ? torchCoreTypes().length : 1));
  return Math.max(1, ...counts);
}

function runOne(part, impl) {
  const python = { torch, torch2, jax }[impl];
  const extra = [...(quick ? ["--quick"] : []), ...(python && part === "time-to-loss" ? ["--text", corpusFile()] : [])];
  const [cmd, args] = python
    ? [python.python, [join(root, "bench", `${impl === "torch2" ? "torch" : impl}_bench.py`), "--part", part, "--threads", threadsFor(part, impl),
      ...(impl === "torch2" ? ["--impl", "torch2"] : []), ...extra]]
    : [process.execPath, [join(root, "bench", `${part}.mjs`), "--impl", impl, ...extra]];
  // PyTorch at its best: each OpenBLAS core type (the GPT step's winner for a whole run)
  const won = part === "time-to-loss" ? get("gpt", impl)?.openblasCore : undefined;
  const cores = impl !== "torch" ? [undefined] : won ? [won === ownChoice ? null : won] : torchCoreTypes();
  const results = [];
  for (const core of cores) {
    const env = core ? { ...process.env, OPENBLAS_CORETYPE: core } : process.env;
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 30 * 60 * 1000, env });
    for (const l of (r.stdout || "").split("\n")) {
      if (!l.startsWith("RESULT ")) continue;
      const res = JSON.parse(l.slice(7));
      if (core !== undefined) res.openblasCore = core ?? ownChoice;
      results.push(res);
    }
    if (r.status !== 0) {
      const why = (r.stderr || String(r.error || "")).trim().split("\n").slice(-3).join(" | ");
      console.log(`  ${part}/${impl}${core ? ` (OPENBLAS_CORETYPE=${core})` : ""} failed: ${why}`);
    }
  }
  return results;
}

/** One GPT-2 implementation: each measurement in a process of its own (bench/gpt2.mjs, bench/gpt2_torch.py). */
function runGpt2(impl) {
  const peer = gpt2Peers.find((p) => p.impl === impl);
  const measures = impl === "gpt-3-encoder" ? ["tokenizer"] : peer ? GPT2_MEASURES : [...GPT2_MEASURES, "tokenizer"];
  const results = [];
  for (const measure of measures) {
    const [cmd, args] = peer
      ? [peer.python, [join(root, "bench", "gpt2_torch.py"), "--measure", measure, "--impl", impl, "--threads", [...new Set([1, os.cpus().length])].join(","), ...(quick ? ["--quick"] : [])]]
      : [process.execPath, [join(root, "bench", "gpt2.mjs"), "--impl", impl, "--measure", measure, ...(quick ? ["--quick"] : [])]];
    // each measurement with the load it started under: the peers run minutes apart
    const loadAtStart = os.loadavg()[0];
    const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 30 * 60 * 1000 });
    for (const l of (r.stdout || "").split("\n")) if (l.startsWith("RESULT ")) results.push({ ...JSON.parse(l.slice(7)), loadAtStart });
    if (r.status !== 0) console.log(`  gpt2/${impl} ${measure} failed: ${(r.stderr || String(r.error || "")).trim().split("\n").slice(-3).join(" | ")}`);
  }
  return results;
}

/** The renderers in Chromium: one vitest run; its result is the JSON file it writes. */
function runRender() {
  const file = join(root, "bench", "results", "render-latest.json");
  const before = existsSync(file) ? statSync(file).mtimeMs : 0;
  console.log("  render (JupyterLab + Chromium, about 2 minutes) ...");
  const r = spawnSync("npx", ["vitest", "run", "--project", "render"], { cwd: root, stdio: "inherit", timeout: 20 * 60 * 1000 });
  if (r.status !== 0 || !existsSync(file) || statSync(file).mtimeMs === before) {
    console.log(`  render failed (exit ${r.status ?? r.error})`);
    return null;
  }
  return JSON.parse(readFileSync(file, "utf8"));
}

const all = [];
const best = new Map(); // part|impl|shape -> result with the lowest ms
const get = (part, impl, shape = "") => best.get(`${part}|${impl}|${shape}`);
const render = parts.includes("render") ? runRender() : null;
for (let round = 1; round <= rounds; round++) {
  for (const part of parts.filter((p) => p !== "render" && ((p !== "time-to-loss" && p !== "gpt2") || round === 1))) {
    const impls = only ? String(only).split(",") : defaultImpls[part] ?? [];
    for (const impl of impls) {
      const samples = samplesFor(part, impl);
      process.stdout.write(`  round ${round}/${rounds} ${part} ${impl}${samples > 1 ? ` (x${samples})` : ""} ...`);
      const t = Date.now();
      const res = part === "gpt2" ? runGpt2(impl) : Array.from({ length: samples }, () => runOne(part, impl)).flat();
      process.stdout.write(` ${((Date.now() - t) / 1000).toFixed(1)}s\n`);
      for (const r of res) {
        r.round = round;
        all.push(r);
        const key = `${r.part}|${r.impl}|${r.shape ?? ""}`;
        if (!best.has(key) || best.get(key).ms > r.ms) best.set(key, r);
      }
    }
  }
}

const fmt = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? "-" : x.toFixed(d));
const ratio = (a, b) => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : "-");

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

const implsOf = (part) => [...new Set(all.filter((r) => r.part === part).map((r) => r.impl))];

if (parts.includes("matmul") && all.some((r) => r.part === "matmul")) {
  const impls = implsOf("matmul");
  const shapes = [...new Set(all.filter((r) => r.part === "matmul").map((r) => r.shape))];
  const rows = shapes.map((s) => {
    const g = (i) => get("matmul", i, s)?.gflops;
    return [s, ...impls.map((i) => fmt(g(i))),
      ratio(g("chainlab-blas"), g("torch")), ...(torch2 ? [ratio(g("chainlab-blas"), g("torch2"))] : []), ...(jax ? [ratio(g("chainlab-blas"), g("jax"))] : []),
      ratio(g("chainlab-wasm"), g("tfjs-wasm")), ratio(g("chainlab-wasm"), g("torch"))];
  });
  table("fp32 matmul, GFLOP/s (higher is better)",
    ["shape", ...impls, "blas/torch", ...(torch2 ? ["blas/torch2"] : []), ...(jax ? ["blas/jax"] : []), "wasm/tfjs-wasm", "wasm/torch"], rows);
}

function stepTable(part, title) {
  if (!all.some((r) => r.part === part)) return;
  const impls = implsOf(part);
  const ref = get(part, "torch") ?? get(part, "tfjs-wasm");
  const rows = impls.map((i) => {
    const r = get(part, i);
    const ref2 = get(part, "torch2");
    return [i, fmt(r?.ms), ref ? ratio(r?.ms, ref.ms) : "-", ref ? ratio(ref.ms, r?.ms) : "-", ...(torch2 ? [ref2 ? ratio(r?.ms, ref2.ms) : "-"] : []), fmt(r?.loss, 3),
      ...(part === "gpt" ? [fmt(r?.peakRssMB, 0), fmt(r?.peakAboveBaselineMB, 0), fmt(r?.allocMBPerStep), fmt(r?.reusedMBPerStep),
        fmt(r?.majorGcPer100, 1), r?.youngAskedPer100 === undefined ? fmt(r?.minorGcPer100, 0) : `${fmt(r.minorGcPer100, 0)} (${fmt(r.youngAskedPer100, 0)})`,
        r?.gcShare === undefined ? "-" : `${(100 * r.gcShare).toFixed(1)}%`] : [])];
  });
  const refName = get(part, "torch") ? "torch" : "tfjs-wasm";
  table(title, ["impl", "ms/step", `time vs ${refName}`, `speed vs ${refName}`, ...(torch2 ? ["time vs torch2"] : []), "loss",
    ...(part === "gpt" ? ["peak RSS MB", "above baseline MB", "MB new/step", "MB reused/step", "full GCs/100", "young GCs/100 (asked by the pool)", "GC share"] : [])], rows);
}
stepTable("mlp", "MLP 512-256-65, batch 256, Adam: one training step (lower ms is better)");
stepTable("gpt", "baby GPT (4x4x128, block 64, batch 12, AdamW, clip 1.0): one training step");
for (const peer of ["torch", "torch2", "jax"]) {
  for (const part of ["matmul", "mlp", "gpt", "time-to-loss"]) {
    const t = [...best.values()].filter((r) => r.part === part && r.impl === peer && r.threads !== undefined);
    if (t.length) {
      const won = [...new Set(t.map((r) => r.threads))].join("/");
      const cores = [...new Set(t.map((r) => r.openblasCore).filter(Boolean))].join("/");
      console.log(`${peer} ${part}: fastest with ${won} intra-op thread(s) (tried ${Object.keys(t[0].threadsTried ?? {}).join(", ")})` +
        (cores ? `, OpenBLAS kernels: ${cores}` : ""));
    }
  }
}

if (all.some((r) => r.part === "time-to-loss")) {
  const impls = implsOf("time-to-loss");
  const ref = get("time-to-loss", "torch");
  const rows = impls.map((i) => {
    const r = get("time-to-loss", i);
    const ref2 = get("time-to-loss", "torch2");
    return [i, r.steps, fmt(r.ms / 1000), fmt(r.msPerStep), fmt(r.trainLoss, 3), fmt(r.valLoss, 3), ref ? ratio(r.ms, ref.ms) : "-",
      ...(torch2 ? [ref2 ? ratio(r.ms, ref2.ms) : "-"] : [])];
  });
  table("time to a loss: nanoGPT's CPU recipe on Moby Dick (train on the first 90%, validate on the last 10%)",
    ["impl", "steps", "wall s", "ms/step", "train loss", "val loss", "time vs torch", ...(torch2 ? ["time vs torch2"] : [])], rows);
}

if (all.some((r) => r.part === "kernel-step")) {
  const plain = get("kernel-step", "plain");
  const rows = ["plain", "kernel"].map((i) => {
    const r = get("kernel-step", i);
    return [i === "plain" ? "plain node" : "chainlab kernel + Monitor", fmt(r?.ms), plain ? ratio(r?.ms, plain.ms) : "-",
      fmt(r?.cpuMs), plain?.cpuMs ? ratio(r?.cpuMs, plain.cpuMs) : "-",
      fmt(r?.allocMBPerStep), fmt(r?.majorGcPer100, 0), r ? `${(100 * r.gcShare).toFixed(1)}%` : "-", fmt(r?.heapMB, 0), fmt(r?.heapTotalMB, 0)];
  });
  table("baby GPT step in the notebook kernel, watched (curves every step, gradient flow every 10): target <= 1.1x plain",
    ["where", "ms/step", "vs plain", "CPU ms/step", "CPU vs plain", "MB new/step", "full GCs/100 steps", "GC share", "heap used MB", "heap total MB"], rows);
}

if (all.some((r) => r.part === "gpt2")) {
  const mine = ours.find((i) => all.some((r) => r.part === "gpt2" && r.impl === i && r.shape === "step")) ?? ours[0];
  const peersRun = gpt2Peers.map((p) => p.impl).filter((i) => all.some((r) => r.part === "gpt2" && r.impl === i));
  const titles = { step: "full AdamW step, 4 x 128 tokens", "step-checkpointed": "the same, gradient checkpointing", lora: "LoRA step (r 8 on cAttn)", generate: "greedy 32 tokens after 16, KV cache" };
  const rows = GPT2_MEASURES.map((m) => {
    const r = (i) => get("gpt2", i, m);
    return [titles[m], fmt(r(mine)?.ms, 0), ...peersRun.map((p) => fmt(r(p)?.ms, 0)), ...peersRun.map((p) => ratio(r(mine)?.ms, r(p)?.ms)),
      fmt(r(mine)?.peakRssMB, 0), ...peersRun.map((p) => fmt(r(p)?.peakRssMB, 0)), [mine, ...peersRun].map((i) => fmt(r(i)?.loadAtStart)).join(" / ")];
  });
  table(`GPT-2 small (124M, random weights), ms (lower is better); ${mine} against ${peersRun.map((p) => `${p} ${gpt2Peers.find((q) => q.impl === p).version}`).join(", ") || "no PyTorch peer"}`,
    ["measure", `${mine} ms`, ...peersRun.map((p) => `${p} ms`), ...peersRun.map((p) => `time vs ${p}`), `${mine} peak RSS MB`, ...peersRun.map((p) => `${p} peak RSS MB`), "load at start"], rows);
  const gen = get("gpt2", mine, "generate");
  if (gen) console.log(`generation: ${fmt(gen.msPerToken, 0)} ms a token, the weights read at ${fmt(gen.weightGBPerSecond, 1)} GB/s or more` +
    peersRun.map((p) => get("gpt2", p, "generate")).filter(Boolean).map((g) => `; ${g.impl} ${fmt(g.weightGBPerSecond, 1)} GB/s`).join(""));
  for (const p of peersRun) {
    const t = GPT2_MEASURES.map((m) => get("gpt2", p, m)).filter(Boolean);
    if (t.length) console.log(`${p} gpt2: fastest intra-op threads per measure: ${t.map((r) => `${r.shape} ${r.threads}`).join(", ")}`);
  }
  const tok = ["gpt-3-encoder", mine].map((i) => get("gpt2", i, "tokenizer")).filter(Boolean);
  if (tok.length) {
    table("GPT-2's tokenizer encoding Moby Dick, MB of UTF-8 a second (higher is better)", ["impl", "cold MB/s", "warm MB/s", "tokens"],
      tok.map((r) => [r.impl === mine ? "chainlab BPETokenizer" : r.impl, fmt(r.coldMbPerSecond, 2), fmt(r.mbPerSecond, 2), r.tokens]));
  }
}

const outDir = join(root, "bench", "results");
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const report = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadAtStart: load },
  backends, gemm: probe.gemm, torch, torch2, jax, rounds, quick,
  best: [...best.values()],
  all,
  ...(render ? { render } : {}),
};
const file = join(outDir, `bench-${stamp}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
writeFileSync(join(outDir, "latest.json"), JSON.stringify(report, null, 2));
console.log(`\nwrote ${file}`);
