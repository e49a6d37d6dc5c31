import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { Tensor } from "../../src/tensor";
import { tensor, zeros } from "../../src/creation";
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from "../../src/io";

const dir = mkdtempSync(join(tmpdir(), "chainlab-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fresh(): string {
  return mkdtempSync(join(dir, "run-"));
}

test("model, optimizer state, step and extra round-trip", () => {
  const d = fresh();
  const path = join(d, "ckpt.safetensors");
  const model = { "0.weight": tensor([[1, 2], [3, 4]]), "0.bias": tensor([0.5, -0.5]), "emb.idx": tensor([1, 2], { dtype: "int32" }) };
  const optimizer = {
    state: {
      "0": { step: 3, exp_avg: tensor([[0.1, 0.2], [0.3, 0.4]]), exp_avg_sq: tensor([[1, 1], [1, 1]]) },
      "1": { step: 3, momentum_buffer: tensor([9, 8]) },
    },
    paramGroups: [{ lr: 3e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, params: [0, 1], maxLr: Infinity, floor: -Infinity, nan: NaN }],
  };
  saveCheckpoint(path, { model, optimizer, step: 1200, extra: { config: { nLayer: 4 }, bestVal: 1.88, ema: tensor([7]), note: null } });

  const back = loadCheckpoint(path);
  expect(back.step).toBe(1200);
  expect(Object.keys(back.model!)).toEqual(Object.keys(model));
  for (const [k, t] of Object.entries(model)) {
    expect(back.model![k].dtype).toBe(t.dtype);
    expect(back.model![k].toArray()).toEqual(t.toArray());
  }
  const st = back.optimizer!.state as Record<string, Record<string, unknown>>;
  expect(st["0"].step).toBe(3);
  expect((st["0"].exp_avg as Tensor).toArray()).toEqual(optimizer.state["0"].exp_avg.toArray());
  expect((st["1"].momentum_buffer as Tensor).toArray()).toEqual([9, 8]);
  const g = back.optimizer!.paramGroups[0] as Record<string, unknown>;
  expect(g).toMatchObject({ lr: 3e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, params: [0, 1], maxLr: Infinity, floor: -Infinity });
  expect(Number.isNaN(g.nan)).toBe(true);
  const extra = back.extra as Record<string, unknown>;
  expect(extra.config).toEqual({ nLayer: 4 });
  expect(extra.bestVal).toBe(1.88);
  expect(extra.note).toBeNull();
  expect((extra.ema as Tensor).toArray()).toEqual([7]);
});

test("the checkpoint is a plain safetensors file whose weights any reader can take", () => {
  const path = join(fresh(), "ckpt.safetensors");
  saveCheckpoint(path, { model: { w: tensor([1, 2]) }, optimizer: { state: { "0": { buf: tensor([3]) } }, paramGroups: [] } });
  const raw = loadSafetensors(path);
  expect(Object.keys(raw).sort()).toEqual(["model.w", "optimizer.state.0.buf"]);
});

test("a bare state dict file loads as {model}", () => {
  const path = join(fresh(), "weights.safetensors");
  saveSafetensors(path, { "lm_head.weight": zeros(2, 2) });
  const back = loadCheckpoint(path);
  expect(Object.keys(back.model!)).toEqual(["lm_head.weight"]);
  expect(back.optimizer).toBeUndefined();
  expect(back.step).toBeUndefined();
  expect(back.metadata).toBeUndefined();
  saveSafetensors(path, { w: zeros(1) }, { format: "pt" });
  expect(loadCheckpoint(path).metadata).toEqual({ format: "pt" });
});

test("a Map state dict and an empty model are kept", () => {
  const d = fresh();
  saveCheckpoint(join(d, "a"), { model: new Map([["x", tensor([1])]]) });
  expect(loadCheckpoint(join(d, "a")).model!.x.toArray()).toEqual([1]);
  saveCheckpoint(join(d, "b"), { model: {}, step: 0 });
  expect(loadCheckpoint(join(d, "b"))).toEqual({ model: {}, step: 0 });
});

test("a failing save leaves the previous checkpoint intact and no temporary file", () => {
  const d = fresh();
  const path = join(d, "ckpt.safetensors");
  saveCheckpoint(path, { model: { w: tensor([1, 2, 3]) }, step: 1 });
  const before = readFileSync(path);

  class Exploding extends Tensor {
    override values(): Float32Array {
      throw new Error("disk full (simulated)");
    }
  }
  const bad = new Exploding(new Float32Array(3), [3]);
  expect(() => saveCheckpoint(path, { model: { w: bad }, step: 2 })).toThrow(/simulated/);
  expect(() => saveCheckpoint(path, { model: { w: tensor([0]) }, extra: { when: new Date() } })).toThrow(
    /extra\.when is Date; a checkpoint holds tensors, numbers/,
  );
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(loadCheckpoint(path).step).toBe(1);
  expect(readdirSync(d)).toEqual(["ckpt.safetensors"]);
});

test("a write that fails after the temporary file exists cleans it up", () => {
  const d = fresh();
  // Renaming over a non-empty directory fails, after the temporary file has been written.
  const target = join(d, "ckpt.safetensors");
  mkdirSync(target);
  writeFileSync(join(target, "keep"), "x");
  expect(() => saveCheckpoint(target, { step: 5 })).toThrow();
  expect(readdirSync(d)).toEqual(["ckpt.safetensors"]);
  expect(readdirSync(target)).toEqual(["keep"]);
});

test("saving into a missing directory fails with the path in the message", () => {
  expect(() => saveCheckpoint(join(dir, "no", "such", "dir", "c.safetensors"), { step: 1 })).toThrow(/no\/such\/dir/);
});

test("a corrupt checkpoint names the file", () => {
  const d = fresh();
  const path = join(d, "ckpt.safetensors");
  saveCheckpoint(path, { model: { w: tensor([1, 2]) }, optimizer: { state: {}, paramGroups: [] }, step: 3 });
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  expect(() => loadCheckpoint(path)).toThrow(new RegExp(`safetensors: ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: .*beyond the end`));
});

test("metadata that refers to a missing tensor is reported", () => {
  const path = join(fresh(), "c.safetensors");
  saveSafetensors(path, {}, { format: "chainlab.checkpoint", version: "1", optimizer: '{"state": {"0": {"m": {"__tensor__": "optimizer.gone"}}}, "paramGroups": []}' });
  expect(() => loadCheckpoint(path)).toThrow(/c\.safetensors: the metadata refers to tensor "optimizer\.gone", which the file does not hold/);
  saveSafetensors(path, {}, { format: "chainlab.checkpoint", version: "1", optimizer: "{not json" });
  expect(() => loadCheckpoint(path)).toThrow(/c\.safetensors: the checkpoint's "optimizer" metadata is not valid JSON/);
  saveSafetensors(path, {}, { format: "chainlab.checkpoint", version: "9" });
  expect(() => loadCheckpoint(path)).toThrow(/checkpoint version 9 is not supported/);
});
