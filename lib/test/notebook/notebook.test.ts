import { afterEach, describe, expect, it, vi } from "vitest";
import { clearOutput, comms, display, installSink, mimeBundle, progress, updateDisplay, type NotebookSink } from "../../src/notebook";

function fakeSink() {
  const calls: unknown[][] = [];
  const sink: NotebookSink = {
    kind: "fake",
    display: (...a) => void calls.push(["display", ...a]),
    updateDisplay: (...a) => void calls.push(["update", ...a]),
    clearOutput: (...a) => void calls.push(["clear", ...a]),
    openComm: (target) => {
      calls.push(["open", target]);
      return { commId: "c1", targetName: target, closed: false, send: () => {}, close: () => {}, onMsg: () => {}, onClose: () => {} };
    },
    registerCommTarget: (name) => void calls.push(["register", name]),
    unregisterCommTarget: () => {},
    inputSync: () => "typed",
    input: async () => "typed",
  };
  return { sink, calls };
}

afterEach(() => installSink(undefined));

describe("display outside a notebook", () => {
  it("prints text/plain and stays quiet on updates", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const id = display({ a: 1 }, { displayId: "outside" });
    updateDisplay(id, { a: 2 });
    clearOutput();
    expect(write.mock.calls.map((c) => c[0])).toEqual(["{ a: 1 }\n"]);
    write.mockRestore();
  });

  it("uses an object's own bundle and keeps text/plain", () => {
    const obj = { [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>x</b>" }) };
    const bundle = mimeBundle(obj);
    expect(bundle["text/html"]).toBe("<b>x</b>");
    expect(typeof bundle["text/plain"]).toBe("string");
  });

  it("gives inert comms", () => {
    const comm = comms.open("t", {});
    let closed = false;
    comm.onClose(() => (closed = true));
    comm.send({ x: 1 });
    comm.close();
    expect(closed).toBe(true);
    expect(comms.available).toBe(false);
  });
});

describe("display in a notebook", () => {
  it("sends bundles with display ids to the sink", () => {
    const { sink, calls } = fakeSink();
    installSink(sink);
    const id = display("hi", { displayId: "d1" });
    updateDisplay(id, "there");
    expect(id).toBe("d1");
    expect(calls[0]).toEqual(["display", { "text/plain": "hi" }, {}, "d1"]);
    expect(calls[1]).toEqual(["update", "d1", { "text/plain": "there" }, {}]);
    expect(comms.available).toBe(true);
  });
});

describe("progress", () => {
  it("prints plain lines with counts, rate and ETA outside a notebook", () => {
    const lines: string[] = [];
    let sum = 0;
    for (const i of progress(5, { write: (l) => lines.push(l), minInterval: 0 })) sum += i;
    expect(sum).toBe(10);
    expect(lines.at(-1)).toMatch(/100% \|#+\| 5\/5 \[\d\d:\d\d<\d\d:\d\d, .* (it\/s|s\/it)\]/);
  });

  it("draws once and updates in place in a notebook", () => {
    const { sink, calls } = fakeSink();
    installSink(sink);
    const bar = progress([1, 2, 3], { desc: "train" });
    for (const _ of bar) bar.set({ loss: 0.5 });
    const shown = calls.filter((c) => c[0] === "display");
    const updates = calls.filter((c) => c[0] === "update");
    expect(shown).toHaveLength(1);
    expect(updates.length).toBeGreaterThan(0);
    expect(String((updates.at(-1)![2] as Record<string, unknown>)["text/plain"])).toContain("train: 100%");
    expect(String((updates.at(-1)![2] as Record<string, unknown>)["text/plain"])).toContain("loss=0.5");
  });

  it("iterates async sources with for await", async () => {
    async function* gen() {
      yield 1;
      yield 2;
    }
    const seen: number[] = [];
    for await (const x of progress(gen(), { write: () => {} })) seen.push(x);
    expect(seen).toEqual([1, 2]);
  });
});
