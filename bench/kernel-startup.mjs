// Kernel start-up and round-trip time: tslab alone against the chainlab kernel, in one run.
// Start-up is launch → kernel_info_reply and launch → first cell's reply (the compiler is
// warm and chainlab preloaded); round trip is a trivial cell's execute_request → reply.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "kernel", "package.json"));
const zmq = require("zeromq");
const { Codec } = require(path.join(root, "kernel", "dist", "shared", "wire.js"));

const rounds = Number(process.env.ROUNDS ?? 30);
let nextPort = 40000 + Math.floor(Math.random() * 10000);

async function measure(label, argv) {
  const dir = mkdtempSync(path.join(tmpdir(), "kbench-"));
  const ports = { shell_port: nextPort++, iopub_port: nextPort++, stdin_port: nextPort++, control_port: nextPort++, hb_port: nextPort++ };
  const conn = { transport: "tcp", ip: "127.0.0.1", key: "bench-key", signature_scheme: "hmac-sha256", ...ports };
  const file = path.join(dir, "conn.json");
  writeFileSync(file, JSON.stringify(conn));
  const codec = new Codec(conn);
  const shell = new zmq.Dealer({ routingId: codec.session });
  shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, argv(file), { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  const waiters = [];
  (async () => {
    try {
      for await (const frames of shell) {
        const msg = codec.decode(frames);
        const i = waiters.findIndex((w) => w.type === msg.header.msg_type);
        if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
      }
    } catch {}
  })();
  const request = async (type, content) => {
    const reply = new Promise((resolve) => waiters.push({ type: type.replace("_request", "_reply"), resolve }));
    await shell.send(codec.encode([], type, content, undefined));
    return reply;
  };
  // The kernel binds late; like jupyter_client, keep asking until it answers.
  let info;
  while (!info) {
    info = await Promise.race([request("kernel_info_request", {}), new Promise((r) => setTimeout(r, 100))]);
  }
  waiters.length = 0;
  const ready = performance.now() - t0;
  const cpuReady = cpuSeconds(child.pid);
  const execute = (code) => request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  await execute("1 + 1");
  const firstCell = performance.now() - t0;
  const cpuFirstCell = cpuSeconds(child.pid);
  for (let i = 0; i < 3; i++) await execute(`let warm${i} = ${i}`);
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const r = await execute(`${i} + 1`);
    times.push(performance.now() - t);
    if (r.content.status !== "ok") throw new Error(`${label}: cell failed`);
  }
  times.sort((a, b) => a - b);
  child.kill("SIGKILL");
  shell.close();
  return { label, ready, firstCell, cpuReady, cpuFirstCell, median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

// CPU time the kernel process has used (user + system), which a busy machine distorts less
// than wall time; Linux only.
function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return NaN;
  const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const tslabBin = path.join(root, "node_modules", "tslab", "bin", "tslab");
const ours = path.join(root, "kernel", "dist", "cli.js");
const results = [
  await measure("tslab 1.0.22 alone", (f) => [tslabBin, "kernel", "--config-path", f]),
  await measure("chainlab kernel", (f) => [ours, "kernel", "--connection-file", f]),
];
for (const r of results) {
  console.log(
    `${r.label.padEnd(20)} ready ${(r.ready / 1000).toFixed(2)} s   first cell ${(r.firstCell / 1000).toFixed(2)} s   ` +
      `round trip median ${r.median.toFixed(1)} ms (p90 ${r.p90.toFixed(1)} ms)   ` +
      `cpu to ready ${r.cpuReady.toFixed(2)} s, to first cell ${r.cpuFirstCell.toFixed(2)} s`,
  );
}
const [a, b] = results;
console.log(`ratio chainlab/tslab: ready ${(b.ready / a.ready).toFixed(2)}x, first cell ${(b.firstCell / a.firstCell).toFixed(2)}x, round trip ${(b.median / a.median).toFixed(2)}x`);
process.exit(0);
