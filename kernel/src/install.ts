// Installs the `chainlab` kernelspec into a prefix, the user's Jupyter data directory, or
// the active Python environment, the three places `jupyter kernelspec list` looks.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { drawLogo } from "./logo";

export interface InstallOptions {
  prefix?: string;
  user?: boolean;
  sysPrefix?: boolean;
  /** Python whose sys.prefix --sys-prefix means (default: the active venv, else python3). */
  python?: string;
  name?: string;
  displayName?: string;
  interruptMode?: "message" | "signal";
  /**
   * A built API reference (`npm run docs` writes docs/api), served by JupyterLab so that the
   * Help menu's "chainlab API reference" opens it from the server, wherever the browser runs.
   */
  docs?: string;
}

// JupyterLab opens a kernel's help link in a sandboxed iframe, whose requests carry no
// login cookie: pages under kernelspecs/ (which need one) would come without their
// stylesheets and scripts. JupyterLab serves every file under a labextensions directory at
// lab/extensions/ without a login (its extensions' code), so the reference goes there, in a
// folder without a package.json, which JupyterLab does not take for an extension.
const docsFolder = ["@chainlab", "api-reference"];

/** Where the API reference is served, relative to the server's base URL. */
const apiDocsPath = `lab/extensions/${docsFolder.join("/")}/index.html`;

export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

function pythonPrefix(python: string): string {
  return execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
}

/**
 * V8 flags for the kernel's node. With a main heap of about 10 MB, V8 keeps the old
 * generation's limit low, and the short-lived objects of a Monitor and of the sockets that
 * get promoted set off a full GC every few steps: 28 per 100 baby-GPT steps, against 13
 * with this flag, the count plain node has from the library's memory alone.
 */
const nodeFlags = ["--initial-old-space-size=64"];

export function kernelSpec(options: InstallOptions = {}): Record<string, unknown> {
  return {
    argv: [process.execPath, ...nodeFlags, path.join(__dirname, "cli.js"), "kernel", "--connection-file", "{connection_file}"],
    display_name: options.displayName ?? "chainlab (TypeScript)",
    language: "typescript",
    interrupt_mode: options.interruptMode ?? "message",
    env: options.docs ? { CHAINLAB_API_DOCS: apiDocsPath } : {},
    metadata: { debugger: false },
  };
}

/** Writes the kernelspec and returns its directory. */
export function installKernelSpec(options: InstallOptions = {}): string {
  let dataDir: string;
  if (options.prefix) {
    dataDir = path.join(path.resolve(options.prefix), "share", "jupyter");
  } else if (options.sysPrefix) {
    const python = options.python ?? (process.env.VIRTUAL_ENV ? path.join(process.env.VIRTUAL_ENV, "bin", "python") : "python3");
    dataDir = path.join(pythonPrefix(python), "share", "jupyter");
  } else {
    dataDir = userDataDir();
  }
  const dir = path.join(dataDir, "kernels", options.name ?? "chainlab");
  mkdirSync(dir, { recursive: true });
  // the docs go first, so that kernel.json never links to docs that are not there
  const docsDir = path.join(dataDir, "labextensions", ...docsFolder);
  rmSync(docsDir, { recursive: true, force: true });
  if (options.docs) {
    if (!existsSync(path.join(options.docs, "index.html"))) {
      throw new Error(`--docs ${options.docs}: no index.html there (build the API reference with npm run docs)`);
    }
    cpSync(options.docs, docsDir, { recursive: true });
  }
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(options), null, 2) + "\n");
  writeFileSync(path.join(dir, "logo-32x32.png"), drawLogo(32));
  writeFileSync(path.join(dir, "logo-64x64.png"), drawLogo(64));
  writeFileSync(path.join(dir, "logo-svg.svg"), logoSvg());
  return dir;
}

function logoSvg(): string {
  const link = (cx: number, cy: number, color: string) =>
    `<rect x="${cx - 25}" y="${cy - 12}" width="50" height="24" rx="12" fill="none" stroke="${color}" stroke-width="9" transform="rotate(-34 ${cx} ${cy})"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">` +
    `<rect width="100" height="100" rx="18" fill="#1e3a5f"/>${link(36, 56, "#f99e0b")}${link(64, 44, "#ffffff")}</svg>\n`
  );
}
