// The tutorial notebooks whose data the site ships run top to bottom in the tab, in quick mode
// (`?CHAINLAB_QUICK=1` becomes process.env.CHAINLAB_QUICK), with no error and no stderr
// output. The site (lite/dist) is built by `npm run lite` before this file runs.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the build scripts, without declarations
import { serveSite } from "../../scripts/lite-server.mjs";

const root = path.resolve(__dirname, "..", "..");
const site = path.join(root, "lite", "dist");
/**
 * The notebooks whose data the site ships (Moby Dick as a script, MNIST as compact files,
 * both loaded on first use); 07 and 12 (GPT-2's vocabulary, SpamAssassin), 09
 * (SpamAssassin) and 11 (which calls Python) do not run in the tab yet.
 */
const notebooks = ["01-chain-rule", "02-autodiff-from-scratch", "03-tensors-and-broadcasting", "04-regression-and-optimisers",
  "05-deep-networks", "06-digits-cnn", "08-pretraining-a-gpt", "10-scaling-laws"];

let server: Server;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(site, "lab", "index.html"))) {
    throw new Error("lite/dist is not built: run `npm run lite` (npm test -- lite builds it first)");
  }
  ({ server, url } = await serveSite(site, { isolated: true }));
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-dev-shm-usage"] });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

interface Progress {
  cells: number;
  done: number;
  idle: boolean;
  errors: string[];
}

for (const nb of notebooks) {
  it(`${nb} runs top to bottom in quick mode`, async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    try {
      await page.goto(`${url}lab/index.html?path=${nb}.ipynb&CHAINLAB_QUICK=1`);
      await page.waitForSelector(".jp-Notebook .jp-Cell.jp-CodeCell", { timeout: 90_000 });
      await page.waitForFunction(() => {
        const k = (window as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel;
        return k && k.status === "idle";
      }, undefined, { timeout: 90_000 });
      // the saved outputs go first, so that what is checked is what this run printed
      await page.evaluate(async () => {
        const commands = (window as any).jupyterapp.commands;
        await commands.execute("notebook:clear-all-cell-outputs");
        void commands.execute("notebook:run-all-cells");
      });
      const started = Date.now();
      let last: Progress = { cells: 0, done: 0, idle: false, errors: [] };
      while (Date.now() - started < 600_000) {
        await page.waitForTimeout(1000);
        last = await page.evaluate((): Progress => {
          const cells = [...document.querySelectorAll(".jp-Notebook .jp-Cell.jp-CodeCell")];
          const done = cells.filter((c) => /\[\d+\]/.test(c.querySelector(".jp-InputArea-prompt")?.textContent ?? "")).length;
          const errors = [...document.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")]
            .map((e) => (e.textContent ?? "").slice(0, 2000));
          const k = (window as any).jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          return { cells: cells.length, done, idle: k.status === "idle", errors };
        });
        if (last.errors.length || (last.done === last.cells && last.idle)) break;
      }
      console.log(`${nb}: ${last.done}/${last.cells} cells in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      expect(last.errors).toEqual([]);
      expect(last.done).toBe(last.cells);
    } finally {
      await page.close();
    }
  });
}
