import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Widget } from "@lumino/widgets";
import { CurvesRenderer } from "../src/curves/renderer";
import { setKernelFinder } from "../src/shared/kernel-link";
import { NOT_CONNECTED } from "../src/curves/monitor-controls";
import { CURVES, curvesBundle, fakeKernel, fakePlotly, monitorLoop, range } from "./curves-fakes";
import { HOSTILE, mimeModel, noInjectedMarkup, rendererOptions } from "./helpers";

const fake = fakePlotly();
vi.mock("../src/shared/plotly", () => ({ loadPlotly: async () => fake.plotly }));
vi.mock("../src/curves/webgl", () => ({ webglAvailable: () => false }));

const bundle = (extra: Record<string, unknown> = {}) =>
  curvesBundle([{ name: "train", split: "train", steps: range(3), values: [3, 2, 1] }], extra);

async function shown(extra: Record<string, unknown> = {}): Promise<CurvesRenderer> {
  const r = new CurvesRenderer(rendererOptions(CURVES));
  // as JupyterLab does: the first bundle is rendered, then the output goes into the notebook
  await r.renderModel(mimeModel(CURVES, bundle(extra)));
  Widget.attach(r, document.body);
  return r;
}

const q = <T extends Element = HTMLElement>(r: Widget, sel: string) => r.node.querySelector(sel) as T;
const click = (r: Widget, action: string) => q<HTMLButtonElement>(r, `button[data-action=${action}]`).click();
const controlsOff = (r: Widget) =>
  ["button[data-action=stop]", "button[data-action=pause]", "button[data-action=lr]", "input.cl-lr"].every(
    (s) => q<HTMLButtonElement>(r, `.cl-controls ${s}`).disabled,
  );

beforeEach(() => setKernelFinder(null));
afterEach(() => {
  setKernelFinder(null);
  document.body.replaceChildren();
});

describe("monitor controls", () => {
  it("open a comm with the monitor's id once attached, and show the kernel's state", async () => {
    const k = fakeKernel(monitorLoop(0.1));
    let asked: HTMLElement | null = null;
    setKernelFinder((node) => ((asked = node), k.kernel));
    const r = await shown();
    expect(asked).toBe(r.node);
    expect(k.comms).toHaveLength(1);
    expect(k.comms[0].targetName).toBe("chainlab.monitor");
    expect(k.comms[0].opened).toEqual([{ monitorId: "monitor-1-1" }]);
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr 0.1");
    expect(q<HTMLInputElement>(r, "input.cl-lr").value).toBe("0.1");
    expect(controlsOff(r)).toBe(false);
    // updates keep the same comm
    await r.renderModel(mimeModel(CURVES, bundle()));
    expect(k.comms).toHaveLength(1);
  });

  it("send exactly the commands the buttons name", async () => {
    const k = fakeKernel(monitorLoop(0.1));
    setKernelFinder(() => k.kernel);
    const r = await shown();
    const comm = k.comms[0];
    const pause = q<HTMLButtonElement>(r, "button[data-action=pause]");
    expect(pause.textContent).toBe("Pause");
    click(r, "pause");
    expect(comm.sent).toEqual([{ action: "pause" }]);
    expect(pause.textContent).toBe("Resume");
    expect(q(r, ".cl-monitor-state").textContent).toBe("paused · lr 0.1");
    click(r, "pause");
    expect(comm.sent[1]).toEqual({ action: "resume" });
    expect(pause.textContent).toBe("Pause");

    const lr = q<HTMLInputElement>(r, "input.cl-lr");
    lr.value = " 3e-4 ";
    click(r, "lr");
    expect(comm.sent[2]).toEqual({ action: "lr", lr: 3e-4 });
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr 0.0003");

    click(r, "stop");
    expect(comm.sent[3]).toEqual({ action: "stop" });
    expect(comm.sent).toHaveLength(4);
    expect(q(r, ".cl-monitor-state").textContent).toBe("stopping · lr 0.0003");
    expect(q<HTMLButtonElement>(r, "button[data-action=stop]").disabled).toBe(true);
  });

  it("refuse a learning rate that is not a finite number in (0, 10]", async () => {
    const k = fakeKernel(monitorLoop(0.1));
    setKernelFinder(() => k.kernel);
    const r = await shown();
    const lr = q<HTMLInputElement>(r, "input.cl-lr");
    for (const bad of ["", "abc", "-0.1", "0", "Infinity", "1e308", "1e400", "10.5", "NaN", HOSTILE]) {
      lr.value = bad;
      click(r, "lr");
      expect(q(r, ".cl-monitor-note").textContent).toMatch(/must be a number with 0 < lr ≤ 10, not "/);
      expect(lr.classList.contains("cl-invalid")).toBe(true);
    }
    lr.value = "0.5";
    lr.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    lr.value = "10";
    click(r, "lr");
    expect(k.comms[0].sent).toEqual([{ action: "lr", lr: 0.5 }, { action: "lr", lr: 10 }]);
    expect(lr.classList.contains("cl-invalid")).toBe(false);
    // never mistaken for a monitor without an optimizer
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr 10");
    expect(lr.disabled).toBe(false);
    expect(noInjectedMarkup(r.node)).toBe(true);
  });

  it("show why the kernel refused a command, keeping the lr it has", async () => {
    const k = fakeKernel();
    setKernelFinder(() => k.kernel);
    const r = await shown();
    k.comms[0].reply({ state: { stopRequested: false, paused: false, lr: 0.1 } });
    k.comms[0].reply({ error: `lr must be a finite number with 0 < lr ≤ 10, got ${HOSTILE}`, state: { stopRequested: false, paused: false, lr: 0.1 } });
    expect(q(r, ".cl-monitor-note").textContent).toBe(`lr must be a finite number with 0 < lr ≤ 10, got ${HOSTILE}`);
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr 0.1");
    expect(q<HTMLInputElement>(r, "input.cl-lr").classList.contains("cl-invalid")).toBe(true);
    expect(controlsOff(r)).toBe(false);
    // a state whose lr is no finite number (JSON's null for Infinity) is not "no optimizer"
    k.comms[0].reply({ state: { stopRequested: false, paused: false, lr: null } });
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr not a finite number");
    expect(q<HTMLInputElement>(r, "input.cl-lr").disabled).toBe(false);
    expect(noInjectedMarkup(r.node)).toBe(true);
  });

  it("show the state the kernel reports", async () => {
    const k = fakeKernel();
    setKernelFinder(() => k.kernel);
    const r = await shown();
    expect(q(r, ".cl-monitor-state").textContent).toBe("connecting…");
    k.comms[0].reply({ state: { stopRequested: false, paused: true, lr: 0.02 } });
    expect(q(r, ".cl-monitor-state").textContent).toBe("paused · lr 0.02");
    expect(q(r, "button[data-action=pause]").textContent).toBe("Resume");
    k.comms[0].reply({ state: { stopRequested: true, paused: false, lr: 0.02 } });
    expect(q(r, ".cl-monitor-state").textContent).toBe("stopping · lr 0.02");
    k.comms[0].reply({ state: { stopRequested: false, paused: false, lr: null, optimizer: false } });
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · no optimizer linked");
    expect(q<HTMLInputElement>(r, "input.cl-lr").disabled).toBe(true);
    expect(q<HTMLButtonElement>(r, "button[data-action=stop]").disabled).toBe(false);
  });

  it("disable themselves with the reason when the kernel closes the comm", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    expect(controlsOff(r)).toBe(false);
    k.comms[0].kernelClose({ error: `no running monitor ${HOSTILE}` });
    expect(controlsOff(r)).toBe(true);
    expect(q(r, ".cl-monitor-note").textContent).toBe(`no running monitor ${HOSTILE}`);
    expect(noInjectedMarkup(r.node)).toBe(true);
    click(r, "stop");
    expect(k.comms[0].sent).toEqual([]);
  });

  it("disable themselves when the kernel restarts, dies or goes away", async () => {
    for (const [event, note] of [["restarting", /restarted/], ["dead", /died/], ["disposed", /gone/]] as const) {
      const k = fakeKernel(monitorLoop());
      setKernelFinder(() => k.kernel);
      const r = await shown();
      expect(controlsOff(r)).toBe(false);
      if (event === "disposed") k.disposed.emit(k.kernel, undefined);
      else k.statusChanged.emit(k.kernel, event);
      expect(controlsOff(r)).toBe(true);
      expect(q(r, ".cl-monitor-note").textContent).toMatch(note);
      expect(k.statusChanged.size).toBe(0); // no handlers left on the old kernel
      r.dispose();
    }
  });

  it("are disabled without a kernel, saying so", async () => {
    const r = await shown();
    expect(controlsOff(r)).toBe(true);
    expect(q(r, ".cl-monitor-note").textContent).toBe(NOT_CONNECTED);
    expect(q(r, ".cl-controls").hidden).toBe(false);
  });

  it("connect on a later update when the kernel was not found at first", async () => {
    const k = fakeKernel(monitorLoop());
    const r = await shown();
    expect(controlsOff(r)).toBe(true);
    setKernelFinder(() => k.kernel);
    await r.renderModel(mimeModel(CURVES, bundle()));
    expect(k.comms).toHaveLength(1);
    expect(controlsOff(r)).toBe(false);
    expect(q(r, ".cl-monitor-note").textContent).toBe("");
  });

  it("do not reopen a comm the kernel closed when more bundles come", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    k.comms[0].kernelClose({});
    expect(q(r, ".cl-monitor-note").textContent).toBe(NOT_CONNECTED);
    await r.renderModel(mimeModel(CURVES, bundle()));
    expect(k.comms).toHaveLength(1);
    expect(controlsOff(r)).toBe(true);
  });

  it("turn off when the final bundle says the run ended, leaving the comm for the kernel to close", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    await r.renderModel(mimeModel(CURVES, bundle({ running: false })));
    expect(controlsOff(r)).toBe(true);
    // closing it here too would race the kernel's close: "Comm not found for comm id"
    expect(k.comms[0].closed).toBe(false);
    expect(q(r, ".cl-monitor-state").textContent).toBe("ended");
    click(r, "stop");
    expect(k.comms[0].sent).toEqual([]);
    // an ended run is not reconnected by a repeated bundle
    await r.renderModel(mimeModel(CURVES, bundle({ running: false })));
    expect(k.comms).toHaveLength(1);
  });

  it("say how the run ended, from the bundle or from the kernel's last word", async () => {
    const cases = [
      [{ outcome: "finished", step: 99 }, "finished at step 99"],
      [{ outcome: "stopped", step: 12 }, "stopped at step 12"],
      [{ outcome: "interrupted", step: 5 }, "interrupted at step 5"],
      [{ outcome: "failed", step: 3, message: `Error: ${HOSTILE}` }, `failed at step 3: Error: ${HOSTILE}`],
      [{ outcome: "finished", step: null }, "finished, nothing logged"],
    ] as const;
    for (const [ended, text] of cases) {
      // a saved notebook: no kernel, the bundle says it
      const saved = await shown({ running: false, ended });
      expect(q(saved, ".cl-monitor-state").textContent).toBe(text);
      expect(q(saved, ".cl-controls").dataset.state).toBe("ended");
      expect(q(saved, ".cl-controls").dataset.outcome).toBe(ended.outcome);
      expect(q(saved, ".cl-monitor-note").textContent).toBe("");
      expect(controlsOff(saved)).toBe(true);
      saved.dispose();

      // live: the kernel sends the final state, then closes the comm
      const k = fakeKernel(monitorLoop());
      setKernelFinder(() => k.kernel);
      const r = await shown();
      expect(controlsOff(r)).toBe(false);
      k.comms[0].reply({ state: { stopRequested: ended.outcome === "stopped", paused: false, lr: 0.1, ended } });
      expect(q(r, ".cl-monitor-state").textContent).toBe(text);
      expect(controlsOff(r)).toBe(true);
      k.comms[0].kernelClose({ ended });
      expect(q(r, ".cl-monitor-state").textContent).toBe(text);
      expect(q(r, ".cl-monitor-note").textContent).toBe("");
      // the final bundle that follows agrees, and opens nothing
      await r.renderModel(mimeModel(CURVES, bundle({ running: false, ended })));
      expect(q(r, ".cl-monitor-state").textContent).toBe(text);
      expect(k.comms).toHaveLength(1);
      expect(noInjectedMarkup(r.node)).toBe(true);
      r.dispose();
    }
    // nonsense in `ended` is read as no word on how
    const odd = await shown({ running: false, ended: { outcome: "exploded", step: "x" } });
    expect(q(odd, ".cl-monitor-state").textContent).toBe("ended");
  });

  it("stop shows stopping, then stopped at the step the loop ended at", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    click(r, "stop");
    expect(q(r, ".cl-monitor-state").textContent).toBe("stopping · lr 0.1");
    k.comms[0].kernelClose({ ended: { outcome: "stopped", step: 41 } });
    expect(q(r, ".cl-monitor-state").textContent).toBe("stopped at step 41");
    expect(controlsOff(r)).toBe(true);
    expect(q(r, "button[data-action=pause]").textContent).toBe("Pause");
  });

  it("reconnect when a later cell takes an ended run up again", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    k.comms[0].kernelClose({ ended: { outcome: "finished", step: 9 } });
    await r.renderModel(mimeModel(CURVES, bundle({ running: false, ended: { outcome: "finished", step: 9 } })));
    await r.renderModel(mimeModel(CURVES, bundle({ running: true })));
    expect(k.comms).toHaveLength(2);
    expect(q(r, ".cl-monitor-state").textContent).toBe("running · lr 0.1");
    expect(controlsOff(r)).toBe(false);
  });

  it("a bundle that is already ended never opens a comm", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown({ running: false });
    expect(k.comms).toHaveLength(0);
    expect(controlsOff(r)).toBe(true);
  });

  it("are hidden for curves that belong to no monitor", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown({ monitorId: undefined });
    expect(q(r, ".cl-controls").hidden).toBe(true);
    expect(k.comms).toHaveLength(0);
  });

  it("close the comm when the output is disposed", async () => {
    const k = fakeKernel(monitorLoop());
    setKernelFinder(() => k.kernel);
    const r = await shown();
    r.dispose();
    expect(k.comms[0].closed).toBe(true);
    expect(k.statusChanged.size).toBe(0);
  });
});
