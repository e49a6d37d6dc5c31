// Reading a tensor payload ({shape, shownShape, dtype, stats, truncated, data, grad?}).
// Shapes are checked before the data is decoded, and the decoded column must hold exactly
// the declared corner, so nothing is allocated from a size the bundle merely claims.
import { numberColumn, readTable } from "../shared/arrow";
import { BUDGETS } from "../shared/mime";
import type { AxisLabelsView } from "./axes";
import { BundleError, array, boolean, number, numel, optionalString, record, shape, string, version } from "../shared/validate";

export type Values = Float32Array | Float64Array | Int32Array;

export interface TensorStatsView {
  min: number;
  max: number;
  mean: number;
  std: number;
  nan: number;
  inf: number;
}

export interface TensorPayload {
  name?: string;
  shape: number[];
  /** The leading corner of `shape` whose values are in `values`, row-major. */
  shownShape: number[];
  dtype: string;
  stats: TensorStatsView;
  truncated: boolean;
  values: Values;
  requiresGrad: boolean;
  gradFn?: string;
  grad?: TensorPayload;
  /** Names for the rows and columns of the drawn matrix, and axis titles (top-level bundles only). */
  labels?: AxisLabelsView;
}

/**
 * The bundle's `labels`: arrays of strings no longer than the dims they name (the shown
 * corner's rows are shape[-2], its columns shape[-1]) and string titles.
 */
function readLabels(v: unknown, shown: readonly number[], field: string): AxisLabelsView | undefined {
  if (v === undefined || v === null) return undefined;
  const j = record(v, field);
  const n = shown.length;
  const out: AxisLabelsView = {};
  for (const [key, size] of [["rows", n >= 2 ? shown[n - 2] : 0], ["cols", n >= 1 ? shown[n - 1] : 0]] as const) {
    if (j[key] === undefined || j[key] === null) continue;
    const names = array(j[key], `${field}.${key}`);
    if (names.length > size) {
      throw new BundleError(`${field}.${key}`, `has ${names.length} names for ${size} ${key} (shownShape [${shown.join(", ")}])`);
    }
    out[key] = names.map((x, i) => string(x, `${field}.${key}[${i}]`));
  }
  out.rowTitle = optionalString(j.rowTitle, `${field}.rowTitle`);
  out.colTitle = optionalString(j.colTitle, `${field}.colTitle`);
  return out;
}

/** Statistics of the values at hand, for payloads that come without them. */
export function statsOf(v: Values): TensorStatsView {
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, n = 0, nan = 0, inf = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) nan++;
    else if (x === Infinity || x === -Infinity) inf++;
    else {
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      sq += x * x;
      n++;
    }
  }
  const mean = n ? sum / n : NaN;
  return { min: n ? min : NaN, max: n ? max : NaN, mean, std: n ? Math.sqrt(Math.max(sq / n - mean * mean, 0)) : NaN, nan, inf };
}

function readStats(v: unknown, field: string): TensorStatsView | undefined {
  if (v === undefined) return undefined;
  const s = record(v, field);
  const count = (x: unknown, f: string): number => {
    const n = x === undefined ? 0 : number(x, f);
    if (!(n >= 0)) throw new BundleError(f, "expected a count >= 0");
    return n;
  };
  return {
    min: number(s.min ?? null, `${field}.min`),
    max: number(s.max ?? null, `${field}.max`),
    mean: number(s.mean ?? null, `${field}.mean`),
    std: number(s.std ?? null, `${field}.std`),
    nan: count(s.nan, `${field}.nan`),
    inf: count(s.inf, `${field}.inf`),
  };
}

/** Decoded bytes of a base64 string's length (padding aside). */
function base64Size(v: unknown): number {
  return typeof v === "string" ? Math.floor((v.length * 3) / 4) : 0;
}

/**
 * The values and the gradient together must fit BUDGETS.bundleBytes, checked on the strings'
 * lengths before either is decoded: decoding 48 MB blocks the page for seconds.
 */
function checkBytes(j: Record<string, unknown>, prefix: string): void {
  const own = base64Size(j.data);
  const grad = j.grad && typeof j.grad === "object" ? base64Size((j.grad as Record<string, unknown>).data) : 0;
  if (own + grad <= BUDGETS.bundleBytes) return;
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  const field = own > BUDGETS.bundleBytes ? `${prefix}data` : `${prefix}grad.data`;
  throw new BundleError(field, `holds ${mb(own + grad)} of values${grad ? " (with grad.data)" : ""}; a tensor output draws at most ${mb(BUDGETS.bundleBytes)}`);
}

/**
 * Read one payload. `prefix` is prepended to every field name in errors ("" for a top-level
 * bundle, "grad." for its gradient, "nodes[2].value." inside a graph); `top` also checks
 * the bundle's version.
 */
export function readTensorPayload(json: unknown, prefix = "", top = false): TensorPayload {
  const j = record(json, prefix ? prefix.slice(0, -1) : "bundle");
  if (top) version(j.version, `${prefix}version`);
  const name = optionalString(j.name, `${prefix}name`);
  if (j.shape === undefined) throw new BundleError(`${prefix}shape`, "is missing");
  const full = shape(j.shape, `${prefix}shape`, BUDGETS.tensorElements);
  const shown = j.shownShape === undefined ? full : shape(j.shownShape, `${prefix}shownShape`);
  if (shown.length !== full.length) {
    throw new BundleError(`${prefix}shownShape`, `has ${shown.length} dimensions but shape has ${full.length}`);
  }
  shown.forEach((d, i) => {
    if (d > full[i]) throw new BundleError(`${prefix}shownShape[${i}]`, `is ${d}, larger than shape[${i}] = ${full[i]}`);
  });
  const dtype = j.dtype === undefined ? "float32" : string(j.dtype, `${prefix}dtype`);
  if (top) checkBytes(j, prefix);
  const values = numberColumn(readTable(j.data, `${prefix}data`), "value", `${prefix}data`);
  const want = numel(shown);
  if (values.length !== want) {
    throw new BundleError(`${prefix}data`, `holds ${values.length} values, but shownShape [${shown.join(", ")}] has ${want}`);
  }
  const truncated = j.truncated === undefined ? want !== numel(full) : boolean(j.truncated, `${prefix}truncated`);
  const stats = readStats(j.stats, `${prefix}stats`) ?? statsOf(values);
  const requiresGrad = j.requiresGrad === undefined ? false : boolean(j.requiresGrad, `${prefix}requiresGrad`);
  const gradFn = optionalString(j.gradFn, `${prefix}gradFn`);
  const grad = j.grad === undefined || j.grad === null ? undefined : readTensorPayload(j.grad, `${prefix}grad.`);
  const labels = top ? readLabels(j.labels, shown, `${prefix}labels`) : undefined;
  return { name, shape: full, shownShape: shown, dtype, stats, truncated, values, requiresGrad, gradFn, grad, labels };
}
