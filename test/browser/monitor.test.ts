// A training loop watched live: the curve grows while the loop runs, and the widget's
// controls reach the loop over the comm (pause holds it, a new learning rate reaches the
// optimiser, stop ends it); the gradient flow shows one row per weight matrix.
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, codeCell, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  writeNotebook(lab, "monitor.ipynb", [
    `manualSeed(0);
const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.ReLU(), new nn.Linear(16, 1));
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
const X = randn([64, 2]);
const Y = X.sum(1, true);
const monitor = new Monitor({ title: "toy regression", model, optimizer: opt, redrawMs: 100 });
let step = 0;
while ((await monitor.poll()) && step < 1_000_000) {
  const loss = F.mseLoss(model.forward(X), Y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  monitor.log({ train: loss });
  if (step % 20 === 0) monitor.log({ val: loss.item() * 1.1 }, step);
  step++;
  await new Promise((r) => setTimeout(r, 5));
}
monitor.close();
console.log(\`stopped at step \${step} with lr \${opt.paramGroups[0].lr}\`);`,
  ]);
});
afterAll(async () => { await lab?.stop(); });

/** Points the run has logged, as the widget last drew them. */
async function points(cell: ReturnType<typeof codeCell>): Promise<number> {
  return Number(await cell.locator(".cl-curves").first().getAttribute("data-logged"));
}

it("draws the curve live and steers the loop from its controls", async () => {
  const page = await lab.open("monitor.ipynb");
  await waitForKernel(page);
  await runAll(page);
  const cell = codeCell(page, 0);
  await cell.locator(".cl-curves .js-plotly-plot").waitFor({ timeout: 60_000 });
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(20);
  const p0 = await points(cell);
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(p0 + 20);

  // the controls talk to the kernel: its state is shown
  await expect.poll(() => cell.locator(".cl-monitor-state").innerText(), { timeout: 30_000 }).toMatch(/running/i);

  // pause holds the loop
  const controls = cell.locator(".cl-controls");
  await cell.locator("button[data-action=pause]").click();
  await expect.poll(() => cell.locator(".cl-monitor-state").innerText()).toMatch(/paused/i);
  // the kernel's own answer: the loop has seen the command
  await expect.poll(() => controls.getAttribute("data-kernel-state"), { timeout: 30_000 }).toBe("paused");
  // what the loop logged before it paused may still be on its way (updates are throttled)
  await page.waitForTimeout(1500);
  const held = await points(cell);
  await page.waitForTimeout(1500);
  expect(await points(cell)).toBeLessThanOrEqual(held + 2);
  await shot(page, "monitor-paused");

  // resume and a new learning rate
  await cell.locator("button[data-action=pause]").click();
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(held + 10);
  await cell.locator("input.cl-lr").fill("0.05");
  await cell.locator("button[data-action=lr]").click();
  await expect.poll(() => cell.locator(".cl-monitor-state").innerText()).toMatch(/0\.05/);

  // gradient flow: one row per weight matrix
  expect(await cell.locator(".cl-gradflow .cl-gradflow-row").count()).toBe(3);
  await shot(page, "monitor-running");

  // stop ends the loop: the cell finishes and prints the lr the optimiser had
  await cell.locator("button[data-action=stop]").click();
  await cellDone(page, 0, 30_000);
  await expect.poll(() => cell.locator(".jp-OutputArea-output").allInnerTexts()).toContainEqual(expect.stringMatching(/stopped at step \d+ with lr 0\.05/));
  // the run has ended: the controls are off
  await expect.poll(() => cell.locator("button[data-action=stop]").isDisabled(), { timeout: 10_000 }).toBe(true);
  await shot(page, "monitor-stopped");
  expect(lab.errors).toEqual([]);
});
