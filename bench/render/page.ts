// Timings taken inside the page: a renderer made by the open notebook's own rendermime
// (so it is the installed extension, as JupyterLab would call it), attached to a fixed box
// on top of the notebook, and fed bundles that were handed to the page beforehand, so the
// clock sees only decoding and drawing.
//
// The functions given to page.evaluate run in the browser: they may use nothing from
// this file's scope.
import type { Page } from "playwright-core";
import type { Bundle } from "./bundles";

/** Hand bundles to the page under a key, once, before any clock starts. */
export async function stash(page: Page, key: string, bundles: Bundle[]): Promise<void> {
  await page.evaluate(([key, bundles]) => {
    const w = window as unknown as { clBench?: Record<string, unknown[]> };
    (w.clBench ??= {})[key] = bundles;
  }, [key, bundles] as const);
}

export interface TensorTiming {
  /** The first draw in this page (code not yet optimised by the JIT). */
  coldMs: number;
  /** Median over `runs` fresh renderers: renderModel called until its promise settles. */
  renderMs: number[];
  /** The same, until the frame after it (the canvas is on screen). */
  paintedMs: number[];
  /** renderModel again on the same renderer with the same bundle (an update in place). */
  updateMs: number[];
  canvas: { width: number; height: number };
  errors: number;
}

/** Draw the stashed tensor bundle `runs + 1` times, each on a fresh renderer, then update in place. */
export async function timeTensor(page: Page, mime: string, key: string, runs: number): Promise<TensorTiming> {
  return page.evaluate(async ([mime, key, runs]) => {
    const w = window as unknown as { clBench: Record<string, unknown[]>; jupyterapp: any };
    const bundle = w.clBench[key][0];
    const rendermime = w.jupyterapp.shell.currentWidget.content.rendermime;
    const host = document.createElement("div");
    host.style.cssText = "position:fixed;left:0;top:0;width:1100px;height:900px;overflow:auto;z-index:10000;background:var(--jp-layout-color0)";
    document.body.append(host);
    const model = () => ({ data: { [mime]: bundle }, metadata: {}, trusted: false, setData() { /* read-only */ } });
    const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const out = { coldMs: 0, renderMs: [] as number[], paintedMs: [] as number[], updateMs: [] as number[], canvas: { width: 0, height: 0 }, errors: 0 };
    for (let i = 0; i <= runs; i++) {
      const r = rendermime.createRenderer(mime);
      // Widget.attach, reached through the renderer's class: the page has no Lumino global
      r.constructor.attach(r, host);
      await frame();
      const t0 = performance.now();
      await r.renderModel(model());
      const t1 = performance.now();
      await frame();
      const t2 = performance.now();
      const c = r.node.querySelector("canvas.cl-heatmap") as HTMLCanvasElement | null;
      out.canvas = { width: c?.width ?? 0, height: c?.height ?? 0 };
      out.errors += r.node.querySelectorAll(".cl-error").length;
      if (i === 0) out.coldMs = t1 - t0;
      else {
        out.renderMs.push(t1 - t0);
        out.paintedMs.push(t2 - t0);
        const u0 = performance.now();
        await r.renderModel(model());
        out.updateMs.push(performance.now() - u0);
      }
      r.dispose();
    }
    host.remove();
    return out;
  }, [mime, key, runs] as const);
}

export interface LiveTiming {
  /** The first renderModel (builds the chart; the first one in a page also loads Plotly). */
  firstMs: number;
  /** Frame intervals with nothing happening, for comparison. */
  idleFrames: number[];
  frames: number[];
  /** Each update's renderModel, call to settled promise (overlapping calls fold into one draw). */
  updateMs: number[];
  longTasks: number[] | null;
  /** When the long tasks and the updates began, ms after the first update was due. */
  longTaskStarts: number[];
  updateStarts: number[];
  trace: string;
  points: number;
  logged: number;
  updates: number;
  errors: number;
}

/**
 * Render the first stashed curves bundle, then call renderModel `hz` times a second for
 * `seconds` (cycling through the stashed bundles, without awaiting, as JupyterLab does on
 * update_display_data) while a requestAnimationFrame loop records frame intervals.
 */
export async function timeLiveCurves(page: Page, mime: string, key: string, seconds: number, hz: number): Promise<LiveTiming> {
  return page.evaluate(async ([mime, key, seconds, hz]) => {
    const w = window as unknown as { clBench: Record<string, unknown[]>; jupyterapp: any };
    const bundles = w.clBench[key];
    const rendermime = w.jupyterapp.shell.currentWidget.content.rendermime;
    const host = document.createElement("div");
    host.style.cssText = "position:fixed;left:0;top:0;width:1000px;height:600px;z-index:10000;background:var(--jp-layout-color0)";
    document.body.append(host);
    const model = (b: unknown) => ({ data: { [mime]: b }, metadata: {}, trusted: false, setData() { /* read-only */ } });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const r = rendermime.createRenderer(mime);
    r.constructor.attach(r, host);
    const t0 = performance.now();
    await r.renderModel(model(bundles[0]));
    const firstMs = performance.now() - t0;
    await sleep(500);

    const recordFrames = (ms: number) => new Promise<number[]>((resolve) => {
      const intervals: number[] = [];
      const end = performance.now() + ms;
      let last = -1;
      const tick = (t: number) => {
        if (last >= 0) intervals.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(tick);
        else resolve(intervals);
      };
      requestAnimationFrame(tick);
    });
    const idleFrames = await recordFrames(2000);

    let longTasks: number[] | null = null;
    const longTaskStarts: number[] = [];
    const updateStarts: number[] = [];
    let observer: PerformanceObserver | null = null;
    if (PerformanceObserver.supportedEntryTypes?.includes("longtask")) {
      longTasks = [];
      const seen = longTasks;
      observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          seen.push(e.duration);
          longTaskStarts.push(e.startTime - start);
        }
      });
      observer.observe({ type: "longtask" });
    }
    const updateMs: number[] = [];
    const pending: Promise<void>[] = [];
    const framesDone = recordFrames(seconds * 1000);
    const start = performance.now();
    const n = Math.round(seconds * hz);
    for (let i = 1; i <= n; i++) {
      // on a fixed schedule, so a slow draw does not stretch the run
      const wait = start + (i * 1000) / hz - performance.now();
      if (wait > 0) await sleep(wait);
      const u0 = performance.now();
      updateStarts.push(u0 - start);
      pending.push(r.renderModel(model(bundles[i % bundles.length])).then(() => { updateMs.push(performance.now() - u0); }));
    }
    await Promise.all(pending);
    const frames = await framesDone;
    await sleep(100);
    observer?.disconnect();
    const d = r.node.dataset;
    const out = {
      firstMs, idleFrames, frames, updateMs, longTasks, longTaskStarts, updateStarts,
      trace: d.trace ?? "", points: Number(d.points ?? 0), logged: Number(d.logged ?? 0), updates: n,
      errors: r.node.querySelectorAll(".cl-error").length,
    };
    r.dispose();
    host.remove();
    return out;
  }, [mime, key, seconds, hz] as const);
}
