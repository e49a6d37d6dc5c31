// Payload columns travel as a base64 Arrow IPC stream inside +json bundles: output
// messages cannot carry binary buffers to a renderer, and Arrow keeps numbers exact.
import { tableFromArrays, tableToIPC } from "apache-arrow";

export type Column = Float32Array | Float64Array | Int32Array | string[];

export function arrowBase64(columns: Record<string, Column>): string {
  const table = tableFromArrays(columns as Parameters<typeof tableFromArrays>[0]);
  return Buffer.from(tableToIPC(table, "stream")).toString("base64");
}
