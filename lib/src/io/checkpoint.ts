// A training checkpoint in one safetensors file, so that the weights stay readable by any
// safetensors reader (PyTorch included) and one rename makes the whole save atomic:
//
//   tensors    "model.<name>" for the model's state dict; tensors found anywhere inside the
//              optimizer state or `extra` under "optimizer.<path>" / "extra.<path>"
//   metadata   format "chainlab.checkpoint", version "1", and JSON strings: "model" (the
//              state dict's names in order), "optimizer", "extra", "step". Inside that JSON a
//              tensor is {"__tensor__": "<stored name>"} and a non-finite number
//              {"__number__": "NaN" | "Infinity" | "-Infinity"}, which JSON cannot spell.
import { Tensor } from "../tensor";
import { checkOptimizerState, checkSchedulerState, looksLikeOptimizerState, looksLikeSchedulerState } from "../optim/state-check";
import { writeFileAtomic } from "./atomic";
import { SafetensorsError, loadSafetensorsWithMetadata, serializeSafetensors, setOwn } from "./safetensors";

/** The shape optimizers' stateDict() returns: per-parameter state plus the groups' hyperparameters. */
export interface OptimizerStateDict {
  /** Keyed by the parameter's position across all groups. */
  state: Record<string, Record<string, Tensor | number>>;
  paramGroups: Record<string, unknown>[];
}

export interface Checkpoint {
  model?: Record<string, Tensor> | Map<string, Tensor>;
  /** An optimizer's stateDict(), or any JSON-like value holding tensors (a scheduler's state too). */
  optimizer?: object;
  step?: number;
  /** Anything else worth keeping (config, tokenizer, losses): JSON values and tensors. */
  extra?: unknown;
}

export interface LoadedCheckpoint {
  model?: Record<string, Tensor>;
  optimizer?: OptimizerStateDict;
  step?: number;
  extra?: unknown;
  /** The metadata of a plain safetensors file (one not written by saveCheckpoint). */
  metadata?: Record<string, string>;
}

const format = "chainlab.checkpoint";
const version = "1";

/**
 * The deepest nesting of arrays and objects a checkpoint's metadata may hold. Configs and
 * optimizer states are a few levels deep; the limit keeps a hostile file from overflowing
 * the stack while it is decoded.
 */
export const MAX_METADATA_DEPTH = 100;

/** A path for an error message: the start of a deep one is enough to find it. */
function pathText(path: string[]): string {
  const shown = path.length > 8 ? [...path.slice(0, 8), `… (${path.length - 8} more levels)`] : path;
  return shown.join(".");
}

/** Every JSON value a checkpoint can hold besides tensors. */
function encodeValue(
  value: unknown,
  path: string[],
  root: string,
  tensors: Map<string, Tensor>,
): unknown {
  const where = () => [root, ...path].join(".");
  if (path.length > MAX_METADATA_DEPTH && typeof value === "object" && value !== null && !(value instanceof Tensor)) {
    throw new Error(`saveCheckpoint(): ${pathText([root, ...path])} nests deeper than ${MAX_METADATA_DEPTH} levels of arrays and objects`);
  }
  if (value instanceof Tensor) {
    let name = where();
    for (let k = 1; tensors.has(name); k++) name = `${where()}#${k}`;
    tensors.set(name, value);
    return { __tensor__: name };
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : { __number__: String(value) };
  }
  if (Array.isArray(value)) return value.map((v, i) => encodeValue(v, [...path, String(i)], root, tensors));
  if (typeof value === "object" && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) setOwn(out, k, encodeValue(v, [...path, k], root, tensors));
    }
    return out;
  }
  const kind = typeof value === "object" ? (value as object).constructor?.name ?? "object" : typeof value;
  throw new Error(
    `saveCheckpoint(): ${where()} is ${kind}; a checkpoint holds tensors, numbers, strings, booleans, null, arrays and plain objects`,
  );
}

function decodeValue(value: unknown, tensors: Record<string, Tensor>, fail: (problem: string) => never, path: string[]): unknown {
  if (value !== null && typeof value === "object" && path.length > MAX_METADATA_DEPTH) {
    fail(`${pathText(path)} nests deeper than ${MAX_METADATA_DEPTH} levels of arrays and objects`);
  }
  if (Array.isArray(value)) return value.map((v, i) => decodeValue(v, tensors, fail, [...path, String(i)]));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === "__tensor__") {
      const name = obj.__tensor__;
      if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(tensors, name)) {
        fail(`the metadata refers to tensor ${JSON.stringify(name)}, which the file does not hold`);
      }
      return tensors[name as string];
    }
    if (keys.length === 1 && keys[0] === "__number__") return Number(obj.__number__);
    const out: Record<string, unknown> = {};
    for (const k of keys) setOwn(out, k, decodeValue(obj[k], tensors, fail, [...path, k]));
    return out;
  }
  return value;
}

/**
 * An optimizer's state, or an object of several (an optimizer's and its scheduler's), is
 * checked as the optimizers' loadStateDict() would, so a damaged file is refused here,
 * naming the file and field, not at the first step().
 */
function checkTrainingState(value: unknown, fail: (problem: string) => never): void {
  const check = (v: unknown, at: string) => {
    const failAt = (field: string, problem: string): never => fail(`${at}.${field} ${problem}`);
    if (looksLikeOptimizerState(v)) checkOptimizerState(v, failAt);
    else if (looksLikeSchedulerState(v)) checkSchedulerState(v, failAt);
  };
  if (looksLikeOptimizerState(value) || looksLikeSchedulerState(value)) return check(value, "optimizer");
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) check(v, `optimizer.${k}`);
  }
}

/** The bytes of a checkpoint file (what saveCheckpoint writes). */
export function serializeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { format, version };
  if (ckpt.model !== undefined) {
    const entries = ckpt.model instanceof Map ? [...ckpt.model.entries()] : Object.entries(ckpt.model);
    for (const [name, t] of entries) {
      if (!(t instanceof Tensor)) throw new Error(`saveCheckpoint(): model entry "${name}" is not a Tensor`);
      tensors.set(`model.${name}`, t);
    }
    metadata.model = JSON.stringify(entries.map(([name]) => name));
  }
  if (ckpt.optimizer !== undefined) {
    metadata.optimizer = JSON.stringify(encodeValue(ckpt.optimizer, [], "optimizer", tensors));
  }
  if (ckpt.extra !== undefined) metadata.extra = JSON.stringify(encodeValue(ckpt.extra, [], "extra", tensors));
  if (ckpt.step !== undefined) {
    if (typeof ckpt.step !== "number" || !Number.isFinite(ckpt.step) || ckpt.step < 0) {
      throw new Error(`saveCheckpoint(): step must be a finite number >= 0, got ${ckpt.step}`);
    }
    metadata.step = String(ckpt.step);
  }
  return serializeSafetensors(tensors, metadata);
}

/**
 * Save a model's state dict, an optimizer's state, the step and anything else to `path`,
 * atomically: the old file stays whole until the new one is on disk.
 */
export function saveCheckpoint(path: string, ckpt: Checkpoint): void {
  // Serialise completely before touching the disk, so a failure leaves nothing behind.
  writeFileAtomic(path, serializeCheckpoint(ckpt));
}

/**
 * Read a checkpoint written by saveCheckpoint. A plain safetensors file (a bare state dict,
 * as saveSafetensors or PyTorch write it) loads as `{model}`.
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const { tensors, metadata } = loadSafetensorsWithMetadata(path);
  const fail = (problem: string): never => {
    throw new SafetensorsError(path, problem);
  };
  if (metadata.format !== format) return Object.keys(metadata).length ? { model: tensors, metadata } : { model: tensors };
  if (metadata.version !== version) fail(`checkpoint version ${metadata.version} is not supported (expected ${version})`);
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch (e) {
      return fail(`the checkpoint's "${key}" metadata is not valid JSON: ${(e as Error).message}`);
    }
  };
  const out: LoadedCheckpoint = {};
  if (metadata.model !== undefined) {
    const names = parse("model");
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) fail('the checkpoint\'s "model" metadata is not a list of names');
    const model: Record<string, Tensor> = {};
    for (const name of names as string[]) {
      const t = tensors[`model.${name}`];
      if (!Object.prototype.hasOwnProperty.call(tensors, `model.${name}`)) fail(`model tensor "${name}" is listed but missing from the file`);
      setOwn(model, name, t);
    }
    out.model = model;
  }
  if (metadata.optimizer !== undefined) {
    const optimizer = decodeValue(parse("optimizer"), tensors, fail, ["optimizer"]);
    checkTrainingState(optimizer, fail);
    out.optimizer = optimizer as OptimizerStateDict;
  }
  if (metadata.extra !== undefined) out.extra = decodeValue(parse("extra"), tensors, fail, ["extra"]);
  if (metadata.step !== undefined) {
    const step = Number(metadata.step);
    if (!Number.isFinite(step) || step < 0) fail(`the checkpoint's step ${JSON.stringify(metadata.step)} is not a number >= 0`);
    out.step = step;
  }
  return out;
}
