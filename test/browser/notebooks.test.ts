// The tutorial notebooks as they are committed, with the outputs of their full run: each
// opens in JupyterLab untrusted and every chainlab output in it draws without an error box.
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shot, startLab, type Lab } from "./lab";

const dir = path.resolve(__dirname, "..", "..", "notebooks");
const notebooks = readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

/** How many outputs of the notebook carry a chainlab MIME type. */
function chainlabOutputs(file: string): number {
  const nb = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  let n = 0;
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (Object.keys(o.data ?? {}).some((k) => k.startsWith("application/vnd.chainlab."))) n++;
    }
  }
  return n;
}

/** What the saved bundles promise a reader: the runs a chart overlays, the labels a heatmap's axes carry. */
function promised(file: string): { runs: { title: string; runs: string[] }[]; labels: { rows: string[]; rowTitle?: string }[] } {
  const nb = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  const runs: { title: string; runs: string[] }[] = [];
  const labels: { rows: string[]; rowTitle?: string }[] = [];
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      const curves = o.data?.["application/vnd.chainlab.curves+json"];
      const named = [...new Set((curves?.series ?? []).map((s: { run?: string }) => s.run).filter(Boolean))] as string[];
      if (named.length > 1) runs.push({ title: curves.title, runs: named });
      const rows = o.data?.["application/vnd.chainlab.tensor+json"]?.labels;
      if (rows?.rows && rows.rowTitle) labels.push({ rows: rows.rows, rowTitle: rows.rowTitle });
    }
  }
  return { runs, labels };
}

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  for (const f of notebooks) copyFileSync(path.join(dir, f), path.join(lab.dir, f));
});
afterAll(async () => { await lab?.stop(); });

it("every notebook is committed with the rich outputs of its run", () => {
  expect(notebooks.length).toBeGreaterThanOrEqual(9);
  expect(notebooks.filter((f) => chainlabOutputs(f) === 0)).toEqual([]);
});

for (const file of notebooks) {
  it(`${file}: its saved outputs draw`, async () => {
    const page = await lab.open(file);
    const expected = chainlabOutputs(file);
    await page.waitForSelector(".cl-output", { timeout: 60_000 });
    await expect.poll(() => page.locator(".cl-output").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(expected);
    await page.waitForTimeout(500);
    expect(await page.locator(".cl-error").allInnerTexts()).toEqual([]);
    await shot(page, `notebook-${file.replace(/\.ipynb$/, "")}`);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}

// The moments the lessons turn on, as a reader sees them in the saved notebooks: optimisers
// and networks raced on one chart with each run named in the legend, a confusion matrix with
// its classes, an attention map with its tokens.
it("saved charts name every run they overlay, and saved heatmaps carry their labels", async () => {
  const checked = { runs: 0, labels: 0 };
  for (const file of notebooks) {
    const want = promised(file);
    if (!want.runs.length && !want.labels.length) continue;
    const page = await lab.open(file);
    await page.waitForSelector(".cl-output", { timeout: 60_000 });
    for (const chart of want.runs) {
      const widget = page.locator(".cl-curves", { has: page.locator(".cl-curves-title", { hasText: chart.title }) }).first();
      await widget.scrollIntoViewIfNeeded();
      await expect.poll(() => widget.locator(".legendtext").count(), { timeout: 30_000 }).toBeGreaterThan(0);
      // SVG text: read its textContent (innerText is empty for SVG)
      const legend = (await widget.locator(".legendtext").evaluateAll((ts) => ts.map((t) => t.textContent ?? ""))).join(" | ");
      for (const run of chart.runs) expect(legend, `${file}: "${chart.title}" names run ${run}`).toContain(run);
      checked.runs++;
    }
    for (const [k, l] of want.labels.entries()) {
      // the heatmap whose row axis carries this title (unlabelled heatmaps have index axes)
      const out = page.locator(".cl-output", { has: page.locator(".cl-axis-title-rows", { hasText: l.rowTitle ?? "" }) }).first();
      await out.scrollIntoViewIfNeeded();
      const ticks = await out.locator(".cl-axis-rows .cl-tick").allInnerTexts();
      expect(ticks.length, `${file}: heatmap ${k} draws row labels`).toBeGreaterThan(0);
      expect(ticks[0]).toBe(l.rows[0]);
      for (const t of ticks) expect(l.rows, `${file}: heatmap ${k}`).toContain(t);
      checked.labels++;
    }
    await page.close();
  }
  // 04's optimisers and learning rates, 05's networks, 09's methods; 06's confusion matrix, 08's attention
  expect(checked.runs).toBeGreaterThanOrEqual(4);
  expect(checked.labels).toBeGreaterThanOrEqual(2);
});

