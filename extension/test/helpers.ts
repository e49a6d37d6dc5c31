// Test helpers: a MIME model as JupyterLab hands it to a renderer, and Arrow payloads
// made the way the library makes them.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { tableFromArrays, tableToIPC } from "apache-arrow";

export function mimeModel(mimeType: string, data: unknown, trusted = false): IRenderMime.IMimeModel {
  return {
    trusted,
    data: { [mimeType]: data } as IRenderMime.IMimeModel["data"],
    metadata: {},
    setData: () => undefined,
  };
}

export function rendererOptions(mimeType: string): IRenderMime.IRendererOptions {
  return {
    mimeType,
    sanitizer: { sanitize: (s: string) => s },
    resolver: null,
    linkHandler: null,
    latexTypesetter: null,
  } as unknown as IRenderMime.IRendererOptions;
}

export function arrowBase64(columns: Record<string, Float32Array | Float64Array | Int32Array | string[]>): string {
  const bytes = tableToIPC(tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]), "stream");
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

export const HOSTILE = `<img src=x onerror="globalThis.__pwned=1">`;

/** True when no element of the tree came from markup in a bundle string. */
export function noInjectedMarkup(node: HTMLElement): boolean {
  return node.querySelector("img, script, iframe") === null && !(globalThis as Record<string, unknown>).__pwned;
}
