// The static JupyterLite site (lite/dist, built by `npm run lite` before this file runs):
// served from 127.0.0.1 with the cross-origin isolation headers, opened in Debian's
// Chromium. A new notebook from the launcher runs on the chainlab kernel in the tab: a sum,
// a tensor drawn by the extension's renderer, an error with its cell line, and every
// request the page made went to the site itself.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the build scripts, without declarations
import { serveSite } from "../../scripts/lite-server.mjs";

const root = path.resolve(__dirname, "..", "..");
const site = path.join(root, "lite", "dist");
const artifacts = path.join(root, "test", "artifacts");

let browser: Browser;
let page: Page;
let opened = 0;
let pageOpened = 0;

/** Types code into code cell i and runs it, without waiting for it to end. */
async function startCell(i: number, code: string): Promise<void> {
  const cell = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(i);
  await cell.locator(".cm-content").click();
  await page.keyboard.insertText(code);
  await page.keyboard.press("Shift+Enter");
}

/** The outputs of code cell i as text, once it has run (its prompt shows a number). */
async function runCell(i: number, code: string, timeout = 90_000): Promise<string> {
  await startCell(i, code);
  return cellOutput(i, timeout);
}

async function cellOutput(i: number, timeout = 90_000): Promise<string> {
  const cell = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(i);
  await page.waitForFunction((i) => {
    const c = document.querySelectorAll(".jp-Notebook .jp-Cell.jp-CodeCell")[i];
    return /\[\d+\]/.test(c?.querySelector(".jp-InputArea-prompt")?.textContent ?? "");
  }, i, { timeout });
  return (await cell.locator(".jp-OutputArea-output").allTextContents()).join("\n");
}

beforeAll(async () => {
  if (!existsSync(path.join(site, "lab", "index.html"))) {
    throw new Error("lite/dist is not built: run `npm run lite` (npm test -- lite builds it first)");
  }
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  mkdirSync(artifacts, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** Serves the site (with or without the isolation headers) and opens a new page on it. */
function withSite(isolated: boolean) {
  const state = {
    url: "",
    requested: [] as string[],
    pageErrors: [] as string[],
    server: undefined as Server | undefined,
    sent: [] as { path: string; bytes: number }[],
  };
  beforeAll(async () => {
    const served = await serveSite(site, { isolated });
    state.server = served.server;
    state.url = served.url;
    state.sent = served.requests;
    // a context of its own, so that a second page shares the first one's cache
    page = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
    page.on("request", (r) => state.requested.push(r.url()));
    page.on("pageerror", (e) => state.pageErrors.push(e.message));
  });
  afterAll(async () => {
    await page?.context().close();
    await new Promise((r) => state.server?.close(r));
  });
  return state;
}

function sizeOf(p: string): number {
  const st = statSync(p);
  return st.isDirectory() ? readdirSync(p).reduce((s, e) => s + sizeOf(path.join(p, e)), 0) : st.size;
}

/** Opens the lab page and a new notebook on the chainlab kernel from the launcher. */
async function newNotebook(url: string): Promise<void> {
  pageOpened = Date.now();
  await page.goto(`${url}lab/index.html`);
  const card = page.locator('.jp-LauncherCard[data-category="Notebook"]', { hasText: "chainlab (TypeScript)" });
  await card.waitFor({ timeout: 90_000 });
  opened = Date.now();
  await card.click();
  await page.waitForSelector(".jp-Notebook .jp-Cell.jp-CodeCell", { timeout: 60_000 });
}

describe("the JupyterLite site, cross-origin isolated", () => {
  const state = withSite(true);

  it("opens a chainlab notebook from the launcher", async () => {
    await newNotebook(state.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  it("runs a sum", async () => {
    const text = await runCell(0, "1 + 2");
    expect(text.trim()).toBe("3");
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    const fetched = state.sent.reduce((s, r) => s + r.bytes, 0);
    const kernel = state.sent.filter((r) => /chainlab-(worker|compiler|types)|\.wasm$/.test(r.path)).reduce((s, r) => s + r.bytes, 0);
    console.log(`first result ${((Date.now() - opened) / 1000).toFixed(1)} s after the launcher's card was clicked; ` +
      `the page fetched ${state.sent.length} files, ${mb(fetched)} (the kernel's workers, declarations and module ${mb(kernel)}); the site is ${mb(sizeOf(site))}; ` +
      `${((Date.now() - pageOpened) / 1000).toFixed(1)} s after the page was opened`);
  });

  it("draws a tensor with the extension's renderer", async () => {
    await runCell(1, "const t = tensor([[1, 2], [3, 4]]);\nt.matmul(t)");
    const cell = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(1);
    await cell.locator(".cl-tensor").first().waitFor({ timeout: 30_000 });
    const text = await cell.locator(".cl-tensor").first().textContent();
    // [[1,2],[3,4]] squared: 7 10 / 15 22
    for (const v of ["7", "10", "15", "22"]) expect(text).toContain(v);
  });

  it("keeps a cell's names for later cells, which may declare them again", async () => {
    expect((await runCell(2, "const total = t.sum().item();\ntotal")).trim()).toBe("10");
    const text = await runCell(3, [
      "const t = 5;",
      "manualSeed(1);",
      "const A = randn([256, 256]), B = randn([256, 256]);",
      "const onWasm = A.matmul(B);",
      "setBackend(\"js\"); const onJs = A.matmul(B); setBackend(\"wasm\");",
      "const { kernels } = require(\"chainlab/dist/backend\");",
      "console.log(backend(), t * 2, total, backendInfo().gemm, kernels().threads(), onWasm.sub(onJs).abs().amax().item() < 1e-3)",
    ].join("\n"));
    // isolated: a second thread, a Web Worker on the shared memory, is up and products agree
    expect(text).toMatch(/^wasm 10 10 wasm-(relaxed-)?simd 2 true/);
  });

  it("reports an error with its cell line", async () => {
    const text = await runCell(4, "const a = tensor([1, 2, 3]);\nconst b = tensor([1, 2]);\na.add(b)");
    expect(text).toMatch(/Cell In\[5\], line 3/);
    expect(text).toMatch(/shape|broadcast/i);
    await page.screenshot({ path: path.join(artifacts, "lite-notebook.png") });
  });

  it("steers a running training loop from the Monitor's Pause and Stop", async () => {
    await startCell(5, [
      "manualSeed(0);",
      "const model = new nn.Linear(2, 1);",
      "const opt = new optim.SGD(model.parameters(), { lr: 0.01 });",
      "const X = randn([32, 2]), Y = X.sum(1, true);",
      "const monitor = new Monitor({ title: \"in the tab\", model, optimizer: opt, redrawMs: 100 });",
      "let step = 0;",
      "while ((await monitor.poll()) && step < 1_000_000) {",
      "  const loss = F.mseLoss(model.forward(X), Y);",
      "  opt.zeroGrad(); loss.backward(); opt.step();",
      "  monitor.log({ train: loss });",
      "  step++;",
      "  await new Promise((r) => setTimeout(r, 2));",
      "}",
      "monitor.close();",
      "console.log(`stopped at step ${step}`);",
    ].join("\n"));
    const cell = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(5);
    const state = cell.locator(".cl-monitor-state");
    await cell.locator("button[data-action=pause]").waitFor({ timeout: 60_000 });
    // the loop runs on: the curve's step count grows
    await page.waitForTimeout(1000);
    await cell.locator("button[data-action=pause]").click();
    await expect.poll(() => state.textContent(), { timeout: 20_000 }).toMatch(/paused/);
    await page.screenshot({ path: path.join(artifacts, "lite-monitor-paused.png") });
    await cell.locator("button[data-action=stop]").click();
    const text = await cellOutput(5, 60_000);
    const stoppedAt = Number(/stopped at step (\d+)/.exec(text)?.[1]);
    expect(stoppedAt).toBeGreaterThan(10);
    expect(stoppedAt).toBeLessThan(1_000_000);
  });

  it("interrupts a loop that never awaits (for (;;) {}), and the kernel keeps its state", async () => {
    await startCell(6, "let spins = 0;\nfor (;;) { spins++; }");
    await page.waitForTimeout(1500);
    await page.evaluate(() => (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } })
      .jupyterapp.commands.execute("notebook:interrupt-kernel"));
    const text = await cellOutput(6, 30_000);
    expect(text).toMatch(/KeyboardInterrupt/);
    expect((await runCell(7, "spins > 1000")).trim()).toBe("true");
  });

  it("reports a type error as TypeScript's diagnostic, with earlier cells' types", async () => {
    // total (a number) was declared three cells ago
    const text = await runCell(8, "const label: string = total;");
    expect(text).toMatch(/Cell In\[9\], line 1:7 - error TS2322: Type 'number' is not assignable to type 'string'/);
    await page.screenshot({ path: path.join(artifacts, "lite-type-error.png") });
    expect((await runCell(9, "const label: string = `total ${total}`;\nlabel")).trim()).toBe("total 10");
  });

  it("completes and inspects from the library's types and docs", async () => {
    const replies = await page.evaluate(async () => {
      const kernel = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
      const complete = await kernel.requestComplete({ code: "nn.Lin", cursor_pos: 6 });
      const inspect = await kernel.requestInspect({ code: "randn", cursor_pos: 5, detail_level: 0 });
      return { matches: complete.content.matches as string[], text: String(inspect.content.data?.["text/plain"] ?? "") };
    });
    console.log(`inspect randn: ${replies.text.slice(0, 300)}`);
    expect(replies.matches).toContain("Linear");
    expect(replies.text).toMatch(/function randn\(/);
  });

  it("opens a second notebook sooner, from the browser's cache, and its kernel reads a file the first wrote", async () => {
    const wrote = await runCell(10, 'import * as fs from "node:fs";\nfs.writeFileSync("kept.txt", "written by an earlier kernel");\nfs.existsSync("kept.txt")');
    expect(wrote.trim()).toBe("true");
    // saved to IndexedDB just after the cell's reply
    await page.waitForTimeout(500);
    const second = await page.context().newPage();
    const sentBefore = state.sent.length;
    try {
      const t0 = Date.now();
      await second.goto(`${state.url}lab/index.html?reset`);
      const card = second.locator('.jp-LauncherCard[data-category="Notebook"]', { hasText: "chainlab (TypeScript)" });
      await card.waitFor({ timeout: 90_000 });
      const clicked = Date.now();
      await card.click();
      const cell = second.locator(".jp-Notebook .jp-Cell.jp-CodeCell").first();
      await cell.locator(".cm-content").click();
      await second.keyboard.insertText('import * as fs from "node:fs";\nfs.readFileSync("kept.txt", "utf8")');
      await second.keyboard.press("Shift+Enter");
      await cell.locator(".jp-OutputArea-output", { hasText: "written by an earlier kernel" }).waitFor({ timeout: 90_000 });
      const now = Date.now();
      const fetched = state.sent.slice(sentBefore).reduce((s, r) => s + r.bytes, 0);
      console.log(`warm cache: first result ${((now - clicked) / 1000).toFixed(1)} s after the card was clicked, ` +
        `${((now - t0) / 1000).toFixed(1)} s after the page was opened; ${(fetched / 1e6).toFixed(1)} MB sent again`);
    } finally {
      await second.close();
    }
  });

  it("fetched nothing from any other origin", () => {
    const origin = new URL(state.url).origin;
    const outside = state.requested.filter((r) => !r.startsWith(origin) && !r.startsWith("data:") && !r.startsWith("blob:"));
    expect(outside).toEqual([]);
    expect(state.pageErrors).toEqual([]);
  });
});

describe("the JupyterLite site without the isolation headers (as on GitHub Pages)", () => {
  const state = withSite(false);

  it("runs cells on one thread", async () => {
    await newNotebook(state.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const text = await runCell(0, "const x = tensor([1, 2, 3]);\nconsole.log(backend(), backendInfo().threads, x.mul(x).sum().item())");
    expect(text).toMatch(/^(wasm|js) 1 14/);
    console.log(`not isolated: ${text.trim()}`);
    expect(state.pageErrors).toEqual([]);
  });
});
