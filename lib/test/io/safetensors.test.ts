import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { Tensor } from "../../src/tensor";
import { tensor, zeros } from "../../src/creation";
import {
  loadSafetensors,
  loadSafetensorsWithMetadata,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  readSafetensorsHeader,
  saveSafetensors,
  serializeSafetensors,
} from "../../src/io";

const dir = mkdtempSync(join(tmpdir(), "chainlab-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const repoRoot = join(__dirname, "..", "..", "..");
const fixtureScript = join(__dirname, "fixtures", "make_fixture.py");

function works(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 }).status === 0;
  } catch {
    return false;
  }
}

const python3 = works("python3", ["-c", "import struct, json"]) ? "python3" : null;
/** An interpreter with the safetensors package: the project's virtualenv first, then the system's. */
const pythonWithSafetensors = [join(repoRoot, ".venv", "bin", "python"), "python3"].find((py) =>
  works(py, ["-c", "import safetensors.numpy, numpy"]),
);

/** A safetensors file from a header object and a data buffer, header padded as the format says. */
function build(header: unknown, data: Uint8Array | number[] = [], opts: { pad?: boolean; rawHeader?: string } = {}): Uint8Array {
  let text = new TextEncoder().encode(opts.rawHeader ?? JSON.stringify(header));
  if (opts.pad ?? true) {
    const padded = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
    padded.set(text);
    text = padded;
  }
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe("round trip", () => {
  test("float32, int32, scalars, empty tensors and metadata", () => {
    const tensors = {
      w: tensor([[1.5, -2], [3.25, 1e-8]]),
      ids: tensor([3, -1, 2147483647], { dtype: "int32" }),
      scalar: tensor(7.5),
      empty: zeros([0, 4]),
      emptyInt: zeros([2, 0], { dtype: "int32" }),
    };
    const path = join(dir, "round.safetensors");
    saveSafetensors(path, tensors, { author: "chainlab", note: "ünïcode ✓" });
    const { tensors: back, metadata } = loadSafetensorsWithMetadata(path);
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name].shape).toEqual(t.shape);
      expect(back[name].dtype).toBe(t.dtype);
      expect(Array.from(back[name].data)).toEqual(Array.from(t.data));
    }
    expect(metadata).toEqual({ author: "chainlab", note: "ünïcode ✓" });
    expect(loadSafetensors(path).w.toArray()).toEqual(tensors.w.toArray());
  });

  test("the layout follows the format: aligned header, sorted tensors, contiguous offsets", () => {
    const bytes = serializeSafetensors({ b: tensor([1, 2, 3]), a: tensor([[4, 5]]), c: tensor(1, { dtype: "int32" }) });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.a).toEqual({ dtype: "F32", shape: [1, 2], data_offsets: [0, 8] });
    expect(header.b).toEqual({ dtype: "F32", shape: [3], data_offsets: [8, 20] });
    expect(header.c).toEqual({ dtype: "I32", shape: [], data_offsets: [20, 24] });
    expect(header.__metadata__).toBeUndefined();
    expect(bytes.length).toBe(8 + n + 24);
    expect(Array.from(new Float32Array(bytes.slice(8 + n, 8 + n + 8).buffer))).toEqual([4, 5]);
  });

  test("non-contiguous views are written in row-major order", () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]).transpose(0, 1);
    const back = parseSafetensors(serializeSafetensors({ t }));
    expect(back.t.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });

  test("a Map of tensors, and tensors that do not share the caller's buffer", () => {
    const bytes = serializeSafetensors(new Map([["x", tensor([1, 2])]]));
    const back = parseSafetensors(bytes);
    back.x.storage[0] = 99;
    expect(parseSafetensors(bytes).x.toArray()).toEqual([1, 2]);
  });

  test("unusual names survive, __proto__ included", () => {
    const tensors: Record<string, Tensor> = {};
    Object.defineProperty(tensors, "__proto__", { value: tensor([1]), enumerable: true });
    tensors["layer.0/weight ✓"] = tensor([2]);
    const back = parseSafetensors(serializeSafetensors(tensors));
    expect(Object.keys(back).sort()).toEqual(["__proto__", "layer.0/weight ✓"].sort());
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")!.value.toArray()).toEqual([1]);
  });

  test("writing rejects what the format cannot hold", () => {
    expect(() => serializeSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => serializeSafetensors({ x: [1, 2] as unknown as Tensor })).toThrow(/"x" is object, not a Tensor/);
    expect(() => serializeSafetensors({}, { n: 3 as unknown as string })).toThrow(/metadata "n" is number/);
  });

  test("readSafetensorsHeader describes without decoding", () => {
    const h = readSafetensorsHeader(serializeSafetensors({ x: zeros(2, 3) }, { k: "v" }));
    expect(h.tensors.x).toEqual({ dtype: "F32", shape: [2, 3], dataOffsets: [0, 24] });
    expect(h.metadata).toEqual({ k: "v" });
  });
});

describe("reading other dtypes", () => {
  test("I64 loads as int64; U8, BOOL, F64, F16, BF16 convert to int32 / float32", () => {
    const dv = (n: number) => new DataView(new ArrayBuffer(n));
    const i64 = dv(16);
    i64.setBigInt64(0, -5n, true);
    i64.setBigInt64(8, 2147483647n, true);
    const f64 = dv(8);
    f64.setFloat64(0, 0.1, true);
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc1, 0xff, 0x7b, 0x01, 0x00]); // 1, -2.5, 65504, 2^-24
    const bf16 = new Uint8Array([0xc0, 0x3f]); // 1.5
    const parts = [new Uint8Array(i64.buffer), new Uint8Array([0, 255]), new Uint8Array([1, 0]), new Uint8Array(f64.buffer), f16, bf16];
    const header: Record<string, unknown> = {};
    const names = ["i64", "u8", "bool", "f64", "f16", "bf16"];
    const dtypes = ["I64", "U8", "BOOL", "F64", "F16", "BF16"];
    const shapes = [[2], [2], [2], [1], [4], [1]];
    let at = 0;
    parts.forEach((p, k) => {
      header[names[k]] = { dtype: dtypes[k], shape: shapes[k], data_offsets: [at, at + p.length] };
      at += p.length;
    });
    const data = new Uint8Array(at);
    at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    const t = parseSafetensors(build(header, data));
    expect(t.i64.dtype).toBe("int64");
    expect(t.i64.toArray()).toEqual([-5, 2147483647]);
    expect(t.u8.toArray()).toEqual([0, 255]);
    expect(t.bool.toArray()).toEqual([1, 0]);
    expect(t.f64.dtype).toBe("float32");
    expect(t.f64.item()).toBeCloseTo(0.1, 7);
    expect(t.f16.toArray()).toEqual([1, -2.5, 65504, 2 ** -24]);
    expect(t.bf16.toArray()).toEqual([1.5]);
  });

  test("I64 values beyond int32 and beyond 2^53 load exactly", () => {
    const values = [1n << 40n, -(1n << 62n) - 3n, 9007199254740993n, -9223372036854775808n, 9223372036854775807n];
    const dv = new DataView(new ArrayBuffer(8 * values.length));
    values.forEach((v, i) => dv.setBigInt64(i * 8, v, true));
    const bytes = build({ big: { dtype: "I64", shape: [values.length], data_offsets: [0, 8 * values.length] } }, new Uint8Array(dv.buffer));
    const t = parseSafetensors(bytes, "big.safetensors").big;
    expect(t.dtype).toBe("int64");
    expect(t.toArray({ bigint: true })).toEqual(values);
  });

  test("U64 values outside int32 are an error naming the tensor and the value", () => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setBigUint64(0, 1n << 40n, true);
    const bytes = build({ big: { dtype: "U64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(dv.buffer));
    expect(() => parseSafetensors(bytes, "big.safetensors")).toThrow(
      /safetensors: big\.safetensors: tensor "big" \(U64\) holds 1099511627776 at element 0, outside the int32 range/,
    );
  });
});

describe("corrupt files give an Error naming the file and the problem", () => {
  const good = serializeSafetensors({ a: tensor([1, 2]), b: tensor([3, 4, 5]) }, { k: "v" });

  function loadBytes(name: string, bytes: Uint8Array): () => unknown {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return () => loadSafetensors(path);
  }

  function expectError(fn: () => unknown, path: RegExp, problem: RegExp): void {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RangeError);
    expect(err).not.toBeInstanceOf(TypeError);
    const msg = (err as Error).message;
    expect(msg).toMatch(path);
    expect(msg).toMatch(problem);
  }

  test("an empty file and one shorter than the length prefix", () => {
    expectError(loadBytes("empty.safetensors", new Uint8Array(0)), /empty\.safetensors/, /truncated file: 0 bytes/);
    expectError(loadBytes("short.safetensors", good.subarray(0, 5)), /short\.safetensors/, /truncated file: 5 bytes/);
  });

  test("a missing file", () => {
    expectError(() => loadSafetensors(join(dir, "nope.safetensors")), /nope\.safetensors/, /cannot read the file/);
  });

  test("truncated inside the header", () => {
    expectError(loadBytes("cut-header.safetensors", good.subarray(0, 20)), /cut-header\.safetensors/, /header length \(\d+ bytes\) is larger than the rest of the file \(12 bytes\)/);
  });

  test("truncated inside the data", () => {
    expectError(loadBytes("cut-data.safetensors", good.subarray(0, good.length - 4)), /cut-data\.safetensors/, /tensor "b" has data_offsets \[8, 20\] beyond the end of the data \(16 bytes\)/);
  });

  test("a header length far larger than the file (u64 max)", () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    expectError(loadBytes("huge-length.safetensors", bytes), /huge-length/, /header length \(18446744073709551615 bytes\) is larger than the rest of the file/);
  });

  test("invalid JSON, invalid UTF-8, and a header that is not an object", () => {
    expectError(() => parseSafetensors(build(null, [], { rawHeader: '{"a": {"dtype": "F32",' }), "bad.json"), /bad\.json/, /header is not valid JSON/);
    const utf8 = build(null, [], { rawHeader: "{}" });
    utf8[9] = 0xff;
    expectError(() => parseSafetensors(utf8, "utf8.st"), /utf8\.st/, /not valid UTF-8/);
    expectError(() => parseSafetensors(build(null, [], { rawHeader: "[1, 2]" }), "arr.st"), /arr\.st/, /does not start with "\{"/);
    expectError(() => parseSafetensors(build(null, [], { rawHeader: "        " }), "blank.st"), /blank\.st/, /does not start with "\{"/);
  });

  test("an unknown dtype", () => {
    const bytes = build({ x: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } }, [0, 0]);
    expectError(() => parseSafetensors(bytes, "dtype.st"), /dtype\.st/, /tensor "x" has unknown or unsupported dtype "F8_E4M3"/);
    const missing = build({ x: { shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectError(() => parseSafetensors(missing, "nodtype.st"), /nodtype\.st/, /tensor "x" has no dtype/);
    const proto = build({ x: { dtype: "constructor", shape: [], data_offsets: [0, 0] } });
    expectError(() => parseSafetensors(proto, "proto.st"), /proto\.st/, /unknown or unsupported dtype "constructor"/);
  });

  test("shape x dtype size that disagrees with the offsets", () => {
    const bytes = build({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectError(() => parseSafetensors(bytes, "size.st"), /size\.st/, /tensor "x" of dtype F32 and shape \[3\] needs 12 bytes but its data_offsets \[0, 8\] span 8/);
  });

  test("invalid shapes and offsets", () => {
    const neg = build({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(neg, "neg.st"), /neg\.st/, /invalid shape \[-1\]/);
    const frac = build({ x: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(frac, "frac.st"), /frac\.st/, /invalid shape/);
    const backwards = build({ x: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(backwards, "back.st"), /back\.st/, /invalid data_offsets \[4,0\]/);
    const notPair = build({ x: { dtype: "F32", shape: [1], data_offsets: [0] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(notPair, "pair.st"), /pair\.st/, /invalid data_offsets/);
    const giant = build({ x: { dtype: "F64", shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] } }, new Uint8Array(8));
    expectError(() => parseSafetensors(giant, "giant.st"), /giant\.st/, /too large to address/);
  });

  test("offsets out of bounds", () => {
    const bytes = build({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(bytes, "oob.st"), /oob\.st/, /beyond the end of the data \(4 bytes\)/);
    const far = build({ x: { dtype: "F32", shape: [1], data_offsets: [1e15, 1e15 + 4] } }, new Uint8Array(4));
    expectError(() => parseSafetensors(far, "far.st"), /far\.st/, /beyond the end of the data/);
  });

  test("overlapping tensors", () => {
    const bytes = build(
      { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
      new Uint8Array(12),
    );
    expectError(() => parseSafetensors(bytes, "overlap.st"), /overlap\.st/, /tensor "b" \(data_offsets \[4, 12\]\) overlaps tensor "a"/);
  });

  test("offsets that leave a gap or do not cover the buffer", () => {
    const gap = build(
      { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } },
      new Uint8Array(12),
    );
    expectError(() => parseSafetensors(gap, "gap.st"), /gap\.st/, /tensor "b" starts at byte 8 but the previous data ends at byte 4/);
    const trailing = build({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(12));
    expectError(() => parseSafetensors(trailing, "trail.st"), /trail\.st/, /cover 4 bytes of data but the file holds 12/);
    const late = build({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expectError(() => parseSafetensors(late, "late.st"), /late\.st/, /starts at byte 4 but the previous data ends at byte 0/);
  });

  test("bad metadata", () => {
    const bytes = build({ __metadata__: { n: 1 } });
    expectError(() => parseSafetensors(bytes, "meta.st"), /meta\.st/, /metadata "n" is number, expected a string/);
    const notObj = build({ __metadata__: "x" });
    expectError(() => parseSafetensors(notObj, "meta2.st"), /meta2\.st/, /"__metadata__" is not an object/);
    const entry = build({ x: 5 });
    expectError(() => parseSafetensors(entry, "entry.st"), /entry\.st/, /header entry for "x" is not an object/);
  });

  test("random corruption never escapes as a RangeError or hangs", () => {
    // Flip bytes all over a valid file: every outcome is a clean load or a named Error.
    let state = 12345;
    const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 500; trial++) {
      const bytes = good.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
      try {
        parseSafetensorsWithMetadata(cut, "fuzz.st");
      } catch (e) {
        expect((e as Error).name).toBe("SafetensorsError");
        expect((e as Error).message).toMatch(/^safetensors: fuzz\.st: /);
      }
    }
  });
});

describe("interoperability with Python", () => {
  test.skipIf(!python3)("reads a file written by a standard-library Python script (skipped without python3)", () => {
    const out = join(dir, "py");
    const run = spawnSync(python3!, [fixtureScript, out], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { tensors: t, metadata } = loadSafetensorsWithMetadata(join(out, "fixture.safetensors"));
    expect(metadata).toEqual({ source: "make_fixture.py", format: "pt" });
    expect(t.weight.shape).toEqual([2, 3]);
    expect(Array.from(t.weight.data)).toEqual(Array.from(new Float32Array([0.5, -1.25, 3.0, 4.75, -5.5, 1e-3])));
    expect(t.bias.dtype).toBe("float32");
    expect(Array.from(t.bias.data)).toEqual(Array.from(new Float32Array([0.1, -2.0])));
    expect(t.ids.toArray()).toEqual([0, -7, 2147483647, -2147483648]);
    expect(t.positions.dtype).toBe("int64");
    expect(t.positions.toArray()).toEqual([[0, 1], [-3, 2147483647]]);
    expect(t.half.toArray()).toEqual([1, -2.5, 65504]);
    expect(t.brain.toArray()).toEqual([1.5, -0.15625]);
    expect(t.bytes.toArray()).toEqual([0, 1, 128, 255]);
    expect(t.mask.toArray()).toEqual([1, 0, 1]);
    expect(t.scale.shape).toEqual([]);
    expect(t.scale.item()).toBe(2);
    expect(t.empty.shape).toEqual([0, 3]);
    const big = loadSafetensors(join(out, "overflow.safetensors")).big;
    expect(big.dtype).toBe("int64");
    expect(big.toArray()).toEqual([1, 2 ** 40]);
  });
  if (!python3) test.skip("python3 is not installed: the standard-library fixture was not checked", () => {});

  test.skipIf(!pythonWithSafetensors)("Python's safetensors reads our file and we read its file (skipped without safetensors)", () => {
    const ours = join(dir, "ours.safetensors");
    saveSafetensors(
      ours,
      {
        "layer.weight": tensor([[0.25, -1], [3.5, 1e-7]]),
        ids: tensor([[1, -2, 3]], { dtype: "int32" }),
        long: tensor([5n, -(2n ** 40n), 2n ** 62n + 1n], { dtype: "int64" }),
        scalar: tensor(-0.5),
        empty: zeros([0, 2]),
      },
      { step: "42" },
    );
    const theirs = join(dir, "theirs.safetensors");
    const script = `
import json, sys, numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
d = load_file(sys.argv[1])
with safe_open(sys.argv[1], framework="np") as f:
    meta = f.metadata()
print(json.dumps({"meta": meta, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": [str(x) if v.dtype == np.int64 else x for x in v.ravel().tolist()]} for k, v in d.items()}}))
save_file({
    "f32": np.array([[1.5, -2.0, 0.125]], dtype=np.float32),
    "f64": np.array([0.1], dtype=np.float64),
    "f16": np.array([0.5, -1.0], dtype=np.float16),
    "i64": np.array([-2, -1, 0, 1, 2, 2**40, -(2**62) - 3], dtype=np.int64),
    "u8": np.array([7, 255], dtype=np.uint8),
    "flag": np.array([True, False]),
}, sys.argv[2], metadata={"made_by": "safetensors"})
`;
    const run = spawnSync(pythonWithSafetensors!, ["-c", script, ours, theirs], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout);
    expect(seen.meta).toEqual({ step: "42" });
    expect(seen.tensors["layer.weight"]).toEqual({ dtype: "float32", shape: [2, 2], values: Array.from(new Float32Array([0.25, -1, 3.5, 1e-7])) });
    expect(seen.tensors.ids).toEqual({ dtype: "int32", shape: [1, 3], values: [1, -2, 3] });
    expect(seen.tensors.long).toEqual({ dtype: "int64", shape: [3], values: ["5", String(-(2n ** 40n)), String(2n ** 62n + 1n)] });
    expect(seen.tensors.scalar).toEqual({ dtype: "float32", shape: [], values: [-0.5] });
    expect(seen.tensors.empty).toEqual({ dtype: "float32", shape: [0, 2], values: [] });

    const { tensors: t, metadata } = loadSafetensorsWithMetadata(theirs);
    expect(metadata).toEqual({ made_by: "safetensors" });
    expect(t.f32.toArray()).toEqual([[1.5, -2, 0.125]]);
    expect(t.f64.item()).toBeCloseTo(0.1, 7);
    expect(t.f16.toArray()).toEqual([0.5, -1]);
    expect(t.i64.dtype).toBe("int64");
    expect(t.i64.toArray({ bigint: true })).toEqual([-2n, -1n, 0n, 1n, 2n, 2n ** 40n, -(2n ** 62n) - 3n]);
    expect(t.u8.toArray()).toEqual([7, 255]);
    expect(t.flag.toArray()).toEqual([1, 0]);
  });
  if (!pythonWithSafetensors) test.skip("Python's safetensors is not installed (.venv/bin/python or python3): cross-check skipped", () => {});
});

test("saving leaves no temporary files behind", () => {
  const sub = mkdtempSync(join(dir, "clean-"));
  saveSafetensors(join(sub, "a.safetensors"), { x: tensor([1]) });
  saveSafetensors(join(sub, "a.safetensors"), { x: tensor([2]) });
  expect(readdirSync(sub)).toEqual(["a.safetensors"]);
  expect(loadSafetensors(join(sub, "a.safetensors")).x.toArray()).toEqual([2]);
  expect(readFileSync(join(sub, "a.safetensors")).length).toBeGreaterThan(8);
});
