// The curves bundle, read and checked: {version, title?, xLabel, monitorId?, running?,
// downsampled?, series: [{name, split?, count?}], data}, with data a base64 Arrow table of
// (step, series, value) rows, one per logged point.
import { numberColumn, readTable, stringColumn } from "./arrow";
import { BundleError, array, boolean, optionalString, record, string, version } from "./validate";

/** More rows than this are refused: the library sends about 2,000 a series. */
export const MAX_ROWS = 2_000_000;

export interface CurveSeries {
  name: string;
  split?: string;
  /** How many points the run logged for this series (more than arrived when downsampled). */
  count: number;
  steps: number[];
  values: number[];
}

export interface Curves {
  title?: string;
  xLabel: string;
  monitorId?: string;
  /** False once the run has ended; absent in bundles that do not say. */
  running?: boolean;
  downsampled: boolean;
  series: CurveSeries[];
  /** Rows in the table: the raw points plotted. */
  rows: number;
}

function wholeNumber(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new BundleError(field, "expected a whole number >= 0");
  return v;
}

export function readCurves(data: unknown): Curves {
  const d = record(data, "curves");
  version(d.version);
  const title = optionalString(d.title, "title");
  const xLabel = optionalString(d.xLabel, "xLabel") ?? "step";
  const monitorId = optionalString(d.monitorId, "monitorId");
  const running = d.running === undefined || d.running === null ? undefined : boolean(d.running, "running");
  const downsampled = d.downsampled === undefined || d.downsampled === null ? false : boolean(d.downsampled, "downsampled");

  const series: CurveSeries[] = [];
  const byName = new Map<string, CurveSeries>();
  array(d.series, "series").forEach((s, i) => {
    const r = record(s, `series[${i}]`);
    const name = string(r.name, `series[${i}].name`);
    const split = optionalString(r.split, `series[${i}].split`);
    const count = r.count === undefined || r.count === null ? -1 : wholeNumber(r.count, `series[${i}].count`);
    if (byName.has(name)) return;
    const entry: CurveSeries = { name, ...(split ? { split } : {}), count, steps: [], values: [] };
    series.push(entry);
    byName.set(name, entry);
  });

  const table = readTable(d.data, "data");
  if (table.numRows > MAX_ROWS) throw new BundleError("data", `has ${table.numRows} rows, more than ${MAX_ROWS}`);
  const steps = numberColumn(table, "step", "data");
  const names = stringColumn(table, "series", "data");
  const values = numberColumn(table, "value", "data");
  // Arrow pads a short column with nulls up to the table's length, so a null is where a
  // column of the kernel's table ran out
  const lengths = ["step", "series", "value"].map((c) => table.numRows - (table.getChild(c)?.nullCount ?? 0));
  if (steps.length !== names.length || steps.length !== values.length || lengths.some((n) => n !== table.numRows)) {
    throw new BundleError("data", `columns step, series and value differ in length (${lengths.join(", ")} of ${table.numRows} rows)`);
  }
  for (let i = 0; i < steps.length; i++) {
    let s = byName.get(names[i]);
    if (!s) {
      // a row of a series the header does not list is still drawn, not dropped
      s = { name: names[i], count: -1, steps: [], values: [] };
      series.push(s);
      byName.set(s.name, s);
    }
    s.steps.push(steps[i]);
    s.values.push(values[i]);
  }
  for (const s of series) if (s.count < s.steps.length) s.count = s.steps.length;
  return { title, xLabel, monitorId, running, downsampled, series, rows: steps.length };
}
