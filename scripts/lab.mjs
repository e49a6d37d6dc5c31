// `npm run lab`: from a fresh clone to JupyterLab on notebooks/ with the chainlab kernel.
// Installs npm packages when missing, builds, creates .venv with JupyterLab and the test
// tools, installs the kernelspec and the extension's wheel (extension/dist) into .venv,
// then starts JupyterLab. Re-running skips what is already done.
//   --setup-only   do the set-up and stop (CI, tests)
//   --rebuild      build even when no source changed
//   other flags go to `jupyter lab` (e.g. --no-browser, --port 8899)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildExtensionWheel, installExtensionWheel } from "./extension-wheel.mjs";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const setupOnly = args.includes("--setup-only");
const rebuild = args.includes("--rebuild");
const labArgs = args.filter((a) => a !== "--setup-only" && a !== "--rebuild");
const isWindows = process.platform === "win32";
const venv = path.join(root, ".venv");
const venvBin = path.join(venv, isWindows ? "Scripts" : "bin");
const venvPython = path.join(venvBin, isWindows ? "python.exe" : "python");

function step(text) {
  console.log(`\n[lab] ${text}`);
}

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", shell: isWindows, ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`[lab] failed: ${cmd} ${cmdArgs.join(" ")} (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// Build outputs are skipped so that a build does not look like a change of sources.
const generatedDirs = new Set(["node_modules", "dist", "build", "labextension", "__pycache__"]);
const generatedFile = /\.(wasm|map|tsbuildinfo|node|o|a|so)$/;

function newestMtime(p, skip = new Set()) {
  if (!existsSync(p) || skip.has(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return generatedFile.test(p) ? 0 : st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (generatedDirs.has(entry.name) || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name), skip));
  }
  return newest;
}

// 1. npm packages
if (!existsSync(path.join(root, "node_modules", ".package-lock.json"))) {
  step("installing npm packages (npm ci)");
  run("npm", ["ci"]);
}

// 2. build, unless no workspace has a source newer than its built entry point (or, for a
//    workspace without one, than the last build this script ran)
const workspaces = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).workspaces ?? [];
const buildStamp = path.join(root, "node_modules", ".chainlab-build-stamp");
const stampTime = existsSync(buildStamp) ? statSync(buildStamp).mtimeMs : 0;
const sharedConfig = newestMtime(path.join(root, "tsconfig.base.json"));
function isStale(workspace) {
  const dir = path.join(root, workspace);
  const pkgFile = path.join(dir, "package.json");
  if (!existsSync(pkgFile)) return false;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (!pkg.scripts?.build) return false;
  const entry = pkg.main ? path.join(dir, pkg.main) : undefined;
  const builtAt = entry && existsSync(entry) ? statSync(entry).mtimeMs : stampTime;
  // the folder the entry point is built into is output (the extension's lib/, whose .d.ts
  // files tsc writes after index.js), not sources
  const outDir = entry ? path.join(dir, path.relative(dir, entry).split(/[\\/]/)[0]) : undefined;
  return Math.max(newestMtime(dir, new Set(outDir && outDir !== entry ? [outDir] : [])), sharedConfig) > builtAt;
}
const stale = workspaces.filter(isStale);
if (rebuild || stale.length) {
  step(`building (npm run build)${stale.length ? `: changed ${stale.join(", ")}` : ""}`);
  run("npm", ["run", "build"]);
  writeFileSync(buildStamp, new Date().toISOString() + "\n");
} else {
  step("build is up to date");
}

// 3. Python environment
function findPython() {
  for (const candidate of isWindows ? ["python", "py"] : ["python3", "python"]) {
    const r = spawnSync(candidate, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() === "3") return candidate;
  }
  console.error("[lab] Python 3 was not found. Install Python 3.9 or newer and run `npm run lab` again.");
  process.exit(1);
}

if (!existsSync(venvPython)) {
  const python = findPython();
  step(`creating .venv with ${python} -m venv`);
  const r = spawnSync(python, ["-m", "venv", venv], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(venv, { recursive: true, force: true });
    const why = `${r.stderr ?? ""}${r.stdout ?? ""}`;
    console.error(why.trim());
    if (/ensurepip|venv/i.test(why)) {
      console.error(
        "\n[lab] Python's venv module (or ensurepip) is missing. On Debian or Ubuntu install it with\n" +
          "        sudo apt-get install python3-venv\n" +
          "      then run `npm run lab` again.",
      );
    }
    process.exit(1);
  }
}

const requirements = path.join(root, "requirements.txt");
const requirementsHash = createHash("sha256").update(readFileSync(requirements)).digest("hex");
const pipStamp = path.join(venv, ".requirements.sha256");
if (!existsSync(pipStamp) || readFileSync(pipStamp, "utf8").trim() !== requirementsHash) {
  step("installing JupyterLab and the test tools into .venv (pip)");
  run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip"]);
  run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", requirements]);
  writeFileSync(pipStamp, requirementsHash + "\n");
} else {
  step("Python packages are up to date");
}

// 4. kernelspec (always: it records this checkout's paths and node binary)
step("installing the chainlab kernelspec into .venv");
// with the API reference when `npm run docs` has built it: the Help menu links to it
const apiDocs = path.join(root, "docs", "api");
const docsArgs = existsSync(path.join(apiDocs, "index.html")) ? ["--docs", apiDocs] : [];
run(process.execPath, [path.join(root, "kernel", "dist", "cli.js"), "install", "--sys-prefix", "--python", venvPython, ...docsArgs]);

// 5. the prebuilt JupyterLab extension, as JupyterLab users get it: a Python wheel
//    (extension/dist, made again only when the build changed) pip-installed into .venv
if (existsSync(path.join(root, "extension", "pyproject.toml"))) {
  step("the JupyterLab extension @chainlab/jupyterlab (a wheel, pip-installed into .venv)");
  try {
    const { wheel, fingerprint, built } = buildExtensionWheel({ python: venvPython });
    if (!built) console.log(`[lab] ${path.relative(root, wheel)} is up to date`);
    if (!installExtensionWheel({ python: venvPython, wheel, fingerprint })) console.log("[lab] .venv has this wheel's extension");
  } catch (e) {
    console.error(`[lab] the extension could not be installed: ${e.message}`);
    process.exit(1);
  }
}

if (setupOnly) {
  step("set-up done");
  process.exit(0);
}

// 6. JupyterLab
const notebooks = path.join(root, "notebooks");
mkdirSync(notebooks, { recursive: true });
const jupyterArgs = ["-m", "jupyterlab", `--ServerApp.root_dir=${notebooks}`];
if (typeof process.getuid === "function" && process.getuid() === 0) jupyterArgs.push("--allow-root");
jupyterArgs.push(...labArgs);
step(`starting JupyterLab on ${notebooks}`);
const lab = spawnSync(venvPython, jupyterArgs, {
  cwd: notebooks,
  stdio: "inherit",
  env: { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH ?? ""}`, VIRTUAL_ENV: venv },
});
process.exit(lab.status ?? 0);
