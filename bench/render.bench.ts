// The extension's speed in a real JupyterLab and Chromium: how long the tensor renderer
// takes to draw a million values, whether a live curve keeps frames short while updates
// arrive ten times a second, and how many bytes of JavaScript the extension costs.
// A measurement, not a test: it fails only when it cannot measure. Results are printed
// and written to bench/results/render-latest.json.
//
//   npx vitest run --project render      (or: npm run bench -- --parts render)
import { mkdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLab, waitForKernel, writeNotebook, type Lab } from "../test/browser/lab";
import {
  CURVES_MIME, TENSOR_MIME, everyKindOutputs, fullTensorBundle, libraryTensorBundle, monitorCurves, payloadChars, rawCurves,
  type RunShape,
} from "./render/bundles";
import { diskBytes, fetchedBytes } from "./render/bytes";
import { timeLiveCurves, timeTensor, stash, type LiveTiming, type TensorTiming } from "./render/page";
import { fmt, max, mb, median, quantile, table } from "./render/report";

const root = path.resolve(__dirname, "..");
const RUNS = 5;
const LIVE_SECONDS = 10;
const LIVE_HZ = 10;
/** 100k training steps, a validation point every 1,000; ten bundles 100 steps apart. */
const RUN: RunShape = { steps: 100_000, bundles: 10, grow: 100, valEvery: 1000 };
const TARGET_TENSOR_MS = 300;
const TARGET_FRAME_MS = 50;

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => { await lab?.stop(); });

function tensorRow(label: string, t: TensorTiming, chars: number) {
  return {
    label, payloadMB: chars / 1e6, coldMs: t.coldMs,
    renderMs: median(t.renderMs), paintedMs: median(t.paintedMs), updateMs: median(t.updateMs),
    runs: t.renderMs, canvas: t.canvas, errors: t.errors,
  };
}

function liveRow(label: string, t: LiveTiming, chars: number) {
  return {
    label, payloadMB: chars / 1e6, trace: t.trace, points: t.points, logged: t.logged, firstMs: t.firstMs,
    idleFrameP50: median(t.idleFrames), idleFrameMax: max(t.idleFrames),
    frameP50: quantile(t.frames, 0.5), frameP95: quantile(t.frames, 0.95), frameMax: max(t.frames), frames: t.frames.length,
    updateP50: median(t.updateMs), updateMax: max(t.updateMs), updates: t.updates,
    longTaskMax: t.longTasks ? max(t.longTasks) : null, longTasks: t.longTasks?.length ?? null,
    longTaskTotalMs: t.longTasks ? t.longTasks.reduce((a, b) => a + b, 0) : null,
    framesOverTarget: t.frames.filter((f) => f >= TARGET_FRAME_MS).length,
    errors: t.errors,
    // the timelines, rounded, for a closer look at a stall
    timeline: {
      frames: t.frames.map(Math.round),
      updates: t.updateStarts.map((at, i) => [Math.round(at), Math.round(t.updateMs[i] ?? NaN)]),
      longTasks: t.longTaskStarts.map((at, i) => [Math.round(at), Math.round(t.longTasks?.[i] ?? NaN)]),
    },
  };
}

it("measures the renderers in Chromium", async () => {
  const cpu = os.cpus()[0]?.model ?? "cpu";
  const cores = os.cpus().length;
  const loadAtStart = os.loadavg();

  // Bundles first, so that making them is not inside any clock
  const full = fullTensorBundle(1000, 1000);
  const summary = libraryTensorBundle(1000, 1000);
  const monitor = monitorCurves(RUN);
  const raw = rawCurves(RUN);
  const { cells, outputs } = everyKindOutputs();
  writeNotebook(lab, "bench.ipynb", ["1"]);
  writeNotebook(lab, "every-kind.ipynb", cells, outputs);

  const page = await lab.open("bench.ipynb");
  // the kernel's start-up would otherwise share the cores with the first timings
  await waitForKernel(page, 120_000);
  const token = await page.evaluate(() => JSON.parse(document.getElementById("jupyter-config-data")!.textContent!).token as string);
  await stash(page, "full", [full]);
  await stash(page, "summary", [summary]);
  await stash(page, "monitor", monitor);
  await stash(page, "raw", raw);

  const tensors = [
    tensorRow("1000x1000, every value (1M)", await timeTensor(page, TENSOR_MIME, "full", RUNS), payloadChars(full)),
    tensorRow("1000x1000, library bundle (10k)", await timeTensor(page, TENSOR_MIME, "summary", RUNS), payloadChars(summary)),
  ];
  const live = [
    liveRow("library bundle (Monitor, 100k steps)", await timeLiveCurves(page, CURVES_MIME, "monitor", LIVE_SECONDS, LIVE_HZ), payloadChars(monitor[0])),
    liveRow("raw bundle (every one of 100k points)", await timeLiveCurves(page, CURVES_MIME, "raw", LIVE_SECONDS, LIVE_HZ), payloadChars(raw[0])),
  ];
  const webgl = await page.evaluate(() => document.createElement("canvas").getContext("webgl") !== null);
  const userAgent = await page.evaluate(() => navigator.userAgent);
  await page.close();

  // The harness gives Chromium a software WebGL (SwiftShader), which rasterises on the same
  // two cores; Chrome without a GPU has no WebGL at all and draws the SVG traces, so that
  // case is measured too, in a browser of its own with WebGL switched off
  const plain = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-webgl", "--disable-3d-apis"],
  });
  try {
    const p = await plain.newPage({ viewport: { width: 1400, height: 1000 } });
    await p.goto(`${lab.url}/lab/tree/bench.ipynb?token=${token}&reset`);
    await p.waitForSelector(".jp-Notebook", { timeout: 60_000 });
    await waitForKernel(p, 120_000);
    await stash(p, "raw", raw);
    live.push(liveRow("raw bundle, browser without WebGL", await timeLiveCurves(p, CURVES_MIME, "raw", LIVE_SECONDS, LIVE_HZ), payloadChars(raw[0])));
  } finally {
    await plain.close();
  }

  const disk = diskBytes(path.join(root, "extension", "labextension", "static"));
  const fetched = await fetchedBytes(lab.browser, `${lab.url}/lab/tree/every-kind.ipynb?token=${token}&reset`, async (p) => {
    for (const sel of [".cl-tensor canvas.cl-heatmap", ".cl-graph .cl-node", ".cl-curves .js-plotly-plot", ".cl-gradflow .cl-gradflow-row", ".cl-module tr.cl-module-row"]) {
      await p.locator(sel).first().waitFor({ timeout: 90_000 });
    }
  });
  const loadAtEnd = os.loadavg();

  const lines = [
    `chainlab renderers in ${userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? "Chromium"}, WebGL ${webgl ? "available" : "not available"}`,
    `machine: ${cpu} x${cores}; load average (1, 5, 15 min) at start ${loadAtStart.map((l) => l.toFixed(2)).join(", ")}, at end ${loadAtEnd.map((l) => l.toFixed(2)).join(", ")}`,
    table(`tensor renderer: renderModel on a fresh renderer, ms (median of ${RUNS}; target <= ${TARGET_TENSOR_MS} ms for 1M)`,
      ["bundle", "payload MB", "cold", "renderModel", "to next frame", "update in place", "canvas"],
      tensors.map((t) => [t.label, fmt(t.payloadMB, 2), fmt(t.coldMs), fmt(t.renderMs), fmt(t.paintedMs), fmt(t.updateMs), `${t.canvas.width}x${t.canvas.height}`])),
    table(`live curves: ${LIVE_HZ} updates/s for ${LIVE_SECONDS} s, frame intervals ms (target < ${TARGET_FRAME_MS} ms)`,
      ["bundle", "payload MB", "points", "trace", "first draw", "idle p50", "p50", "p95", "max", `frames >= ${TARGET_FRAME_MS}`, "update p50", "update max", "longest task", "long tasks"],
      live.map((l) => [l.label, fmt(l.payloadMB, 2), l.points, l.trace, fmt(l.firstMs), fmt(l.idleFrameP50), fmt(l.frameP50), fmt(l.frameP95), fmt(l.frameMax),
        `${l.framesOverTarget}/${l.frames}`,
        fmt(l.updateP50), fmt(l.updateMax), fmt(l.longTaskMax), l.longTasks ?? "-"])),
    table(`extension JavaScript on disk: ${mb(disk.totalBytes)} MB in ${disk.chunks.length} files`,
      ["file", "MB", "holds"], disk.chunks.map((c) => [c.file, mb(c.bytes), c.holds])),
    table(`fetched from ${"/lab/extensions/@chainlab/jupyterlab/static/"} opening a notebook with every kind of output: ` +
      `${mb(fetched.totalBodyBytes)} MB (${mb(fetched.totalTransferBytes)} MB on the wire)`,
      ["file", "MB", "on the wire"], fetched.files.map((f) => [f.file, mb(f.bodyBytes), mb(f.transferBytes)])),
  ];
  console.log(lines.join("\n"));

  const report = {
    date: new Date().toISOString(),
    machine: { cpu, cores, node: process.version, loadAtStart, loadAtEnd, browser: userAgent, webgl },
    targets: { tensorMs: TARGET_TENSOR_MS, frameMs: TARGET_FRAME_MS },
    tensor: tensors,
    live: { seconds: LIVE_SECONDS, hz: LIVE_HZ, run: RUN, cases: live },
    bytes: { disk, fetched },
  };
  const outDir = path.join(root, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "render-latest.json"), JSON.stringify(report, null, 2));

  expect(tensors.every((t) => t.errors === 0) && live.every((l) => l.errors === 0)).toBe(true);
  expect(lab.errors).toEqual([]);
});
