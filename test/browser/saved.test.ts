// A notebook saved with chainlab outputs and opened later, untrusted (its outputs were not
// made in this browser): every renderer still draws it, in JupyterLab and in Notebook 7.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { everyKindOutputs } from "./every-kind";
import { shot, startLab, writeNotebook, type Lab } from "./lab";

const root = path.resolve(__dirname, "..", "..");

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  const { cells, outputs } = everyKindOutputs();
  writeNotebook(lab, "saved.ipynb", cells, outputs);
});
afterAll(async () => { await lab?.stop(); });

for (const app of ["lab", "notebook"] as const) {
  it(`draws every saved output of an untrusted notebook (${app})`, async () => {
    const page = await lab.open("saved.ipynb", { app });
    await page.locator(".cl-tensor canvas.cl-heatmap").first().waitFor({ timeout: 60_000 });
    await page.locator(".cl-graph .cl-node").first().waitFor();
    await page.locator(".cl-curves .js-plotly-plot").first().waitFor({ timeout: 30_000 });
    await page.locator(".cl-gradflow .cl-gradflow-row").first().waitFor();
    await page.locator(".cl-module tr.cl-module-row").first().waitFor();
    if (app === "lab") {
      const trusted = await page.evaluate(() => {
        const panel = (window as unknown as { jupyterapp: any }).jupyterapp.shell.currentWidget;
        return panel.content.model.cells.get(0).trusted;
      });
      expect(trusted).toBe(false);
    }
    await page.waitForTimeout(800);
    await shot(page, `saved-untrusted-${app}`);
    await page.screenshot({ path: path.join(root, "test", "artifacts", `saved-untrusted-${app}-full.png`), fullPage: true });
    expect(await page.locator(".cl-error").count()).toBe(0);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}
