// Ops that move or pick elements without arithmetic. Views (reshape of a contiguous tensor,
// transpose, permute, expand, squeeze, slicing) share storage; their backward routes the
// gradient to where each element came from.
import { record, type Vjp } from "../core/autograd";
import { inputName, opKind, unaryKind, type OpKind } from "../core/derivative";
import { kernels } from "../backend";
import type { DType } from "../backend/types";
import { contiguousStrides, fmt, normDim, numel, resolveShape } from "../core/shape";
import type { Tensor, IndexSpec } from "../tensor";
import { allocate, setValues, tensorOf } from "../core/tensor-data";
import { floats } from "../core/storage";
import { indexTensor, sumTo } from "./operands";
import { fromInt64, toInt64 } from "./int64";
import { int64Values } from "../core/int64-values";
import { where } from "./elementwise";

/** Accept both f(2, 3) and f([2, 3]). */
export function shapeArg(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

function asView(x: Tensor, shape: number[], strides: number[], offset: number, op: OpKind, vjp: Vjp): Tensor {
  return record(tensorOf(x.store, shape, strides, offset), op, [x], vjp, false);
}

// Views and copies move values without changing them: the gradient moves back the same way.
const reshaping = (name: string) => unaryKind(name, `y = ${name}(a)`, "∂y/∂a = identity (values move, not change)", "g laid back out in a's shape");
const picking = (name: string) => unaryKind(name, `y = ${name}(a)`, "∂yᵢ/∂aⱼ = 1 where yᵢ was read from aⱼ, else 0", "g written into zeros at the positions read");
const RESHAPE = reshaping("reshape");
const VIEW = reshaping("view");
const SQUEEZE = reshaping("squeeze");
const UNSQUEEZE = reshaping("unsqueeze");
const CLONE = unaryKind("clone", "y = a", "∂y/∂a = 1", "g");
const PERMUTE = unaryKind("permute", "y = permute(a) (transpose is one)", "∂y/∂a = the same permutation", "g permuted back");
const EXPAND = unaryKind("expand", "y = expand(a)", "each aᵢ is copied to many yⱼ", "g summed over the expanded dimensions");
const INDEX = picking("index");
export const SELECT = picking("select");
const NARROW = picking("narrow");
const INDEX_SELECT = picking("indexSelect");
const GATHER = picking("gather");
const TRIU = opKind("triu", "y = triu(a)", ["∂y/∂a = 1 on and above the diagonal", "(0 fills the rest: a constant)"], ["triu(g)", "nothing"]);
const TRIL = opKind("tril", "y = tril(a)", ["∂y/∂a = 1 on and below the diagonal", "(0 fills the rest: a constant)"], ["tril(g)", "nothing"]);
/** cat's rule names each of its inputs, so there is one per number of inputs. */
const catKinds = new Map<number, OpKind>();
function catKind(n: number): OpKind {
  let k = catKinds.get(n);
  if (!k) {
    const names = Array.from({ length: n }, (_, i) => inputName(i));
    k = opKind("cat", `y = cat(${names.join(", ")})`, names.map((a) => `∂y/∂${a} = 1 on ${a}'s slice of y`), names.map((a) => `g's slice for ${a}`));
    if (catKinds.size < 64) catKinds.set(n, k);
  }
  return k;
}

export function clone(x: Tensor): Tensor {
  if (x.dtype === "int64") return tensorOf(int64Values(x).slice(), x.shape); // no grad: an integer tensor has none
  const out = allocate(x.dtype, x.numel(), false);
  kernels().copy(x.shape, x.strided(), out);
  return record(tensorOf(out, x.shape), CLONE, [x], (g) => [g], false);
}

export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  if (x.dtype === "int64") return fromInt64(x, dtype);
  if (dtype === "int64") return toInt64(x);
  const out = allocate(dtype, x.numel());
  const v = x.values();
  if (dtype === "int32") for (let i = 0; i < v.length; i++) out[i] = Math.trunc(v[i]);
  else out.set(v);
  return tensorOf(out, x.shape);
}

export function reshape(x: Tensor, to: number[]): Tensor {
  const shape = resolveShape("reshape", x.shape, to);
  const src = x.isContiguous() ? x : clone(x);
  return asView(src, shape, contiguousStrides(shape), src.offset, RESHAPE, (g) => [g.reshape([...x.shape])]);
}

export function view(x: Tensor, to: number[]): Tensor {
  if (!x.isContiguous()) {
    throw new Error(
      `view(): the tensor of shape ${fmt(x.shape)} is not contiguous (a transpose or slice of another); ` +
        `use reshape(), which copies when it must, or call contiguous() first`,
    );
  }
  const shape = resolveShape("view", x.shape, to);
  return asView(x, shape, contiguousStrides(shape), x.offset, VIEW, (g) => [g.reshape([...x.shape])]);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return x.reshape([1]);
  const s = normDim("flatten", startDim, x.shape);
  const e = normDim("flatten", endDim, x.shape);
  if (e < s) throw new Error(`flatten(): startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(x.shape)}`);
  return x.reshape([...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function permute(x: Tensor, dims: number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new Error(`permute(): got ${dims.length} dims ${fmt(dims)} for a tensor of shape ${fmt(x.shape)} (${x.ndim} dims)`);
  }
  const p = dims.map((d) => normDim("permute", d, x.shape));
  if (new Set(p).size !== p.length) throw new Error(`permute(): dims ${fmt(dims)} repeat a dimension of shape ${fmt(x.shape)}`);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => (inverse[d] = i));
  return asView(x, p.map((d) => x.shape[d]), p.map((d) => x.strides[d]), x.offset, PERMUTE, (g) => [g.permute(inverse)]);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x; // like PyTorch's .T on a vector
  const a = normDim("transpose", dim0, x.shape);
  const b = normDim("transpose", dim1, x.shape);
  const p = x.shape.map((_, i) => i);
  [p[a], p[b]] = [p[b], p[a]];
  return permute(x, p);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  const keep = x.shape.map((d, i) => (dim === undefined ? d !== 1 : i !== normDim("squeeze", dim, x.shape) || d !== 1));
  return asView(
    x,
    x.shape.filter((_, i) => keep[i]),
    x.strides.filter((_, i) => keep[i]),
    x.offset,
    SQUEEZE,
    (g) => [g.reshape([...x.shape])],
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim("unsqueeze", dim, x.shape, 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? x.strides[d] * x.shape[d] : 1);
  return asView(x, shape, strides, x.offset, UNSQUEEZE, (g) => [g.reshape([...x.shape])]);
}

export function expand(x: Tensor, to: number[]): Tensor {
  if (to.length < x.ndim) {
    throw new Error(`expand(): cannot expand shape ${fmt(x.shape)} to ${fmt(to)}, which has fewer dims`);
  }
  const added = to.length - x.ndim;
  const shape: number[] = [];
  const strides: number[] = [];
  to.forEach((d, i) => {
    const own = i >= added ? x.shape[i - added] : 1;
    const size = d === -1 ? own : d;
    if (own !== size && own !== 1) {
      throw new Error(
        `expand(): cannot expand shape ${fmt(x.shape)} to ${fmt(to)}: dim ${i} has size ${own}, which is not 1`,
      );
    }
    shape.push(size);
    strides.push(i < added || (own === 1 && size !== 1) ? 0 : x.strides[i - added]);
  });
  return asView(x, shape, strides, x.offset, EXPAND, (g) => [sumTo(g, x.shape)]);
}

// ---- slicing ----------------------------------------------------------------------------

interface Layout {
  shape: number[];
  strides: number[];
  offset: number;
}

function sliceLayout(op: string, shape: readonly number[], strides: readonly number[], offset: number, specs: IndexSpec[]): Layout {
  if (specs.length > shape.length) {
    throw new Error(`${op}(): ${specs.length} indices for a tensor of shape ${fmt(shape)} (${shape.length} dims)`);
  }
  const out: Layout = { shape: [], strides: [], offset };
  shape.forEach((size, d) => {
    const spec = d < specs.length ? specs[d] : null;
    if (spec === null) {
      out.shape.push(size);
      out.strides.push(strides[d]);
    } else if (typeof spec === "number") {
      const i = spec < 0 ? spec + size : spec;
      if (!Number.isInteger(spec) || i < 0 || i >= size) {
        throw new Error(`${op}(): index ${spec} is out of range for dim ${d} of size ${size} (shape ${fmt(shape)})`);
      }
      out.offset += i * strides[d];
    } else {
      const step = spec[2] ?? 1;
      if (!Number.isInteger(step) || step <= 0) throw new Error(`${op}(): slice step must be a positive integer, got ${step} at dim ${d} (shape ${fmt(shape)})`);
      const clampIdx = (v: number | null | undefined, dflt: number) =>
        v === null || v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + size : v, 0), size);
      const start = clampIdx(spec[0], 0);
      const end = clampIdx(spec[1], size);
      const len = Math.max(0, Math.ceil((end - start) / step));
      out.shape.push(len);
      out.strides.push(strides[d] * step);
      out.offset += start * strides[d];
    }
  });
  return out;
}

/** Write g into a zero tensor of `shape` at the positions the same slicing selects. */
function scatterSlice(g: Tensor, shape: readonly number[], specs: IndexSpec[]): Tensor {
  const out = floats(numel(shape), true);
  const l = sliceLayout("index", shape, contiguousStrides(shape), 0, specs);
  const gv = g.values();
  const nd = l.shape.length, last = nd - 1;
  // one run of the slice's last dim at a time: a block copy where it is contiguous
  const n = nd ? l.shape[last] : 1, s = nd ? l.strides[last] : 1;
  const idx = new Array<number>(nd).fill(0);
  let pos = l.offset;
  for (let i = 0; i < gv.length; i += n) {
    if (s === 1) out.set(gv.subarray(i, i + n), pos);
    else for (let j = 0; j < n; j++) out[pos + j * s] = gv[i + j];
    for (let d = last - 1; d >= 0; d--) {
      pos += l.strides[d];
      if (++idx[d] < l.shape[d]) break;
      pos -= l.strides[d] * l.shape[d];
      idx[d] = 0;
    }
  }
  return tensorOf(out, shape);
}

export function index(x: Tensor, specs: IndexSpec[], op: OpKind = INDEX): Tensor {
  const l = sliceLayout(op.name, x.shape, x.strides, x.offset, specs);
  return asView(x, l.shape, l.strides, l.offset, op, (g) => [scatterSlice(g, x.shape, specs)]);
}

export function specAt(x: Tensor, dim: number, spec: IndexSpec): IndexSpec[] {
  const d = normDim("select", dim, x.shape);
  const specs: IndexSpec[] = x.shape.map(() => null);
  specs[d] = spec;
  return specs;
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim("narrow", dim, x.shape);
  const s = start < 0 ? start + x.shape[d] : start;
  if (s < 0 || length < 0 || s + length > x.shape[d]) {
    throw new Error(`narrow(): start ${start} and length ${length} do not fit dim ${d} of size ${x.shape[d]} (shape ${fmt(x.shape)})`);
  }
  return index(x, specAt(x, d, [s, s + length]), NARROW);
}

export function split(x: Tensor, sizeOrSizes: number | number[], dim = 0): Tensor[] {
  const d = normDim("split", dim, x.shape);
  const len = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (sizeOrSizes <= 0) throw new Error(`split(): split size must be positive, got ${sizeOrSizes} (dim ${d} of shape ${fmt(x.shape)})`);
    sizes = [];
    for (let s = 0; s < len; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, len - s));
  } else {
    sizes = sizeOrSizes;
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== len) throw new Error(`split(): sizes ${fmt(sizes)} add up to ${total}, but dim ${d} has size ${len}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const part = narrow(x, d, start, s);
    start += s;
    return part;
  });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim("chunk", dim, x.shape);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new Error(`chunk(): chunks must be a positive integer, got ${chunks}`);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

// ---- joining ----------------------------------------------------------------------------

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("cat(): expected a non-empty list of tensors");
  const first = tensors[0];
  if (first.ndim === 0) throw new Error("cat(): 0-d tensors cannot be joined; unsqueeze them or use stack()");
  const d = normDim("cat", dim, first.shape);
  tensors.forEach((t, i) => {
    const ok = t.ndim === first.ndim && t.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!ok) {
      throw new Error(
        `cat(): tensor ${i} has shape ${fmt(t.shape)}, which does not match tensor 0's ${fmt(first.shape)} ` +
          `outside dim ${d}`,
      );
    }
    if (t.dtype !== first.dtype) throw new Error(`cat(): tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}`);
  });
  const total = tensors.reduce((s, t) => s + t.shape[d], 0);
  const shape = [...first.shape];
  shape[d] = total;
  const outer = numel(shape.slice(0, d));
  const inner = numel(shape.slice(d + 1));
  const out = allocate(first.dtype, numel(shape));
  let at = 0;
  for (const t of tensors) {
    const v = t.rawValues();
    const block = t.shape[d] * inner;
    for (let o = 0; o < outer; o++) setValues(out, v.subarray(o * block, (o + 1) * block), o * total * inner + at * inner);
    at += t.shape[d];
  }
  const sizes = tensors.map((t) => t.shape[d]);
  return record(tensorOf(out, shape), catKind(tensors.length), tensors, (g) => split(g, sizes, d), false);
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new Error("stack(): expected a non-empty list of tensors");
  tensors.forEach((t, i) => {
    if (t.ndim !== tensors[0].ndim || t.shape.some((s, k) => s !== tensors[0].shape[k])) {
      throw new Error(`stack(): tensor ${i} has shape ${fmt(t.shape)} but tensor 0 has ${fmt(tensors[0].shape)}`);
    }
  });
  const d = normDim("stack", dim, tensors[0].shape, 1);
  return cat(tensors.map((t) => t.unsqueeze(d)), d);
}

// ---- gathering by index -----------------------------------------------------------------

function checkIndices(op: string, v: ArrayLike<number>, size: number, dim: number, shape: readonly number[]): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= size) {
      throw new Error(`${op}(): index ${v[i]} is out of range for dim ${dim} of size ${size} (shape ${fmt(shape)})`);
    }
  }
}

export function indexSelect(x: Tensor, dim: number, idxLike: Tensor | number[]): Tensor {
  const idx = indexTensor("indexSelect", idxLike);
  if (idx.ndim !== 1) throw new Error(`indexSelect(): indices must be 1-D, got shape ${fmt(idx.shape)}`);
  const d = normDim("indexSelect", dim, x.shape);
  const iv = idx.values();
  checkIndices("indexSelect", iv, x.shape[d], d, x.shape);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const size = x.shape[d];
  const shape = [...x.shape];
  shape[d] = iv.length;
  const xv = x.rawValues();
  const out = allocate(x.dtype, numel(shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < iv.length; j++) {
      const src = (o * size + iv[j]) * inner;
      setValues(out, xv.subarray(src, src + inner), (o * iv.length + j) * inner);
    }
  }
  return record(tensorOf(out, shape), INDEX_SELECT, [x], (g) => {
    // rows picked twice receive both gradients: scatter-add
    const gx = floats(x.numel(), true);
    const gv = g.values();
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < iv.length; j++) {
        const dst = (o * size + iv[j]) * inner;
        const src = (o * iv.length + j) * inner;
        for (let k = 0; k < inner; k++) gx[dst + k] += gv[src + k];
      }
    }
    return [tensorOf(gx, x.shape)];
  }, false);
}

export function gather(x: Tensor, dim: number, idxLike: Tensor): Tensor {
  const idx = indexTensor("gather", idxLike);
  const d = normDim("gather", dim, x.shape);
  if (idx.ndim !== x.ndim || idx.shape.some((s, k) => k !== d && s > x.shape[k])) {
    throw new Error(`gather(): index shape ${fmt(idx.shape)} does not fit input shape ${fmt(x.shape)} at dim ${d}`);
  }
  const iv = idx.values();
  checkIndices("gather", iv, x.shape[d], d, x.shape);
  const xs = contiguousStrides(x.shape);
  // x and out share a dtype, so elements move between them as they are (numbers or bigints)
  const xv = x.rawValues() as Float32Array;
  const out = allocate(x.dtype, iv.length) as Float32Array;
  // position in x of each output element: its own coordinates, with dim d replaced by the index
  const pos = new Int32Array(iv.length);
  const coord = new Array<number>(idx.ndim).fill(0);
  for (let i = 0; i < iv.length; i++) {
    let p = 0;
    for (let k = 0; k < coord.length; k++) p += (k === d ? iv[i] : coord[k]) * xs[k];
    pos[i] = p;
    out[i] = xv[p];
    for (let k = coord.length - 1; k >= 0; k--) {
      if (++coord[k] < idx.shape[k]) break;
      coord[k] = 0;
    }
  }
  return record(tensorOf(out, idx.shape), GATHER, [x], (g) => {
    const gx = floats(x.numel(), true);
    const gv = g.values();
    for (let i = 0; i < pos.length; i++) gx[pos[i]] += gv[i];
    return [tensorOf(gx, x.shape)];
  }, false);
}

/** Keep the elements on and above (triu) or on and below (tril) the k-th diagonal of the last two dims. */
export function triangle(x: Tensor, k: number, upper: boolean): Tensor {
  const name = upper ? "triu" : "tril";
  if (x.ndim < 2) throw new Error(`${name}(): needs at least 2 dims, got shape ${fmt(x.shape)}`);
  const [r, c] = x.shape.slice(-2);
  const mask = floats(r * c, false);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) mask[i * c + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
  return where(tensorOf(mask, [r, c]), x, 0, upper ? TRIU : TRIL);
}
