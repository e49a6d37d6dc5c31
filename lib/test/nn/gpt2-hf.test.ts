// GPT-2 in Hugging Face's format, against transformers itself: a tiny random GPT2LMHeadModel
// (every bias and LayerNorm perturbed, n_inner and layer_norm_epsilon off their defaults)
// saved by save_pretrained, and its logits, from scripts/gpt2-references.py. Where torch and
// transformers import, what savePretrained writes is also read back by transformers.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { noGrad } from "../../src/core/autograd";
import { randn, zeros } from "../../src/creation";
import { loadSafetensors, saveSafetensors, serializeSafetensors } from "../../src/io/safetensors";
import { GPT } from "../../src/nn/gpt";
import { applyLoRA, mergeLoRA } from "../../src/nn/lora";
import { manualSeed } from "../../src/core/random";
import { Tensor } from "../../src/tensor";

const fixtures = join(__dirname, "../fixtures/gpt2");
const modelDir = join(fixtures, "tiny-model");
const ref = loadSafetensors(join(fixtures, "tiny-logits.safetensors"));
const greedy = JSON.parse(readFileSync(join(fixtures, "tiny-greedy.json"), "utf8")) as { prompt: number[]; greedy: number[] };
const hfConfig = JSON.parse(readFileSync(join(modelDir, "config.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "chainlab-gpt2-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.values(), y = b.values();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

function logitsOf(model: GPT): Tensor {
  model.eval();
  return model.forward(ref.input_ids).logits;
}

let dirs = 0;
/** A model directory in tmp with this config and these tensors. */
function writeModel(config: Record<string, unknown>, tensors: Record<string, Tensor>): string {
  const dir = join(tmp, `m${dirs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  saveSafetensors(join(dir, "model.safetensors"), tensors);
  return dir;
}

const hfWeights = loadSafetensors(join(modelDir, "model.safetensors"));

describe("GPT.fromPretrained", () => {
  test("gives transformers' logits on the saved tiny GPT-2 (within 1e-4)", () => {
    const model = GPT.fromPretrained(modelDir);
    expect(model.config).toMatchObject({ vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, nInner: 40, geluApproximate: "tanh", layerNormEps: 1e-3 });
    const logits = logitsOf(model);
    expect(logits.shape).toEqual([2, 16, 50]);
    expect(maxAbsDiff(logits, ref.logits)).toBeLessThan(1e-4);
  });

  test("greedy generation with the KV cache picks transformers' tokens", () => {
    const model = GPT.fromPretrained(modelDir).eval();
    const out = model.generate([greedy.prompt], greedy.greedy.length - greedy.prompt.length, { temperature: 0 });
    expect(out.toArray()[0]).toEqual(greedy.greedy);
  });

  test("reads the hub's original layout: no transformer. prefix, mask buffers present and ignored", () => {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(hfWeights)) tensors[k.replace(/^transformer\./, "")] = t;
    for (let i = 0; i < 2; i++) {
      tensors[`h.${i}.attn.bias`] = zeros(1, 1, 16, 16);
      tensors[`h.${i}.attn.masked_bias`] = new Tensor(new Float32Array([-1e4]), []);
    }
    const dir = writeModel(hfConfig, tensors);
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(dir)), ref.logits)).toBeLessThan(1e-4);
  });

  test("reads shards listed in model.safetensors.index.json", () => {
    const dir = join(tmp, "sharded");
    mkdirSync(dir);
    copyFileSync(join(modelDir, "config.json"), join(dir, "config.json"));
    const names = Object.keys(hfWeights).sort();
    const weightMap: Record<string, string> = {};
    const shards = [names.slice(0, 10), names.slice(10)];
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const tensors: Record<string, Tensor> = {};
      for (const k of part) {
        tensors[k] = hfWeights[k];
        weightMap[k] = file;
      }
      saveSafetensors(join(dir, file), tensors);
    });
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(dir)), ref.logits)).toBeLessThan(1e-4);

    // an index that names a shard outside the directory is refused
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { ...weightMap, "transformer.wte.weight": "../elsewhere.safetensors" } }));
    expect(() => GPT.fromPretrained(dir)).toThrow(/outside the model directory/);
  });

  test.each([
    ["scale_attn_by_inverse_layer_idx", true],
    ["reorder_and_upcast_attn", true],
    ["model_type", "llama"],
    ["activation_function", "relu"],
    ["add_cross_attention", true],
    ["tie_word_embeddings", false],
    ["n_head", 0],
  ])("a config with %s = %j it cannot honour is an error naming the field", (field, value) => {
    const dir = writeModel({ ...hfConfig, [field]: value }, hfWeights);
    expect(() => GPT.fromPretrained(dir)).toThrow(new RegExp(`config.json: ${field} is ${JSON.stringify(value)}`));
  });

  test("weights that do not fit the config are named, with shapes", () => {
    const wrong = writeModel({ ...hfConfig, n_inner: 32 }, hfWeights);
    expect(() => GPT.fromPretrained(wrong)).toThrow(/transformer\.h\.0\.mlp\.c_fc\.weight has shape \[16, 40\], the config .*needs \[16, 32\]/);
    const extra = writeModel(hfConfig, { ...hfWeights, "transformer.h.0.attn.q_proj.weight": zeros(16, 16) });
    expect(() => GPT.fromPretrained(extra)).toThrow(/unexpected transformer\.h\.0\.attn\.q_proj\.weight/);
    const missing: Record<string, Tensor> = { ...hfWeights };
    delete missing["transformer.ln_f.bias"];
    expect(() => GPT.fromPretrained(writeModel(hfConfig, missing))).toThrow(/missing transformer\.ln_f\.bias/);
    const bin = join(tmp, "bin-only");
    mkdirSync(bin);
    writeFileSync(join(bin, "config.json"), JSON.stringify(hfConfig));
    writeFileSync(join(bin, "pytorch_model.bin"), "");
    expect(() => GPT.fromPretrained(bin)).toThrow(/pytorch_model\.bin but no model\.safetensors/);
    expect(() => GPT.fromPretrained(join(tmp, "nowhere"))).toThrow(/has no config\.json/);
  });

  test("layer_norm_epsilon and n_inner matter: a loader that ignored them would not match", () => {
    const dir = writeModel({ ...hfConfig, layer_norm_epsilon: 1e-5 }, hfWeights);
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(dir)), ref.logits)).toBeGreaterThan(1e-3);
    const exact = writeModel({ ...hfConfig, activation_function: "gelu" }, hfWeights);
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(exact)), ref.logits)).toBeGreaterThan(1e-4);
  });
});

describe("model.savePretrained", () => {
  test("writes exactly save_pretrained's keys and shapes, and reads back to the same logits", () => {
    const model = GPT.fromPretrained(modelDir);
    const dir = join(tmp, "saved");
    model.savePretrained(dir);
    const written = loadSafetensors(join(dir, "model.safetensors"));
    expect(Object.keys(written).sort()).toEqual(Object.keys(hfWeights).sort());
    for (const [k, t] of Object.entries(hfWeights)) {
      expect(written[k].shape, k).toEqual(t.shape);
      expect(maxAbsDiff(written[k], t), k).toBe(0);
    }
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"], n_inner: 40, layer_norm_epsilon: 1e-3, activation_function: "gelu_new", bos_token_id: 49 });
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(dir)), ref.logits)).toBeLessThan(1e-4);
  });

  test("a model built here (nanoGPT's bias=False, exact GELU) saves and loads back with the same logits", () => {
    manualSeed(3);
    const model = new GPT({ vocabSize: 50, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 8, bias: false, nInner: 20 });
    const dir = join(tmp, "own");
    model.savePretrained(dir);
    const back = GPT.fromPretrained(dir);
    expect(back.config).toMatchObject({ nInner: 20, geluApproximate: "none", bias: true });
    expect(maxAbsDiff(logitsOf(back), logitsOf(model))).toBeLessThan(1e-5);
  });

  test("saving and loading at GPT-2's vocabulary size leave the saved model's weights as they were", () => {
    // enough memory handed out that the storage pool reuses arrays while this runs
    manualSeed(6);
    const model = new GPT({ vocabSize: 50257, blockSize: 64, nLayer: 1, nHead: 2, nEmbd: 64 });
    const before = new Map([...model.namedParameters()].map(([n, p]) => [n, Float32Array.from(p.values())]));
    const dir = join(tmp, "vocab-sized");
    model.savePretrained(dir);
    const back = GPT.fromPretrained(dir);
    const loaded = new Map(back.namedParameters());
    for (const [n, p] of model.namedParameters()) {
      expect(maxAbsDiff(p, new Tensor(before.get(n)!, p.shape)), `${n} after saving`).toBe(0);
      expect(maxAbsDiff(loaded.get(n)!, p), `${n} loaded`).toBe(0);
    }
  });

  test("refuses unmerged LoRA adapters and says to merge; merged, it saves the adapted model", () => {
    manualSeed(4);
    const model = GPT.fromPretrained(modelDir);
    applyLoRA(model, { targets: "attn.cAttn", r: 2, alpha: 4 });
    noGrad(() => {
      for (const [name, p] of model.namedParameters()) if (name.endsWith("loraB")) p.copy_(randn(...p.shape).mul(0.5));
    });
    const adapted = logitsOf(model);
    expect(maxAbsDiff(adapted, ref.logits)).toBeGreaterThan(1e-3);
    const dir = join(tmp, "lora");
    expect(() => model.savePretrained(dir)).toThrow(/h\.0\.attn\.cAttn, h\.1\.attn\.cAttn have LoRA adapters not merged.*nn\.mergeLoRA\(model\)/);
    expect(existsSync(join(dir, "model.safetensors"))).toBe(false);
    mergeLoRA(model);
    model.savePretrained(dir);
    expect(maxAbsDiff(logitsOf(GPT.fromPretrained(dir)), adapted)).toBeLessThan(1e-4);
  });

  test("transformers' GPT2LMHeadModel.from_pretrained reads it: nothing missing or unexpected, the same logits", (ctx) => {
    const python = findTorchPython();
    if (!python) {
      console.warn("skipped: no Python with torch and transformers (see scripts/gpt2-references.py; CHAINLAB_TORCH_PYTHON names one)");
      ctx.skip();
      return;
    }
    manualSeed(5);
    const model = GPT.fromPretrained(modelDir);
    // move every weight a little, so that only a faithful writer matches
    noGrad(() => {
      for (const p of model.parameters()) p.copy_(p.add(randn(...p.shape).mul(0.05)));
    });
    const dir = join(tmp, "for-torch");
    model.savePretrained(dir);
    const ids = join(tmp, "ids.safetensors"), out = join(tmp, "torch-logits.safetensors");
    writeFileSync(ids, serializeSafetensors({ input_ids: ref.input_ids }));
    const script = join(__dirname, "../../../scripts/gpt2-references.py");
    const run = spawnSync(python, [script, "check", dir, ids, out], { encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(maxAbsDiff(loadSafetensors(out).logits, logitsOf(model))).toBeLessThan(1e-4);
  }, 150_000);
});

/** A Python that imports torch and transformers: CHAINLAB_TORCH_PYTHON, the script's venv, or python3. */
function findTorchPython(): string | null {
  const candidates = [process.env.CHAINLAB_TORCH_PYTHON, join(__dirname, "../../../tmp/gpt2-venv/bin/python"), "python3"];
  for (const py of candidates) {
    if (!py || (py.includes("/") && !existsSync(py))) continue;
    // find_spec looks without importing (importing torch takes seconds)
    const probe = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('torch') and u.find_spec('transformers') else 1)";
    const r = spawnSync(py, ["-c", probe], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}
