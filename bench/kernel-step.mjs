// The baby-GPT training step in a plain node process (`--impl plain`) and in the chainlab
// kernel watched by a Monitor as notebook 07 does (`--impl kernel`, through jupyter_client
// with the Python of .venv): ms a step, float32 storage made new a step, major GCs per
// 100 steps and the share of a step spent in GC. `node bench/kernel-step.mjs --impl kernel`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { args, chainlab, emit, require, root } from "./common.mjs";

const opts = args();
const impl = opts.impl ?? "plain";
const steps = Number(opts.steps ?? (opts.quick ? 30 : 60));
const loopFile = join(root, "bench", "train-loop.cjs");

if (impl === "plain") {
  const cl = await chainlab(process.env.CHAINLAB_BACKEND ?? "blas");
  const r = await require(loopFile).run(cl, { steps, watch: !!opts.watch });
  emit({ part: "kernel-step", impl, backend: cl.backend(), ...r });
} else if (impl === "kernel") {
  const python = process.env.JUPYTER_PYTHON ?? join(root, ".venv", "bin", "python");
  if (!existsSync(python)) throw new Error(`no Python with jupyter_client at ${python} (set JUPYTER_PYTHON)`);
  const r = spawnSync(python, [join(root, "bench", "kernel_step.py"), "--loop", loopFile, "--steps", String(steps)],
    { cwd: root, encoding: "utf8", timeout: 20 * 60 * 1000 });
  const line = (r.stdout || "").split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`kernel run failed: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-3).join(" | ")}`);
  emit({ part: "kernel-step", impl, ...JSON.parse(line.slice(7)) });
} else {
  throw new Error(`unknown impl ${impl}: plain or kernel`);
}
