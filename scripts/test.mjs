// `npm test`: everything from a fresh clone, or the groups named on the command line
// (`npm test -- lib kernel`; `npm test -- --help` lists them with their durations).
// Installs what is missing, builds what the groups use, runs them, and says at the start
// how long that usually takes.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const isWindows = process.platform === "win32";
const python = join(root, ".venv", isWindows ? "Scripts/python.exe" : "bin/python");
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";

// Each group: what it runs, what it needs first, and how long it takes on a 2-core machine
// with the native backend (seconds; `typical`). A run records each group's time in
// node_modules/.cache, and the next estimate uses the times measured here.
//   needs: "lib" (lib/dist built), "extension" (its labextension/ too), "all" (every
//   workspace built), "venv" (.venv with
//   JupyterLab, the kernelspec and the extension's wheel: scripts/lab.mjs --setup-only)
const groups = [
  {
    name: "typecheck", about: "type-check the library and its tests (tsc, strict)", typical: 60, needs: [],
    run: () => run("type-check (library and its tests)", "npm", ["run", "typecheck", "-w", "lib"]),
  },
  {
    name: "lib", about: "the library's tests on the TypeScript reference backend, then on each fast one that loads here (blas, wasm)", typical: 600, needs: ["lib", "venv"],
    run: () => {
      // .venv too: the library's tests check files against Python's safetensors there
      for (const b of ["js", ...availableBackends()]) {
        run(`library tests (${b} backend)`, "npx", ["vitest", "run", "--project", "lib"], { CHAINLAB_BACKEND: b });
      }
    },
  },
  {
    name: "extension", about: "the extension's renderers in jsdom, and the check on its built folder", typical: 60, needs: ["lib", "extension"],
    run: () => run("extension tests (jsdom)", "npx", ["vitest", "run", "--project", "extension"]),
  },
  {
    name: "examples", about: "examples/ run with tiny sizes (MLP, LoRA fine-tuning, safetensors export)", typical: 40, needs: ["lib"],
    run: () => run("examples (tiny sizes)", process.execPath, ["examples/run.mjs", "--all", "--tiny"]),
  },
  {
    name: "package", about: "npm pack of the library installed into an empty folder, trained from ESM, CJS and strict TypeScript; size, publint, attw", typical: 300, needs: ["lib"],
    run: () => run("package (npm pack, install, consume)", process.execPath, ["--test", "test/package/consumer.test.mjs"]),
  },
  {
    name: "browser", about: "the whole stack in a real JupyterLab driven by Chromium (screenshots in test/artifacts)", typical: 1500, needs: ["all", "venv"],
    run: () => {
      if (!existsSync(chromium)) installChromium();
      if (!existsSync(chromium)) {
        console.error(`\n== browser tests: FAILED to start: no Chromium at ${chromium}. Install Debian's chromium package ` +
          "(or run `npm test -- --install-chromium` as root on Debian), or set CHROMIUM to a Chromium binary");
        failures.push("browser tests");
        return;
      }
      run("browser tests (JupyterLab + Chromium)", "npx", ["vitest", "run", "--project", "browser"]);
    },
  },
  {
    name: "lite", about: "the static JupyterLite site (npm run lite) served isolated and opened in Chromium: a notebook on the in-tab kernel, its outputs, its requests", typical: 300, needs: ["lib", "extension"],
    run: () => {
      if (!existsSync(chromium)) {
        console.error(`\n== lite site tests: FAILED to start: no Chromium at ${chromium} (see the browser group)`);
        failures.push("lite site tests");
        return;
      }
      if (run("JupyterLite site (npm run lite)", process.execPath, ["scripts/lite.mjs"])) {
        run("lite site tests (JupyterLite + Chromium)", "npx", ["vitest", "run", "--project", "lite"]);
      }
    },
  },
  {
    name: "kernel", about: "the kernel's message handling in one process (vitest), then its protocol tests over sockets (jupyter_kernel_test and our own, pytest)", typical: 440, needs: ["all", "venv"],
    run: () => {
      run("kernel in one process (vitest)", "npx", ["vitest", "run", "--project", "kernel"]);
      run("kernel tests", python, ["-m", "pytest", "test/kernel", "-q"]);
    },
  },
  {
    name: "notebooks", about: "every tutorial notebook run on the kernel, in quick mode", typical: 600, needs: ["all", "venv"],
    run: () => run("notebook runs", python, ["-m", "pytest", "test/notebooks", "-q"], { CHAINLAB_QUICK: "1" }),
  },
];
// the builds and the set-up before the groups (a build that finds nothing changed is quicker)
const buildTypical = { lib: 90, extension: 150, all: 180, venv: 30 };

function usage() {
  const known = readDurations();
  const lines = groups.map((g) => {
    const measured = known[g.name] ? `, last run here ${minutes(known[g.name])}` : "";
    return `  ${g.name.padEnd(10)} ${g.about}\n  ${"".padEnd(10)} about ${minutes(g.typical)}${measured}`;
  });
  return [
    "npm test [-- GROUP ...] [--install-chromium] [--help]",
    "",
    "Runs the named groups in this order, or all of them when none is named (what CI runs).",
    "Builds what they use first (the library alone for lib and examples, with the extension for extension).",
    "",
    ...lines,
    "",
    `All groups: about ${minutes(groups.reduce((s, g) => s + g.typical, 0) + buildTypical.all + buildTypical.venv)} on a 2-core machine.`,
    "",
    "  --install-chromium  install Debian's chromium with apt-get when it is missing (as root);",
    "                      done without asking only when CI=true",
  ].join("\n");
}

function minutes(secs) {
  return secs < 90 ? `${Math.round(secs)} s` : `${Math.round(secs / 60)} min`;
}

// durations measured on this machine, to estimate the next run
const durationsFile = join(root, "node_modules", ".cache", "chainlab-test-durations.json");
function readDurations() {
  try {
    return JSON.parse(readFileSync(durationsFile, "utf8"));
  } catch {
    return {};
  }
}
function writeDurations(measured) {
  try {
    mkdirSync(dirname(durationsFile), { recursive: true });
    writeFileSync(durationsFile, JSON.stringify({ ...readDurations(), ...measured }, null, 1) + "\n");
  } catch { /* an estimate for next time, not worth failing a run */ }
}

// ---- arguments
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(usage());
  process.exit(0);
}
const installChromiumFlag = args.includes("--install-chromium");
const unknown = args.filter((a) => a !== "--install-chromium" && !groups.some((g) => g.name === a));
if (unknown.length) {
  console.error(`npm test: unknown ${unknown.length > 1 ? "arguments" : "argument"} ${unknown.map((a) => `"${a}"`).join(", ")}; ` +
    `the groups are ${groups.map((g) => g.name).join(", ")}\n\n${usage()}`);
  process.exit(2);
}
const named = new Set(args.filter((a) => a !== "--install-chromium"));
const selected = named.size ? groups.filter((g) => named.has(g.name)) : groups;

// ---- running
const started = Date.now();
const failures = [];

function run(label, cmd, cmdArgs, env = {}) {
  console.log(`\n== ${label}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", shell: isWindows, env: { ...process.env, ...env } });
  if (r.status !== 0) failures.push(label);
  return r.status === 0;
}

function availableBackends() {
  const probe = `const b=require("./lib/dist/backend");for(const n of ["blas","wasm"]){try{b.setBackend(n);console.log(n)}catch{}}`;
  return execFileSync(process.execPath, ["-e", probe], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
}

// Debian's Chromium drives the browser tests (playwright's own browser download is not
// used). Installing a system package is opt-in outside CI.
function installChromium() {
  const wanted = installChromiumFlag || process.env.CI === "true";
  if (!wanted) return;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    console.error("\n== --install-chromium: needs root and apt-get (Debian or Ubuntu); install Chromium yourself and set CHROMIUM");
    return;
  }
  run("installing chromium (apt-get)", "sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core"]);
}

const needs = new Set(selected.flatMap((g) => g.needs));
const known = readDurations();
const estimate = selected.reduce((s, g) => s + (known[g.name] ?? g.typical), 0) +
  (needs.has("all") || !named.size ? buildTypical.all : needs.has("extension") ? buildTypical.extension : needs.has("lib") ? buildTypical.lib : 0) + (needs.has("venv") ? buildTypical.venv : 0);
console.log(`npm test: ${selected.map((g) => g.name).join(", ")}; expected about ${minutes(estimate)} ` +
  `(${Object.keys(known).length ? "from the last runs here" : "typical on a 2-core machine"}; npm test -- --help lists the groups)`);

if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
  run("npm ci", "npm", ["ci"]);
}
if (needs.has("all") || !named.size) {
  if (!run("build", "npm", ["run", "build"])) {
    console.error("build failed");
    process.exit(1);
  }
} else if (needs.has("lib")) {
  const workspaces = needs.has("extension") ? ["lib", "@chainlab/jupyterlab"] : ["lib"];
  if (!run(`build (${workspaces.join(", ")})`, "npm", ["run", "build", ...workspaces.flatMap((w) => ["-w", w])])) {
    console.error("build failed");
    process.exit(1);
  }
}

let venvReady = true;
if (needs.has("venv") && !existsSync(join(root, "docs", "api", "index.html"))) {
  // the kernelspec carries the API reference (its Help menu link), which the browser tests open
  run("API reference (npm run docs)", process.execPath, [join(root, "node_modules", "typedoc", "bin", "typedoc")]);
}
if (needs.has("venv")) {
  venvReady = run("set-up (.venv with JupyterLab, kernelspec, the extension's wheel)", process.execPath, ["scripts/lab.mjs", "--setup-only", "--no-browser"]);
}

const measured = {};
for (const g of selected) {
  if (g.needs.includes("venv") && !venvReady) {
    console.error(`\n== ${g.name}: FAILED to start (.venv is not ready)`);
    failures.push(g.name);
    continue;
  }
  const t0 = Date.now();
  g.run();
  measured[g.name] = Math.round((Date.now() - t0) / 1000);
}
writeDurations(measured);

const secs = ((Date.now() - started) / 1000).toFixed(0);
if (failures.length) {
  console.error(`\nFAILED after ${secs}s: ${failures.join(", ")}`);
  process.exit(1);
}
console.log(`\n${named.size ? `test groups ${selected.map((g) => g.name).join(", ")}` : "all test groups"} passed in ${secs}s`);
