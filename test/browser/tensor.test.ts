// Tensors as a learner meets them: small ones as numbers, big ones as a heatmap with slices.
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

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
