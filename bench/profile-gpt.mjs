// Where a training step's time goes: every kernel call timed by op and shape, and the rest
// (the library's own JavaScript, allocation, GC) as what is left of the step.
//   node bench/profile-gpt.mjs --impl chainlab-blas [--part gpt|mlp] [--steps 20] [--one-thread] [--thread-work N]
// (--thread-work: multiply-adds from which a GEMM runs on every core; --one-thread: never)
// On a busy machine averages mostly measure the other processes; the "min" columns (the
// least time a call took in any one step) are close to what a quiet machine gives.
import { args, babyGpt, chainlab, require, root } from "./common.mjs";
import { join } from "node:path";

const opts = args();
const [lib, backend] = (opts.impl ?? "chainlab-blas").split("-");
if (lib !== "chainlab") throw new Error(`unknown impl ${opts.impl}`);
const part = opts.part ?? "gpt";
const steps = Number(opts.steps ?? 20);

const cl = await chainlab(backend);
const k = require(join(root, "lib", "dist", "backend", "index.js")).kernels();
if (opts["one-thread"] && typeof k.configureThreads === "function") k.configureThreads(2 ** 30, 1);
if (opts["thread-work"] && typeof k.configureThreads === "function") k.configureThreads(Number(opts["thread-work"]), k.info().maxThreads);

// one entry per kernel and shape: calls, total ms, and per-step totals for the minimum
const stats = new Map();
let recording = false;
const describe = {
  gemm: ([g]) => `b${g.batch} m${g.m} n${g.n} k${g.k} tA${+g.transA} tB${+g.transB} lda${g.lda} ldb${g.ldb} ldc${g.ldc}`,
  binary: ([op, shape, a, b]) => `${op} [${shape}] a[${a.strides}] b[${b.strides}]`,
  unary: ([op, , , n]) => `${op} ${n}`,
  copy: ([shape, src]) => `[${shape}] strides [${src.strides}]`,
  reduce: ([op, , outer, size, inner]) => `${op} ${outer}x${size}x${inner}`,
  softmax: ([, rows, cols]) => `${rows}x${cols}`,
  softmaxBackward: ([, , rows, cols]) => `${rows}x${cols}`,
  layerNorm: ([, rows, cols]) => `${rows}x${cols}`,
  layerNormBackward: ([, , , , rows, cols]) => `${rows}x${cols}`,
  causalSoftmax: ([, blocks, T]) => `${blocks}x${T}x${T}`,
  causalSoftmaxBackward: ([, , blocks, T]) => `${blocks}x${T}x${T}`,
  adam: ([, n]) => `${n}`,
};
for (const [name, label] of Object.entries(describe)) {
  if (typeof k[name] !== "function") continue; // a fused kernel this backend does not have
  const f = k[name].bind(k);
  k[name] = (...a) => {
    if (!recording) return f(...a);
    const key = `${name} ${label(a)}`;
    const t = performance.now();
    f(...a);
    const dt = performance.now() - t;
    const s = stats.get(key) ?? { calls: 0, ms: 0, step: 0, perStep: [] };
    s.calls++;
    s.ms += dt;
    s.step += dt;
    stats.set(key, s);
  };
}

cl.manualSeed(0);
let step;
if (part === "gpt") {
  step = babyGpt(cl).step;
} else {
  const model = new cl.nn.Sequential(new cl.nn.Linear(512, 256), new cl.nn.ReLU(), new cl.nn.Linear(256, 65));
  const opt = new cl.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = cl.randn(256, 512);
  const y = cl.randint(0, 65, [256]);
  step = () => {
    opt.zeroGrad();
    cl.F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
}

for (let i = 0; i < 3; i++) step();
recording = true;
const walls = [], outside = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  step();
  const wall = performance.now() - t;
  let inKernels = 0;
  for (const s of stats.values()) {
    inKernels += s.step;
    s.perStep.push(s.step);
    s.step = 0;
  }
  walls.push(wall);
  outside.push(wall - inKernels);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [...stats].map(([key, s]) => ({ key, calls: s.calls / steps, avg: s.ms / steps, min: Math.min(...s.perStep) }));
const sum = (f) => rows.filter(f).reduce((t, r) => t + r.min, 0);
const fix = (v) => v.toFixed(2).padStart(7);
console.log(`${part} on ${backend}, ${steps} steps, load ${(await import("node:os")).loadavg()[0].toFixed(2)}`);
console.log(`step: median ${fix(median(walls))} ms, min ${fix(Math.min(...walls))} ms`);
console.log(`outside kernels: median ${fix(median(outside))} ms, min ${fix(Math.min(...outside))} ms`);
console.log(`kernels (sum of per-call-kind minima): ${fix(sum(() => true))} ms, of which gemm ${fix(sum((r) => r.key.startsWith("gemm")))} ms`);
console.log("\n    min     avg  calls/step  kernel");
for (const r of rows.sort((a, b) => b.min - a.min).slice(0, Number(opts.top ?? 30))) {
  console.log(`${fix(r.min)} ${fix(r.avg)} ${String(r.calls).padStart(6)}      ${r.key}`);
}
