// Tensors as a learner meets them: small ones as numbers, big ones as a heatmap with slices.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, codeCell, command, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  writeNotebook(lab, "tensors.ipynb", [
    `const x = tensor([1, 2, 3], { requiresGrad: true });\nconst y = x.mul(x).sum();\ny.backward();\nx.grad`,
    `y`,
    `manualSeed(0);\nconst w = randn([64, 48]);\nw`,
    `randn([3, 16, 20])`,
    `tensor([[1, -2], [NaN, Infinity]])`,
  ]);
  // the displays a learner meets in the course, with axes: attention with its characters,
  // a confusion matrix with its classes, a volume's slices, the first output of notebook 01
  writeNotebook(lab, "axes.ipynb", [
    `const line = "the whale swam";\nmanualSeed(0);\nconst att = randn([line.length, line.length]).maskedFill(triu(ones(line.length, line.length), 1), -Infinity).softmax(-1);\natt.name = "attention";\nconst chars = [...line].map((c) => (c === " " ? "␣" : c));\ndisplay(att, { labels: { rows: chars, cols: chars, rowTitle: "query", colTitle: "key" } });`,
    `const cm = metrics.confusionMatrix([0, 1, 2, 2, 1, 0, 2, 1, 1], [0, 1, 2, 1, 1, 0, 2, 2, 1], 3, { classNames: ["cat", "dog", "bird"] });\ncm.name = "confusion matrix";\ncm`,
    `const vol = arange(4 * 3 * 6 * 8).reshape([4, 3, 6, 8]).float();\nvol.name = "vol";\nvol`,
    `tensor(28)`,
    `manualSeed(1);\nconst filters = randn([3, 63]);\nfilters.name = "conv1 filters";\nfilters`,
    `zeros([1e9, 0])`,
  ]);
  // a bundle at BUDGETS.bundleBytes (4M float32 values, as a saved notebook may hold; the
  // library itself sends at most BUDGETS.tensorValues), and one far over it
  const arrow = JSON.stringify(path.resolve(__dirname, "..", "..", "lib", "dist", "display", "arrow.js"));
  const big = (side: number) =>
    `{ const n = ${side} * ${side}; const v = new Float32Array(n); for (let i = 0; i < n; i++) v[i] = Math.sin(i / 997);\n` +
    `display({ "application/vnd.chainlab.tensor+json": { version: 1, shape: [${side}, ${side}], shownShape: [${side}, ${side}], dtype: "float32", ` +
    `stats: { min: -1, max: 1, mean: 0, std: 0.7, nan: 0, inf: 0 }, truncated: false, data: require(${arrow}).arrowBase64({ value: v }) }, "text/plain": "big" }, { raw: true }); }`;
  writeNotebook(lab, "budget.ipynb", [big(1400), big(3500)]);
});
afterAll(async () => { await lab?.stop(); });

for (const theme of ["light", "dark"] as const) {
  it(`draws small tensors as numbers and big ones as heatmaps (${theme})`, async () => {
    const page = await lab.open("tensors.ipynb", { theme });
    await waitForKernel(page);
    await runAll(page);
    const grad = await cellDone(page, 0);
    const scalar = await cellDone(page, 1);
    const big = await cellDone(page, 2);
    const slices = await cellDone(page, 3);
    await cellDone(page, 4);
    await page.waitForTimeout(500);
    await shot(page, `tensor-${theme}`);

    await expect.poll(() => grad.locator(".cl-tensor-values").innerText()).toMatch(/tensor\(\[2\., 4\., 6\.\]\)/);
    expect(await scalar.locator(".cl-tensor-values").innerText()).toMatch(/tensor\(14\., gradFn=<sum>\)/);
    const canvas = big.locator("canvas.cl-heatmap").first();
    expect(await canvas.getAttribute("data-rows")).toBe("64");
    expect(await canvas.getAttribute("data-cols")).toBe("48");
    expect(await big.locator(".cl-tensor-stats").innerText()).toMatch(/64, 48/);

    // a 3-D tensor: one slider for the leading dim, and moving it redraws another slice
    const slider = slices.locator("input.cl-slice");
    expect(await slider.count()).toBe(1);
    const c = slices.locator("canvas.cl-heatmap").first();
    expect(await c.getAttribute("data-rows")).toBe("16");
    const before = await c.evaluate((e: HTMLCanvasElement) => e.toDataURL());
    await slider.evaluate((e: HTMLInputElement) => {
      e.value = "2";
      e.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await expect.poll(() => c.evaluate((e: HTMLCanvasElement) => e.toDataURL())).not.toBe(before);
    expect(await page.locator(".cl-error").count()).toBe(0);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}

for (const theme of ["light", "dark"] as const) {
  it(`heatmaps have axes: tokens, class names, slice indices, a neutral scalar (${theme})`, async () => {
    const page = await lab.open("axes.ipynb", { theme });
    await waitForKernel(page);
    await runAll(page);
    const att = await cellDone(page, 0);
    const cm = await cellDone(page, 1);
    const vol = await cellDone(page, 2);
    const scalar = await cellDone(page, 3);
    const filters = await cellDone(page, 4);
    const empty = await cellDone(page, 5);
    await page.waitForTimeout(500);
    await shot(page, `tensor-axes-${theme}`);

    // attention: one tick per character on both axes, titled, each inside the output
    const ticks = (o: typeof att, axis: string) => o.locator(`.cl-tensor-data .cl-axis-${axis} .cl-tick`).allInnerTexts();
    const chars = [..."the whale swam"].map((c) => (c === " " ? "␣" : c));
    expect(await ticks(att, "rows")).toEqual(chars);
    expect(await ticks(att, "cols")).toEqual(chars);
    expect(await att.locator(".cl-axis-title-rows").innerText()).toBe("query");
    expect(await att.locator(".cl-axis-title-cols").innerText()).toBe("key");
    // row ticks sit beside their rows: the k-th tick's centre is within the k-th row
    const canvas = await att.locator("canvas.cl-heatmap").boundingBox();
    const rowBoxes = await att.locator(".cl-axis-rows .cl-tick").evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().toJSON()));
    const cell = canvas!.height / chars.length;
    rowBoxes.forEach((b, k) => {
      const mid = b.y + b.height / 2;
      expect(Math.abs(mid - (canvas!.y + (k + 0.5) * cell))).toBeLessThan(cell / 2);
      expect(b.x + b.width).toBeLessThanOrEqual(canvas!.x + 1);
    });
    await att.locator("canvas.cl-heatmap").hover({ position: { x: canvas!.width * (2.5 / chars.length), y: canvas!.height * (9.5 / chars.length) } });
    await expect.poll(() => att.locator(".cl-tensor-hover").innerText()).toMatch(/^attention\[9, 2\] = .* \(query "␣", key "e"\)$/);
    await shot(page, `tensor-attention-${theme}`, att);

    // confusion matrix: classes named, axes "true" and "predicted", counts on the cells
    expect(await ticks(cm, "rows")).toEqual(["cat", "dog", "bird"]);
    expect(await ticks(cm, "cols")).toEqual(["cat", "dog", "bird"]);
    expect(await cm.locator(".cl-axis-title-rows").innerText()).toBe("true");
    expect(await cm.locator(".cl-axis-title-cols").innerText()).toBe("predicted");
    expect(await cm.locator(".cl-heat-value").allInnerTexts()).toEqual(["2", "0", "0", "0", "3", "1", "0", "1", "2"]);
    await shot(page, `tensor-confusion-${theme}`, cm);

    // a 4-D volume: two sliders named as the index they pick
    expect(await vol.locator(".cl-slice-expr").innerText()).toBe("vol[0, 0, :, :]");
    const sliders = vol.locator("input.cl-slice");
    for (const [k, v] of [[0, "2"], [1, "1"]] as const) {
      await sliders.nth(k).evaluate((e: HTMLInputElement, v) => {
        e.value = v;
        e.dispatchEvent(new Event("input", { bubbles: true }));
      }, v);
    }
    expect(await vol.locator(".cl-slice-expr").innerText()).toBe("vol[2, 1, :, :]");
    await shot(page, `tensor-slices-${theme}`, vol);

    // the course's first output: no tint behind the number
    expect(await scalar.locator(".cl-num").evaluate((e) => getComputedStyle(e).backgroundColor)).toBe("rgba(0, 0, 0, 0)");
    await shot(page, `tensor-scalar-${theme}`, scalar);

    // conv filters side by side use the output's width, not a 380 x 18 strip
    const out = await filters.boundingBox();
    const strip = await filters.locator("canvas.cl-heatmap").boundingBox();
    expect(strip!.width).toBeGreaterThan(0.6 * out!.width);
    expect(strip!.x + strip!.width).toBeLessThanOrEqual(out!.x + out!.width);
    await shot(page, `tensor-filters-${theme}`, filters);

    // an empty tensor with a billion rows prints as PyTorch prints it
    expect(await empty.locator(".cl-tensor-values").innerText()).toBe("tensor([], size=(1000000000, 0))");

    // nothing wider than its output without its own scroll bar
    const clipped = await page.locator(".cl-tensor").evaluateAll((ns) =>
      ns.filter((n) => n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX === "visible").length,
    );
    expect(clipped).toBe(0);
    expect(await page.locator(".cl-error").count()).toBe(0);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}

it("a bundle at BUDGETS.bundleBytes draws without blocking the page for long; one over it is refused", async () => {
  const page = await lab.open("budget.ipynb", { theme: "light" });
  await waitForKernel(page);
  const longest = () => page.evaluate(() => Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks));
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: "longtask" });
  });
  // 1400 x 1400 float32: 7.5 MB, just under the budget
  await codeCell(page, 0).click();
  await command(page, "notebook:run-cell");
  const atCap = await cellDone(page, 0);
  await expect.poll(() => atCap.locator("canvas.cl-heatmap").count(), { timeout: 90_000 }).toBe(1);
  await page.waitForTimeout(1000);
  const atCapMs = await longest();
  // 3500 x 3500: 47 MB, refused by its length before decoding (JupyterLab still parses the message)
  await codeCell(page, 1).click();
  await command(page, "notebook:run-cell");
  const over = await cellDone(page, 1);
  await expect.poll(() => over.locator(".cl-error").count(), { timeout: 90_000 }).toBe(1);
  expect(await over.locator(".cl-error").getAttribute("data-field")).toBe("data");
  const renderMs = Number(await atCap.locator(".cl-tensor").getAttribute("data-render-ms"));
  console.log(`7.5 MB tensor bundle: the renderer's decode and paint ${renderMs} ms; longest main-thread task ${Math.round(atCapMs)} ms (JupyterLab's message parsing included)`);
  // generous: the machine running the tests may be busy; on a quiet one the draw is a few hundred ms
  expect(renderMs).toBeGreaterThan(0);
  expect(renderMs).toBeLessThan(2000);
  await shot(page, "tensor-budget-light");
  await page.close();
});
