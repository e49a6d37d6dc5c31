// What a JupyterLab user sees of how chainlab is installed: the extension comes from the
// Python package chainlab-jupyterlab (pip, with install.json), and the Help menu of a
// chainlab notebook opens the API reference that the kernelspec carries.
import { afterAll, beforeAll, expect, it } from "vitest";
import { cellDone, command, runAll, shot, startLab, waitForKernel, writeNotebook, type Lab } from "./lab";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  writeNotebook(lab, "help.ipynb", ["tensor([1, 2, 3])"]);
});
afterAll(async () => { await lab?.stop(); });

it("loads the extension installed from its Python package", async () => {
  const page = await lab.open("help.ipynb");
  // what JupyterLab's extension manager reads of the installed extensions
  const installed = await page.evaluate(async () => {
    const r = await fetch("/lab/api/extensions?per_page=100");
    return (await r.json()) as { name: string; pkg_type: string; install?: Record<string, string> }[];
  });
  // the PyPI extension manager lists @chainlab/jupyterlab under its normalised name
  const ours = installed.find((e) => e.name === "@chainlab/jupyterlab" || e.name === "chainlab-jupyterlab");
  expect(ours, `@chainlab/jupyterlab is not among JupyterLab's installed extensions (${installed.map((e) => e.name).join(", ")})`).toBeTruthy();
  expect(ours!.pkg_type).toBe("prebuilt");
  expect(ours!.install, "the extension has no install.json: it was copied, not pip-installed (npm run lab -- --setup-only)")
    .toMatchObject({ packageManager: "python", packageName: "chainlab-jupyterlab" });
  // and its renderers draw: a tensor's bundle, not the text/plain fallback
  await waitForKernel(page);
  await runAll(page);
  const cell = await cellDone(page, 0);
  await expect.poll(() => cell.locator(".cl-tensor-values").count()).toBe(1);
  await page.close();
});

for (const theme of ["light", "dark"] as const) {
  it(`opens the API reference from the Help menu (${theme})`, async () => {
    const page = await lab.open("help.ipynb", { theme });
    await waitForKernel(page);
    // the kernel's help links join the Help menu once the notebook's kernel has answered
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Help$/ }).click();
    const item = page.locator(".lm-Menu-itemLabel", { hasText: "chainlab API reference" });
    await expect.poll(() => item.count(), {
      message: "no \"chainlab API reference\" in the Help menu: build the docs (npm run docs), then npm run lab -- --setup-only",
      timeout: 20_000,
    }).toBe(1);
    await shot(page, `help-menu-${theme}`);
    await item.click();
    // JupyterLab opens a kernel's help link in a tab of its own, in a sandboxed iframe
    const frame = page.frameLocator(".jp-Help iframe").first();
    await expect.poll(() => frame.locator("h1").first().innerText().catch(() => ""), { timeout: 30_000 }).toMatch(/chainlab/);
    // styled and scripted as TypeDoc made it: its stylesheet and the navigation its scripts build
    // (requests from the sandbox carry no login cookie, so they must not need one)
    await expect.poll(() => frame.locator("body").evaluate((b) => getComputedStyle(b).fontFamily).catch(() => ""))
      .toMatch(/Segoe UI/);
    await expect.poll(() => frame.locator(".tsd-navigation a", { hasText: /^Tensor$/ }).count().catch(() => 0), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await shot(page, `help-api-reference-${theme}`);
    await command(page, "application:close-all");
    await page.close();
  });
}
