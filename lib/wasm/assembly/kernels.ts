// chainlab's WebAssembly kernels (AssemblyScript, 128-bit SIMD). Pointers are byte
// addresses into one shared memory; strides are in elements. The host (wasm.ts) copies
// operands in, lays out work lists and scratch space, and runs GEMM pieces on several threads,
// each with its own scratch.

import { gemm, gemmShared, packShared } from "./gemm";
export { gemmScratchBytes, gemmMR, gemmKC, gemm, gemmShared, packShared } from "./gemm";

/** First byte free for the host (after this module's own static data). */
export function heapBase(): usize {
  return __heap_base;
}

@inline function addr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// ---------------------------------------------------------------------------------------
// Vector math: branch-free, a few ulp from float64 results.

@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

// V8 (11.x) builds a vector constant anew at every use, loops included, in three
// instructions; a broadcast load from static data is one. So the constants of loops come
// from memory: kf(memory.data<f32>([c])) is c in every lane (ki for i32 lanes).
@inline function kf(p: usize): v128 {
  return v128.load32_splat(p);
}

@inline function ki(p: usize): v128 {
  return v128.load32_splat(p);
}

// c + a * b, fused where relaxed SIMD is on: polynomials are chains of these
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline function exp4(x: v128): v128 {
  // Clamping needs no special cases afterwards: pmax/pmin keep a NaN (it fails every
  // comparison), 89 already overflows to +inf through 2^128, and -104 underflows to 0.
  const xc = f32x4.pmin(f32x4.pmax(x, kf(memory.data<f32>([-104.0]))), kf(memory.data<f32>([89.0])));
  // round to nearest by adding 1.5 * 2^23: the integer lands in the low mantissa bits
  const t = f32x4.add(f32x4.mul(xc, kf(memory.data<f32>([1.44269504088896341]))), kf(memory.data<f32>([12582912.0])));
  const n = f32x4.sub(t, kf(memory.data<f32>([12582912.0])));
  const ni = i32x4.sub(t, ki(memory.data<i32>([0x4b400000])));
  // Cody-Waite: ln2 in two parts keeps the low bits of r
  let r = f32x4.sub(xc, f32x4.mul(n, kf(memory.data<f32>([0.693359375]))));
  r = f32x4.sub(r, f32x4.mul(n, kf(memory.data<f32>([-2.12194440e-4]))));
  let p = kf(memory.data<f32>([1.9875691500e-4]));
  p = madd(p, r, kf(memory.data<f32>([1.3981999507e-3])));
  p = madd(p, r, kf(memory.data<f32>([8.3334519073e-3])));
  p = madd(p, r, kf(memory.data<f32>([4.1665795894e-2])));
  p = madd(p, r, kf(memory.data<f32>([1.6666665459e-1])));
  p = madd(p, r, kf(memory.data<f32>([5.0000001201e-1])));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), kf(memory.data<f32>([1])));
  // 2^n in two halves so subnormal results and n = 128 stay representable
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  return f32x4.mul(f32x4.mul(y, i32x4.shl(i32x4.add(n1, ki(memory.data<i32>([127]))), 23)), i32x4.shl(i32x4.add(n2, ki(memory.data<i32>([127]))), 23));
}

@inline function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(kf(memory.data<f32>([1])), f32x4.add(kf(memory.data<f32>([1])), e));
  const neg = v128.bitselect(x, f32x4.mul(e, r), f32x4.ne(x, x));
  return v128.bitselect(r, neg, f32x4.ge(x, splat(0)));
}

@inline function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp4(f32x4.mul(kf(memory.data<f32>([-2])), ax));
  const t = f32x4.div(f32x4.sub(kf(memory.data<f32>([1])), e), f32x4.add(kf(memory.data<f32>([1])), e));
  const signed = v128.or(t, v128.and(x, ki(memory.data<i32>([0x80000000]))));
  // near zero 1 - e cancels; the odd Taylor series is exact to float there
  const x2 = f32x4.mul(x, x);
  const q = f32x4.add(kf(memory.data<f32>([-0.333333333])), f32x4.mul(x2, f32x4.add(kf(memory.data<f32>([0.133333333])), f32x4.mul(x2, kf(memory.data<f32>([-0.0539682540]))))));
  const s = f32x4.add(x, f32x4.mul(f32x4.mul(x, x2), q));
  return v128.bitselect(s, signed, f32x4.lt(ax, kf(memory.data<f32>([0.125]))));
}

const K0: f32 = 0.7978845608028654;

// ERFC_POLY of backend/js.ts: erfc(a) = t exp(P(t) - a^2), t = 1/(1 + a/2), a >= 0
@inline function erfcPoly4(t: v128): v128 {
  let p = kf(memory.data<f32>([-1.8936745484e-01]));
  p = madd(p, t, kf(memory.data<f32>([1.0502335178e+00])));
  p = madd(p, t, kf(memory.data<f32>([-2.3462723810e+00])));
  p = madd(p, t, kf(memory.data<f32>([2.5901291768e+00])));
  p = madd(p, t, kf(memory.data<f32>([-1.3866666524e+00])));
  p = madd(p, t, kf(memory.data<f32>([4.2285965011e-01])));
  p = madd(p, t, kf(memory.data<f32>([-2.6409587792e-01])));
  p = madd(p, t, kf(memory.data<f32>([-6.8137704179e-02])));
  p = madd(p, t, kf(memory.data<f32>([8.1756791965e-02])));
  p = madd(p, t, kf(memory.data<f32>([3.7507448477e-01])));
  p = madd(p, t, kf(memory.data<f32>([9.9999855303e-01])));
  return madd(p, t, kf(memory.data<f32>([-1.2655121185e+00])));
}

// Φ(x) from the tail Φ(-|x|) = erfc(|x|/√2)/2, so both tails keep their relative accuracy
@inline function normalCdf4(x: v128, a: v128, a2: v128): v128 {
  const t = f32x4.div(kf(memory.data<f32>([1])), f32x4.add(kf(memory.data<f32>([1])), f32x4.mul(kf(memory.data<f32>([0.5])), a)));
  const tail = f32x4.mul(f32x4.mul(kf(memory.data<f32>([0.5])), t), exp4(f32x4.sub(erfcPoly4(t), a2)));
  return v128.bitselect(f32x4.sub(kf(memory.data<f32>([1])), tail), tail, f32x4.ge(x, splat(0)));
}

// the exact GELU x Φ(x)
@inline function geluErf4(x: v128): v128 {
  const a = f32x4.mul(f32x4.abs(x), kf(memory.data<f32>([0.7071067811865476])));
  return f32x4.mul(x, normalCdf4(x, a, f32x4.mul(a, a)));
}

// Φ(x) + x φ(x), φ(x) = exp(-x^2/2)/√(2π)
@inline function geluErfGrad4(x: v128): v128 {
  const a = f32x4.mul(f32x4.abs(x), kf(memory.data<f32>([0.7071067811865476])));
  const a2 = f32x4.mul(a, a);
  const pdf = f32x4.mul(kf(memory.data<f32>([0.3989422804014327])), exp4(f32x4.neg(a2)));
  return f32x4.add(normalCdf4(x, a, a2), f32x4.mul(x, pdf));
}

// 0.5*(1 + tanh(u)) == sigmoid(2u): no cancellation for large negative x
@inline function gelu4(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  const u = f32x4.mul(kf(memory.data<f32>([K0])), f32x4.add(x, f32x4.mul(kf(memory.data<f32>([0.044715])), x3)));
  return f32x4.mul(x, sigmoid4(f32x4.add(u, u)));
}

@inline function geluGrad4(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(kf(memory.data<f32>([K0])), f32x4.add(x, f32x4.mul(kf(memory.data<f32>([0.044715])), f32x4.mul(x2, x))));
  const s = sigmoid4(f32x4.add(u, u));
  // past |x| = 10, s (1 - s) is below 1e-30; capping x^2 there keeps du finite (else 0 * inf)
  const du = f32x4.mul(kf(memory.data<f32>([K0])), f32x4.add(kf(memory.data<f32>([1])), f32x4.mul(kf(memory.data<f32>([3 * 0.044715])), f32x4.pmin(x2, kf(memory.data<f32>([100]))))));
  const t = f32x4.mul(f32x4.mul(f32x4.mul(kf(memory.data<f32>([2])), x), f32x4.mul(s, f32x4.sub(kf(memory.data<f32>([1])), s))), du);
  return f32x4.add(s, t);
}

// Ops without a vector form run lane by lane in float64 (as the reference does).
function slowUnary(op: i32, x: f32): f32 {
  switch (op) {
    case 2: return <f32>Math.log(<f64>x);
    case 4: return <f32>Math.sin(<f64>x);
    case 5: return <f32>Math.cos(<f64>x);
    default: return x;
  }
}

function lanes(v: v128, op: i32): v128 {
  let r = v;
  r = f32x4.replace_lane(r, 0, slowUnary(op, f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, slowUnary(op, f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, slowUnary(op, f32x4.extract_lane(v, 2)));
  r = f32x4.replace_lane(r, 3, slowUnary(op, f32x4.extract_lane(v, 3)));
  return r;
}

function scalarUnary(op: i32, x: f32): f32 {
  if (op == 2 || op == 4 || op == 5) return slowUnary(op, x);
  return f32x4.extract_lane(unaryVec(op, f32x4.splat(x)), 0);
}

// op codes as UNARY_CODES in layout.ts
@inline function unaryVec(op: i32, x: v128): v128 {
  switch (op) {
    case 0: return f32x4.neg(x);
    case 1: return exp4(x);
    case 3: return f32x4.sqrt(x);
    case 6: return tanh4(x);
    case 7: return sigmoid4(x);
    case 8: return v128.and(x, f32x4.gt(x, splat(0)));
    case 9: return geluErf4(x);
    case 14: return gelu4(x);
    case 10: return f32x4.abs(x);
    case 11: return v128.or(v128.and(kf(memory.data<f32>([1])), f32x4.gt(x, splat(0))), v128.and(kf(memory.data<f32>([-1])), f32x4.lt(x, splat(0))));
    case 12: return f32x4.mul(x, x);
    case 13: return f32x4.div(kf(memory.data<f32>([1])), x);
    default: return lanes(x, op);
  }
}

// One loop per op: dispatching inside the loop makes V8 keep every op's constants live
// at once, which costs more than the op itself. The op is a constant in each inlined copy.
@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unaryVec(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, scalarUnary(op, load<f32>(x + o)));
  }
}

export function unary(op: i32, x: usize, out: usize, n: i32): void {
  switch (op) {
    case 0: unaryLoop(0, x, out, n); break;
    case 1: unaryLoop(1, x, out, n); break;
    case 3: unaryLoop(3, x, out, n); break;
    case 6: unaryLoop(6, x, out, n); break;
    case 7: unaryLoop(7, x, out, n); break;
    case 8: unaryLoop(8, x, out, n); break;
    case 9: unaryLoop(9, x, out, n); break;
    case 10: unaryLoop(10, x, out, n); break;
    case 11: unaryLoop(11, x, out, n); break;
    case 12: unaryLoop(12, x, out, n); break;
    case 13: unaryLoop(13, x, out, n); break;
    case 14: unaryLoop(14, x, out, n); break;
    default: for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, slowUnary(op, load<f32>(x + o)));
    }
  }
}

// op codes as BINARY_CODES in layout.ts
@inline function binaryVec(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 5: return f32x4.max(a, b);
    case 6: return f32x4.min(a, b);
    case 7: return v128.and(kf(memory.data<f32>([1])), f32x4.eq(a, b));
    case 8: return v128.and(kf(memory.data<f32>([1])), f32x4.ne(a, b));
    case 9: return v128.and(kf(memory.data<f32>([1])), f32x4.lt(a, b));
    case 10: return v128.and(kf(memory.data<f32>([1])), f32x4.le(a, b));
    case 11: return v128.and(kf(memory.data<f32>([1])), f32x4.gt(a, b));
    case 12: return v128.and(kf(memory.data<f32>([1])), f32x4.ge(a, b));
    case 13: return v128.and(b, f32x4.gt(a, splat(0)));
    case 14: return f32x4.mul(b, geluErfGrad4(a));
    case 15: return f32x4.mul(b, geluGrad4(a));
    default: {
      // pow, in float64 lane by lane
      let r = a;
      r = f32x4.replace_lane(r, 0, powJs(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
      r = f32x4.replace_lane(r, 1, powJs(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
      r = f32x4.replace_lane(r, 2, powJs(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
      r = f32x4.replace_lane(r, 3, powJs(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
      return r;
    }
  }
}

// JavaScript's Math.pow: NaN exponents and (+-1)^(+-inf) give NaN where C's pow gives 1
function powJs(x: f32, y: f32): f32 {
  if (isNaN(y) || (!isFinite(y) && Mathf.abs(x) == 1)) return NaN;
  return <f32>Math.pow(<f64>x, <f64>y);
}

@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  return f32x4.extract_lane(binaryVec(op, f32x4.splat(a), f32x4.splat(b)), 0);
}

@inline function binaryRunOp(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (sa == 1 && sb == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, v128.load(a + o), bv));
    }
  } else if (sa == 0 && sb == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, binaryVec(op, av, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    store<f32>(addr(out, i), binaryScalar(op, load<f32>(addr(a, i * sa)), load<f32>(addr(b, i * sb))));
  }
}

// one copy of the loops per op, as for unary
function binaryRun(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  switch (op) {
    case 0: binaryRunOp(0, a, sa, b, sb, out, n); break;
    case 1: binaryRunOp(1, a, sa, b, sb, out, n); break;
    case 2: binaryRunOp(2, a, sa, b, sb, out, n); break;
    case 3: binaryRunOp(3, a, sa, b, sb, out, n); break;
    case 5: binaryRunOp(5, a, sa, b, sb, out, n); break;
    case 6: binaryRunOp(6, a, sa, b, sb, out, n); break;
    case 13: binaryRunOp(13, a, sa, b, sb, out, n); break;
    case 14: binaryRunOp(14, a, sa, b, sb, out, n); break;
    case 15: binaryRunOp(15, a, sa, b, sb, out, n); break;
    default: binaryRunOp(op, a, sa, b, sb, out, n);
  }
}

/**
 * out (contiguous) = op(a, b) over a simplified layout: nd dimensions, shape at `shape`,
 * strides of a and b at `sa` and `sb` (i32 arrays); `idx` is nd i32s of scratch.
 */
export function binary(op: i32, nd: i32, shape: usize, sa: usize, sb: usize, a: usize, b: usize, out: usize, idx: usize): void {
  const last = nd - 1;
  const n = load<i32>(addr(shape, last));
  const ia = load<i32>(addr(sa, last)), ib = load<i32>(addr(sb, last));
  let total = 1;
  for (let d = 0; d < nd; d++) total *= load<i32>(addr(shape, d));
  memory.fill(idx, 0, <usize>nd << 2);
  let pa = a, pb = b, po = out;
  for (let i = 0; i < total; i += n) {
    binaryRun(op, pa, ia, pb, ib, po, n);
    po += <usize>n << 2;
    for (let d = last - 1; d >= 0; d--) {
      const s = load<i32>(addr(shape, d));
      const da = load<i32>(addr(sa, d)), db = load<i32>(addr(sb, d));
      const v = load<i32>(addr(idx, d)) + 1;
      pa += <usize>(da << 2);
      pb += <usize>(db << 2);
      if (v < s) { store<i32>(addr(idx, d), v); break; }
      pa -= <usize>((da * s) << 2);
      pb -= <usize>((db * s) << 2);
      store<i32>(addr(idx, d), 0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Reductions over the middle axis of [outer, size, inner]; sums in float64.

export function reduce(op: i32, x: usize, outer: i32, size: i32, inner: i32, out: usize, tmp: usize): void {
  for (let o = 0; o < outer; o++) {
    const base = addr(x, o * size * inner);
    const dst = addr(out, o * inner);
    if (op == 0) {
      if (inner == 1) {
        let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
        let k = 0;
        for (; k + 4 <= size; k += 4) {
          const v = v128.load(addr(base, k));
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
        }
        const s = f64x2.add(s0, s1);
        let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
        for (; k < size; k++) t += <f64>load<f32>(addr(base, k));
        store<f32>(dst, <f32>t);
      } else {
        // tmp holds `inner` float64 partial sums
        memory.fill(tmp, 0, <usize>inner << 3);
        for (let k = 0; k < size; k++) {
          const row = addr(base, k * inner);
          let i = 0;
          for (; i + 2 <= inner; i += 2) {
            const t = tmp + (<usize>i << 3);
            v128.store(t, f64x2.add(v128.load(t), f64x2.promote_low_f32x4(v128.load64_zero(addr(row, i)))));
          }
          for (; i < inner; i++) {
            const t = tmp + (<usize>i << 3);
            store<f64>(t, load<f64>(t) + <f64>load<f32>(addr(row, i)));
          }
        }
        for (let i = 0; i < inner; i++) store<f32>(addr(dst, i), <f32>load<f64>(tmp + (<usize>i << 3)));
      }
    } else if (op == 1 || op == 2) {
      // wasm max/min propagate NaN, as the reference does
      const isMax = op == 1;
      if (inner == 1) {
        let acc = load<f32>(base);
        let k = 1;
        if (size >= 5) {
          let v = v128.load(base);
          k = 4;
          for (; k + 4 <= size; k += 4) {
            const w = v128.load(addr(base, k));
            v = isMax ? f32x4.max(v, w) : f32x4.min(v, w);
          }
          const l0 = f32x4.extract_lane(v, 0), l1 = f32x4.extract_lane(v, 1);
          const l2 = f32x4.extract_lane(v, 2), l3 = f32x4.extract_lane(v, 3);
          acc = isMax ? max(max(l0, l1), max(l2, l3)) : min(min(l0, l1), min(l2, l3));
        }
        for (; k < size; k++) {
          const w = load<f32>(addr(base, k));
          acc = isMax ? max(acc, w) : min(acc, w);
        }
        store<f32>(dst, acc);
      } else {
        memory.copy(dst, base, <usize>inner << 2);
        for (let k = 1; k < size; k++) {
          const row = addr(base, k * inner);
          let i = 0;
          for (; i + 4 <= inner; i += 4) {
            const d = addr(dst, i);
            const w = v128.load(addr(row, i));
            v128.store(d, isMax ? f32x4.max(v128.load(d), w) : f32x4.min(v128.load(d), w));
          }
          for (; i < inner; i++) {
            const d = addr(dst, i);
            const w = load<f32>(addr(row, i));
            store<f32>(d, isMax ? max(load<f32>(d), w) : min(load<f32>(d), w));
          }
        }
      }
    } else {
      // argmax / argmin: first index of the extreme, NaN never chosen; indices as f32
      const isMax = op == 3;
      for (let i = 0; i < inner; i++) {
        let best = load<f32>(addr(base, i));
        let at = 0;
        for (let k = 1; k < size; k++) {
          const v = load<f32>(addr(base, k * inner + i));
          if (isMax ? v > best : v < best) { best = v; at = k; }
        }
        store<f32>(addr(dst, i), <f32>at);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Row-wise softmax, its backward, layer norm, Adam

@inline function hsum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

export function softmax(x: usize, rows: i32, cols: i32, out: usize, log: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = addr(x, r * cols), yr = addr(out, r * cols);
    let mx: f32 = -Infinity;
    let j = 0;
    if (cols >= 4) {
      let mv = kf(memory.data<f32>([-Infinity]));
      for (; j + 4 <= cols; j += 4) mv = f32x4.pmax(mv, v128.load(addr(xr, j)));
      mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    }
    for (; j < cols; j++) mx = max(mx, load<f32>(addr(xr, j)));
    if (mx == -Infinity) mx = 0; // a fully masked row stays finite where it can
    const m4 = splat(mx);
    let s4 = splat(0);
    let sum: f64 = 0;
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const e = exp4(f32x4.sub(v128.load(addr(xr, j)), m4));
      if (!log) v128.store(addr(yr, j), e);
      s4 = f32x4.add(s4, e);
    }
    for (; j < cols; j++) {
      const e = f32x4.extract_lane(exp4(splat(load<f32>(addr(xr, j)) - mx)), 0);
      if (!log) store<f32>(addr(yr, j), e);
      sum += <f64>e;
    }
    sum += hsum(s4);
    if (log) {
      const sub = splat(mx + <f32>Math.log(sum));
      j = 0;
      for (; j + 4 <= cols; j += 4) v128.store(addr(yr, j), f32x4.sub(v128.load(addr(xr, j)), sub));
      const subs = mx + <f32>Math.log(sum);
      for (; j < cols; j++) store<f32>(addr(yr, j), load<f32>(addr(xr, j)) - subs);
    } else {
      const inv = <f32>(1.0 / sum);
      const i4 = splat(inv);
      j = 0;
      for (; j + 4 <= cols; j += 4) v128.store(addr(yr, j), f32x4.mul(v128.load(addr(yr, j)), i4));
      for (; j < cols; j++) store<f32>(addr(yr, j), load<f32>(addr(yr, j)) * inv);
    }
  }
}

export function softmaxBackward(y: usize, g: usize, rows: i32, cols: i32, out: usize, log: i32): void {
  for (let r = 0; r < rows; r++) {
    const yr = addr(y, r * cols), gr = addr(g, r * cols), o = addr(out, r * cols);
    let s4 = splat(0);
    let s: f64 = 0;
    let j = 0;
    if (log) {
      for (; j + 4 <= cols; j += 4) s4 = f32x4.add(s4, v128.load(addr(gr, j)));
      for (; j < cols; j++) s += <f64>load<f32>(addr(gr, j));
      const sf = <f32>(s + hsum(s4));
      const sv = splat(sf);
      j = 0;
      for (; j + 4 <= cols; j += 4) {
        v128.store(addr(o, j), f32x4.sub(v128.load(addr(gr, j)), f32x4.mul(exp4(v128.load(addr(yr, j))), sv)));
      }
      for (; j < cols; j++) {
        const e = f32x4.extract_lane(exp4(splat(load<f32>(addr(yr, j)))), 0);
        store<f32>(addr(o, j), load<f32>(addr(gr, j)) - e * sf);
      }
    } else {
      for (; j + 4 <= cols; j += 4) s4 = f32x4.add(s4, f32x4.mul(v128.load(addr(gr, j)), v128.load(addr(yr, j))));
      for (; j < cols; j++) s += <f64>(load<f32>(addr(gr, j)) * load<f32>(addr(yr, j)));
      const sf = <f32>(s + hsum(s4));
      const sv = splat(sf);
      j = 0;
      for (; j + 4 <= cols; j += 4) {
        v128.store(addr(o, j), f32x4.mul(v128.load(addr(yr, j)), f32x4.sub(v128.load(addr(gr, j)), sv)));
      }
      for (; j < cols; j++) store<f32>(addr(o, j), load<f32>(addr(yr, j)) * (load<f32>(addr(gr, j)) - sf));
    }
  }
}

export function layerNorm(x: usize, rows: i32, cols: i32, eps: f64, out: usize, mean: usize, rstd: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = addr(x, r * cols), o = addr(out, r * cols);
    let s4 = splat(0);
    let s: f64 = 0;
    let j = 0;
    for (; j + 4 <= cols; j += 4) s4 = f32x4.add(s4, v128.load(addr(xr, j)));
    for (; j < cols; j++) s += <f64>load<f32>(addr(xr, j));
    const mu = (s + hsum(s4)) / <f64>cols;
    const muf = <f32>mu;
    const m4 = splat(muf);
    let v4 = splat(0);
    let v: f64 = 0;
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const d = f32x4.sub(v128.load(addr(xr, j)), m4);
      v4 = f32x4.add(v4, f32x4.mul(d, d));
    }
    for (; j < cols; j++) {
      const d = <f64>load<f32>(addr(xr, j)) - mu;
      v += d * d;
    }
    const rs = <f32>(1.0 / Math.sqrt((v + hsum(v4)) / <f64>cols + eps));
    const r4 = splat(rs);
    j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(addr(o, j), f32x4.mul(f32x4.sub(v128.load(addr(xr, j)), m4), r4));
    for (; j < cols; j++) store<f32>(addr(o, j), (load<f32>(addr(xr, j)) - muf) * rs);
    store<f32>(addr(mean, r), muf);
    store<f32>(addr(rstd, r), rs);
  }
}

export function adam(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64,
  weightDecay: f64, decoupledDecay: f64, bc1: f64, bc2: f64): void {
  const b1 = splat(<f32>beta1), b2 = splat(<f32>beta2);
  const c1 = splat(<f32>(1 - beta1)), c2 = splat(<f32>(1 - beta2));
  const wd = splat(<f32>weightDecay), decay = splat(<f32>(lr * decoupledDecay));
  const step = splat(<f32>(lr / bc1)), inv = splat(<f32>(1 / Math.sqrt(bc2))), e = splat(<f32>eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let pi = v128.load(p + o);
    const gi = f32x4.add(v128.load(g + o), f32x4.mul(wd, pi));
    pi = f32x4.sub(pi, f32x4.mul(decay, pi));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    v128.store(p + o, f32x4.sub(pi, f32x4.div(f32x4.mul(step, mi), f32x4.add(f32x4.mul(f32x4.sqrt(vi), inv), e))));
  }
  const sb1 = <f32>beta1, sb2 = <f32>beta2, sc1 = <f32>(1 - beta1), sc2 = <f32>(1 - beta2);
  const swd = <f32>weightDecay, sdecay = <f32>(lr * decoupledDecay), sstep = <f32>(lr / bc1);
  const sinv = <f32>(1 / Math.sqrt(bc2)), se = <f32>eps;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let pi = load<f32>(p + o);
    const gi = load<f32>(g + o) + swd * pi;
    pi -= sdecay * pi;
    const mi = sb1 * load<f32>(m + o) + sc1 * gi;
    const vi = sb2 * load<f32>(v + o) + sc2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi - sstep * mi / (Mathf.sqrt(vi) * sinv + se));
  }
}

// ---------------------------------------------------------------------------------------
// Work lists: what the host hands every thread (the caller and the workers alike)

const GEMM: i32 = 0; // gemm(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, acc)
const GEMM_SHARED: i32 = 1; // gemmShared(m, n, k, a, rsA, csA, b = packed B, npad, j0, c, ldc, acc)
const PACK_SHARED: i32 = 2; // packShared(k, n, b, rsB, csB, c = destination, npad, j0)
const UNARY: i32 = 3; // unary(op = m, a, c = out, n)
const BINARY_RUN: i32 = 4; // binaryRun(op = m, a, sa = rsA, b, sb = rsB, c = out, n)
const SOFTMAX: i32 = 5; // softmax(a, rows = m, cols = n, c = out, log = acc)

/**
 * Runs `count` entries of 16 i32 at `list`: kind, m, n, k, a, rsA, csA, b, rsB, csB, c,
 * ldc, acc, npad, j0, unused.
 */
export function runProducts(list: usize, count: i32, scratch: usize): void {
  for (let t = 0; t < count; t++) {
    const p = list + <usize>(t * 64);
    const kind = load<i32>(p);
    const m = load<i32>(p, 4), n = load<i32>(p, 8), k = load<i32>(p, 12);
    const a = <usize>load<u32>(p, 16), rsA = load<i32>(p, 20), csA = load<i32>(p, 24);
    const b = <usize>load<u32>(p, 28), rsB = load<i32>(p, 32), csB = load<i32>(p, 36);
    const c = <usize>load<u32>(p, 40), ldc = load<i32>(p, 44), acc = load<i32>(p, 48);
    const npad = load<i32>(p, 52), j0 = load<i32>(p, 56);
    if (kind == GEMM) gemm(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, acc, scratch);
    else if (kind == GEMM_SHARED) gemmShared(m, n, k, a, rsA, csA, b, npad, j0, c, ldc, acc, scratch);
    else if (kind == PACK_SHARED) packShared(k, n, b, rsB, csB, c, npad, j0);
    else if (kind == UNARY) unary(m, a, c, n);
    else if (kind == BINARY_RUN) binaryRun(m, a, rsA, b, rsB, c, n);
    else if (kind == SOFTMAX) softmax(a, m, n, c, acc);
  }
}

/** Runs entry i of a share table: pairs (product list pointer, product count) of i32. */
export function runShare(table: usize, i: i32, scratch: usize): void {
  const e = table + (<usize>i << 3);
  runProducts(<usize>load<u32>(e), load<i32>(e, 4), scratch);
}
