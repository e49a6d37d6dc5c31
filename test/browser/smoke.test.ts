import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

let lab: Lab;
beforeAll(async () => { lab = await startLab(); });
afterAll(async () => { await lab?.stop(); });

it("runs a cell on the chainlab kernel and draws its tensor", async () => {
  writeNotebook(lab, "smoke.ipynb", [
    `const x = tensor([1, 2, 3], { requiresGrad: true });\nconst y = x.mul(x).sum();\ny.backward();\nx.grad`,
    `manualSeed(0);\nrandn([64, 64])`,
  ]);
  const page = await lab.open("smoke.ipynb");
  await waitForKernel(page);
  await runAll(page);
  const c0 = await cellDone(page, 0);
  await cellDone(page, 1);
  await shot(page, "smoke");
  expect(await c0.locator(".cl-output").count()).toBe(1);
  expect(lab.errors).toEqual([]);
});
