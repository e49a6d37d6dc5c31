// A training loop watched live: the curve grows while the loop runs, and the widget's
// controls reach the loop over the comm (pause holds it, a new learning rate reaches the
// optimiser, a bad one is refused, stop ends it); the gradient flow shows one row per weight
// matrix. However the cell ends (Stop, its own end without close(), an error, Kernel ›
// Interrupt) the widget says so, its controls turn off, no comm error reaches the console,
// and the saved notebook keeps how each run ended.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, codeCell, command, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

/** A loop of at most `limit` steps; `extra` runs after each step's log. */
const loop = (title: string, limit: string, extra = "") => `{
  manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 1));
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const X = randn([64, 2]);
  const Y = X.sum(1, true);
  const monitor = new Monitor({ title: ${JSON.stringify(title)}, optimizer: opt, redrawMs: 100 });
  let step = 0;
  while ((await monitor.poll()) && step < ${limit}) {
    const loss = F.mseLoss(model.forward(X), Y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    monitor.log({ train: loss }, step);
    ${extra}
    step++;
    await new Promise((r) => setTimeout(r, 5));
  }
}`;

let lab: Lab;
/** Console messages about comms, from every page (JupyterLab's "Comm not found for comm id"). */
const commErrors: string[] = [];
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
    loop("ends on its own, no close()", "60"),
    loop("fails at step 25", "1_000_000", `if (step === 25) throw new RangeError("the loss went out of range");`),
    loop("interrupted", "1_000_000"),
  ]);
});
afterAll(async () => { await lab?.stop(); });

function watchConsole(page: Page): void {
  page.on("console", (m) => {
    if ((m.type() === "error" || m.type() === "warning") && /comm/i.test(m.text())) commErrors.push(`${m.type()}: ${m.text()}`);
  });
}

/** Points the run has logged, as the widget last drew them. */
async function points(cell: ReturnType<typeof codeCell>): Promise<number> {
  return Number(await cell.locator(".cl-curves").first().getAttribute("data-logged"));
}

const stateText = (cell: ReturnType<typeof codeCell>) => cell.locator(".cl-monitor-state").innerText();

/** Run code cell i alone, as a user does: click it, Shift+Enter. */
async function runCell(page: Page, i: number): Promise<void> {
  await codeCell(page, i).locator(".jp-InputArea-prompt").click();
  await page.keyboard.press("Shift+Enter");
}

async function controlsOff(cell: ReturnType<typeof codeCell>): Promise<boolean> {
  for (const sel of ["button[data-action=stop]", "button[data-action=pause]", "button[data-action=lr]", "input.cl-lr"]) {
    if (!(await cell.locator(`.cl-controls ${sel}`).isDisabled())) return false;
  }
  return true;
}

let page: Page;

it("draws the curve live and steers the loop from its controls; Stop says stopped at step N", async () => {
  page = await lab.open("monitor.ipynb");
  watchConsole(page);
  await waitForKernel(page);
  await runAll(page);
  const cell = codeCell(page, 0);
  await cell.locator(".cl-curves .js-plotly-plot").waitFor({ timeout: 180_000 });
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(20);
  const p0 = await points(cell);
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(p0 + 20);

  // the controls talk to the kernel: its state is shown
  await expect.poll(() => stateText(cell), { timeout: 30_000 }).toMatch(/running/i);

  // pause holds the loop
  const controls = cell.locator(".cl-controls");
  await cell.locator("button[data-action=pause]").click();
  await expect.poll(() => stateText(cell)).toMatch(/paused/i);
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
  await expect.poll(() => stateText(cell)).toMatch(/0\.05/);

  // a learning rate that would break training is refused, and the lr box stays usable
  await cell.locator("input.cl-lr").fill("1e308");
  await cell.locator("button[data-action=lr]").click();
  await expect.poll(() => cell.locator(".cl-monitor-note").innerText()).toMatch(/0 < lr ≤ 10, not "1e308"/);
  await shot(page, "monitor-lr-refused", cell);
  expect(await stateText(cell)).toMatch(/running · lr 0\.05/);
  expect(await cell.locator("input.cl-lr").isDisabled()).toBe(false);

  // gradient flow: one row per weight matrix
  expect(await cell.locator(".cl-gradflow .cl-gradflow-row").count()).toBe(3);
  await shot(page, "monitor-running");

  // stop ends the loop: the cell finishes and prints the lr the optimiser had
  await cell.locator("button[data-action=stop]").click();
  await cellDone(page, 0, 30_000);
  await expect.poll(() => cell.locator(".jp-OutputArea-output").allInnerTexts()).toContainEqual(expect.stringMatching(/stopped at step \d+ with lr 0\.05/));
  // the widget does not say "stopping" for ever: it says where the loop stopped
  await expect.poll(() => stateText(cell), { timeout: 10_000 }).toMatch(/^stopped at step \d+$/);
  const printed = (await cell.locator(".jp-OutputArea-output").allInnerTexts()).join("\n").match(/stopped at step (\d+) with/)!;
  // the loop printed the step it would have run next; the widget names the last logged one
  expect(await stateText(cell)).toBe(`stopped at step ${Number(printed[1]) - 1}`);
  expect(await controls.getAttribute("data-outcome")).toBe("stopped");
  expect(await controlsOff(cell)).toBe(true);
  expect(lab.errors).toEqual([]);
});

it("a loop that ends on its own says finished at its last step, without close()", async () => {
  const cell = await cellDone(page, 1, 180_000);
  await expect.poll(() => stateText(cell), { timeout: 10_000 }).toBe("finished at step 59");
  expect(await controlsOff(cell)).toBe(true);
});

it("a failing cell says failed with the error", async () => {
  const cell = await cellDone(page, 2, 180_000);
  await expect.poll(() => stateText(cell), { timeout: 10_000 }).toBe("failed at step 25: RangeError: the loss went out of range");
  expect(await cell.locator(".cl-controls").getAttribute("data-outcome")).toBe("failed");
  expect(await controlsOff(cell)).toBe(true);
});

it("Kernel › Interrupt says interrupted", async () => {
  await runCell(page, 3);
  const cell = codeCell(page, 3);
  await expect.poll(() => stateText(cell), { timeout: 180_000 }).toMatch(/^running/);
  await expect.poll(() => points(cell), { timeout: 30_000 }).toBeGreaterThan(10);
  await command(page, "kernelmenu:interrupt");
  await cellDone(page, 3, 60_000);
  await expect.poll(() => stateText(cell), { timeout: 10_000 }).toMatch(/^interrupted at step \d+$/);
  expect(await controlsOff(cell)).toBe(true);
});

it("each end state reads in light and dark, and the saved notebook keeps it", async () => {
  const names = ["stopped", "finished", "failed", "interrupted"];
  for (const theme of ["light", "dark"] as const) {
    await command(page, "apputils:change-theme", { theme: theme === "dark" ? "JupyterLab Dark" : "JupyterLab Light" });
    await page.waitForFunction((light) => document.body.dataset.jpThemeLight === light, String(theme === "light"), { timeout: 30_000 });
    await page.waitForTimeout(500);
    for (let i = 0; i < names.length; i++) {
      const controls = codeCell(page, i).locator(".cl-curves").first();
      await controls.scrollIntoViewIfNeeded();
      await shot(page, `monitor-${names[i]}-${theme}`, controls);
    }
  }
  await shot(page, "monitor-ended-dark");
  await command(page, "docmanager:save");
  const saved = JSON.parse(readFileSync(path.join(lab.dir, "monitor.ipynb"), "utf8"));
  // Shift+Enter on the last cell added an empty one below: only the four runs' cells count
  const ended = saved.cells.slice(0, names.length).map((c: any) => c.outputs
    .map((o: any) => o.data?.["application/vnd.chainlab.curves+json"])
    .filter(Boolean)
    .map((b: any) => [b.running, b.ended?.outcome])[0]);
  expect(ended).toEqual(names.map((n) => [false, n]));
  // nothing about comms reached the console in all of this
  expect(commErrors).toEqual([]);
  expect(lab.errors).toEqual([]);
});
