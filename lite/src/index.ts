// The JupyterLite plugin that registers the chainlab kernel. Its worker script and the
// WebAssembly module ship in this extension's static folder, next to the script webpack
// loaded this code from, so the site needs nothing from anywhere else.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { IKernelClient, IKernelSpecs, type IKernel } from "@jupyterlite/services";
import { ChainlabKernel } from "./kernel";

// set by webpack's module federation to the folder this extension's chunks were loaded from
declare const __webpack_public_path__: string;

/** The kernel's logo: a square in the library's colour with "TS" in it, drawn here. */
const logo = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="#3178c6"/>' +
    '<text x="32" y="42" font-family="sans-serif" font-size="26" font-weight="bold" fill="#fff" text-anchor="middle">TS</text></svg>',
)}`;

/**
 * What cells find in `process.env`: the page's query parameters named CHAINLAB_*, e.g.
 * `?CHAINLAB_QUICK=1` runs the tutorial notebooks in quick mode.
 */
function envFromPage(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(globalThis.location?.search ?? "")) if (k.startsWith("CHAINLAB_")) env[k] = v;
  return env;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "@chainlab/lite-kernel:kernel",
  description: "The chainlab (TypeScript) kernel, running in a Web Worker",
  autoStart: true,
  requires: [IKernelSpecs],
  optional: [IKernelClient],
  activate: (_app: JupyterFrontEnd, specs: IKernelSpecs, client: IKernelClient | null) => {
    const assets = __webpack_public_path__;
    const live = new Map<string, ChainlabKernel>();
    // JupyterLite's kernels have no interrupt of their own (its client only drops the requests
    // waiting in line): Kernel › Interrupt reaches ours through the client
    if (client) {
      const interrupt = client.interrupt.bind(client);
      client.interrupt = async (id: string) => {
        live.get(id)?.interrupt();
        await interrupt(id);
      };
    }
    specs.register({
      spec: {
        name: "chainlab",
        display_name: "chainlab (TypeScript)",
        language: "typescript",
        argv: [],
        resources: { "logo-32x32": logo, "logo-64x64": logo, "logo-svg": logo },
      },
      create: async (options: IKernel.IOptions) => {
        const kernel = new ChainlabKernel({ ...options, assets, env: envFromPage() });
        live.set(kernel.id, kernel);
        kernel.disposed.connect(() => live.delete(kernel.id));
        return kernel;
      },
    });
  },
};

export default [plugin];
