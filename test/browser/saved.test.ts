// A notebook saved with chainlab outputs and opened later, untrusted (its outputs were not
// made in this browser): every renderer still draws it, in JupyterLab and in Notebook 7.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shot, startLab, writeNotebook, type Lab } from "./lab";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cl = require(path.join(root, "lib", "dist"));
const display = Symbol.for("Jupyter.display");

function output(obj: { [display](): Record<string, unknown> } | Record<string, unknown>) {
  const data = typeof (obj as Record<symbol, unknown>)[display] === "function"
    ? (obj as { [display](): Record<string, unknown> })[display]()
    : obj;
  return [{ output_type: "display_data", data, metadata: {} }];
}

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  cl.manualSeed(0);
  const x = cl.randn([40, 30], { requiresGrad: true });
  const y = x.tanh().sum();
  const graph = cl.computationGraph(y);
  y.backward();
  const model = new cl.nn.Sequential(new cl.nn.Linear(4, 8), new cl.nn.ReLU(), new cl.nn.Linear(8, 2));
  const monitor = new cl.Monitor({ title: "saved run", model, show: false });
  const opt = new cl.optim.SGD(model.parameters(), { lr: 0.1 });
  const X = cl.randn([16, 4]);
  for (let i = 0; i < 30; i++) {
    const loss = model.forward(X).pow(2).mean();
    opt.zeroGrad();
    loss.backward();
    opt.step();
    monitor.log({ train: loss });
  }
  monitor.close();
  const cells = ["x", "graph", "monitor", "gradflow", "model"];
  writeNotebook(lab, "saved.ipynb", cells, [
    output(x), output(graph), output(monitor.curvesBundle()), output(monitor.gradflowBundle()), output(model),
  ]);
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
