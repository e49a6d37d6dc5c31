// The computation graph of a value and the backward pass walked one node at a time.
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  writeNotebook(lab, "graph.ipynb", [
    `const a = tensor(2, { requiresGrad: true });
const b = tensor(-3, { requiresGrad: true });
const c = tensor(10, { requiresGrad: true });
const e = a.mul(b);
const d = e.add(c);
const L = d.mul(d).add(a);
computationGraph(L)`,
    `const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
model.forward(randn([3, 4])).sum()`,
    `model`,
  ]);
});
afterAll(async () => { await lab?.stop(); });

it("draws the graph, shows a node's tensor and steps through the backward pass", async () => {
  const page = await lab.open("graph.ipynb");
  await waitForKernel(page);
  await runAll(page);
  const cell = await cellDone(page, 0);
  await cellDone(page, 2);
  const graph = cell.locator(".cl-graph");
  await graph.waitFor();
  // a, b, c, e = a*b, d = e+c, d*d, L = d*d + a
  expect(await graph.locator(".cl-node").count()).toBe(7);

  await graph.locator(".cl-node").last().click();
  await expect.poll(() => cell.locator(".cl-graph-detail .cl-tensor").count()).toBeGreaterThan(0);

  // walk the backward pass to the leaves
  const next = graph.locator("button.cl-step-next");
  for (let i = 0; i < 20 && !(await next.isDisabled()); i++) await next.click();
  expect(await graph.locator(".cl-node.cl-done").count()).toBeGreaterThanOrEqual(4);
  // dL/da = 2 d b + 1 = 2 * 4 * -3 + 1 = -23
  await expect.poll(() => graph.innerText()).toMatch(/-23/);
  await shot(page, "graph-stepped", cell);

  const mod = await cellDone(page, 2);
  expect(await mod.locator(".cl-module tr.cl-module-row").count()).toBeGreaterThanOrEqual(3);
  await shot(page, "module", mod);
  expect(await page.locator(".cl-error").count()).toBe(0);
  expect(lab.errors).toEqual([]);
});
