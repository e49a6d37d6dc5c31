// fp32 matrix products on one implementation: `node bench/matmul.mjs --impl chainlab-blas`.
// Impls: chainlab-blas, chainlab-wasm, chainlab-js, tfjs-cpu, tfjs-wasm.
import { args, chainlab, emit, tfjs, timeIt } from "./common.mjs";

// [name, batch, m, k, n]: squares, the baby GPT's products (batch 12 x block 64 = 768 rows),
// and its attention scores (12 sequences x 4 heads, [64 x 32] @ [32 x 64])
export const SHAPES = [
  ["128^3", 1, 128, 128, 128],
  ["256^3", 1, 256, 256, 256],
  ["512^3", 1, 512, 512, 512],
  ["1024^3", 1, 1024, 1024, 1024],
  ["768x128 @ 128x384 (qkv)", 1, 768, 128, 384],
  ["768x128 @ 128x512 (mlp up)", 1, 768, 128, 512],
  ["768x512 @ 512x128 (mlp down)", 1, 768, 512, 128],
  ["768x128 @ 128x65 (lm head)", 1, 768, 128, 65],
  ["48 x 64x32 @ 32x64 (attention)", 48, 64, 32, 64],
];

const opts = args();
const impl = opts.impl;
const quick = !!opts.quick;
const [lib, backend] = impl.split("-");
const flops = (b, m, k, n) => 2 * b * m * k * n;

if (lib === "chainlab") {
  const cl = await chainlab(backend);
  for (const [name, b, m, k, n] of SHAPES) {
    if (backend === "js" && m * k * n > 512 ** 3 && quick) continue;
    const A = cl.randn(...(b > 1 ? [b, m, k] : [m, k]));
    const B = cl.randn(...(b > 1 ? [b, k, n] : [k, n]));
    const r = timeIt(() => cl.noGrad(() => A.matmul(B)), { minMs: quick ? 300 : 1500 });
    emit({ part: "matmul", impl, shape: name, ms: r.ms, reps: r.reps, gflops: flops(b, m, k, n) / r.ms / 1e6 });
  }
} else if (lib === "tfjs") {
  const tf = await tfjs(backend);
  for (const [name, b, m, k, n] of SHAPES) {
    if (backend === "cpu" && m * k * n > 512 ** 3 && quick) continue;
    const A = tf.randomNormal(b > 1 ? [b, m, k] : [m, k]);
    const B = tf.randomNormal(b > 1 ? [b, k, n] : [k, n]);
    const r = timeIt(() => { const c = tf.matMul(A, B); c.dataSync(); c.dispose(); }, { minMs: quick ? 300 : 1500 });
    emit({ part: "matmul", impl, shape: name, ms: r.ms, reps: r.reps, gflops: flops(b, m, k, n) / r.ms / 1e6 });
  }
} else {
  throw new Error(`unknown impl ${impl}`);
}
