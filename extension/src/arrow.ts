// Payload columns arrive as a base64 Arrow IPC stream inside the +json bundle (output
// messages cannot carry binary buffers to a renderer). Decoding checks the columns the
// renderer needs, so a damaged payload names its field instead of drawing garbage.
import { tableFromIPC, type Table } from "apache-arrow";
import { BundleError } from "./validate";

export function base64Bytes(b64: string, field: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new BundleError(field, "is not valid base64");
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function readTable(b64: unknown, field: string): Table {
  if (typeof b64 !== "string") throw new BundleError(field, "expected a base64 Arrow IPC stream (a string)");
  let table: Table;
  try {
    table = tableFromIPC(base64Bytes(b64, field));
  } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new BundleError(field, `is not an Arrow IPC stream (${(e as Error).message})`);
  }
  // arrow reads bytes without a schema message as an empty table
  if (table.schema.fields.length === 0) throw new BundleError(field, "is not an Arrow IPC stream (no schema)");
  return table;
}

/** A numeric column as a typed array (a copy-free view when the table has one chunk). */
export function numberColumn(table: Table, name: string, field: string): Float64Array | Float32Array | Int32Array {
  const col = table.getChild(name);
  if (!col) throw new BundleError(field, `has no column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(", ")})`);
  const values = col.toArray() as unknown;
  if (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array) return values;
  if (ArrayBuffer.isView(values)) return Float64Array.from(values as unknown as ArrayLike<number>);
  throw new BundleError(field, `column "${name}" is not numeric`);
}

export function stringColumn(table: Table, name: string, field: string): string[] {
  const col = table.getChild(name);
  if (!col) throw new BundleError(field, `has no column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(", ")})`);
  const out: string[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    out[i] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}
