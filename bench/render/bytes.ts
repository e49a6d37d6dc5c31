// What the extension costs in bytes: its JavaScript on disk, and what a notebook that
// shows every kind of output actually fetches from the extension's static folder.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";

const STATIC = "/lab/extensions/@chainlab/jupyterlab/static/";

export interface Chunk {
  file: string;
  bytes: number;
  /** What the chunk holds, guessed from the names of the packages inside it. */
  holds: string;
}

/** Strings that mark what a chunk holds (module ids are numbers in the built files); first match wins. */
const MARKS: [RegExp, string][] = [
  [/plotly-cloud-dialog/, "Plotly (plotly.js-gl2d-dist-min)"],
  [/RecordBatchStreamReader/, "apache-arrow"],
  [/networkSimplex|dagreClusterSubgraph/, "dagre"],
  [/\.cl-output \{/, "styles"],
  [/application\/vnd\.chainlab\.tensor\+json/, "chainlab renderers"],
  [/@chainlab\/jupyterlab:kernel-link/, "chainlab plugin"],
];

function holds(text: string, file: string): string {
  if (file.startsWith("remoteEntry")) return "entry (module federation)";
  return MARKS.find(([re]) => re.test(text))?.[1] ?? "-";
}

export function diskBytes(dir: string): { totalBytes: number; chunks: Chunk[] } {
  const chunks = readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .map((file) => {
      const p = path.join(dir, file);
      return { file, bytes: statSync(p).size, holds: holds(readFileSync(p, "latin1"), file) };
    })
    .sort((a, b) => b.bytes - a.bytes);
  return { totalBytes: chunks.reduce((n, c) => n + c.bytes, 0), chunks };
}

export interface Fetched {
  file: string;
  bodyBytes: number;
  /** Bytes on the wire (the body as encoded), when Chromium reports it. */
  transferBytes: number | null;
}

/**
 * Open `notebook` in a fresh browser context (empty cache) and record every response from
 * the extension's static folder until `ready` resolves and the network has been quiet a while.
 */
export async function fetchedBytes(
  browser: Browser, url: string, ready: (page: import("playwright-core").Page) => Promise<void>,
): Promise<{ totalBodyBytes: number; totalTransferBytes: number | null; files: Fetched[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const pending: Promise<Fetched>[] = [];
  page.on("response", (res) => {
    const u = new URL(res.url());
    if (!u.pathname.includes(STATIC)) return;
    pending.push((async () => {
      const body = await res.body().catch(() => Buffer.alloc(0));
      const sizes = await res.request().sizes().catch(() => null);
      return { file: u.pathname.slice(u.pathname.indexOf(STATIC) + STATIC.length), bodyBytes: body.length, transferBytes: sizes ? sizes.responseBodySize : null };
    })());
  });
  try {
    await page.goto(url);
    await ready(page);
    await page.waitForLoadState("networkidle").catch(() => undefined);
    await page.waitForTimeout(1000);
    const files = (await Promise.all(pending)).sort((a, b) => b.bodyBytes - a.bodyBytes);
    const transfer = files.every((f) => f.transferBytes !== null) ? files.reduce((n, f) => n + (f.transferBytes ?? 0), 0) : null;
    return { totalBodyBytes: files.reduce((n, f) => n + f.bodyBytes, 0), totalTransferBytes: transfer, files };
  } finally {
    await context.close();
  }
}
