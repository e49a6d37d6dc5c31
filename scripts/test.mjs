// `npm test`: everything from a fresh clone. Installs what is missing, builds, then runs
// the library's tests on every backend that loads here, and the kernel's protocol tests.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
const failures = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n== ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.status !== 0) failures.push(label);
  return r.status === 0;
}

if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
  run("npm ci", "npm", ["ci"]);
}
if (!run("build", "npm", ["run", "build"])) {
  console.error("build failed");
  process.exit(1);
}

function availableBackends() {
  const probe = `const b=require("./lib/dist/backend");for(const n of ["blas","wasm"]){try{b.setBackend(n);console.log(n)}catch{}}`;
  return execFileSync(process.execPath, ["-e", probe], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
}

run("type-check (library and its tests)", "npm", ["run", "typecheck", "-w", "lib"]);

// .venv first: the library's tests also check files against Python's safetensors there
const venvReady = run("set-up (.venv with JupyterLab, kernelspec)", process.execPath, ["scripts/lab.mjs", "--setup-only", "--no-browser"]);
const python = join(root, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");

// the whole library suite on the reference backend and again on each fast one
for (const b of ["js", ...availableBackends()]) {
  run(`library tests (${b} backend)`, "npx", ["vitest", "run", "--project", "lib"], { CHAINLAB_BACKEND: b });
}

// The extension's renderers in jsdom, then the whole stack in a real JupyterLab and Chromium
run("extension tests (jsdom)", "npx", ["vitest", "run", "--project", "extension"]);
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Debian's Chromium drives the browser tests (playwright's own browser download is not used)
if (!existsSync(chromium) && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
  run("installing chromium (apt-get)", "sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core"]);
}
if (venvReady && existsSync(chromium)) {
  run("browser tests (JupyterLab + Chromium)", "npx", ["vitest", "run", "--project", "browser"]);
} else {
  console.error(`\n== browser tests: FAILED to start (${venvReady ? `no Chromium at ${chromium}: install Debian's chromium package, or set CHROMIUM to a Chromium binary` : ".venv is not ready"})`);
  failures.push("browser tests");
}

// The kernel's protocol tests: jupyter_kernel_test, our own protocol tests, a notebook run.
if (venvReady) {
  run("kernel tests", python, ["-m", "pytest", "test/kernel", "-q"]);
  run("notebook runs", python, ["-m", "pytest", "test/notebooks", "-q"], { CHAINLAB_QUICK: "1" });
}

const secs = ((Date.now() - started) / 1000).toFixed(0);
if (failures.length) {
  console.error(`\nFAILED after ${secs}s: ${failures.join(", ")}`);
  process.exit(1);
}
console.log(`\nall test groups passed in ${secs}s`);
