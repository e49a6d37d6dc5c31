// Gradient clipping by the global L2 norm, like torch.nn.utils.clip_grad_norm_.
import type { Tensor } from "../tensor";
import type { Module } from "../nn/module";
import { matOp, sumOver } from "../ops/matrix";
import { Scratch } from "../core/scratch";

const SQUARES = new Scratch("clipGradNorm: a gradient's squares");

function paramList(params: Iterable<Tensor> | Module): Tensor[] {
  return "parameters" in params && typeof params.parameters === "function" ? params.parameters() : [...(params as Iterable<Tensor>)];
}

/**
 * Scale all gradients together so that their joint L2 norm is at most maxNorm; returns the
 * norm before clipping. The gradients are replaced, not written in place, because one
 * gradient tensor may be shared by several parameters.
 */
export function clipGradNorm(params: Iterable<Tensor> | Module, maxNorm: number): number {
  const ps = paramList(params).filter((p) => p.grad);
  let sq = 0;
  for (const p of ps) sq += sumOfSquares(p.grad!.values() as Float32Array);
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const p of ps) p.grad = p.grad!.mul(coef);
  return norm;
}

/** Through the kernels rather than a JS loop: a JS loop over a Float32Array is several times slower. */
function sumOfSquares(g: Float32Array): number {
  if (g.length === 0) return 0;
  const sq = matOp("mul", 1, g.length, g, g, "full", SQUARES.take(g.length));
  return sumOver("cols", sq, 1, g.length)[0];
}

/** Clamp every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor> | Module, clipValue: number): void {
  for (const p of paramList(params)) if (p.grad) p.grad = p.grad.clamp(-clipValue, clipValue);
}
