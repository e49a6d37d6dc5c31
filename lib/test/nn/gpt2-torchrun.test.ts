// The hand-over to PyTorch: examples/continue_training_ddp.py continues training a folder that
// savePretrained wrote, in two processes (gloo, DistributedDataParallel), and what it saves
// loads back here with the held-out loss it printed. Runs where a Python with torch and
// transformers is found (CHAINLAB_TORCH_PYTHON, tmp/gpt2-venv, python3).
//
// The two processes are started as torchrun starts them (MASTER_ADDR, MASTER_PORT, RANK,
// WORLD_SIZE, LOCAL_RANK in their environment) rather than by torchrun itself: Debian's
// torchrun of PyTorch 1.13 fails under Python 3.11 before it starts a worker (its Std.from_str
// finds no enum member, and to_map calls .get on None).
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { Tensor, io, manualSeed, nn, noGrad } from "../../src";

const tmp = mkdtempSync(join(tmpdir(), "chainlab-torchrun-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("examples/continue_training_ddp.py", () => {
  test("two gloo processes train the saved GPT-2 with equal weights, and chainlab reads the result", async (ctx) => {
    const python = findTorchPython();
    if (!python) {
      console.warn("skipped: no Python with torch and transformers (CHAINLAB_TORCH_PYTHON names one)");
      ctx.skip();
      return;
    }
    manualSeed(0);
    const context = 16, windows = 4;
    const model = new nn.GPT({ vocabSize: 24, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 16, geluApproximate: "tanh" });
    const dir = join(tmp, "start"), out = join(tmp, "after-ddp"), idsFile = join(tmp, "ids.safetensors");
    model.savePretrained(dir);
    // a text with structure to learn: counting up by one, modulo the vocabulary, from random starts
    const ids: number[] = [];
    while (ids.length < 3000) {
      const start = ids.length % 23;
      for (let k = 0; k < 40; k++) ids.push((start + k) % 24);
    }
    io.saveSafetensors(idsFile, { ids: Tensor.from(ids, "int32") });
    const script = join(__dirname, "../../../examples/continue_training_ddp.py");
    const args = [script, "--model", dir, "--ids", idsFile, "--out", out, "--steps", "40", "--batch", "4",
      "--context", String(context), "--lr", "3e-3", "--eval-windows", String(windows)];
    const port = await freePort();
    const ranks = await Promise.all([0, 1].map((rank) => runPython(python, args, {
      MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port), RANK: String(rank), WORLD_SIZE: "2", LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: "2",
    })));
    for (const r of ranks) expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const run = ranks[0];
    expect(run.stdout).toMatch(/2 processes \(gloo\), weights equal on every process: True/);
    const m = /held-out loss \(4 windows of 17 ids\): ([\d.]+) -> ([\d.]+)/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    const [before, after] = [Number(m![1]), Number(m![2])];
    expect(after).toBeLessThan(before - 0.5);
    // chainlab reads what PyTorch saved, and scores the same held-out windows as it did
    const trained = nn.GPT.fromPretrained(out).eval();
    const held = ids.slice(-windows * (context + 1));
    const rows = Array.from({ length: windows }, (_, w) => held.slice(w * (context + 1), (w + 1) * (context + 1)));
    const loss = noGrad(() => trained.forward(rows.map((r) => r.slice(0, -1)), rows.map((r) => r.slice(1))).loss!.item());
    expect(Math.abs(loss - after)).toBeLessThan(1e-3);
    expect(existsSync(join(out, "config.json"))).toBe(true);
  }, 300_000);
});

/** A TCP port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** Run a Python program with extra environment variables, killed after four minutes. */
function runPython(python: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { env: { ...process.env, ...env } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A Python that imports torch and transformers: CHAINLAB_TORCH_PYTHON, the references' venv, or python3. */
function findTorchPython(): string | null {
  const candidates = [process.env.CHAINLAB_TORCH_PYTHON, join(__dirname, "../../../tmp/gpt2-venv/bin/python"), "python3"];
  for (const py of candidates) {
    if (!py || (py.includes("/") && !existsSync(py))) continue;
    const probe = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('torch') and u.find_spec('transformers') else 1)";
    if (spawnSync(py, ["-c", probe], { encoding: "utf8", timeout: 60_000 }).status === 0) return py;
  }
  return null;
}
