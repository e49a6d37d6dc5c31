// One training step of an MLP 512 -> 256 -> 65 at batch 256 with Adam (forward, cross
// entropy, backward, update): `node bench/mlp.mjs --impl chainlab-wasm`.
// Impls: chainlab-blas, chainlab-wasm, chainlab-js, tfjs-cpu, tfjs-wasm.
import { args, chainlab, emit, tfjs, timeIt } from "./common.mjs";

const opts = args();
const impl = opts.impl;
const quick = !!opts.quick;
const [lib, backend] = impl.split("-");
const B = 256, D = 512, H = 256, C = 65;

if (lib === "chainlab") {
  const cl = await chainlab(backend);
  cl.manualSeed(0);
  const model = new cl.nn.Sequential(new cl.nn.Linear(D, H), new cl.nn.ReLU(), new cl.nn.Linear(H, C));
  const opt = new cl.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = cl.randn(B, D);
  const y = cl.randint(0, C, [B]);
  let loss = 0;
  const r = timeIt(() => {
    opt.zeroGrad();
    const l = cl.F.crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    loss = l.item();
  }, { minMs: quick ? 500 : 3000, warm: 3 });
  emit({ part: "mlp", impl, ms: r.ms, reps: r.reps, loss });
} else if (lib === "tfjs") {
  const tf = await tfjs(backend);
  const w1 = tf.variable(tf.randomUniform([D, H], -1 / Math.sqrt(D), 1 / Math.sqrt(D)));
  const b1 = tf.variable(tf.zeros([H]));
  const w2 = tf.variable(tf.randomUniform([H, C], -1 / Math.sqrt(H), 1 / Math.sqrt(H)));
  const b2 = tf.variable(tf.zeros([C]));
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([B, D]);
  const y = tf.oneHot(tf.randomUniform([B], 0, C, "int32"), C);
  let loss = 0;
  const r = timeIt(() => {
    const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.relu(x.matMul(w1).add(b1)).matMul(w2).add(b2)), true);
    loss = l.dataSync()[0];
    l.dispose();
  }, { minMs: quick ? 500 : 3000, warm: 3 });
  emit({ part: "mlp", impl, ms: r.ms, reps: r.reps, loss, tensorsLeft: tf.memory().numTensors });
} else {
  throw new Error(`unknown impl ${impl}`);
}
