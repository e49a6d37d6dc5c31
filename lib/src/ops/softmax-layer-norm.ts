// Softmax and layer norm, fused: each has a closed-form backward that is cheaper and more
// stable than the chain of primitives it stands for.
import { record } from "../core/autograd";
import { opKind, unaryKind } from "../core/derivative";
import { kernels } from "../backend";
import { fmt, normDim, numel } from "../core/shape";
import type { Tensor } from "../tensor";
import { tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { requireFloat } from "./operands";
import { matOp, sumOver } from "./matrix";
import { Scratch } from "../core/scratch";

// [rows, cols] work arrays of layerNorm's backward where the backend has no fused one
const PRODUCT = new Scratch("layerNorm backward: gh · x̂, then x̂ · mean(gh · x̂)");
const SCALED_GRAD = new Scratch("layerNorm backward: gh = g · w");

/** Run a last-dim kernel on any dim by moving that dim last and back. */
function alongDim(x: Tensor, dim: number, op: string, f: (x: Tensor) => Tensor): Tensor {
  const d = normDim(op, dim, x.shape);
  if (d === x.ndim - 1 || x.ndim === 0) return f(x);
  return f(x.transpose(d, -1)).transpose(d, -1);
}

const SOFTMAX = unaryKind("softmax", "yᵢ = eᵃⁱ / Σⱼ eᵃʲ", "∂yᵢ/∂aⱼ = yᵢ([i = j] − yⱼ)", "y · (g − Σ g·y)");
const LOG_SOFTMAX = unaryKind("logSoftmax", "yᵢ = aᵢ − log Σⱼ eᵃʲ", "∂yᵢ/∂aⱼ = [i = j] − softmax(a)ⱼ", "g − softmax(a) · Σ g");
function softmaxLast(x: Tensor, log: boolean): Tensor {
  const cols = x.ndim ? x.shape[x.ndim - 1] : 1;
  const rows = cols ? x.numel() / cols : 0;
  const out = floats(x.numel(), false);
  kernels().softmax(x.values() as Float32Array, rows, cols, out, log);
  const y = tensorOf(out, x.shape);
  return record(y, log ? LOG_SOFTMAX : SOFTMAX, [x], (g) => {
    const gx = floats(out.length, false);
    kernels().softmaxBackward(out, g.values() as Float32Array, rows, cols, gx, log);
    return [tensorOf(gx, x.shape)];
  });
}

export function softmax(x: Tensor, dim = -1): Tensor {
  requireFloat("softmax", x);
  return alongDim(x, dim, "softmax", (t) => softmaxLast(t, false));
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  requireFloat("logSoftmax", x);
  return alongDim(x, dim, "logSoftmax", (t) => softmaxLast(t, true));
}

// x̂ = (a − mean) / √(var + ε); the weight w and the bias are optional inputs after a
const LAYER_NORM_X = "∂y/∂a: through the normalised x̂, its mean and its variance";
const LAYER_NORM = [
  opKind("layerNorm", "y = x̂", [LAYER_NORM_X], ["(g − mean(g) − x̂ · mean(g·x̂)) / √(var + ε)"]),
  opKind("layerNorm", "y = x̂ · w (w = b)", [LAYER_NORM_X, "∂y/∂w = x̂"], ["(g·w − mean(g·w) − x̂ · mean(g·w·x̂)) / √(var + ε)", "Σ g · x̂ over the batch"]),
  opKind("layerNorm", "y = x̂ + bias (bias = b)", [LAYER_NORM_X, "∂y/∂bias = 1"], ["(g − mean(g) − x̂ · mean(g·x̂)) / √(var + ε)", "Σ g over the batch"]),
  opKind("layerNorm", "y = x̂ · w + bias (w = b, bias = c)", [LAYER_NORM_X, "∂y/∂w = x̂", "∂y/∂bias = 1"],
    ["(g·w − mean(g·w) − x̂ · mean(g·w·x̂)) / √(var + ε)", "Σ g · x̂ over the batch", "Σ g over the batch"]),
];
/** Normalise over the trailing dims of normalizedShape, then scale and shift. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  requireFloat("layerNorm", x);
  const tail = x.shape.slice(x.ndim - normalizedShape.length);
  if (normalizedShape.length > x.ndim || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new Error(`layerNorm(): normalizedShape ${fmt(normalizedShape)} does not match the end of input shape ${fmt(x.shape)}`);
  }
  const cols = numel(normalizedShape);
  if ((weight && weight.numel() !== cols) || (bias && bias.numel() !== cols)) {
    // an affine part that is not one value per normalised element broadcasts by the general rules
    let y = layerNorm(x, normalizedShape, null, null, eps);
    if (weight) y = y.mul(weight);
    if (bias) y = y.add(bias);
    return y;
  }
  if (weight) requireFloat("layerNorm", weight);
  if (bias) requireFloat("layerNorm", bias);
  const rows = cols ? x.numel() / cols : 0;
  const xhatData = floats(x.numel(), false);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  kernels().layerNorm(x.values() as Float32Array, rows, cols, eps, xhatData, mean, rstd);
  const wv = weight ? (weight.values() as Float32Array) : null;
  const bv = bias ? (bias.values() as Float32Array) : null;
  // y = xhat * weight + bias, per column; xhat itself is kept for the backward
  let out = xhatData;
  if (wv) out = matOp("mul", rows, cols, xhatData, wv, "col", floats(xhatData.length, false));
  if (bv) out = matOp("add", rows, cols, out, bv, "col", out === xhatData ? floats(out.length, false) : out);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record(tensorOf(out, x.shape), LAYER_NORM[(weight ? 1 : 0) + (bias ? 2 : 0)], inputs, (g) => {
    // With gh = g * weight, per row: dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat));
    // dweight = the sum over rows of g * xhat, dbias = the sum over rows of g.
    const gv = g.values() as Float32Array;
    const n = gv.length;
    const grads: Tensor[] = [];
    const fused = kernels().layerNormBackward;
    if (fused) {
      const dx = floats(n, false);
      const dw = weight ? floats(cols, true) : null, db = bias ? floats(cols, true) : null;
      fused.call(kernels(), gv, xhatData, wv, rstd, rows, cols, dx, dw, db);
      grads.push(tensorOf(dx, x.shape));
      if (dw) grads.push(tensorOf(dw, weight!.shape));
      if (db) grads.push(tensorOf(db, bias!.shape));
      return grads;
    }
    const prod = PRODUCT.take(n);
    const gh = wv ? matOp("mul", rows, cols, gv, wv, "col", SCALED_GRAD.take(n)) : gv;
    const mg = sumOver("cols", gh, rows, cols);
    const mgx = sumOver("cols", matOp("mul", rows, cols, gh, xhatData, "full", prod), rows, cols);
    for (let r = 0; r < rows; r++) {
      mg[r] /= cols;
      mgx[r] /= cols;
    }
    const t = matOp("mul", rows, cols, xhatData, mgx, "row", prod); // xhat * mean(gh * xhat)
    matOp("sub", rows, cols, gh, t, "full", t);
    matOp("sub", rows, cols, t, mg, "row", t);
    grads.push(tensorOf(matOp("mul", rows, cols, t, rstd, "row", floats(n, false)), x.shape));
    if (weight) grads.push(tensorOf(sumOver("rows", matOp("mul", rows, cols, gv, xhatData, "full", prod), rows, cols), weight.shape));
    if (bias) grads.push(tensorOf(sumOver("rows", gv, rows, cols), bias.shape));
    return grads;
  }, true, out === xhatData ? null : [xhatData]);
}
