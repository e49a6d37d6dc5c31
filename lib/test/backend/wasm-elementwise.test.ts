// The WebAssembly backend's costly elementwise ops (polynomials, libm calls) split across
// its threads, against the TypeScript reference: lengths that do not divide evenly, a
// broadcast operand, and softmax rows split between threads.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JsBackend } from "../../src/backend/js";
import type { BinaryOp, UnaryOp } from "../../src/backend/types";
import { type WasmBackend, createWasmBackend } from "../../src/backend/wasm";
import { mulberry32, uniformArray } from "./seeded";

const ref = new JsBackend();

function expectClose(got: Float32Array, want: Float32Array, what: string, rtol: number, atol: number): void {
  for (let i = 0; i < want.length; i++) {
    const tol = atol + rtol * Math.abs(want[i]);
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${what}: [${i}] got ${got[i]}, expected ${want[i]}`);
  }
}

const UNARY: UnaryOp[] = ["exp", "log", "sin", "tanh", "sigmoid", "gelu", "geluTanh"];
const BINARY: BinaryOp[] = ["pow", "geluGrad", "geluTanhGrad"];

const b = createWasmBackend({ relaxed: true, threads: 2 });
describe.skipIf(!b)("wasm elementwise ops on two threads", () => {
  const be = b as WasmBackend;
  beforeAll(async () => {
    for (let i = 0; i < 300 && be.threads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    be.configureThreads(1 << 20, 2, false);
  });
  afterAll(() => be.close());

  test("both threads are up", () => {
    expect(be.threads()).toBe(2);
  });

  test("unary, split into pieces, lengths 32768 to 100003", () => {
    const rnd = mulberry32(41);
    for (const op of UNARY) {
      for (const n of [32768, 40001, 100003]) {
        const x = uniformArray(rnd, n, op === "log" ? 1e-3 : -9, 9);
        const want = new Float32Array(n), got = new Float32Array(n);
        ref.unary(op, x, want, n);
        be.unary(op, x, got, n);
        expectClose(got, want, `${op} n=${n}`, 4e-6, 1e-6);
      }
    }
  });

  test("binary, contiguous and with a broadcast scalar", () => {
    const rnd = mulberry32(42);
    for (const op of BINARY) {
      for (const n of [32768, 65541]) {
        const x = uniformArray(rnd, n + 3, op === "pow" ? 0.1 : -6, 6), y = uniformArray(rnd, n + 1, -2, 2);
        for (const sb of [1, 0]) {
          const a = { data: x, offset: 3, strides: [1] }, c = { data: y, offset: 1, strides: [sb] };
          const want = new Float32Array(n), got = new Float32Array(n);
          ref.binary(op, [n], a, c, want);
          be.binary(op, [n], a, c, got);
          expectClose(got, want, `${op} n=${n} b stride ${sb}`, 4e-6, 1e-6);
        }
      }
    }
  });

  test("softmax and log-softmax over rows split between threads", () => {
    const rnd = mulberry32(43);
    for (const log of [false, true]) {
      for (const [rows, cols] of [[3072, 64], [517, 65], [2, 20000]]) {
        const x = uniformArray(rnd, rows * cols, -8, 8);
        const want = new Float32Array(rows * cols), got = new Float32Array(rows * cols);
        ref.softmax(x, rows, cols, want, log);
        be.softmax(x, rows, cols, got, log);
        expectClose(got, want, `softmax log=${log} [${rows},${cols}]`, 1e-5, 1e-6);
      }
    }
  });
});
