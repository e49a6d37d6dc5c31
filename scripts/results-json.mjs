// notebooks/results.json: what `npm run notebooks` measured, for programs to read and compare
// (RESULTS.md is the same run for people). A pure function of the run's summary, so that it
// can be tested without running a notebook.
//
// {
//   version: 1, date, mode: "full" | "quick", rerun: ["08", ...] | null,
//   machine: {cpu, cores, memoryGB, platform, node}, backend,
//   load: {start: [1, 5, 15 min], end: [...]},
//   notebooks: {"08-pretraining-a-gpt": {mode, date, seconds, errors: [...], backend,
//               load: {start, end}, headlines: {"val loss": 1.786, "time per step (ms)": 210, ...}}}
// }
//
// A headline is a number where its text is one ("1.786", "4.30e-8"), a number with its unit
// moved into the label ("210 ms" under "time per step (ms)", "3.71x" under "... (x)"), a
// boolean for true/false, an array when the pattern captures several values ("0.890 / 0.885"),
// and the text as printed otherwise. With --only, the notebooks not rerun keep the entry of
// the previous results.json, their own mode, date and load included.

export const RESULTS_VERSION = 1;

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;
const WITH_UNIT = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(ms|us|µs|s|x|%|MB|GB|KB|k|M)$/i;

/** One captured value as JSON: a number, a boolean, or the text; the unit a number carried, if any. */
export function headlineValue(text) {
  const t = String(text).trim();
  if (NUMBER.test(t)) return { value: Number(t) };
  if (t === "true" || t === "false") return { value: t === "true" };
  const m = WITH_UNIT.exec(t);
  if (m) return { value: Number(m[1]), unit: m[2] };
  return { value: t };
}

/**
 * A notebook's headline figures from its printed text: {label: value}; a pattern that finds
 * nothing gives no entry (RESULTS.md leaves it out too).
 * @param {string} text the notebook's output text
 * @param {[string, RegExp][]} patterns [label, pattern whose groups are the values]
 */
export function headlineFigures(text, patterns) {
  const out = {};
  for (const [label, re] of patterns ?? []) {
    const m = re.exec(text);
    if (!m) continue;
    const values = m.slice(1).filter((g) => g !== undefined).map(headlineValue);
    const units = [...new Set(values.map((v) => v.unit).filter(Boolean))];
    const key = units.length === 1 ? `${label} (${units[0]})` : label;
    const plain = values.map((v) => (v.unit && units.length !== 1 ? `${v.value} ${v.unit}` : v.value));
    out[key] = plain.length === 1 ? plain[0] : plain;
  }
  return out;
}

const loadOf = (l) => (Array.isArray(l) && l.length === 3 && l.every((v) => typeof v === "number" && Number.isFinite(v))
  ? l.map((v) => Math.round(v * 100) / 100) : null);

/**
 * The results.json object of a run.
 * @param {object} o
 * @param {{name: string, seconds: number, errors: string[], text: string, loadStart?: number[], loadEnd?: number[]}[]} o.summary what ran (scripts/run_notebooks.py)
 * @param {Record<string, [string, RegExp][]>} o.headlines patterns by notebook number ("08")
 * @param {object | null} o.previous the previous results.json, parsed (or null)
 * @param {boolean} o.only whether this run was a subset (--only): then the other entries are kept
 * @param {boolean} o.quick quick mode
 * @param {string} o.date ISO time of the run's end
 * @param {{cpu: string, cores: number, memoryGB: number, platform: string, node: string}} o.machine
 * @param {string} o.backend
 * @param {number[]} o.loadStart os.loadavg() when the run started
 * @param {number[]} o.loadEnd os.loadavg() when it ended
 */
export function buildResults(o) {
  for (const [field, ok] of [["summary", Array.isArray(o.summary)], ["date", typeof o.date === "string"], ["machine", o.machine && typeof o.machine === "object"]]) {
    if (!ok) throw new TypeError(`results.json: ${field} is missing or of the wrong type`);
  }
  const mode = o.quick ? "quick" : "full";
  const notebooks = {};
  const previous = o.previous && typeof o.previous === "object" && o.previous.notebooks && typeof o.previous.notebooks === "object" ? o.previous.notebooks : {};
  const ran = new Set(o.summary.map((s) => s.name.replace(/\.ipynb$/, "")));
  if (o.only) for (const [name, entry] of Object.entries(previous)) if (!ran.has(name)) notebooks[name] = entry;
  for (const s of o.summary) {
    const name = s.name.replace(/\.ipynb$/, "");
    notebooks[name] = {
      mode,
      date: o.date,
      seconds: Math.round(s.seconds * 10) / 10,
      errors: s.errors ?? [],
      backend: /backend (\w+)/.exec(s.text ?? "")?.[1] ?? o.backend,
      load: { start: loadOf(s.loadStart), end: loadOf(s.loadEnd) },
      headlines: headlineFigures(s.text ?? "", o.headlines[name.slice(0, 2)]),
    };
  }
  const sorted = Object.fromEntries(Object.keys(notebooks).sort().map((k) => [k, notebooks[k]]));
  return {
    version: RESULTS_VERSION,
    date: o.date,
    mode,
    rerun: o.only ? [...ran].sort().map((n) => n.slice(0, 2)) : null,
    machine: o.machine,
    backend: o.backend,
    load: { start: loadOf(o.loadStart), end: loadOf(o.loadEnd) },
    notebooks: sorted,
  };
}
