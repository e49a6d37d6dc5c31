// Payload columns travel as a base64 Arrow IPC stream inside +json bundles: output
// messages cannot carry binary buffers to a renderer, and Arrow keeps numbers exact.
//
// apache-arrow takes most of the library's load time, and most programs never build a
// bundle: it is required on the first bundle, not when the library loads.
import type * as Arrow from "apache-arrow";
import { requireOptional } from "../optional";

export type Column = Float32Array | Float64Array | Int32Array | string[];

let arrow: typeof Arrow | undefined;

function loadArrow(): typeof Arrow {
  // an optional peer dependency: programs that never display need not install it
  return (arrow ??= requireOptional<typeof Arrow>("apache-arrow", "a notebook display (its data travels as Arrow)"));
}

/** Whether apache-arrow has been loaded yet (it is loaded by the first bundle). @internal */
export function arrowLoaded(): boolean {
  return arrow !== undefined;
}

/** The columns as a base64 Arrow IPC stream, as the renderers decode it. */
export function arrowBase64(columns: Record<string, Column>): string {
  const { tableFromArrays, tableToIPC } = loadArrow();
  const table = tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]);
  return Buffer.from(tableToIPC(table, "stream")).toString("base64");
}
