// Shared by the benchmark programs: loading chainlab on a chosen backend, timing,
// and reporting one result line the driver (scripts/bench.mjs) collects.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const require = createRequire(join(root, "lib", "package.json"));

export function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) {
      const key = argv[i].slice(2);
      out[key] = argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[++i] : true;
    }
  }
  return out;
}

/** chainlab from lib/dist on the given backend, after the backend's threads are up. */
export async function chainlab(backend) {
  const cl = require(join(root, "lib", "dist", "index.js"));
  cl.setBackend(backend);
  const kernels = require(join(root, "lib", "dist", "backend", "index.js")).kernels();
  if (typeof kernels.threads === "function") {
    for (let i = 0; i < 300 && kernels.threads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  }
  return cl;
}

export async function tfjs(backend) {
  const tf = require("@tensorflow/tfjs");
  if (backend === "wasm") require("@tensorflow/tfjs-backend-wasm");
  // tfjs prints an advertisement for tfjs-node on first use; keep stdout for results
  const log = console.log;
  console.log = () => {};
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
    await tf.ready();
  } finally {
    console.log = log;
  }
  return tf;
}

/**
 * Median milliseconds per call of fn: warm-up (`warm` calls, for at least warmMs), then
 * repetitions until minMs has passed (at least minReps, at most 2000). A call slower than
 * `slowMs` is measured only once. bench/peer_common.py times the Python peers the same way.
 */
export function timeIt(fn, { minMs = 1500, minReps = 5, warm = 2, warmMs = 500, slowMs = 3000 } = {}) {
  let t = performance.now();
  fn();
  const first = performance.now() - t;
  if (first > slowMs) return { ms: first, reps: 1 };
  // warm up: `warm` calls, and for at least warmMs (allocators, caches and JITs settle)
  for (let calls = 1; calls < warm || performance.now() - t < warmMs; calls++) fn();
  const times = [];
  const start = performance.now();
  while (times.length < minReps || performance.now() - start < minMs) {
    t = performance.now();
    fn();
    times.push(performance.now() - t);
    if (times.length >= 2000) break;
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], reps: times.length };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMB() {
  return process.resourceUsage().maxRSS / 1024;
}

export function emit(result) {
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/**
 * nanoGPT's CPU "baby GPT" (4 layers, 4 heads, 128 wide, block 64, batch 12), AdamW with
 * decay on matrices only, clipping at 1.0: `step()` runs one training step, returns the loss
 * tensor. Defined once, in train-loop.cjs, which a kernel cell can require too.
 */
export const { babyGpt } = require(join(root, "bench", "train-loop.cjs"));
