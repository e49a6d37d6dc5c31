// Export a model's weights as safetensors, the format PyTorch and Hugging Face load, then
// read them back into a fresh model and check that it computes the same outputs. A GPT is
// also written as a Hugging Face directory (config.json + model.safetensors) that
// transformers' GPT2LMHeadModel.from_pretrained reads.
//   node examples/run.mjs export-safetensors [--out examples/out]
import { mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { io, manualSeed, nn, noGrad, randn } from "chainlab";
import { parseArgs } from "./args";

const opts = parseArgs(process.argv.slice(2), "usage: node examples/run.mjs export-safetensors [--out DIR] [--tiny]");
const out = opts.out ?? path.join(__dirname, "..", "out");
manualSeed(0);
mkdirSync(out, { recursive: true });

// 1. an MLP's state dict to one file, with metadata in its header
const mlp = new nn.Sequential(new nn.Linear(4, 16), new nn.GELU(), new nn.Linear(16, 3));
const file = path.join(out, "mlp.safetensors");
io.saveSafetensors(file, mlp.stateDict(), { architecture: "4-16-3 MLP, GELU" });
console.log(`wrote ${file} (${statSync(file).size} bytes)`);
const header = io.readSafetensorsHeader(new Uint8Array(readFileSync(file)));
console.log(`its header: ${JSON.stringify(header).slice(0, 160)}...`);

// 2. read it back into a fresh model: the same outputs, to the last bit
const copy = new nn.Sequential(new nn.Linear(4, 16), new nn.GELU(), new nn.Linear(16, 3));
copy.loadStateDict(io.loadSafetensors(file));
const x = randn([5, 4]);
const diff = noGrad(() => mlp.call(x).sub(copy.call(x)).abs().amax().item());
console.log(`largest difference between the two models' outputs: ${diff}`);

// 3. a GPT as a Hugging Face directory
const gpt = new nn.GPT({ vocabSize: 50, blockSize: 16, nLayer: opts.tiny ? 1 : 2, nHead: 2, nEmbd: 32 });
const dir = path.join(out, "tiny-gpt");
gpt.savePretrained(dir);
const reloaded = nn.GPT.fromPretrained(dir);
const ids = [[1, 2, 3, 4]];
const same = noGrad(() => gpt.generate(ids, 8, { temperature: 0 }).toArray().join(",") === reloaded.generate(ids, 8, { temperature: 0 }).toArray().join(","));
console.log(`wrote ${dir}/config.json and model.safetensors; reloaded, it generates ${same ? "the same" : "DIFFERENT"} tokens`);
console.log(`in Python: from safetensors.numpy import load_file; load_file("${file}")`);
if (diff !== 0 || !same) process.exit(1);
