// Payload columns arrive as a base64 Arrow IPC stream inside the +json bundle (output
// messages cannot carry binary buffers to a renderer). Decoding checks the columns the
// renderer needs, so a damaged payload names its field instead of drawing garbage.
import { Precision, Type, tableFromIPC, type Table } from "apache-arrow";
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

/** The largest integer a double holds exactly, and every one below it. */
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The exact value of IEEE half-precision bits (Arrow's Float16 arrives as raw uint16). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function columnOf(table: Table, name: string, field: string) {
  const col = table.getChild(name);
  if (!col) throw new BundleError(field, `has no column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(", ")})`);
  return col;
}

/**
 * A numeric column as a typed array (a copy-free view when the table has one chunk and no
 * nulls). Every Arrow number type is read as its value: 64-bit integers exactly when they fit
 * a double (refused naming the row when not), half floats decoded rather than drawn as their
 * raw bits. A null is NaN (a gap in a chart), never 0, which would be a value the bundle does
 * not hold.
 */
export function numberColumn(table: Table, name: string, field: string): Float64Array | Float32Array | Int32Array {
  const col = columnOf(table, name, field);
  const type = col.type;
  let values: Float64Array | Float32Array | Int32Array;
  if (type.typeId === Type.Float) {
    const raw = col.toArray() as unknown;
    if (type.precision === Precision.HALF) {
      const bits = raw as Uint16Array;
      values = new Float64Array(bits.length);
      for (let i = 0; i < bits.length; i++) values[i] = halfToNumber(bits[i]);
    } else {
      values = raw as Float64Array | Float32Array;
    }
  } else if (type.typeId === Type.Int) {
    const raw = col.toArray() as unknown;
    if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
      values = new Float64Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i];
        if (v > MAX_EXACT || v < -MAX_EXACT) {
          throw new BundleError(field, `column "${name}" row ${i} holds the 64-bit integer ${v}, beyond the 2^53 a number holds exactly`);
        }
        values[i] = Number(v);
      }
    } else if (raw instanceof Int32Array) {
      values = raw;
    } else {
      values = Float64Array.from(raw as ArrayLike<number>);
    }
  } else {
    throw new BundleError(field, `column "${name}" holds ${String(type)} values, not numbers`);
  }
  if (col.nullCount > 0) {
    const out = values instanceof Float32Array ? Float32Array.from(values) : Float64Array.from(values);
    for (let i = 0; i < out.length; i++) if (!col.isValid(i)) out[i] = NaN;
    values = out;
  }
  return values;
}

export function stringColumn(table: Table, name: string, field: string): string[] {
  const col = columnOf(table, name, field);
  const out: string[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    out[i] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}
