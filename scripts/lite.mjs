// `npm run lite`: builds lite/dist/, a static JupyterLite site where the tutorial notebooks
// run in the browser tab on the chainlab kernel, with nothing installed by the reader.
//   1. jupyterlite-core (pinned) in lite/.venv, installed once;
//   2. the extension's renderers (extension/labextension), built when missing;
//   3. the kernel's JupyterLite plugin (lite/src) as a prebuilt extension (lite/labextension),
//      with the worker that runs cells (lite/worker, bundled by esbuild with the library's
//      sources) and the library's WebAssembly module in its static folder;
//   4. `jupyter lite build` with both extensions and notebooks/*.ipynb as contents.
//   --serve [--port N]   then serve the site on 127.0.0.1 with COOP/COEP headers
//   --not-isolated       serve without them (as GitHub Pages would)
import { spawnSync } from "node:child_process";
import { builtinModules } from "node:module";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const lite = path.join(root, "lite");
const isWindows = process.platform === "win32";
export const JUPYTERLITE_CORE = "0.8.6";

function step(text) {
  console.log(`[lite] ${text}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", shell: isWindows, ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`[lite] failed: ${cmd} ${args.join(" ")} (exit ${r.status})`);
}

function capture(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", shell: isWindows });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const venv = path.join(lite, ".venv");
const venvBin = path.join(venv, isWindows ? "Scripts" : "bin");
const venvPython = path.join(venvBin, isWindows ? "python.exe" : "python");

/** jupyterlite-core at the pinned version in lite/.venv; a no-op when it is there. */
function ensureJupyterLite() {
  const installed = existsSync(venvPython)
    ? capture(venvPython, ["-c", "import importlib.metadata as m; print(m.version('jupyterlite-core')); import jupyter_server"])
    : undefined;
  if (installed === JUPYTERLITE_CORE) return;
  if (!existsSync(venvPython)) {
    step("creating lite/.venv");
    const python = process.env.PYTHON ?? (isWindows ? "python" : "python3");
    run(python, ["-m", "venv", venv]);
  }
  step(`installing jupyterlite-core ${JUPYTERLITE_CORE} into lite/.venv`);
  run(venvPython, ["-m", "pip", "install", "--quiet", `jupyterlite-core[contents]==${JUPYTERLITE_CORE}`]);
}

function ensureExtension() {
  const built = path.join(root, "extension", "labextension", "package.json");
  if (existsSync(built)) return;
  step("building the extension's renderers (npm run build -w @chainlab/jupyterlab)");
  if (!existsSync(path.join(root, "lib", "dist", "index.d.ts"))) run("npm", ["run", "build", "-w", "lib"]);
  run("npm", ["run", "build", "-w", "@chainlab/jupyterlab"]);
}

function wasmFiles() {
  const dir = path.join(root, "lib", "wasm");
  const files = ["chainlab.wasm", "chainlab-relaxed.wasm"].map((f) => path.join(dir, f));
  if (!files.every(existsSync)) {
    step("building the library's WebAssembly module (lib/wasm/build.js)");
    run(process.execPath, [path.join(dir, "build.js")], { cwd: path.join(root, "lib") });
  }
  return files;
}

// Node's modules in the worker: the ones a page can stand in for (lite/worker/shims), the
// rest a module that names itself when used.
const shimmed = new Set(["fs", "path", "os", "util", "v8", "vm", "crypto", "buffer", "worker_threads"]);
const nodeShims = {
  name: "node-shims",
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      const shims = path.join(lite, "worker", "shims");
      if (shimmed.has(name)) return { path: path.join(shims, `${name}.ts`) };
      if (builtinModules.includes(name) || args.path.startsWith("node:")) return { path: path.join(shims, "unavailable.ts") };
      return undefined;
    });
  },
};

async function buildWorker(outDir) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(lite, "worker", "main.ts")],
    outfile: path.join(outDir, "chainlab-worker.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    minify: true,
    // class names show in printed values and error names
    keepNames: true,
    // TypeScript requires it only when it runs in Node
    external: ["source-map-support"],
    define: { __dirname: '"/"' },
    plugins: [nodeShims],
    logLevel: "error",
  });
}

async function build() {
  const t0 = Date.now();
  ensureJupyterLite();
  ensureExtension();
  const wasm = wasmFiles();

  step("type-checking the worker and building the plugin (tsc)");
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
  run(process.execPath, [tsc, "-p", path.join(lite, "worker", "tsconfig.json")]);
  run(process.execPath, [tsc, "-p", path.join(lite, "tsconfig.json")]);

  step("building the kernel's extension (@jupyter/builder)");
  run(process.execPath, [
    path.join(root, "node_modules", "@jupyter", "builder", "lib", "build-labextension.js"),
    "--core-package-file", path.join(root, "node_modules", "@jupyterlab", "core-meta", "core.package.json"),
    ".",
  ], { cwd: lite });
  const staticDir = path.join(lite, "labextension", "static");
  step("bundling the worker with the library (esbuild)");
  await buildWorker(staticDir);
  for (const f of wasm) cpSync(f, path.join(staticDir, path.basename(f)));

  // contents: the notebooks alone (not their checkpoints or result files)
  const contents = path.join(lite, "build", "contents");
  rmSync(contents, { recursive: true, force: true });
  mkdirSync(contents, { recursive: true });
  for (const f of readdirSync(path.join(root, "notebooks")).filter((n) => n.endsWith(".ipynb"))) {
    cpSync(path.join(root, "notebooks", f), path.join(contents, f));
  }

  step("building the site (jupyter lite build)");
  const out = path.join(lite, "dist");
  rmSync(out, { recursive: true, force: true });
  // doit's record of earlier builds would skip steps whose output was just removed
  rmSync(path.join(lite, "site", ".jupyterlite.doit.db"), { force: true });
  run(path.join(venvBin, "jupyter"), ["lite", "build", "--lite-dir", path.join(lite, "site"), "--output-dir", out], { cwd: path.join(lite, "site") });
  // the site's settings (default kernel, app name) over the app's defaults, which the build
  // does not always merge
  const siteJson = path.join(out, "jupyter-lite.json");
  const built = JSON.parse(readFileSync(siteJson, "utf8"));
  const ours = JSON.parse(readFileSync(path.join(lite, "site", "jupyter-lite.json"), "utf8"));
  Object.assign(built["jupyter-config-data"], ours["jupyter-config-data"]);
  writeFileSync(siteJson, JSON.stringify(built, null, 2) + "\n");
  step(`built lite/dist in ${((Date.now() - t0) / 1000).toFixed(0)} s (${(sizeOf(out) / 1e6).toFixed(1)} MB)`);
}

function sizeOf(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, e) => s + sizeOf(path.join(p, e)), 0);
}

async function main() {
  const args = process.argv.slice(2);
  const serve = args.includes("--serve");
  const portAt = args.indexOf("--port");
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8000;
  await build();
  if (serve) {
    const { serveSite } = await import("./lite-server.mjs");
    const isolated = !args.includes("--not-isolated");
    const { url } = await serveSite(path.join(lite, "dist"), { port, isolated });
    console.log(`[lite] serving lite/dist at ${url}lab/index.html ${isolated ? "(cross-origin isolated)" : "(not isolated)"}; Ctrl-C stops`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
