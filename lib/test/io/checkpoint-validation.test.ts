// A checkpoint is validated as it loads: metadata nested without end, optimizer
// hyperparameters that would turn the weights into NaN at the first step, and the leftovers
// of saves that were killed half-way.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { tensor } from "../../src/creation";
import { manualSeed } from "../../src/core/random";
import { Linear } from "../../src/nn";
import { Adam, SGD, lr } from "../../src/optim";
import { loadCheckpoint, saveCheckpoint, saveSafetensors } from "../../src/io";
import { MAX_METADATA_DEPTH } from "../../src/io/checkpoint";
import { STALE_DEAD_MS, removeStaleTemporaries } from "../../src/io/atomic";

const dir = mkdtempSync(join(tmpdir(), "chainlab-ckpt-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => mkdtempSync(join(dir, "run-"));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** A checkpoint file whose metadata says what a damaged or hostile file might. */
function craft(meta: Record<string, string>): string {
  const path = join(fresh(), "model.ckpt");
  saveSafetensors(path, {}, { format: "chainlab.checkpoint", version: "1", ...meta });
  return path;
}

function trainedAdam() {
  manualSeed(7);
  const layer = new Linear(3, 2);
  const opt = new Adam(layer.parameters(), { lr: 0.01 });
  layer.forward(tensor([[1, 2, 3]])).sum().backward();
  opt.step();
  return { layer, opt };
}

describe("metadata depth", () => {
  test("extra nested 200,000 deep is refused naming the file and the field", () => {
    const n = 200_000;
    const path = craft({ extra: '{"a":'.repeat(n) + "1" + "}".repeat(n) });
    let err: Error | undefined;
    try {
      loadCheckpoint(path);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeDefined();
    expect(err).not.toBeInstanceOf(RangeError);
    expect(err!.message).toMatch(new RegExp(`${escape(path)}: extra\\.a\\.a.*nests deeper than ${MAX_METADATA_DEPTH} levels`));
    expect(err!.message.length).toBeLessThan(400);
  });

  test("nesting up to the limit loads; deeper is refused when saving too", () => {
    let v: unknown = 1;
    for (let i = 0; i < MAX_METADATA_DEPTH; i++) v = [v];
    const path = join(fresh(), "ok.ckpt");
    saveCheckpoint(path, { extra: v });
    expect(JSON.stringify(loadCheckpoint(path).extra)).toBe(JSON.stringify(v));
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = { k: deep };
    expect(() => saveCheckpoint(path, { extra: { config: deep } })).toThrow(/saveCheckpoint\(\): extra\.config\.k\.k.*nests deeper than 100/);
  });
});

describe("optimizer hyperparameters", () => {
  test("an lr of NaN, a step of -1 or an lr of \"fast\" is refused at load, naming the file and field", () => {
    const { opt } = trainedAdam();
    const sd = opt.stateDict();
    const cases: [(s: typeof sd) => void, RegExp][] = [
      [(s) => (s.paramGroups[0].lr = NaN), /optimizer\.paramGroups\[0\]\.lr is NaN; expected a finite number >= 0/],
      [(s) => (s.paramGroups[0].lr = "fast"), /optimizer\.paramGroups\[0\]\.lr is "fast"; expected a finite number/],
      [(s) => (s.paramGroups[0].lr = -0.1), /optimizer\.paramGroups\[0\]\.lr is -0\.1/],
      [(s) => (s.paramGroups[0].betas = [0.9, 1]), /optimizer\.paramGroups\[0\]\.betas\[1\] is 1; expected a finite number in \[0, 1\)/],
      [(s) => (s.paramGroups[0].eps = Infinity), /optimizer\.paramGroups\[0\]\.eps is Infinity/],
      [(s) => (s.state[0].step = -1), /optimizer\.state\[0\]\.step is -1; expected a whole number >= 0/],
      [(s) => (s.state[1].step = 1.5), /optimizer\.state\[1\]\.step is 1\.5/],
    ];
    for (const [spoil, message] of cases) {
      const s = opt.stateDict();
      spoil(s);
      const path = join(fresh(), "run.ckpt");
      saveCheckpoint(path, { optimizer: s });
      expect(() => loadCheckpoint(path)).toThrow(new RegExp(`${escape(path)}: ${message.source}`));
    }
    // an optimizer and its scheduler saved side by side are each checked
    const path = join(fresh(), "both.ckpt");
    saveCheckpoint(path, { optimizer: { adam: { ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: NaN }] }, sched: { lastEpoch: 3, baseLrs: [0.01] } } });
    expect(() => loadCheckpoint(path)).toThrow(/optimizer\.adam\.paramGroups\[0\]\.lr is NaN/);
    saveCheckpoint(path, { optimizer: { adam: sd, sched: { lastEpoch: -2, baseLrs: [0.01] } } });
    expect(() => loadCheckpoint(path)).toThrow(/optimizer\.sched\.lastEpoch is -2/);
  });

  test("a sound optimizer state still loads and trains", () => {
    const { layer, opt } = trainedAdam();
    const path = join(fresh(), "run.ckpt");
    saveCheckpoint(path, { model: layer.stateDict(), optimizer: opt.stateDict(), step: 1, extra: { note: "fine" } });
    const back = loadCheckpoint(path);
    const opt2 = new Adam(layer.parameters(), { lr: 0.5 });
    opt2.loadStateDict(back.optimizer!);
    expect(opt2.paramGroups[0].lr).toBe(0.01);
    layer.forward(tensor([[1, 2, 3]])).sum().backward();
    opt2.step();
    expect(layer.parameters().every((p) => p.toArray().flat().every(Number.isFinite))).toBe(true);
  });

  test("loadStateDict refuses a bad hyperparameter and leaves the optimizer as it was", () => {
    const { opt } = trainedAdam();
    const before = opt.stateDict();
    const bad = opt.stateDict();
    bad.paramGroups[0].lr = NaN;
    expect(() => opt.loadStateDict(bad)).toThrow(/Adam\.loadStateDict\(\): paramGroups\[0\]\.lr is NaN/);
    expect(opt.paramGroups[0].lr).toBe(0.01);
    const badStep = opt.stateDict();
    badStep.state[0].step = -1;
    expect(() => opt.loadStateDict(badStep)).toThrow(/Adam\.loadStateDict\(\): state\[0\]\.step is -1/);
    expect(opt.stateDict().state[0].step).toBe(before.state[0].step);
    const sgd = new SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 });
    const s = sgd.stateDict();
    s.paramGroups[0].momentum = "lots";
    expect(() => sgd.loadStateDict(s)).toThrow(/SGD\.loadStateDict\(\): paramGroups\[0\]\.momentum is "lots"/);
    const sched = new lr.StepLR(sgd, { stepSize: 2 });
    expect(() => sched.loadStateDict({ lastEpoch: 1, baseLrs: [NaN] })).toThrow(/StepLR\.loadStateDict\(\): baseLrs\[0\] is NaN/);
    expect(sgd.paramGroups[0].lr).toBe(0.1);
  });

  test("a negative step is refused on save and on load", () => {
    const path = join(fresh(), "run.ckpt");
    expect(() => saveCheckpoint(path, { step: -1 })).toThrow(/step must be a finite number >= 0, got -1/);
    const crafted = craft({ step: "-1" });
    expect(() => loadCheckpoint(crafted)).toThrow(new RegExp(`${escape(crafted)}: the checkpoint's step "-1"`));
  });
});

describe("leftovers of interrupted saves", () => {
  /** A process killed while it writes a temporary file, as a save killed with kill -9 leaves one. */
  async function killedWriter(folder: string): Promise<string> {
    const script = `
      const fs = require("fs"), path = require("path");
      const tmp = path.join(${JSON.stringify(folder)}, ".model.ckpt." + process.pid + ".0123456789ab.tmp");
      const fd = fs.openSync(tmp, "wx");
      fs.writeSync(fd, Buffer.alloc(1 << 16));
      process.stdout.write("writing\\n");
      setInterval(() => fs.writeSync(fd, Buffer.alloc(1024)), 10);`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    return `.model.ckpt.${child.pid}.0123456789ab.tmp`;
  }

  const age = (path: string, ms: number) => {
    const t = (Date.now() - ms) / 1000;
    utimesSync(path, t, t);
  };

  test("the next save to the folder removes a killed save's temporary file", async () => {
    const d = fresh();
    const left = await killedWriter(d);
    expect(readdirSync(d)).toContain(left);
    // untouched for a while: its writer is gone
    age(join(d, left), STALE_DEAD_MS + 5_000);
    saveCheckpoint(join(d, "other.ckpt"), { model: { w: tensor([1]) }, step: 1 });
    expect(readdirSync(d).sort()).toEqual(["other.ckpt"]);
  });

  test("a save running in another process keeps its file; a dead writer's fresh file waits", async () => {
    const d = fresh();
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const liveTmp = `.model.ckpt.${live.pid}.abcdefabcdef.tmp`;
      writeFileSync(join(d, liveTmp), "half a checkpoint");
      age(join(d, liveTmp), STALE_DEAD_MS + 5_000);
      const dead = await killedWriter(d);
      // not a temporary name of ours: never touched
      writeFileSync(join(d, ".notes.tmp"), "mine");
      age(join(d, ".notes.tmp"), 48 * 3600_000);
      saveCheckpoint(join(d, "model.ckpt"), { step: 2 });
      expect(readdirSync(d).sort()).toEqual([".notes.tmp", dead, liveTmp, "model.ckpt"].sort());
      // a day old, the live pid may well have been reused: removed
      age(join(d, liveTmp), 25 * 3600_000);
      expect(removeStaleTemporaries(d)).toEqual([liveTmp]);
      expect(existsSync(join(d, dead))).toBe(true);
    } finally {
      live.kill("SIGKILL");
    }
  });
});
