// The safetensors format (Hugging Face), which PyTorch, NumPy and JAX users read and write:
//
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}},
//             padded with spaces so that the data starts 8-byte aligned
//   rest      the tensors' bytes, little-endian, row-major; offsets are relative to here
//
// A file is untrusted input: every length and offset in the header is checked against the
// bytes actually present before anything is allocated or read, and every failure is an
// Error naming the file and what is wrong with it.
import { readFileSync } from "node:fs";
import { BUDGETS } from "../display/contract";
import { Tensor } from "../tensor";
import { writeFileAtomic } from "./atomic";

export type SafetensorsDType =
  | "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

const itemSize: Record<SafetensorsDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** The reference implementation refuses larger headers; so do we, before decoding them. */
const maxHeaderSize = 100_000_000;

export type TensorMap = Record<string, Tensor> | Map<string, Tensor>;

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/**
 * A malformed or unsupported safetensors file; the message names the file and what is wrong.
 * @example try { io.loadSafetensors(path); } catch (e) { if (e instanceof io.SafetensorsError) console.log(e.message); }
 */
export class SafetensorsError extends Error {
  constructor(readonly source: string, problem: string) {
    super(`safetensors: ${source}: ${problem}`);
    this.name = "SafetensorsError";
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Define rather than assign: names come from files and users, and "__proto__" is a legal tensor name. */
export function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function entriesOf(tensors: TensorMap): [string, Tensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
}

// ---- writing --------------------------------------------------------------------------

/** The bytes of a safetensors file holding `tensors` (float32 as F32, int32 as I32, int64 as I64) and string metadata. */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Uint8Array {
  const fail = (problem: string): never => {
    throw new Error(`serializeSafetensors(): ${problem}`);
  };
  const entries = entriesOf(tensors);
  for (const [name, t] of entries) {
    if (name === "__metadata__") fail('"__metadata__" is reserved for metadata and cannot name a tensor');
    if (!(t instanceof Tensor)) fail(`"${name}" is ${t === null ? "null" : typeof t}, not a Tensor`);
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object") fail("metadata must be an object of strings");
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") fail(`metadata "${k}" is ${typeof v}; safetensors metadata values must be strings`);
    }
  }
  // Byte order as the reference writer uses: by name. An int64 tensor after a 4-byte one may
  // start off an 8-byte boundary; the reader copies such a one rather than viewing it.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const values = t.rawValues();
    const bytes = toLittleEndianBytes(values);
    setOwn(header, name, {
      dtype: t.dtype === "int64" ? "I64" : t.dtype === "int32" ? "I32" : "F32",
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.byteLength],
    });
    payloads.push(bytes);
    offset += bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded);
  let at = 8 + padded;
  for (const p of payloads) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function toLittleEndianBytes(values: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (littleEndian) return view;
  const out = new Uint8Array(values.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof BigInt64Array) dv.setBigInt64(i * 8, values[i], true);
    else if (values instanceof Float32Array) dv.setFloat32(i * 4, values[i], true);
    else dv.setInt32(i * 4, values[i], true);
  }
  return out;
}

/** Write tensors (and optional string metadata) to `path` as safetensors, atomically. */
export function saveSafetensors(path: string, tensors: TensorMap, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

// ---- reading --------------------------------------------------------------------------

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse the bytes of a safetensors file; `source` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, source = "<buffer>"): Record<string, Tensor> {
  return parseSafetensorsWithMetadata(bytes, source).tensors;
}

/**
 * The tensors and the string metadata (__metadata__) of safetensors bytes.
 * @example const { tensors, metadata } = io.parseSafetensorsWithMetadata(bytes);
 */
export function parseSafetensorsWithMetadata(bytes: Uint8Array, source = "<buffer>"): SafetensorsContents {
  return decode(bytes, source, true);
}

/** Read a safetensors file into tensors (F32, I32 and I64 as they are; F64, F16, BF16 as float32; other integers as int32, range-checked). */
export function loadSafetensors(path: string): Record<string, Tensor> {
  return loadSafetensorsWithMetadata(path).tensors;
}

/**
 * The tensors and the string metadata (__metadata__) of a safetensors file.
 * @example const { tensors, metadata } = io.loadSafetensorsWithMetadata("model.safetensors");
 */
export function loadSafetensorsWithMetadata(path: string): SafetensorsContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(path, `cannot read the file: ${(e as Error).message}`);
  }
  // The buffer is ours alone, so tensors may view it instead of copying.
  return decode(bytes, path, false);
}

/** Only the header: names, dtypes, shapes and metadata, without decoding any tensor. */
export function readSafetensorsHeader(bytes: Uint8Array, source = "<buffer>"): {
  tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; dataOffsets: [number, number] }>;
  metadata: Record<string, string>;
} {
  const { entries, metadata } = parseHeader(bytes, source);
  const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; dataOffsets: [number, number] }> = {};
  for (const e of entries) {
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, dataOffsets: [e.begin, e.end] });
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, source: string, copy: boolean): SafetensorsContents {
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    setOwn(tensors, e.name, new Tensor(decodeData(bytes, dataStart + e.begin, e, source, copy), e.shape));
  }
  return { tensors, metadata };
}

function parseHeader(
  bytes: Uint8Array,
  source: string,
): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (problem: string): never => {
    throw new SafetensorsError(source, problem);
  };
  if (!(bytes instanceof Uint8Array)) fail("expected the file's bytes as a Uint8Array or Buffer");
  if (bytes.byteLength < 8) {
    fail(`truncated file: ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) {
    fail(`the header length (${n} bytes) is larger than the rest of the file (${bytes.byteLength - 8} bytes): truncated or not a safetensors file`);
  }
  if (n > BigInt(maxHeaderSize)) fail(`the header length (${n} bytes) exceeds the ${maxHeaderSize}-byte limit`);
  const headerLength = Number(n);
  const dataStart = 8 + headerLength;
  const bufferLength = bytes.byteLength - dataStart;

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail(`the header does not start with "{" (it starts with ${JSON.stringify(text.slice(0, 16))}): not a safetensors file`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("the header is not a JSON object");

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (info === null || typeof info !== "object" || Array.isArray(info)) fail('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata "${k}" is ${v === null ? "null" : typeof v}, expected a string`);
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    entries.push(parseEntry(name, info, fail));
  }

  // Offsets must tile the buffer exactly: sorted by start, each tensor begins where the
  // previous one ended, and the last ends at the end of the file. This rules out overlap
  // (two tensors aliasing bytes), gaps (hidden data) and trailing garbage alike.
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: Entry | null = null;
  for (const e of byStart) {
    if (e.end > bufferLength) {
      fail(
        `tensor "${e.name}" has data_offsets [${e.begin}, ${e.end}] beyond the end of the data ` +
          `(${bufferLength} bytes): the file is truncated or the header is wrong`,
      );
    }
    if (e.begin < expected) {
      fail(`tensor "${e.name}" (data_offsets [${e.begin}, ${e.end}]) overlaps tensor "${previous!.name}" (data_offsets [${previous!.begin}, ${previous!.end}])`);
    }
    if (e.begin > expected) {
      fail(`tensor "${e.name}" starts at byte ${e.begin} but the previous data ends at byte ${expected}: the offsets leave a gap`);
    }
    expected = e.end;
    previous = e;
  }
  if (expected !== bufferLength) {
    fail(`the tensors cover ${expected} bytes of data but the file holds ${bufferLength}: the header does not describe the whole buffer`);
  }
  return { entries, metadata, dataStart };
}

function parseEntry(name: string, info: unknown, fail: (problem: string) => never): Entry {
  if (info === null || typeof info !== "object" || Array.isArray(info)) fail(`the header entry for "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== "string") fail(`tensor "${name}" has no dtype`);
  if (!Object.prototype.hasOwnProperty.call(itemSize, dtype as string)) {
    fail(`tensor "${name}" has unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(itemSize).join(", ")})`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}: expected an array of non-negative integers`);
  }
  if ((shape as number[]).length > BUDGETS.tensorDims) {
    fail(`tensor "${name}" has ${(shape as number[]).length} dimensions; chainlab supports at most ${BUDGETS.tensorDims}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => !Number.isSafeInteger(o) || o < 0) ||
    offsets[0] > offsets[1]
  ) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}: expected [begin, end] with 0 <= begin <= end`);
  }
  const dt = dtype as SafetensorsDType;
  let size = (shape as number[]).includes(0) ? 0 : itemSize[dt];
  for (const d of shape as number[]) {
    size *= d;
    if (!Number.isSafeInteger(size)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, too large to address`);
  }
  const [begin, end] = offsets as number[];
  if (end - begin !== size) {
    fail(
      `tensor "${name}" of dtype ${dt} and shape [${(shape as number[]).join(", ")}] needs ${size} bytes ` +
        `but its data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype: dt, shape: [...(shape as number[])], begin, end };
}

function decodeData(bytes: Uint8Array, start: number, e: Entry, source: string, copy: boolean): Float32Array | Int32Array | BigInt64Array {
  const count = (e.end - e.begin) / itemSize[e.dtype];
  const abs = bytes.byteOffset + start;
  if (e.dtype === "I64") {
    // int64 as it is, every bit kept: a view where the bytes allow, else a copy
    if (littleEndian && !copy && abs % 8 === 0) return new BigInt64Array(bytes.buffer, abs, count);
    const out = new BigInt64Array(count);
    const dv = new DataView(bytes.buffer, abs, e.end - e.begin);
    for (let i = 0; i < count; i++) out[i] = dv.getBigInt64(i * 8, true);
    return out;
  }
  if (e.dtype === "F32" || e.dtype === "I32") {
    if (littleEndian) {
      const f32 = e.dtype === "F32";
      if (!copy && abs % 4 === 0) return f32 ? new Float32Array(bytes.buffer, abs, count) : new Int32Array(bytes.buffer, abs, count);
      const own = new Uint8Array(count * 4);
      own.set(bytes.subarray(start, start + count * 4));
      return f32 ? new Float32Array(own.buffer) : new Int32Array(own.buffer);
    }
  }
  const dv = new DataView(bytes.buffer, abs, e.end - e.begin);
  const rangeCheck = (v: number | bigint, i: number): number => {
    if (v < -2147483648 || v > 2147483647) {
      throw new SafetensorsError(source, `tensor "${e.name}" (${e.dtype}) holds ${v} at element ${i}, outside the int32 range chainlab stores integers in`);
    }
    return Number(v);
  };
  switch (e.dtype) {
    case "F32": case "F64": case "F16": case "BF16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        out[i] =
          e.dtype === "F32" ? dv.getFloat32(i * 4, true)
          : e.dtype === "F64" ? dv.getFloat64(i * 8, true)
          : e.dtype === "F16" ? halfToFloat(dv.getUint16(i * 2, true))
          : bfloat16ToFloat(dv.getUint16(i * 2, true));
      }
      return out;
    }
    default: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        switch (e.dtype) {
          case "I32": out[i] = dv.getInt32(i * 4, true); break;
          case "U64": out[i] = rangeCheck(dv.getBigUint64(i * 8, true), i); break;
          case "U32": out[i] = rangeCheck(dv.getUint32(i * 4, true), i); break;
          case "I16": out[i] = dv.getInt16(i * 2, true); break;
          case "U16": out[i] = dv.getUint16(i * 2, true); break;
          case "I8": out[i] = dv.getInt8(i); break;
          case "U8": out[i] = dv.getUint8(i); break;
          case "BOOL": out[i] = dv.getUint8(i) !== 0 ? 1 : 0; break;
        }
      }
      return out;
    }
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function bfloat16ToFloat(bits: number): number {
  u32Scratch[0] = bits << 16;
  return f32Scratch[0];
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
