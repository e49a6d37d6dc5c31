// Fine-tune a small character-level GPT with LoRA: pretrain it briefly on one text, then
// freeze it, put low-rank adapters on its attention and MLP layers, and train only those
// on a second text. Saves the adapters alone (a few kilobytes) as safetensors.
//   node examples/run.mjs finetune-lora [--steps 100] [--out examples/out]
import { mkdirSync } from "node:fs";
import path from "node:path";
import { backend, data, Generator, io, manualSeed, nn, noGrad, optim, Tensor } from "chainlab";
import { parseArgs } from "./args";

const opts = parseArgs(process.argv.slice(2), "usage: node examples/run.mjs finetune-lora [--steps N] [--out DIR] [--tiny]");
const fineTuneSteps = opts.steps ?? (opts.tiny ? 10 : 100);
const pretrainSteps = opts.tiny ? 20 : 300;
const out = opts.out ?? path.join(__dirname, "..", "out");
manualSeed(0);

// Two small texts in one alphabet: the base model learns the first, the adapters the second.
const base = "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ".repeat(40);
const target = "to be or not to be, that is the question. all the world is a stage. ".repeat(40);
const tok = data.CharTokenizer.fromText(base + target);
const [baseIds, targetIds] = [tok.encodeTensor(base), tok.encodeTensor(target)];
const config: nn.GPTConfig = { vocabSize: tok.vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: opts.tiny ? 32 : 64, dropout: 0 };
const batchSize = opts.tiny ? 4 : 16;

function train(model: nn.GPT, ids: Tensor, steps: number, lr: number, label: string): void {
  const optimizer = new optim.AdamW(model.parameters().filter((p) => p.requiresGrad), { lr });
  for (let step = 1; step <= steps; step++) {
    const { x, y } = data.getBatch(ids, config.blockSize, batchSize);
    const { loss } = model.call(x, y);
    optimizer.zeroGrad();
    loss!.backward();
    optimizer.step();
    if (step % Math.max(1, Math.floor(steps / 4)) === 0) console.log(`${label} step ${String(step).padStart(4)}  loss ${loss!.item().toFixed(3)}`);
  }
}

// the same 32 windows each time, so that before and after compare like with like
function lossOn(model: nn.GPT, ids: Tensor): number {
  return noGrad(() => {
    const { x, y } = data.getBatch(ids, config.blockSize, 32, new Generator(1));
    return model.call(x, y).loss!.item();
  });
}

// 1. a base model, pretrained on the first text
const gpt = new nn.GPT(config);
console.log(`backend ${backend()}, GPT with ${gpt.numParams()} parameters`);
train(gpt, baseIds, pretrainSteps, 3e-3, "pretrain");
const before = lossOn(gpt, targetIds);

// 2. LoRA: the base frozen, rank-4 adapters on the attention and MLP projections
const summary = nn.applyLoRA(gpt, { targets: ["attn.cAttn", "mlp.cFc"], r: 4, alpha: 8 });
console.log(`LoRA on ${summary.adapted.length} layers: ${summary.trainable} trainable of ${summary.total} parameters`);
train(gpt, targetIds, fineTuneSteps, 1e-2, "lora");
const after = lossOn(gpt, targetIds);
console.log(`loss on the second text: ${before.toFixed(3)} before fine-tuning, ${after.toFixed(3)} after`);

// 3. the adapters alone, to load onto the same base model later
mkdirSync(out, { recursive: true });
const file = path.join(out, "lora-adapters.safetensors");
const adapters = nn.loraStateDict(gpt);
io.saveSafetensors(file, adapters, { r: "4", alpha: "8", targets: "attn.cAttn,mlp.cFc" });
console.log(`saved ${Object.keys(adapters).length} adapter tensors to ${file}`);
if (!(after < before)) {
  console.error("fine-tuning should lower the loss on the second text");
  process.exit(1);
}
