// Time to a loss: nanoGPT's CPU recipe on Moby Dick, timed from the first step to the last.
// Character tokens, the first 90% to train on and the last 10% to validate on; the baby
// GPT (4 layers, 4 heads, 128 wide, block 64, batch 12, no dropout, no biases); AdamW
// (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices), 100 warmup steps then cosine
// decay to 1e-4 at the last step, gradients clipped at 1.0. The validation loss is taken
// once at the end over every non-overlapping 64-character window of the validation text,
// so that every implementation is scored on the same characters.
//
//   node bench/time-to-loss.mjs --impl chainlab-blas [--steps 2000] [--quick]
import { args, chainlab, emit } from "./common.mjs";

const RECIPE = { block: 64, batch: 12, nLayer: 4, nHead: 4, nEmbd: 128, lr: 1e-3, minLr: 1e-4, warmup: 100, steps: 2000 };

const opts = args();
const impl = opts.impl;
const [lib, backend] = impl.split("-");
if (lib !== "chainlab") throw new Error(`unknown impl ${impl}`);
const steps = Number(opts.steps ?? (opts.quick ? 200 : RECIPE.steps));

const cl = await chainlab(backend);
cl.manualSeed(1337);
const text = cl.data.loadMobyDick();
const tok = cl.data.CharTokenizer.fromText(text);
const ids = tok.encodeTensor(text);
const nTrain = Math.floor(0.9 * ids.shape[0]);
const trainIds = ids.narrow(0, 0, nTrain);
const valIds = ids.narrow(0, nTrain, ids.shape[0] - nTrain);

const { block, batch } = RECIPE;
const model = new cl.nn.GPT({
  vocabSize: tok.vocabSize, blockSize: block, nLayer: RECIPE.nLayer, nHead: RECIPE.nHead, nEmbd: RECIPE.nEmbd, dropout: 0, bias: false,
});
const params = [...model.parameters()];
const opt = new cl.optim.AdamW([
  { params: params.filter((p) => p.ndim >= 2), weightDecay: 0.1 },
  { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
], { lr: RECIPE.lr, betas: [0.9, 0.99] });
const schedule = new cl.optim.lr.CosineWithWarmup(opt, { warmupIters: RECIPE.warmup, lrDecayIters: steps, minLr: RECIPE.minLr });

/** Mean next-character loss over every whole window of the validation text, 64 windows a batch. */
function validationLoss() {
  return cl.noGrad(() => {
    model.eval();
    const v = valIds.toArray();
    const windows = Math.floor((v.length - 1) / block);
    let sum = 0;
    for (let w0 = 0; w0 < windows; w0 += 64) {
      const n = Math.min(64, windows - w0);
      const x = [], y = [];
      for (let w = w0; w < w0 + n; w++) {
        x.push(v.slice(w * block, (w + 1) * block));
        y.push(v.slice(w * block + 1, (w + 1) * block + 1));
      }
      const { loss } = model.forward(cl.tensor(x, { dtype: "int32" }), cl.tensor(y, { dtype: "int32" }));
      sum += loss.item() * n;
    }
    model.train();
    return sum / windows;
  });
}

let train = 0;
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  const { x, y } = cl.data.getBatch(trainIds, block, batch);
  const { loss } = model.forward(x, y);
  opt.zeroGrad();
  loss.backward();
  cl.optim.clipGradNorm(model, 1.0);
  opt.step();
  schedule.step();
  if (i >= steps - 50) train += loss.item() / Math.min(50, steps);
}
const ms = performance.now() - t0;
emit({ part: "time-to-loss", impl, ms, steps, msPerStep: ms / steps, trainLoss: train, valLoss: validationLoss() });
