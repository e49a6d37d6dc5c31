// GPT-2 checkpoints in Hugging Face's layout, in and out: a GPT2LMHeadModel directory is
// config.json plus model.safetensors (or shards listed in model.safetensors.index.json).
//
// The names map one to one (transformer.h.0.attn.c_attn -> h.0.attn.cAttn), with two
// differences worth knowing. GPT-2 wrote its projections as "Conv1D", a Linear whose weight is
// stored [in, out], so every c_attn / c_proj / c_fc weight is transposed on the way in and out.
// And the output head is the token embedding (tied), so no lm_head.weight is written.
// A config field this library cannot honour is an error naming it: a model that loads must
// give transformers' logits, not nearly them.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { noGrad } from "../core/autograd";
import { zeros } from "../creation";
import { writeFileAtomic } from "../io/atomic";
import { loadSafetensors, serializeSafetensors } from "../io/safetensors";
import { fmt } from "../core/shape";
import { Tensor } from "../tensor";
import type { GPT, GPTConfig } from "./gpt";
import { LoRALinear } from "./lora";

/** The fields of transformers' GPT2Config that decide the computation. */
export interface GPT2HFConfig {
  model_type?: string;
  architectures?: string[];
  vocab_size: number;
  n_positions: number;
  n_ctx?: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner?: number | null;
  activation_function?: string;
  layer_norm_epsilon?: number;
  resid_pdrop?: number;
  embd_pdrop?: number;
  attn_pdrop?: number;
  scale_attn_weights?: boolean;
  scale_attn_by_inverse_layer_idx?: boolean;
  reorder_and_upcast_attn?: boolean;
  add_cross_attention?: boolean;
  tie_word_embeddings?: boolean;
  [field: string]: unknown;
}

export interface FromPretrainedOptions {
  /** Dropout for fine-tuning (default: the config's resid_pdrop; it does not change evaluation). */
  dropout?: number;
}

/** transformers' activation names -> GELU's approximation. */
const ACTIVATIONS: Record<string, "none" | "tanh"> = {
  gelu: "none",
  gelu_new: "tanh",
  gelu_pytorch_tanh: "tanh",
  gelu_fast: "tanh", // the same tanh formula, written with a different constant layout
};

/** The config each loaded model came with, so that savePretrained keeps its other fields (token ids, task params). */
const loadedConfigs = new WeakMap<GPT, Record<string, unknown>>();

/**
 * GPTConfig from a GPT2Config, or an error naming the first field that cannot be honoured.
 * @example nn.gptConfigFromHF(JSON.parse(fs.readFileSync("gpt2/config.json", "utf8"))) // {vocabSize: 50257, ...}
 */
export function gptConfigFromHF(raw: unknown, source = "config.json", opts: FromPretrainedOptions = {}): GPTConfig {
  const fail = (problem: string): never => {
    throw new Error(`GPT.fromPretrained(): ${source}: ${problem}`);
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("is not a JSON object");
  const c = raw as GPT2HFConfig;
  if (c.model_type !== undefined && c.model_type !== "gpt2") {
    fail(`model_type is ${JSON.stringify(c.model_type)}; only "gpt2" (GPT2LMHeadModel) is supported`);
  }
  if (c.architectures !== undefined) {
    const ok = Array.isArray(c.architectures) && c.architectures.some((a) => a === "GPT2LMHeadModel" || a === "GPT2Model");
    if (!ok) fail(`architectures is ${JSON.stringify(c.architectures)}; only GPT2LMHeadModel (or GPT2Model) is supported`);
  }
  const int = (field: keyof GPT2HFConfig): number => {
    const v = c[field];
    if (!Number.isInteger(v) || (v as number) <= 0) fail(`${String(field)} is ${JSON.stringify(v)}, expected a positive integer`);
    return v as number;
  };
  const refuse = (field: keyof GPT2HFConfig, supported: unknown, why: string) => {
    if (c[field] !== undefined && c[field] !== supported) fail(`${String(field)} is ${JSON.stringify(c[field])}; only ${JSON.stringify(supported)} is supported (${why})`);
  };
  refuse("scale_attn_weights", true, "attention scores are always divided by sqrt(head size)");
  refuse("scale_attn_by_inverse_layer_idx", false, "no extra 1/(layer + 1) scaling of attention scores");
  refuse("reorder_and_upcast_attn", false, "attention is computed in one float32 order");
  refuse("add_cross_attention", false, "no cross-attention to an encoder");
  refuse("tie_word_embeddings", true, "the output head is the token embedding");
  const act = c.activation_function ?? "gelu_new";
  if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, act)) {
    fail(`activation_function is ${JSON.stringify(act)}; supported: ${Object.keys(ACTIVATIONS).join(", ")}`);
  }
  const nEmbd = int("n_embd");
  const nInner = c.n_inner === undefined || c.n_inner === null ? 4 * nEmbd : int("n_inner");
  const eps = c.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== "number" || !(eps > 0)) fail(`layer_norm_epsilon is ${JSON.stringify(eps)}, expected a positive number`);
  const dropout = opts.dropout ?? (typeof c.resid_pdrop === "number" ? c.resid_pdrop : 0.1);
  return {
    vocabSize: int("vocab_size"),
    blockSize: c.n_positions !== undefined ? int("n_positions") : int("n_ctx"),
    nLayer: int("n_layer"),
    nHead: int("n_head"),
    nEmbd,
    nInner,
    geluApproximate: ACTIVATIONS[act],
    layerNormEps: eps,
    dropout,
    bias: true,
  };
}

/** GPT-2's name for each parameter (without "transformer."), and whether it is a Conv1D weight stored [in, out]. */
function hfNames(nLayer: number): [hf: string, ours: string, conv1d: boolean][] {
  const names: [string, string, boolean][] = [
    ["wte.weight", "wte.weight", false],
    ["wpe.weight", "wpe.weight", false],
  ];
  for (let i = 0; i < nLayer; i++) {
    const h = `h.${i}`;
    for (const [hf, ours] of [["ln_1", "ln1"], ["ln_2", "ln2"]]) {
      names.push([`${h}.${hf}.weight`, `${h}.${ours}.weight`, false], [`${h}.${hf}.bias`, `${h}.${ours}.bias`, false]);
    }
    for (const [hf, ours] of [["attn.c_attn", "attn.cAttn"], ["attn.c_proj", "attn.cProj"], ["mlp.c_fc", "mlp.cFc"], ["mlp.c_proj", "mlp.cProj"]]) {
      names.push([`${h}.${hf}.weight`, `${h}.${ours}.weight`, true], [`${h}.${hf}.bias`, `${h}.${ours}.bias`, false]);
    }
  }
  names.push(["ln_f.weight", "lnF.weight", false], ["ln_f.bias", "lnF.bias", false]);
  return names;
}

/** Buffers GPT-2 checkpoints may carry that are not weights: the causal masks. */
const IGNORED = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/;

/** Every tensor of the checkpoint: model.safetensors, or the shards its index lists. */
function readWeights(dir: string): Record<string, Tensor> {
  const single = join(dir, "model.safetensors");
  if (existsSync(single)) return loadSafetensors(single);
  const indexPath = join(dir, "model.safetensors.index.json");
  if (existsSync(indexPath)) {
    const index = readJSON(indexPath) as { weight_map?: Record<string, string> };
    const map = index?.weight_map;
    if (!map || typeof map !== "object") throw new Error(`GPT.fromPretrained(): ${indexPath} has no weight_map`);
    const out: Record<string, Tensor> = {};
    const root = resolve(dir);
    const files = [...new Set(Object.values(map))];
    for (const file of files) {
      if (!resolve(root, String(file)).startsWith(root + sep)) throw new Error(`GPT.fromPretrained(): ${indexPath} names the shard ${JSON.stringify(file)}, outside the model directory`);
    }
    for (const file of files) {
      const tensors = loadSafetensors(resolve(root, file));
      for (const [k, t] of Object.entries(tensors)) {
        if (map[k] !== file) throw new Error(`GPT.fromPretrained(): ${file} holds ${k}, which ${indexPath} places in ${JSON.stringify(map[k] ?? "no shard")}`);
        Object.defineProperty(out, k, { value: t, enumerable: true, writable: true, configurable: true });
      }
    }
    const absent = Object.keys(map).filter((k) => !(k in out));
    if (absent.length) throw new Error(`GPT.fromPretrained(): ${indexPath} lists ${absent.slice(0, 3).join(", ")}${absent.length > 3 ? ", ..." : ""}, which no shard holds`);
    return out;
  }
  const other = ["pytorch_model.bin", "tf_model.h5", "flax_model.msgpack"].find((f) => existsSync(join(dir, f)));
  if (other) {
    throw new Error(`GPT.fromPretrained(): ${dir} holds ${other} but no model.safetensors; only safetensors is read (convert with transformers: model.save_pretrained(dir, safe_serialization=True))`);
  }
  throw new Error(`GPT.fromPretrained(): ${dir} has neither model.safetensors nor model.safetensors.index.json`);
}

/** A GPT with GPT-2's weights and config from a Hugging Face directory. */
export function gpt2FromPretrained(GPTClass: new (c: GPTConfig) => GPT, dir: string, opts: FromPretrainedOptions = {}): GPT {
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new Error(`GPT.fromPretrained(): ${dir} has no config.json (is it a Hugging Face model directory?)`);
  const raw = readJSON(configPath) as Record<string, unknown>;
  const cfg = gptConfigFromHF(raw, configPath, opts);
  const weights = readWeights(dir);
  // the hub's original gpt2 has no "transformer." prefix; save_pretrained writes one
  const prefixed = Object.keys(weights).some((k) => k.startsWith("transformer."));
  const at = (name: string) => (prefixed ? `transformer.${name}` : name);
  const expected = hfNames(cfg.nLayer);
  const sd: Record<string, Tensor> = {};
  const problems: string[] = [];
  const used = new Set<string>();
  const nInner = cfg.nInner!;
  const model = new GPTClass(cfg);
  const ours = new Map(model.namedParameters());
  for (const [hf, name, conv1d] of expected) {
    const key = at(hf);
    const t = weights[key];
    used.add(key);
    if (!t) {
      problems.push(`missing ${key}`);
      continue;
    }
    const target = ours.get(name)!;
    const want = conv1d ? [target.shape[1], target.shape[0]] : target.shape;
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) {
      problems.push(`${key} has shape ${fmt(t.shape)}, the config (n_embd ${cfg.nEmbd}, n_inner ${nInner}, vocab_size ${cfg.vocabSize}, n_positions ${cfg.blockSize}) needs ${fmt(want)}`);
      continue;
    }
    sd[name] = conv1d ? transposed(t) : t;
  }
  const head = weights["lm_head.weight"];
  if (head) {
    used.add("lm_head.weight");
    const wte = weights[at("wte.weight")];
    if (wte && !sameValues(head, wte)) problems.push("lm_head.weight differs from wte.weight, but GPT-2's head is tied to the token embedding (tie_word_embeddings)");
  }
  const unexpected = Object.keys(weights).filter((k) => !used.has(k) && !IGNORED.test(k));
  if (unexpected.length) problems.push(`unexpected ${unexpected.slice(0, 5).join(", ")}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ""}`);
  if (problems.length) throw new Error(`GPT.fromPretrained(): the weights in ${dir} do not fit its config.json:\n  ${problems.join("\n  ")}`);
  noGrad(() => {
    for (const [name, t] of Object.entries(sd)) ours.get(name)!.copy_(t);
  });
  loadedConfigs.set(model, raw);
  return model;
}

/**
 * The config.json transformers' GPT2LMHeadModel reads for this model.
 * @example nn.hfConfigOf(gpt).n_embd // 768
 */
export function hfConfigOf(model: GPT): Record<string, unknown> {
  const c = model.config;
  const base = { ...(loadedConfigs.get(model) ?? {}) };
  for (const k of ["transformers_version", "torch_dtype", "n_ctx"]) delete base[k];
  return {
    ...base,
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_positions: c.blockSize,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: c.nInner === 4 * c.nEmbd ? null : c.nInner,
    activation_function: c.geluApproximate === "tanh" ? "gelu_new" : "gelu",
    layer_norm_epsilon: c.layerNormEps,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    initializer_range: base.initializer_range ?? 0.02,
    use_cache: true,
    torch_dtype: "float32",
  };
}

/**
 * Write config.json and model.safetensors as transformers' save_pretrained does
 * ("transformer."-prefixed names, Conv1D weights [in, out], the tied head left out), so that
 * GPT2LMHeadModel.from_pretrained(dir) loads it with nothing missing or unexpected.
 */
export function gpt2SavePretrained(model: GPT, dir: string): void {
  const unmerged = [...model.namedModules()].filter(([, m]) => m instanceof LoRALinear && !m.merged).map(([n]) => n);
  if (unmerged.length) {
    throw new Error(
      `GPT.savePretrained(): ${unmerged.join(", ")} ${unmerged.length > 1 ? "have LoRA adapters" : "has a LoRA adapter"} not merged into the weights; ` +
        "GPT-2's format has no place for them. Call nn.mergeLoRA(model) first (nn.unmergeLoRA(model) afterwards to go on training the adapters), or save the adapters alone with nn.loraStateDict(model).",
    );
  }
  if (model.lmHead.weight !== model.wte.weight) {
    throw new Error("GPT.savePretrained(): lmHead.weight is no longer wte.weight; GPT-2's format stores one tied matrix for both");
  }
  const params = new Map<string, Tensor>();
  for (const [name, m] of model.namedModules()) {
    const own = m as unknown as { weight?: Tensor | null; bias?: Tensor | null };
    const at = (k: string) => (name ? `${name}.${k}` : k);
    if (own.weight instanceof Tensor) params.set(at("weight"), own.weight);
    if ("bias" in own) params.set(at("bias"), own.bias instanceof Tensor ? own.bias : (null as unknown as Tensor));
  }
  const out = new Map<string, Tensor>();
  noGrad(() => {
    for (const [hf, name, conv1d] of hfNames(model.config.nLayer)) {
      let t = params.get(name);
      if (t === undefined) throw new Error(`GPT.savePretrained(): the model has no ${name} (was it changed after construction?)`);
      if (t === null) {
        // nanoGPT's bias=False: GPT-2 has biases everywhere, and zeros compute the same
        const isLn = /ln(1|2|F)\.bias$/.test(name);
        const width = isLn || name.endsWith("cProj.bias") ? model.config.nEmbd : name.endsWith("cAttn.bias") ? 3 * model.config.nEmbd : model.config.nInner;
        t = zeros(width);
      }
      out.set(`transformer.${hf}`, conv1d ? transposed(t) : t.contiguous());
    }
  });
  mkdirSync(dir, { recursive: true });
  const config = hfConfigOf(model);
  writeFileAtomic(join(dir, "model.safetensors"), serializeSafetensors(out, { format: "pt" }));
  writeFileAtomic(join(dir, "config.json"), new TextEncoder().encode(JSON.stringify(config, null, 2) + "\n"));
}

/**
 * A 2-D tensor's transpose as a new tensor on an array of its own. Written out rather than
 * t.transpose(0, 1).contiguous(): views of a parameter made and dropped, with copies of the
 * same length taken from the storage pool meanwhile, led the pool's native watch list to
 * hand the parameter's own array out again (a saved model's weights were overwritten by the
 * next model loaded). A plain array is never pooled, and no view of t is made.
 */
function transposed(t: Tensor): Tensor {
  const [r, c] = t.shape;
  const ct = t.contiguous(); // t itself when it is (a parameter always is); nothing is taken from the pool below
  const src = ct.storage, at = ct.offset;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[at + i * c + j] as number;
  return new Tensor(out, [c, r]);
}

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.values(), y = b.values();
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function readJSON(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`GPT.fromPretrained(): cannot read ${path}: ${(e as Error).message}`);
  }
}
