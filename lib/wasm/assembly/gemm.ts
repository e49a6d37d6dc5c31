// GEMM: packed panels and a register-blocked micro-kernel. The module is built twice:
// with relaxed SIMD, whose fused multiply-add lets a 6x8 block of C live in 12 registers
// (12 accumulators, two vectors of B, one broadcast of A: 15 of x64's 16 vector
// registers, V8 keeping the last as scratch), and without, where each multiply-add needs
// a temporary too and a 4x8 block is the largest that runs without spills.
//
// Work comes from the host as lists of 16-i32 entries (runProducts in kernels.ts). A product
// either packs its own panels of B (small and batched products) or reads a B that was
// packed once for every thread (one large product split into row and column blocks), so
// that threads never pack the same panel twice.

export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
export const NR: i32 = 8;
// A's packed block (MC x KC) stays in L2 while the micro-kernel streams a KC x NR panel of
// B from L1; both MR and NR divide MC.
const KC: i32 = 256;
const MC: i32 = 120;
const NC: i32 = 2048;

const PACK_A_BYTES: usize = <usize>(MC * KC * 4);
const PACK_B_BYTES: usize = <usize>(KC * NC * 4);
const TILE_BYTES: usize = <usize>(6 * NR * 4);

/** Scratch bytes one thread needs for gemm. */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

/** Rows of the micro-kernel's block of C: 6 with relaxed SIMD, else 4. */
export function gemmMR(): i32 {
  return MR;
}

/** Rows of B per packed block: a B packed for sharing is KC-row blocks of NR-column panels. */
export function gemmKC(): i32 {
  return KC;
}

@inline function addr(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// c + a * b: fused where relaxed SIMD is on
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// ---------------------------------------------------------------------------------------
// Packing

// Transposes the 4x4 block whose rows are r0..r3 and stores its rows (the block's columns)
// at dst, dst + step, dst + 2 step, dst + 3 step.
@inline function store4x4T(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(dst + step, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(dst + 2 * step, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(dst + 3 * step, i64x2.shuffle(t2, t3, 1, 3));
}

// Packs op(A)[0:mc, 0:kc] into MR-row panels, column by column (MR floats per step of k),
// zero-padding the last panel.
function packA(mc: i32, kc: i32, a: usize, rs: i32, cs: i32, dst: usize): void {
  const step = <usize>(MR * 4);
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const src = addr(a, i * rs);
    if (rows == MR && rs == 1) {
      // transposed A: each step of k is MR contiguous floats
      for (let p = 0; p < kc; p++) {
        const s = addr(src, p * cs);
        v128.store(dst, v128.load(s));
        if (MR == 6) store<u64>(dst, load<u64>(s, 16), 16);
        dst += step;
      }
    } else if (rows == MR && cs == 1) {
      // row-major A: four steps of k at a time, transposed in registers
      const rsb = <usize>rs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = addr(src, p);
        store4x4T(v128.load(s), v128.load(s + rsb), v128.load(s + 2 * rsb), v128.load(s + 3 * rsb), dst, step);
        if (MR == 6) {
          const r4 = v128.load(s + 4 * rsb), r5 = v128.load(s + 5 * rsb);
          const lo = i32x4.shuffle(r4, r5, 0, 4, 1, 5), hi = i32x4.shuffle(r4, r5, 2, 6, 3, 7);
          v128.store64_lane(dst, lo, 0, 16);
          v128.store64_lane(dst + step, lo, 1, 16);
          v128.store64_lane(dst + 2 * step, hi, 0, 16);
          v128.store64_lane(dst + 3 * step, hi, 1, 16);
        }
        dst += 4 * step;
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), load<f32>(addr(src, r * rs + p)));
        dst += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(addr(src, r * rs + p * cs)) : 0);
        }
        dst += step;
      }
    }
  }
}

// Packs op(B)[0:kc, 0:nc] into NR-column panels (panel j at dst + 4 j kc), row by row,
// zero-padding the last panel.
function packB(kc: i32, nc: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const src = addr(b, j * cs);
    if (cols == NR && cs == 1) {
      for (let p = 0; p < kc; p++) {
        const s = addr(src, p * rs);
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        dst += 32;
      }
    } else if (cols == NR && rs == 1) {
      // transposed B: each column is contiguous; four steps of k of eight columns at a
      // time, as two 4x4 transposes
      const csb = <usize>cs << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = addr(src, p);
        store4x4T(v128.load(s), v128.load(s + csb), v128.load(s + 2 * csb), v128.load(s + 3 * csb), dst, 32);
        const s4 = s + 4 * csb;
        store4x4T(v128.load(s4), v128.load(s4 + csb), v128.load(s4 + 2 * csb), v128.load(s4 + 3 * csb), dst + 16, 32);
        dst += 128;
      }
      for (; p < kc; p++) {
        for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), load<f32>(addr(src, c * cs + p)));
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(addr(src, p * rs + c * cs)) : 0);
        }
        dst += 32;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Micro-kernels: C[0:MR, 0:8] (+)= A panel x B panel over kc steps; ldc in bytes.

@inline function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

@inline function kernel6x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  // unrolling this loop makes V8 keep more values live than there are registers
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    a = v128.load32_splat(pa, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51);
    pa += 24;
    pb += 32;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40);
  v128.store(c + 4 * ldc, c41, 16);
  v128.store(c + 5 * ldc, c50);
  v128.store(c + 5 * ldc, c51, 16);
}

// One copy of the micro-kernel in the module, called for every tile. It only overwrites:
// with C's loads and adds after its loop as well, V8 spills accumulators inside the loop.
// Accumulating tiles go through a buffer instead (48 adds per 48 kc multiply-adds).
function kernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize): void {
  if (MR == 6) kernel6x8(kc, pa, pb, c, ldc);
  else kernel4x8(kc, pa, pb, c, ldc);
}

// C[0:mc, 0:nc] (+)= packed A block (mc x kc) x packed B panels (kc x nc, panel j at
// pb + 4 j kc). Edge tiles go through `tile` and are copied into C.
function macroKernel(mc: i32, nc: i32, kc: i32, pA: usize, pB: usize, c: usize, ldc: i32, acc: bool, tile: usize): void {
  const ldcBytes = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pb = pB + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const pa = pA + (<usize>(ir * kc) << 2);
      const cp = addr(c, ir * ldc + jr);
      if (mr == MR && nr == NR && !acc) {
        kernel(kc, pa, pb, cp, ldcBytes);
      } else if (mr == MR && nr == NR) {
        kernel(kc, pa, pb, tile, <usize>(NR * 4));
        for (let r = 0; r < MR; r++) {
          const cr = cp + <usize>r * ldcBytes;
          const tr = tile + (<usize>(r * NR) << 2);
          v128.store(cr, f32x4.add(v128.load(cr), v128.load(tr)));
          v128.store(cr, f32x4.add(v128.load(cr, 16), v128.load(tr, 16)), 16);
        }
      } else {
        kernel(kc, pa, pb, tile, <usize>(NR * 4));
        for (let r = 0; r < mr; r++) {
          const cr = cp + <usize>r * ldcBytes;
          const tr = tile + (<usize>(r * NR) << 2);
          for (let q = 0; q < nr; q++) {
            const o = <usize>q << 2;
            const v = load<f32>(tr + o);
            store<f32>(cr + o, acc ? load<f32>(cr + o) + v : v);
          }
        }
      }
    }
  }
}

function zeroC(m: i32, n: i32, c: usize, ldc: i32): void {
  for (let i = 0; i < m; i++) memory.fill(addr(c, i * ldc), 0, <usize>n << 2);
}

/**
 * C[m x n] (+)= op(A)[m x k] @ op(B)[k x n]. op(X)(r, c) lives at x + 4*(r*rs + c*cs);
 * C is row-major with leading dimension ldc. `accumulate` 0 overwrites C.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, rsA: i32, csA: i32, b: usize, rsB: i32, csB: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroC(m, n, c, ldc);
    return;
  }
  const pA = scratch, pB = scratch + PACK_A_BYTES, tile = pB + PACK_B_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(kc, nc, addr(b, pc * rsB + jc * csB), rsB, csB, pB);
      const acc = accumulate != 0 || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, addr(a, ic * rsA + pc * csA), rsA, csA, pA);
        macroKernel(mc, nc, kc, pA, pB, addr(c, ic * ldc + jc), ldc, acc, tile);
      }
    }
  }
}

/**
 * Packs op(B)[0:k, 0:n] for sharing: KC-row blocks, block pc at dst + 4 pc npad, each a
 * row of NR-column panels. `j0` (a multiple of NR) is where column 0 of this call falls in
 * the whole packed B of npad columns, so threads can pack column ranges of one B.
 */
export function packShared(k: i32, n: i32, b: usize, rsB: i32, csB: i32, dst: usize, npad: i32, j0: i32): void {
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    packB(kc, n, addr(b, pc * rsB), rsB, csB, addr(dst, pc * npad + j0 * kc));
  }
}

/** As gemm, but B was packed by packShared: its column 0 is column j0 of that packed B. */
export function gemmShared(m: i32, n: i32, k: i32, a: usize, rsA: i32, csA: i32, pB: usize, npad: i32, j0: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroC(m, n, c, ldc);
    return;
  }
  const pA = scratch, tile = scratch + PACK_A_BYTES + PACK_B_BYTES;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const block = addr(pB, pc * npad + j0 * kc);
    const acc = accumulate != 0 || pc > 0;
    for (let ic = 0; ic < m; ic += MC) {
      const mc = min(MC, m - ic);
      packA(mc, kc, addr(a, ic * rsA + pc * csA), rsA, csA, pA);
      macroKernel(mc, n, kc, pA, block, addr(c, ic * ldc), ldc, acc, tile);
    }
  }
}
