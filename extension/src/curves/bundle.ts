// The curves bundle, read and checked: {version, title?, xLabel, yLabel?, logY?, monitorId?,
// running?, downsampled?, series: [{name, run?, split?, count?}], seriesTotal?, lr?: [{step,
// lr, run?}], lrTotal?, data}, with data a base64 Arrow table of (step, series, value, run?)
// rows, one per logged point. A series is a (run, name) pair.
import { numberColumn, readTable, stringColumn } from "../shared/arrow";
import { BUDGETS } from "../shared/mime";
import { BundleError, array, boolean, describe, number, optionalString, record, string, version } from "../shared/validate";

/** More rows than this are refused: the library sends about 2,000 a series. */
export const MAX_ROWS = 2_000_000;

export interface CurveSeries {
  name: string;
  /** The run the series belongs to, when several runs share the chart. */
  run?: string;
  split?: string;
  /** How many points the run logged for this series (more than arrived when downsampled). */
  count: number;
  steps: number[];
  values: number[];
}

/** The learning rate from a step on (of one run, when runs are named). */
export interface LrChange {
  step: number;
  lr: number;
  run?: string;
}

export interface Curves {
  title?: string;
  xLabel: string;
  yLabel?: string;
  /** The run asked for a log y axis at first. */
  logY: boolean;
  /** A log x axis (values that grow by factors). */
  logX: boolean;
  /** False for a chart of results rather than a training loop: no Stop, Pause or learning rate. */
  controls: boolean;
  monitorId?: string;
  /** False once the run has ended; absent in bundles that do not say. */
  running?: boolean;
  downsampled: boolean;
  series: CurveSeries[];
  /** How many series the run had: more than `series` when some were not drawn. */
  seriesTotal: number;
  lr: LrChange[];
  /** How many learning-rate changes the run had (more than `lr` when thinned). */
  lrTotal: number;
  /** Rows in the table: the raw points plotted. */
  rows: number;
}

/** At most this many learning-rate changes are read. */
export const MAX_LR_CHANGES = 1000;

function wholeNumber(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new BundleError(field, `expected a whole number >= 0, got ${typeof v === "number" ? v : describe(v)}`);
  }
  return v;
}

const key = (run: string | undefined, name: string) => `${run ?? ""}\u0000${name}`;

export function readCurves(data: unknown): Curves {
  const d = record(data, "curves");
  version(d.version);
  const title = optionalString(d.title, "title");
  const xLabel = optionalString(d.xLabel, "xLabel") ?? "step";
  const monitorId = optionalString(d.monitorId, "monitorId");
  const running = d.running === undefined || d.running === null ? undefined : boolean(d.running, "running");
  const downsampled = d.downsampled === undefined || d.downsampled === null ? false : boolean(d.downsampled, "downsampled");

  const yLabel = optionalString(d.yLabel, "yLabel");
  const logY = d.logY === undefined || d.logY === null ? false : boolean(d.logY, "logY");
  const logX = d.logX === undefined || d.logX === null ? false : boolean(d.logX, "logX");
  // a chart of results (a learning curve, a scaling plot) rather than a training loop
  const controls = d.controls === undefined || d.controls === null ? true : boolean(d.controls, "controls");

  // at most BUDGETS.curveSeries series are drawn, whatever the bundle lists: a saved
  // notebook's 20,000 series would otherwise hold the page for minutes in Plotly
  const budget = BUDGETS.curveSeries;
  const series: CurveSeries[] = [];
  const byKey = new Map<string, CurveSeries>();
  const listed = array(d.series, "series");
  const others = new Set<string>();
  // entries past the budget are counted, not read: they are not drawn
  for (let i = 0; i < listed.length && series.length < budget; i++) {
    const r = record(listed[i], `series[${i}]`);
    const name = string(r.name, `series[${i}].name`);
    const run = optionalString(r.run, `series[${i}].run`);
    const split = optionalString(r.split, `series[${i}].split`);
    const count = r.count === undefined || r.count === null ? -1 : wholeNumber(r.count, `series[${i}].count`);
    const k = key(run, name);
    if (byKey.has(k) || others.has(k)) continue;
    if (series.length >= budget) {
      others.add(k);
      continue;
    }
    const entry: CurveSeries = { name, ...(run !== undefined ? { run } : {}), ...(split ? { split } : {}), count, steps: [], values: [] };
    series.push(entry);
    byKey.set(k, entry);
  }

  const table = readTable(d.data, "data");
  if (table.numRows > MAX_ROWS) throw new BundleError("data", `has ${table.numRows} rows, more than ${MAX_ROWS}`);
  const steps = numberColumn(table, "step", "data");
  const names = stringColumn(table, "series", "data");
  const values = numberColumn(table, "value", "data");
  const runs = table.getChild("run") ? stringColumn(table, "run", "data") : null;
  // Arrow pads a short column with nulls up to the table's length, so a null is where a
  // column of the kernel's table ran out
  const cols = runs ? ["step", "series", "value", "run"] : ["step", "series", "value"];
  const lengths = cols.map((c) => table.numRows - (table.getChild(c)?.nullCount ?? 0));
  if (steps.length !== names.length || steps.length !== values.length || lengths.some((n) => n !== table.numRows)) {
    throw new BundleError("data", `columns ${cols.join(", ")} differ in length (${lengths.join(", ")} of ${table.numRows} rows)`);
  }
  // a run column holds "" for rows of no run, as the library writes it
  const runOf = (i: number) => (runs && runs[i] !== "" ? runs[i] : undefined);
  let rows = 0;
  for (let i = 0; i < steps.length; i++) {
    const k = key(runOf(i), names[i]);
    let s = byKey.get(k);
    if (!s) {
      if (others.has(k)) continue;
      if (series.length >= budget) {
        others.add(k);
        continue;
      }
      // a row of a series the header does not list is still drawn, not dropped
      const run = runOf(i);
      s = { name: names[i], ...(run !== undefined ? { run } : {}), count: -1, steps: [], values: [] };
      series.push(s);
      byKey.set(k, s);
    }
    s.steps.push(steps[i]);
    s.values.push(values[i]);
    rows++;
  }
  for (const s of series) if (s.count < s.steps.length) s.count = s.steps.length;
  const declaredTotal = d.seriesTotal === undefined || d.seriesTotal === null ? 0 : wholeNumber(d.seriesTotal, "seriesTotal");
  const seriesTotal = Math.max(series.length + others.size, listed.length, declaredTotal);

  const lr: LrChange[] = [];
  if (d.lr !== undefined && d.lr !== null) {
    const list = array(d.lr, "lr");
    for (let i = 0; i < Math.min(list.length, MAX_LR_CHANGES); i++) {
      const c = record(list[i], `lr[${i}]`);
      const run = optionalString(c.run, `lr[${i}].run`);
      lr.push({ step: number(c.step, `lr[${i}].step`), lr: number(c.lr, `lr[${i}].lr`), ...(run !== undefined ? { run } : {}) });
    }
  }
  const lrTotal = Math.max(lr.length, d.lrTotal === undefined || d.lrTotal === null ? 0 : wholeNumber(d.lrTotal, "lrTotal"));
  return { title, xLabel, yLabel, logY, logX, controls, monitorId, running, downsampled, series, seriesTotal, lr, lrTotal, rows };
}
