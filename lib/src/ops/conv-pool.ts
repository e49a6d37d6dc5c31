// Convolution and max pooling on NCHW images. conv2d unfolds the image (im2col) and leaves
// the product to matmul; maxPool2d remembers each window's winner for its backward.
import { record } from "../core/autograd";
import { unaryKind } from "../core/derivative";
import { fmt } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { requireFloat } from "./operands";

function pair(v: number | [number, number]): [number, number] {
  return typeof v === "number" ? [v, v] : v;
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** Unfold x [N, C, H, W] into columns [N, C*kh*kw, OH*OW] (im2col); fold is its adjoint. */
function im2col(xv: Float32Array | Int32Array, N: number, C: number, H: number, W: number, kh: number, kw: number,
  sh: number, sw: number, ph: number, pw: number, OH: number, OW: number, fold: Float32Array | null, cols: Float32Array): void {
  const L = OH * OW;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const row = ((n * C + c) * kh + i) * kw + j;
          for (let oy = 0; oy < OH; oy++) {
            const y = oy * sh - ph + i;
            if (y < 0 || y >= H) continue;
            for (let ox = 0; ox < OW; ox++) {
              const xx = ox * sw - pw + j;
              if (xx < 0 || xx >= W) continue;
              const src = ((n * C + c) * H + y) * W + xx;
              const dst = row * L + oy * OW + ox;
              if (fold) fold[src] += cols[dst];
              else cols[dst] = xv[src];
            }
          }
        }
      }
    }
  }
}

// conv2d is im2col (recorded) then a matmul and an add: the graph shows those three
const IM2COL = unaryKind("im2col", "y = the patches of a as columns (one per output position)", "∂y/∂a = 1 where a patch read the pixel",
  "g of each patch added back onto the pixels it read");
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  requireFloat("conv2d", x, weight);
  if (x.ndim !== 4) throw new Error(`conv2d(): input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  if (weight.ndim !== 4) throw new Error(`conv2d(): weight must be 4-D [outC, inC, kH, kW], got ${fmt(weight.shape)}`);
  const [N, C, H, W] = x.shape;
  const [O, Cw, kh, kw] = weight.shape;
  if (C !== Cw) throw new Error(`conv2d(): input has ${C} channels (shape ${fmt(x.shape)}) but weight expects ${Cw} (shape ${fmt(weight.shape)})`);
  const [sh, sw] = pair(opts.stride ?? 1);
  const [ph, pw] = pair(opts.padding ?? 0);
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  if (OH <= 0 || OW <= 0) {
    throw new Error(`conv2d(): kernel ${kh}x${kw} is larger than the padded input ${H + 2 * ph}x${W + 2 * pw}`);
  }
  const K = C * kh * kw, L = OH * OW;
  const colsData = floats(N * K * L, true);
  im2col(x.values(), N, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, null, colsData);
  // cols as a leaf of this op: the weight gradient comes from matmul's backward through it
  const cols = tensorOf(colsData, [N, K, L]);
  const colsWithGrad = record(cols, IM2COL, [x], (g) => {
    const gx = floats(x.numel(), true);
    im2col(x.values(), N, C, H, W, kh, kw, sh, sw, ph, pw, OH, OW, gx, g.values() as Float32Array);
    return [tensorOf(gx, x.shape)];
  });
  let y = weight.reshape([O, K]).matmul(colsWithGrad); // [N, O, L]
  if (bias) y = y.add(bias.reshape([O, 1]));
  return y.reshape([N, O, OH, OW]);
}

const MAX_POOL_2D = unaryKind("maxPool2d", "y = max over each window of a", "∂y/∂a = 1 at each window's winner (its first maximum), else 0",
  "g sent to each window's winner");
export function maxPool2d(x: Tensor, kernelSize: number | [number, number], stride?: number | [number, number]): Tensor {
  requireFloat("maxPool2d", x);
  if (x.ndim !== 4) throw new Error(`maxPool2d(): input must be 4-D [N, C, H, W], got ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const [kh, kw] = pair(kernelSize);
  const [sh, sw] = pair(stride ?? kernelSize);
  const OH = Math.floor((H - kh) / sh) + 1;
  const OW = Math.floor((W - kw) / sw) + 1;
  if (OH <= 0 || OW <= 0) throw new Error(`maxPool2d(): kernel ${kh}x${kw} is larger than the input ${H}x${W}`);
  const xv = x.values();
  const out = floats(N * C * OH * OW, false);
  const arg = new Int32Array(out.length);
  let k = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, k++) {
        let best = -Infinity, at = nc * H * W + oy * sh * W + ox * sw;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const p = nc * H * W + (oy * sh + i) * W + ox * sw + j;
            if (xv[p] > best || xv[p] !== xv[p]) { best = xv[p]; at = p; }
          }
        }
        out[k] = best;
        arg[k] = at;
      }
    }
  }
  return record(tensorOf(out, [N, C, OH, OW]), MAX_POOL_2D, [x], (g) => {
    // each window's gradient goes to the element that won it
    const gx = floats(x.numel(), true);
    const gv = g.values();
    for (let i = 0; i < arg.length; i++) gx[arg[i]] += gv[i];
    return [tensorOf(gx, x.shape)];
  }, false);
}
