// The JupyterLab extension as a Python wheel, and its installation into an environment.
//   node scripts/extension-wheel.mjs [--python .venv/bin/python] [--install] [--force]
// builds extension/dist/chainlab_jupyterlab-<version>-py3-none-any.whl from the prebuilt
// extension (extension/labextension, written by `npm run build -w @chainlab/jupyterlab`)
// with hatchling, only when the extension or the packaging files changed since the last
// wheel; --install also pip-installs it into that Python's environment when it is not
// the installed one. `npm run lab` does both.
//
// The build empties extension/labextension before it writes it again, a minute later. So
// the wheel is made only from a complete folder (the remoteEntry its package.json loads and
// every chunk that remoteEntry names), whose files did not change while hatchling read
// them, and it is checked after it is made. An install is one pip transaction (the old
// files go by the old wheel's RECORD), so JupyterLab never sees a mix of two builds.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const extensionDir = path.join(root, "extension");
const distDir = path.join(extensionDir, "dist");
const pythonPackage = "chainlab-jupyterlab";
// what goes into the wheel besides the built extension
const packagingFiles = ["pyproject.toml", "install.json", "package.json", "README.md", "LICENSE", "chainlab_jupyterlab/__init__.py"];

function log(text) {
  console.log(`[wheel] ${text}`);
}

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p).split(path.sep).join("/"));
  }
  return out.sort();
}

/** The files of the built extension that are missing, or [] when it is complete. */
export function missingFromBuild(labextension = path.join(extensionDir, "labextension")) {
  const pkgFile = path.join(labextension, "package.json");
  if (!existsSync(pkgFile)) return ["package.json"];
  let load;
  try {
    load = JSON.parse(readFileSync(pkgFile, "utf8")).jupyterlab?._build?.load;
  } catch {
    return ["package.json (not readable JSON yet)"];
  }
  if (!load) return ["package.json's jupyterlab._build.load"];
  const entry = path.join(labextension, load);
  if (!existsSync(entry)) return [load];
  // the remoteEntry maps chunk ids to content hashes: {120:"4d37451efd9d6b58",...}
  const missing = [];
  const text = readFileSync(entry, "utf8");
  for (const m of text.matchAll(/\b(\d+):"([0-9a-f]{16,20})"/g)) {
    const chunk = `static/${m[1]}.${m[2]}.js`;
    if (!existsSync(path.join(labextension, chunk)) && !missing.includes(chunk)) missing.push(chunk);
  }
  return missing;
}

/** A hash of everything the wheel is made from: file names, sizes and contents. */
export function sourceFingerprint() {
  const h = createHash("sha256");
  const labextension = path.join(extensionDir, "labextension");
  for (const f of listFiles(labextension)) {
    h.update(`labextension/${f}\0`);
    h.update(readFileSync(path.join(labextension, f)));
  }
  for (const f of packagingFiles) {
    const p = path.join(extensionDir, f);
    h.update(`${f}\0`);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest("hex");
}

function version() {
  return JSON.parse(readFileSync(path.join(extensionDir, "package.json"), "utf8")).version;
}

export function wheelPath() {
  return path.join(distDir, `chainlab_jupyterlab-${version()}-py3-none-any.whl`);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits for the built extension to be complete (a build may be writing it right now). */
function waitForCompleteBuild(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let missing = missingFromBuild();
  if (missing.length) log(`extension/labextension is incomplete (missing ${missing.slice(0, 3).join(", ")}): waiting for the build writing it`);
  while (missing.length && Date.now() < deadline) {
    sleep(2000);
    missing = missingFromBuild();
  }
  if (missing.length) {
    throw new Error(
      `extension/labextension is incomplete: ${missing.slice(0, 5).join(", ")} missing. ` +
        "Build the extension first: npm run build -w @chainlab/jupyterlab",
    );
  }
}

function python(py, args, options = {}) {
  return spawnSync(py, args, { cwd: root, encoding: "utf8", ...options });
}

/** The labextension files inside a wheel, by asking Python's zipfile. */
function wheelContents(py, wheel) {
  const r = python(py, ["-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", wheel]);
  if (r.status !== 0) throw new Error(`cannot read ${wheel}: ${r.stderr}`);
  const prefix = /^[^/]+\.data\/data\/share\/jupyter\/labextensions\/@chainlab\/jupyterlab\//;
  return r.stdout.split("\n").filter((n) => prefix.test(n)).map((n) => n.replace(prefix, "")).sort();
}

function ensureHatchling(py) {
  if (python(py, ["-c", "import hatchling"]).status === 0) return;
  log("installing hatchling (the wheel's build backend) with pip");
  const r = python(py, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "hatchling>=1.5"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("pip could not install hatchling, which builds the extension's wheel");
}

/**
 * Builds the wheel unless the one in extension/dist was made from the same files.
 * Returns {wheel, fingerprint, built}.
 */
export function buildExtensionWheel({ python: py, force = false, waitMs = 300_000 } = {}) {
  const wheel = wheelPath();
  const stampFile = `${wheel}.sha256`;
  waitForCompleteBuild(waitMs);
  let fingerprint = sourceFingerprint();
  if (!force && existsSync(wheel) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === fingerprint) {
    return { wheel, fingerprint, built: false };
  }
  ensureHatchling(py);
  mkdirSync(distDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const tmp = mkdtempSync(path.join(distDir, ".wheel-"));
    try {
      log(`building ${path.relative(root, wheel)}`);
      const r = python(py, ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check", "-q", "-w", tmp, extensionDir]);
      if (r.status !== 0) throw new Error(`pip wheel failed for extension/:\n${r.stderr}${r.stdout}`);
      const after = sourceFingerprint();
      const missing = missingFromBuild();
      if (after !== fingerprint || missing.length) {
        // a build rewrote extension/labextension while hatchling read it: start again
        if (attempt >= 3) throw new Error("extension/labextension kept changing while the wheel was built: is a build running in a loop?");
        log("extension/labextension changed while the wheel was built: building again once it is complete");
        waitForCompleteBuild(waitMs);
        fingerprint = sourceFingerprint();
        continue;
      }
      const made = path.join(tmp, path.basename(wheel));
      if (!existsSync(made)) throw new Error(`pip wheel made ${readdirSync(tmp).join(", ") || "nothing"}, not ${path.basename(wheel)}`);
      const inWheel = wheelContents(py, made);
      const expected = [...listFiles(path.join(extensionDir, "labextension")), "install.json"].sort();
      const absent = expected.filter((f) => !inWheel.includes(f));
      if (absent.length) throw new Error(`the wheel lacks ${absent.slice(0, 5).join(", ")}`);
      renameSync(made, wheel); // atomic: a reader sees the old wheel or the new one
      writeFileSync(stampFile, fingerprint + "\n");
      log(`${path.relative(root, wheel)}: ${(statSync(wheel).size / 1e6).toFixed(2)} MB, ${inWheel.length} files under share/jupyter/labextensions/@chainlab/jupyterlab`);
      return { wheel, fingerprint, built: true };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

function pythonPrefix(py) {
  const r = python(py, ["-c", "import sys; print(sys.prefix)"]);
  if (r.status !== 0) throw new Error(`${py} did not run: ${r.stderr}`);
  return r.stdout.trim();
}

/** Holds a lock directory while fn runs, so that two set-ups do not pip-install at once. */
function withLock(lockDir, fn) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let holder = NaN;
      try { holder = Number(readFileSync(path.join(lockDir, "pid"), "utf8")); } catch { /* being written */ }
      let alive = true;
      if (Number.isInteger(holder)) {
        try { process.kill(holder, 0); } catch { alive = false; }
      }
      if (!alive) rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lockDir} is held by process ${holder}: remove it if that process is gone`);
      else sleep(500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Installs the wheel into py's environment unless that environment already has this
 * wheel's build. Replaces a copied (not pip-installed) extension folder of older set-ups.
 */
export function installExtensionWheel({ python: py, wheel, fingerprint }) {
  const prefix = pythonPrefix(py);
  const target = path.join(prefix, "share", "jupyter", "labextensions", "@chainlab", "jupyterlab");
  const stampFile = path.join(prefix, ".chainlab-jupyterlab.sha256");
  return withLock(path.join(prefix, ".chainlab-jupyterlab.lock"), () => {
    const installed = existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
    const pipOwned = python(py, ["-m", "pip", "show", "-q", pythonPackage]).status === 0;
    if (installed === fingerprint && pipOwned && existsSync(path.join(target, "install.json")) && missingFromBuild(target).length === 0) {
      return false;
    }
    if (!pipOwned && existsSync(target)) {
      log(`removing ${target}, a copy no package owns`);
      rmSync(target, { recursive: true, force: true });
    }
    log(`pip-installing ${path.relative(root, wheel)}`);
    const r = python(py, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps", "--force-reinstall", wheel], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`pip could not install ${wheel}`);
    const missing = missingFromBuild(target);
    if (missing.length) throw new Error(`after pip install, ${target} lacks ${missing.join(", ")}`);
    writeFileSync(stampFile, fingerprint + "\n");
    return true;
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const known = new Set(["--python", "--install", "--force", "--help"]);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--python") i++;
    else if (!known.has(args[i])) {
      console.error(`[wheel] unknown argument ${args[i]} (try --help)`);
      process.exit(2);
    }
  }
  if (args.includes("--help")) {
    console.log("node scripts/extension-wheel.mjs [--python PY] [--install] [--force]\n" +
      "  builds extension/dist/chainlab_jupyterlab-<version>-py3-none-any.whl when stale;\n" +
      "  --install pip-installs it into PY's environment (default .venv/bin/python)");
    process.exit(0);
  }
  const pi = args.indexOf("--python");
  const py = pi >= 0 ? args[pi + 1] : path.join(root, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  try {
    const { wheel, fingerprint, built } = buildExtensionWheel({ python: py, force: args.includes("--force") });
    if (!built) log(`${path.relative(root, wheel)} is up to date`);
    if (args.includes("--install")) {
      if (!installExtensionWheel({ python: py, wheel, fingerprint })) log("the installed extension is this wheel's");
    }
  } catch (e) {
    console.error(`[wheel] ${e.message}`);
    process.exit(1);
  }
}
