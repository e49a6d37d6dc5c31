// A monitor always knows its state: the cell that runs it ends (ok, interrupted, failed) and
// the widget hears how, with or without close(); the display keeps it; commands that would
// break training or are malformed are refused with a reply naming the problem.
import { describe, expect, test } from "vitest";
import { Monitor, installSink, CURVES_MIME, type CellOutcome } from "../src";
import { lrProblem, parseCommand, parseOpen } from "../src/display/monitor-comm";

/** A kernel stand-in: the comm target, the cell-end hooks and the display updates it saw. */
function fakeKernel() {
  let target: ((comm: any, msg: any) => void) | null = null;
  const hooks: ((o: CellOutcome) => void)[] = [];
  const updates: Record<string, any>[] = [];
  installSink({
    kind: "test",
    display: () => {},
    updateDisplay: (_id: string, b: Record<string, any>) => updates.push(b),
    registerCommTarget: (_name: string, h: (comm: any, msg: any) => void) => { target = h; },
    onCellEnd: (h: (o: CellOutcome) => void) => hooks.push(h),
  } as never);
  /** A widget's comm to monitor `id`: what the kernel sent on it, and a way to send. */
  const widget = (data: unknown) => {
    const sent: any[] = [];
    let onMsg: (d: unknown) => void = () => {};
    const comm = {
      commId: "c", targetName: "chainlab.monitor", closed: false,
      send: (d: unknown) => sent.push(d),
      onMsg: (h: (d: unknown) => void) => { onMsg = h; },
      onClose: () => {},
      close: (d: unknown) => { comm.closed = true; sent.push({ closed: d }); },
    };
    target!(comm, { content: { data } });
    return { sent, say: (d: unknown) => onMsg(d), last: () => sent[sent.length - 1] };
  };
  const cellEnds = (o: CellOutcome) => hooks.forEach((h) => h(o));
  const curves = () => updates.filter((b) => b[CURVES_MIME]).map((b) => b[CURVES_MIME]);
  return { widget, cellEnds, updates, curves, hooks };
}

describe("monitor commands", () => {
  test("lr must be finite and in (0, 10]", () => {
    for (const lr of [1e308, Infinity, -Infinity, NaN, 0, -1, "fast", null, undefined, 10.5]) {
      expect(lrProblem(lr)).toMatch(/lr must be a finite number with 0 < lr ≤ 10, got /);
    }
    expect(lrProblem(1e308)).toMatch(/got 1e\+308$/);
    expect(lrProblem("fast")).toMatch(/got "fast"$/);
    for (const lr of [1e-9, 0.1, 10]) expect(lrProblem(lr)).toBeNull();
  });

  test("malformed commands name what is wrong", () => {
    expect(parseCommand(null)).toMatch(/must be an object .*got null/);
    expect(parseCommand([1])).toMatch(/got an array/);
    expect(parseCommand({})).toMatch(/unknown monitor action undefined: expected one of stop, pause, resume, lr/);
    expect(parseCommand({ action: "explode" })).toMatch(/unknown monitor action "explode"/);
    expect(parseCommand({ action: "lr" })).toMatch(/needs a field lr/);
    expect(parseCommand({ action: "stop" })).toEqual({ action: "stop" });
    expect(parseOpen(null)).toMatch(/needs a string monitorId, got undefined/);
    expect(parseOpen({ monitorId: { a: 1 } })).toMatch(/needs a string monitorId, got an object/);
    expect(parseOpen({ monitorId: "m" })).toEqual({ monitorId: "m" });
  });
});

describe("monitor state", () => {
  test("a bad lr is refused with the reason, the optimiser keeps its lr", () => {
    const k = fakeKernel();
    try {
      const optimizer = { paramGroups: [{ lr: 0.1 }] };
      const m = new Monitor({ optimizer });
      const w = k.widget({ monitorId: m.id });
      for (const bad of [{ action: "lr", lr: 1e308 }, { action: "lr", lr: null }, { action: "lr", lr: 0 }, { action: "lr", lr: -1 }, { action: "lr", lr: "fast" }]) {
        w.say(bad);
        expect(w.last()).toEqual({ error: expect.stringMatching(/^lr must be a finite number/), state: { stopRequested: false, paused: false, lr: 0.1 } });
      }
      for (const bad of [null, { monitorId: {} }, { action: "jump" }, "stop", 42]) {
        w.say(bad);
        expect(w.last().error).toMatch(/monitor (command|action)/);
        expect(w.last().state.lr).toBe(0.1);
      }
      w.say({ action: "lr", lr: 0.5 });
      expect(w.last()).toEqual({ state: { stopRequested: false, paused: false, lr: 0.5 } });
      expect(optimizer.paramGroups[0].lr).toBe(0.5);

      const bare = new Monitor();
      const b = k.widget({ monitorId: bare.id });
      expect(b.last()).toEqual({ state: { stopRequested: false, paused: false, lr: null, optimizer: false } });
      b.say({ action: "lr", lr: 0.1 });
      expect(b.last().error).toMatch(/without an optimizer/);

      const none = k.widget({ monitorId: { id: 1 } });
      expect(none.last()).toEqual({ closed: { error: "comm_open data needs a string monitorId, got an object" } });
    } finally {
      installSink(undefined);
    }
  });

  test("the cell's end ends the run: finished, stopped, interrupted, failed", () => {
    const k = fakeKernel();
    try {
      const cases: [CellOutcome, boolean, object][] = [
        [{ status: "ok" }, false, { outcome: "finished", step: 2 }],
        [{ status: "ok" }, true, { outcome: "stopped", step: 2 }],
        [{ status: "interrupted" }, false, { outcome: "interrupted", step: 2 }],
        [{ status: "error", ename: "RangeError", evalue: "shapes [2] and [3]" }, false, { outcome: "failed", step: 2, message: "RangeError: shapes [2] and [3]" }],
      ];
      for (const [outcome, stop, ended] of cases) {
        const m = new Monitor({ optimizer: { paramGroups: [{ lr: 0.1 }] } });
        const w = k.widget({ monitorId: m.id });
        for (let i = 0; i < 3; i++) m.log({ train: 1 / (i + 1) });
        if (stop) w.say({ action: "stop" });
        k.cellEnds(outcome);
        // the widget hears the final state, then its comm closes
        expect(w.sent.at(-2)).toEqual({ state: expect.objectContaining({ ended }) });
        expect(w.last()).toEqual({ closed: { ended } });
        // the display keeps it: a saved notebook says how the run ended
        const last = k.curves().at(-1)!;
        expect(last.running).toBe(false);
        expect(last.ended).toEqual(ended);
        expect(String(k.updates.at(-1)!["text/plain"])).toMatch(/\((finished|stopped|interrupted|failed) at step 2/);
        // no widget can reach it any more
        expect(k.widget({ monitorId: m.id }).last()).toEqual({ closed: { error: `no running monitor ${m.id}` } });
      }
    } finally {
      installSink(undefined);
    }
  });

  test("close() ends the run once; a run its cell ended goes on in a later cell", async () => {
    const k = fakeKernel();
    try {
      const m = new Monitor();
      m.log({ train: 1 }, 5);
      m.close();
      expect(k.curves().at(-1)!.ended).toEqual({ outcome: "finished", step: 5 });
      k.cellEnds({ status: "error", ename: "Error", evalue: "later" });
      expect(k.curves().at(-1)!.ended).toEqual({ outcome: "finished", step: 5 });

      // no close(): the cell ends it, the next cell's loop takes it up again
      const r = new Monitor();
      r.log({ train: 1 });
      k.cellEnds({ status: "ok" });
      expect(k.curves().at(-1)!).toMatchObject({ running: false, ended: { outcome: "finished", step: 0 } });
      expect(await r.poll()).toBe(true);
      r.log({ train: 0.5 });
      r.close();
      const c = k.curves();
      expect(c.some((b) => b.running === true && b.ended === undefined)).toBe(true);
      expect(c.at(-1)!).toMatchObject({ running: false, ended: { outcome: "finished", step: 1 } });
      // a monitor made in a cell that logged nothing ends with no step
      const idle = new Monitor();
      const w = k.widget({ monitorId: idle.id });
      k.cellEnds({ status: "ok" });
      expect(w.sent.at(-2).state.ended).toEqual({ outcome: "finished", step: null });
    } finally {
      installSink(undefined);
    }
  });
});
