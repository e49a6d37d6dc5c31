// The module summary bundle read into a tree: rows in the order the library walks the
// modules (parents first), each with its subtree's parameter counts.
import { array, BundleError, number, optionalString, record, string, strings, version } from "./validate";

/** More rows than this are refused: one table row each. */
const MAX_ROWS = 50_000;

export interface ModuleRow {
  path: string;
  type: string;
  depth: number;
  params: number;
  trainable: number;
  shapes: string[];
  extra?: string;
  outputShape?: number[];
  tied: { param: string; to: string }[];
  /** Index of the parent row, -1 for a top row. */
  parent: number;
  children: number;
  /** Counts of this module and every module below it. */
  subParams: number;
  subTrainable: number;
}

export interface ModuleSummary {
  name: string;
  total: number;
  trainable: number;
  rows: ModuleRow[];
}

function count(v: unknown, field: string): number {
  const n = number(v, field);
  if (!Number.isInteger(n) || n < 0) throw new BundleError(field, `expected a whole number >= 0, got ${n}`);
  return n;
}

function dims(v: unknown, field: string): number[] {
  // not validate.shape(): nothing is allocated from an output shape, and a batch of logits
  // may well have more elements than a tensor this extension would draw
  const a = array(v, field);
  if (a.length > 16) throw new BundleError(field, `has ${a.length} dimensions`);
  return a.map((d, i) => count(d, `${field}[${i}]`));
}

export function parseModule(data: unknown): ModuleSummary {
  const d = record(data, "module");
  version(d.version);
  const name = string(d.name, "name");
  const total = count(d.total, "total");
  const trainable = count(d.trainable, "trainable");
  if (trainable > total) throw new BundleError("trainable", `is ${trainable}, more than the total ${total}`);
  const raw = array(d.rows, "rows");
  if (raw.length > MAX_ROWS) throw new BundleError("rows", `has ${raw.length} rows; at most ${MAX_ROWS} are drawn`);
  const rows: ModuleRow[] = [];
  const stack: number[] = [];
  raw.forEach((v, i) => {
    const f = `rows[${i}]`;
    const r = record(v, f);
    const depth = count(r.depth, `${f}.depth`);
    const prevDepth = i ? rows[i - 1].depth : -1;
    if (depth > prevDepth + 1) throw new BundleError(`${f}.depth`, `is ${depth}, but the row before is at depth ${prevDepth}`);
    const params = count(r.params, `${f}.params`);
    const rowTrainable = count(r.trainable, `${f}.trainable`);
    if (rowTrainable > params) throw new BundleError(`${f}.trainable`, `is ${rowTrainable}, more than its ${params} parameters`);
    const tied = r.tied === undefined ? [] : array(r.tied, `${f}.tied`).map((t, k) => {
      const o = record(t, `${f}.tied[${k}]`);
      return { param: string(o.param, `${f}.tied[${k}].param`), to: string(o.to, `${f}.tied[${k}].to`) };
    });
    while (stack.length && rows[stack[stack.length - 1]].depth >= depth) stack.pop();
    const parent = stack.length ? stack[stack.length - 1] : -1;
    rows.push({
      path: string(r.path, `${f}.path`),
      type: string(r.type, `${f}.type`),
      depth, params, trainable: rowTrainable,
      shapes: r.shapes === undefined ? [] : strings(r.shapes, `${f}.shapes`),
      extra: optionalString(r.extra, `${f}.extra`),
      outputShape: r.outputShape === undefined || r.outputShape === null ? undefined : dims(r.outputShape, `${f}.outputShape`),
      tied, parent, children: 0, subParams: params, subTrainable: rowTrainable,
    });
    if (parent >= 0) rows[parent].children++;
    stack.push(i);
  });
  // children come after their parent: one backward pass adds each subtree into its parent
  for (let i = rows.length - 1; i >= 0; i--) {
    const p = rows[i].parent;
    if (p >= 0) {
      rows[p].subParams += rows[i].subParams;
      rows[p].subTrainable += rows[i].subTrainable;
    }
  }
  return { name, total, trainable, rows };
}

export type TrainState = "trainable" | "frozen" | "partly" | "none";

export function trainState(params: number, trainable: number): TrainState {
  if (params === 0) return "none";
  return trainable === params ? "trainable" : trainable === 0 ? "frozen" : "partly";
}
