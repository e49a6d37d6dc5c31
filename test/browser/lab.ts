// A real JupyterLab from .venv and Debian's Chromium, for tests that look at what a user
// sees: start a server on a notebook folder of its own, open notebooks, run their cells on
// the chainlab kernel, and read the page.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

const root = path.resolve(__dirname, "..", "..");
export const artifacts = path.join(root, "test", "artifacts");
const python = path.join(root, ".venv", "bin", "python");
const TOKEN = "chainlab-browser-test";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export interface Lab {
  url: string;
  dir: string;
  browser: Browser;
  /** Page errors and console errors seen on any page so far. */
  errors: string[];
  open(notebook: string, opts?: { theme?: "light" | "dark"; app?: "lab" | "notebook" }): Promise<Page>;
  stop(): Promise<void>;
}

export type Cell = string | { markdown: string };

/** Write a notebook for the chainlab kernel into the server's folder. */
export function notebookJson(cells: Cell[], outputs?: unknown[][]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "chainlab", display_name: "chainlab (TypeScript)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells.map((c, i) =>
      typeof c === "string"
        ? { id: `c${i}`, cell_type: "code", metadata: {}, execution_count: null, source: c, outputs: outputs?.[i] ?? [] }
        : { id: `c${i}`, cell_type: "markdown", metadata: {}, source: c.markdown },
    ),
  }, null, 1);
}

export async function startLab(): Promise<Lab> {
  const dir = mkdtempSync(path.join(tmpdir(), "chainlab-lab-"));
  const settings = path.join(dir, ".settings");
  // no news prompt or update check: they cover outputs in screenshots
  mkdirSync(path.join(settings, "@jupyterlab", "apputils-extension"), { recursive: true });
  writeFileSync(path.join(settings, "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings"),
    JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  // every cell in the DOM, so that tests can count what a whole notebook draws
  mkdirSync(path.join(settings, "@jupyterlab", "notebook-extension"), { recursive: true });
  writeFileSync(path.join(settings, "@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings"),
    JSON.stringify({ windowingMode: "none" }));
  const port = await freePort();
  const args = ["-m", "jupyterlab", "--no-browser", `--port=${port}`, "--ip=127.0.0.1",
    `--IdentityProvider.token=${TOKEN}`, `--ServerApp.root_dir=${dir}`, "--LabApp.expose_app_in_browser=True",
    "--ServerApp.disable_check_xsrf=True"];
  if (process.getuid?.() === 0) args.push("--allow-root");
  const server: ChildProcess = spawn(python, args, {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, JUPYTERLAB_SETTINGS_DIR: settings, JUPYTERLAB_WORKSPACES_DIR: path.join(dir, ".workspaces") },
  });
  let log = "";
  server.stderr!.on("data", (d) => { log = (log + d).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/api/status?token=${TOKEN}`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline || server.exitCode !== null) {
      server.kill();
      throw new Error(`JupyterLab did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
  });
  const errors: string[] = [];
  mkdirSync(artifacts, { recursive: true });
  return {
    url, dir, browser, errors,
    async open(notebook, opts = {}) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on("pageerror", (e) => {
        // Notebook 7 raises two errors of its own at start-up here (in notebook_core);
        // there, only errors thrown from our code count
        if (opts.app === "notebook" && !/@chainlab/.test(e.stack ?? "")) return;
        errors.push(`pageerror: ${e.message} ${(e.stack ?? "").split("\n").slice(1, 3).join(" ")}`);
      });
      page.on("console", (m) => {
        if (m.type() === "error" && /chainlab|cl-/.test(m.text())) errors.push(`console: ${m.text()}`);
      });
      const base = opts.app === "notebook" ? `${url}/notebooks/${notebook}` : `${url}/lab/tree/${notebook}`;
      await page.goto(`${base}?token=${TOKEN}${opts.app === "notebook" ? "" : "&reset"}`);
      await page.waitForSelector(".jp-Notebook", { timeout: 60_000 });
      if (opts.theme) {
        const name = opts.theme === "dark" ? "JupyterLab Dark" : "JupyterLab Light";
        await command(page, "apputils:change-theme", { theme: name });
        await page.waitForFunction((n) => document.body.dataset.jpThemeName === n, name, { timeout: 30_000 });
      }
      return page;
    },
    async stop() {
      await browser.close().catch(() => undefined);
      server.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      if (server.exitCode === null) server.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function writeNotebook(lab: Lab, name: string, cells: Cell[], outputs?: unknown[][]): void {
  writeFileSync(path.join(lab.dir, name), notebookJson(cells, outputs));
}

/** Wait until the notebook's kernel is idle after having started. */
export async function waitForKernel(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => {
    const app = (window as unknown as { jupyterapp?: any }).jupyterapp;
    const panel = app?.shell?.currentWidget;
    const kernel = panel?.sessionContext?.session?.kernel;
    return kernel && kernel.status === "idle" && kernel.connectionStatus === "connected";
  }, undefined, { timeout });
}

/** Run a JupyterLab command; with wait false, do not wait for what it started to end. */
export async function command(page: Page, id: string, args: Record<string, unknown> = {}, wait = true): Promise<void> {
  await page.evaluate(async ([id, args, wait]) => {
    const done = (window as unknown as { jupyterapp: any }).jupyterapp.commands.execute(id, args);
    if (wait) await done;
  }, [id, args, wait] as const);
}

/** Run every cell, without waiting for them to finish (a training loop may run on). */
export async function runAll(page: Page): Promise<void> {
  await command(page, "notebook:run-all-cells", {}, false);
}

/** Wait until cell i has an execution count (it finished) and return its output area. */
export async function cellDone(page: Page, i: number, timeout = 120_000) {
  const cell = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(i);
  await page.waitForFunction((i) => {
    const cells = document.querySelectorAll(".jp-Notebook .jp-Cell.jp-CodeCell");
    const prompt = cells[i]?.querySelector(".jp-InputArea-prompt")?.textContent ?? "";
    return /\[\d+\]/.test(prompt);
  }, i, { timeout });
  return cell;
}

export function codeCell(page: Page, i: number) {
  return page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(i);
}

export async function shot(page: Page, name: string, target?: { screenshot: Page["screenshot"] }): Promise<void> {
  await (target ?? page).screenshot({ path: path.join(artifacts, `${name}.png`) });
}

/**
 * Start timing the page's main-thread tasks; the returned function gives the longest one
 * seen since (what a user feels as a frozen tab while an output opens and draws).
 */
export async function watchLongTasks(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { longest: number };
    w.longest = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longest = Math.max(w.longest, e.duration);
    }).observe({ type: "longtask" });
  });
  return () => page.evaluate(() => (window as unknown as { longest: number }).longest);
}
