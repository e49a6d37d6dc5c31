// A checkpoint taken mid-training resumes exactly: the same next step from a fresh model and optimizer.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import * as cl from "../../src";

const dir = mkdtempSync(join(tmpdir(), "chainlab-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  const model = new cl.nn.Sequential(new cl.nn.Linear(2, 8), new cl.nn.Tanh(), new cl.nn.Linear(8, 2));
  const opt = new cl.optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.1 });
  return { model, opt };
}

function step(model: cl.nn.Module, opt: { zeroGrad(): void; step(): unknown }, x: cl.Tensor, y: cl.Tensor): number {
  opt.zeroGrad();
  const loss = cl.F.crossEntropy(model.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
}

test("save after training steps, load into fresh objects, continue identically", () => {
  cl.manualSeed(0);
  const { x, y } = cl.data.makeMoons(64, { noise: 0.1 });
  const loader = new cl.data.DataLoader(new cl.data.TensorDataset(x, y), { batchSize: 16, shuffle: true });
  const a = setup();
  for (const [bx, by] of loader) step(a.model, a.opt, bx, by);
  const path = join(dir, "ckpt.safetensors");
  cl.io.saveCheckpoint(path, { model: a.model.stateDict(), optimizer: a.opt.stateDict(), step: loader.length });

  const b = setup();
  const ck = cl.io.loadCheckpoint(path);
  expect(ck.step).toBe(4);
  b.model.loadStateDict(ck.model!);
  b.opt.loadStateDict(ck.optimizer!);
  const la = step(a.model, a.opt, x, y);
  const lb = step(b.model, b.opt, x, y);
  expect(lb).toBe(la);
  const pa = a.model.parameters().map((p) => Array.from(p.data));
  const pb = b.model.parameters().map((p) => Array.from(p.data));
  expect(pb).toEqual(pa);
  const acc = cl.metrics.accuracy(b.model.forward(x), y);
  expect(acc).toBeGreaterThanOrEqual(0);
  expect(acc).toBeLessThanOrEqual(1);
});
