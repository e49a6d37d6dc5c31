// Gradient flow as a learner meets it in notebook 05 (its saved outputs, in JupyterLab at the
// default width with the file browser open): the deep sigmoid net's first layers flagged as
// vanishing at step 0, the three networks on one axis, nothing cut off; and a saved bundle
// that claims 4,096 layers x 16,384 steps drawn within the cell budget without a long freeze.
import { copyFileSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shot, startLab, writeNotebook, type Lab } from "./lab";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { arrowBase64 } = require(path.join(root, "lib", "dist", "display", "arrow"));
const GRADFLOW = "application/vnd.chainlab.gradflow+json";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  copyFileSync(path.join(root, "notebooks", "05-deep-networks.ipynb"), path.join(lab.dir, "05.ipynb"));
  // a bundle that lies about its size: 4,096 layer names, 16,384 distinct steps (~1 MB)
  const L = 4096, S = 16384;
  const layer = Array.from({ length: S }, (_, i) => `l${i % L}`);
  const data = arrowBase64({
    step: Float64Array.from({ length: S }, (_, i) => i), layer,
    gradMean: new Float64Array(S).fill(1e-3), gradMax: new Float64Array(S).fill(1e-2),
    weightNorm: new Float64Array(S).fill(1), updateRatio: new Float64Array(S).fill(1e-3),
  });
  const bundle = { version: 1, layers: Array.from({ length: L }, (_, i) => `l${i}`), steps: S, data };
  writeNotebook(lab, "huge.ipynb", ["huge"], [[{ output_type: "display_data", data: { [GRADFLOW]: bundle, "text/plain": "huge" }, metadata: {} }]]);
});
afterAll(async () => { await lab?.stop(); });

const flags = (w: Locator) => w.locator(".cl-gradflow-row").evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.flag || null));

async function pickStep(w: Locator, i: number): Promise<void> {
  await w.locator("input.cl-step").evaluate((el, i) => {
    (el as HTMLInputElement).value = String(i);
    el.dispatchEvent(new Event("input"));
  }, i);
}

/** Elements of the widget whose right edge passes the output area's, or that overflow themselves. */
async function clipped(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const w of document.querySelectorAll<HTMLElement>(".cl-gradflow")) {
      const area = w.closest(".jp-OutputArea-output") as HTMLElement;
      const right = area.getBoundingClientRect().right;
      if (w.scrollWidth > w.clientWidth + 1) out.push(`.cl-gradflow scrolls: ${w.scrollWidth} > ${w.clientWidth}`);
      for (const sel of [".cl-gradflow-reason", ".cl-gradflow-rule", ".cl-gradflow-legend", ".cl-strip-legend > *", ".cl-strip-layer", ".cl-strip-step", ".cl-gradflow-tick"]) {
        for (const el of w.querySelectorAll<HTMLElement>(sel)) {
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.right > right + 1) out.push(`${sel} "${el.textContent?.slice(0, 30)}" ends at ${r.right} > ${right}`);
          if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === "hidden") out.push(`${sel} "${el.textContent?.slice(0, 30)}" cut`);
        }
      }
    }
    return out;
  });
}

for (const theme of ["light", "dark"] as const) {
  it(`notebook 05: the sigmoid net's first layers vanish, the three nets share one axis, nothing is cut (${theme})`, async () => {
    const page = await lab.open("05.ipynb", { theme });
    await expect.poll(() => page.locator(".cl-gradflow").count(), { timeout: 60_000 }).toBe(3);
    // the file browser is open beside the notebook, as JupyterLab starts
    expect(await page.locator("#filebrowser").isVisible()).toBe(true);
    const [sigmoid, relu, residual] = [0, 1, 2].map((i) => page.locator(".cl-gradflow").nth(i));
    expect(await page.locator(".cl-error").count()).toBe(0);

    // at step 0 the gradient shrinks ~1e5x from the last layer to the first: the first six are
    // flagged (below 1e-6, or below 1/1000 of the largest), the last ones are not
    await pickStep(sigmoid, 0);
    const atStart = await flags(sigmoid);
    expect(atStart).toEqual(["vanishing", "vanishing", "vanishing", "vanishing", "vanishing", "vanishing", null, null, null, null, null]);
    expect(await sigmoid.locator(".cl-gradflow-rule").innerText()).toMatch(/^6 vanishing, 0 exploding at this step\. Rule: .*Largest mean \|grad\| at this step: 0\.016 \(20\.weight\)/);
    // later the whole stalled network is below 1e-6
    await pickStep(sigmoid, 39);
    expect(await flags(sigmoid)).toEqual(Array(11).fill("vanishing"));
    for (const w of [relu, residual]) expect(await flags(w)).not.toContain("exploding");

    // one axis for the three: same ticks at the same places; the sigmoid's bars visibly shorter
    const ticks = (w: Locator) => w.locator(".cl-gradflow-axis .cl-gradflow-tick").evaluateAll((t) => t.map((x) => `${x.textContent}@${(x as HTMLElement).style.left}`));
    expect(await ticks(sigmoid)).toEqual(await ticks(residual));
    expect(await ticks(relu)).toEqual(await ticks(residual));
    const firstBar = (w: Locator) => w.locator(".cl-gradflow-row").first().locator(".cl-gradflow-bar").evaluate((b) => b.getBoundingClientRect().width);
    expect(await firstBar(sigmoid)).toBeLessThan((await firstBar(residual)) * 0.6);
    // the heat strips too: one colour scale, labelled ends
    for (const w of [sigmoid, residual]) {
      expect(await w.locator(".cl-strip-end").allInnerTexts()).toEqual(["≤1e-8", "≥1000"]);
      expect(await w.locator(".cl-strip-ytitle").innerText()).toBe("layer");
    }

    expect(await clipped(page)).toEqual([]);
    await pickStep(sigmoid, 0);
    await sigmoid.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await shot(page, `gradflow-05-sigmoid-${theme}`);
    await shot(page, `gradflow-05-sigmoid-widget-${theme}`, sigmoid);
    await residual.scrollIntoViewIfNeeded();
    await shot(page, `gradflow-05-residual-widget-${theme}`, residual);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}

it("a saved bundle claiming 4,096 layers x 16,384 steps is cut to the budget in well under a second", async () => {
  const page = await lab.open("huge.ipynb");
  const w = page.locator(".cl-gradflow");
  await w.waitFor({ timeout: 60_000 });
  expect(await page.locator(".cl-error").count()).toBe(0);
  expect(await w.locator(".cl-gradflow-sent").innerText()).toBe("showing 256 of 16,384 recorded steps, the first 256 of 4,096 layers");
  expect(await w.locator(".cl-gradflow-row").count()).toBe(256);
  // the renderer's own main-thread work, timed around it: the same bundle drawn again by the
  // notebook's renderer factory, into a detached node (JupyterLab's loading of a 1 MB notebook
  // is not the renderer's)
  const ms = await page.evaluate(async (mime) => {
    const app = (window as unknown as { jupyterapp: any }).jupyterapp;
    const panel = app.shell.currentWidget;
    const model = panel.content.model.cells.get(0).outputs.get(0);
    const times: number[] = [];
    for (let k = 0; k < 3; k++) {
      const r = panel.content.rendermime.createRenderer(mime);
      const t0 = performance.now();
      await r.renderModel(model);
      times.push(performance.now() - t0);
      r.dispose();
    }
    return times;
  }, GRADFLOW);
  console.log(`drawing the 4,096 x 16,384 bundle: ${ms.map((t) => t.toFixed(0)).join(", ")} ms`);
  expect(Math.min(...ms)).toBeLessThan(500);
  await shot(page, "gradflow-huge-cut");
  expect(lab.errors).toEqual([]);
  await page.close();
});
