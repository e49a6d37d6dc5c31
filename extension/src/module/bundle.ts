// The module summary bundle read into a tree: rows in the order the library walks the
// modules (parents first), each with its subtree's parameter counts. A bundle of more rows
// than BUDGETS.moduleRows (a saved notebook may hold anything) is cut as the library cuts
// a large model: deeper levels folded into their parents, which count what they hold.
import { keptRows } from "chainlab/dist/display/fold-rows";
import { BUDGETS } from "../shared/mime";
import { array, BundleError, number, optionalString, record, string, strings, version } from "../shared/validate";

/**
 * More rows than this are refused unread. Up to it, every row is checked (a few
 * milliseconds each thousand) and at most BUDGETS.moduleRows are drawn.
 */
export const MAX_ROWS = 50_000;

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
  /** Counts of this module and every module below it, drawn or not. */
  subParams: number;
  subTrainable: number;
  /** Modules below this one that are not drawn (the library or the renderer left them out). */
  omitted: number;
}

export interface ModuleSummary {
  name: string;
  total: number;
  trainable: number;
  /** Every module of the model; more than rows.length when levels were folded. */
  modules: number;
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
    let omitted = { modules: 0, params: 0, trainable: 0 };
    if (r.omitted !== undefined && r.omitted !== null) {
      const o = record(r.omitted, `${f}.omitted`);
      omitted = {
        modules: count(o.modules, `${f}.omitted.modules`),
        params: count(o.params, `${f}.omitted.params`),
        trainable: count(o.trainable, `${f}.omitted.trainable`),
      };
      if (omitted.trainable > omitted.params) throw new BundleError(`${f}.omitted.trainable`, `is ${omitted.trainable}, more than its ${omitted.params} parameters`);
    }
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
      tied, parent, children: 0,
      subParams: params + omitted.params, subTrainable: rowTrainable + omitted.trainable, omitted: omitted.modules,
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
  let modules = rows.reduce((n, r) => n + 1 + r.omitted, 0);
  if (d.modules !== undefined && d.modules !== null) {
    const claimed = count(d.modules, "modules");
    if (claimed < modules) throw new BundleError("modules", `is ${claimed}, but the rows hold ${modules}`);
    modules = claimed;
  }
  return { name, total, trainable, modules, rows: foldToBudget(rows, BUDGETS.moduleRows) };
}

/**
 * At most `budget` rows: every level down to the deepest that fits whole, then the first rows
 * of the next level while the budget lasts. Each row left out is counted, with what it
 * omits itself, in its nearest ancestor that is kept; subtree counts were summed before.
 */
export function foldToBudget(rows: ModuleRow[], budget: number): ModuleRow[] {
  if (rows.length <= budget) return rows;
  const kept = keptRows(rows.map((r) => r.depth), budget);
  const newIndex = new Array<number>(rows.length).fill(-1);
  const owner = new Array<number>(rows.length);
  const out: ModuleRow[] = [];
  rows.forEach((r, i) => {
    if (kept[i]) {
      owner[i] = i;
      newIndex[i] = out.length;
      out.push({ ...r, parent: r.parent >= 0 ? newIndex[r.parent] : -1, children: 0 });
      if (r.parent >= 0) out[newIndex[r.parent]].children++;
    } else {
      // a top row past the budget (one root is usual) has no row to be counted in: the
      // bundle's module count still says it is there
      owner[i] = r.parent >= 0 ? owner[r.parent] : -1;
      if (owner[i] >= 0) out[newIndex[owner[i]]].omitted += 1 + r.omitted;
    }
  });
  return out;
}

export type TrainState = "trainable" | "frozen" | "partly" | "none";

export function trainState(params: number, trainable: number): TrainState {
  if (params === 0) return "none";
  return trainable === params ? "trainable" : trainable === 0 ? "frozen" : "partly";
}
