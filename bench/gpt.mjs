// One training step of nanoGPT's CPU "baby GPT" (4 layers, 4 heads, n_embd 128, block 64,
// batch 12, vocab 65, no dropout, no biases as in nanoGPT's train.py; AdamW lr 1e-3,
// betas (0.9, 0.99), weight decay 0.1 on matrices only, gradient clipping at 1.0) and the
// process's peak memory: `node bench/gpt.mjs --impl chainlab-blas`.
import { PerformanceObserver, constants } from "node:perf_hooks";
import { args, babyGpt, chainlab, emit, peakRssMB, timeIt } from "./common.mjs";

const opts = args();
const impl = opts.impl;
const quick = !!opts.quick;
const [lib, backend] = impl.split("-");
if (lib !== "chainlab") throw new Error(`unknown impl ${impl}`);

const cl = await chainlab(backend);
const baseline = process.memoryUsage().rss / 2 ** 20;
cl.manualSeed(0);
const { model, step } = babyGpt(cl);
let loss = 0;
for (let i = 0; i < 3; i++) step();
// float32 storage made new per step, and the garbage collector's work, over the timed calls
let calls = 0, majors = 0, minors = 0, gcMs = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    else minors++;
  }
});
obs.observe({ entryTypes: ["gc"] });
const s0 = cl.storageStats();
const t0 = performance.now();
const r = timeIt(() => {
  loss = step().item();
  calls++;
}, { minMs: quick ? 1000 : 5000, warm: 1 });
const wall = performance.now() - t0;
const s1 = cl.storageStats();
const allocMBPerStep = (s1.allocatedBytes - s0.allocatedBytes) / calls / 2 ** 20;
const reusedMBPerStep = (s1.reusedBytes - s0.reusedBytes) / calls / 2 ** 20;
await new Promise((res) => setTimeout(res, 20));
obs.disconnect();
const peak = peakRssMB();
emit({ part: "gpt", impl, ms: r.ms, reps: r.reps, loss, peakRssMB: peak, peakAboveBaselineMB: peak - baseline, params: model.numParams(),
  allocMBPerStep, reusedMBPerStep, youngAskedPer100: (100 * (s1.youngCollections - s0.youngCollections)) / calls, majorGcPer100: (100 * majors) / calls, minorGcPer100: (100 * minors) / calls, gcShare: gcMs / wall });
