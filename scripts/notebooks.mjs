// `npm run notebooks`: the tutorial series run end to end in full mode, in order, with its
// outputs written back into the notebooks and its headline figures in notebooks/RESULTS.md.
//
//   node scripts/notebooks.mjs [--quick] [--only 02,05]
//
// The notebooks run through .venv's Python (nbclient on the chainlab kernel; set it up with
// `node scripts/lab.mjs --setup-only --no-browser`). Outputs are large: clear them before
// committing anything but a results run (`.venv/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb`).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildResults } from "./results-json.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? String(argv[onlyAt + 1] ?? "").split(",").filter(Boolean) : null;

const python = join(root, ".venv", "bin", "python");
if (!existsSync(python)) {
  console.error("no .venv: run `node scripts/lab.mjs --setup-only --no-browser` first");
  process.exit(2);
}
const dir = join(root, "notebooks");
const names = readdirSync(dir).filter((n) => /^\d\d-.*\.ipynb$/.test(n)).sort()
  .filter((n) => !only || only.some((p) => n.startsWith(p)));

// The figures each notebook is about: [label, pattern whose first group is the value].
const HEADLINES = {
  "01": [["dy/dx", /dy\/dx = ([\d.]+)/], ["gradcheck", /ok: (true|false)/]],
  "02": [["XOR final loss", /final loss: ([\d.]+)/], ["max |ours - library|", /max \|ours - library\| over \d+ gradients = ([\d.e+-]+)/], ["scalar engine vs library", /speed-up: (\d+x)/]],
  "03": [["broadcast gradient max diff", /max \|library - ours\| = ([\d.e+-]+)/]],
  "04": [["logistic regression accuracy", /logistic regression accuracy on the moons: ([\d.]+)/], ["GD loss", /gradient descent loss after \d+ steps: ([\d.e+-]+)/], ["momentum loss", /momentum\s+loss after \d+ steps: ([\d.e+-]+)/], ["Adam loss", /Adam\s+loss after \d+ steps: ([\d.e+-]+)/], ["near-zero weights of 20, L1 / L2", /of 20: L1 (\d+), L2 (\d+)/]],
  "05": [["sigmoid first/last grad", /sigmoid\s*: first\/last layer mean \|grad\| at step 0 = ([\d.e+-]+)/], ["accuracy sigmoid", /sigmoid\s*:.*training accuracy ([\d.]+)/], ["accuracy ReLU", /relu\s*:.*training accuracy ([\d.]+)/], ["accuracy residual", /residual:.*training accuracy ([\d.]+)/], ["plain net val loss final / lowest", /final val loss \/ lowest val loss = ([\d.]+)/]],
  "06": [["test accuracy", /test accuracy: ([\d.]+)/], ["macro F1", /macro F1: ([\d.]+)/], ["training time", /trained \d+ steps in ([\d.]+ s)/]],
  "07": [["merges agreeing with the library", /merges agreement: (\d+ of the first \d+)/], ["characters per token at vocab 512 / GPT-2", /vocab\s+512: ([\d.]+) characters per token held out[\s\S]*?GPT-2 \(vocab 50257[^)]*\): ([\d.]+)/], ["bits per character, characters / BPE 512", /held-out characters: characters ([\d.]+), BPE 512 ([\d.]+)/]],
  "08": [["val loss", /-> train [\d.]+, val ([\d.]+)/], ["train loss", /-> train ([\d.]+)/], ["time per step", /\(([\d.]+ ms) a step\)/], ["steps", /(\d+) steps in [\d.]+ s/]],
  "09": [["accuracy / F1 full", /^full\s+\|(?:[^|\n]*\|){3}\s*([\d.]+)(?:[^|\n]*\|){3}\s*([\d.]+)/m], ["from scratch", /^from scratch\s+\|(?:[^|\n]*\|){3}\s*([\d.]+)(?:[^|\n]*\|){3}\s*([\d.]+)/m], ["n-gram baseline", /^n-gram baseline\s+\|(?:[^|\n]*\|){3}\s*([\d.]+)(?:[^|\n]*\|){3}\s*([\d.]+)/m], ["LoRA", /^LoRA\s+\|(?:[^|\n]*\|){3}\s*([\d.]+)(?:[^|\n]*\|){3}\s*([\d.]+)/m], ["full minus from scratch (points, by labels)", /^full fine-tuning minus from scratch, points: (.*)$/m]],
  "10": [["frontier exponent alpha", /C\^\(-([\d.]+)\)/], ["lowest val loss", /lowest validation loss: ([\d.]+)/], ["tokens per parameter at the optimum (median)", /\(median (\d+)\); Chinchilla's rule: 20/], ["runs", /(\d+) runs in \d+ s/], ["training time", /\d+ runs in (\d+ s)/]],
  "11": [["int8 size ratio", /MB \(([\d.]+x) smaller\)/], ["val loss float32 / int8", /validation loss: float32 ([\d.]+), int8 ([\d.]+)/], ["generation without / with a KV cache", /without a cache (\d+ ms), with the KV cache (\d+ ms)/]],
  "12": [["model", /^model: (GPT-2 itself|not GPT-2 \([^)]*\) but (?:notebook 8's character-level GPT|a small GPT-2-shaped model with random weights))/m], ["held-out e-mail loss before / after LoRA", /held-out e-mail loss: ([\d.]+) -> ([\d.]+)/], ["LoRA step", /\(([\d.]+ ms) a step\)/], ["previous-token head weight / even spreading", /mean weight on the previous token ([\d.]+) \(even spreading: ([\d.]+)\)/], ["NumPy's GPT-2, max |logit difference|", /NumPy's GPT-2 against the library: max \|logit difference\| = ([\d.e+-]+)/]],
};

const tmp = mkdtempSync(join(os.tmpdir(), "chainlab-notebooks-"));
const summaryPath = join(tmp, "summary.json");
const env = { ...process.env, CHAINLAB_QUICK: quick ? "1" : "0" };
console.log(`${names.length} notebooks in ${quick ? "quick" : "full"} mode`);
const loadStart = os.loadavg();
const run = spawnSync(python, [join(root, "scripts", "run_notebooks.py"), summaryPath, ...names.map((n) => join(dir, n))], { cwd: root, env, stdio: "inherit" });
if (!existsSync(summaryPath)) {
  console.error("no notebook ran");
  process.exit(run.status ?? 1);
}
const summary = JSON.parse(readFileSync(summaryPath, "utf8"));

// With --only, the rows and tables of the notebooks not rerun are kept from the last RESULTS.md.
const resultsPath = join(dir, "RESULTS.md");
const previous = existsSync(resultsPath) ? readFileSync(resultsPath, "utf8") : "";
const ranNames = new Set(summary.map((s) => s.name));
const keptRows = new Map();
const keptTables = new Map();
if (only) {
  for (const line of previous.split("\n")) {
    const m = /^\| \[(\d\d-[^\]]+)\]/.exec(line);
    if (m && !ranNames.has(`${m[1]}.ipynb`)) keptRows.set(`${m[1]}.ipynb`, line);
  }
  for (const block of previous.split(/^(?=## )/m).slice(1)) {
    const m = /^## .*\((\d\d-[^)]+)\)/.exec(block);
    if (m && !ranNames.has(`${m[1]}.ipynb`)) keptTables.set(`${m[1]}.ipynb`, block.trimEnd());
  }
}

// The tables a notebook prints, copied whole: [title, pattern matching the table's lines].
const TABLES = {
  "09": [["Learning curve: test accuracy by labelled messages", /^test accuracy, mean ± sd[^\n]*\n(?:[^\n]*\|[^\n]*\n|-+\n)+(?:full fine-tuning minus[^\n]*\n)?(?:target[^\n]*\n)*/m], ["Fine-tuning a spam classifier", /^method\s+\|[^\n]*\n-+\n(?:[^\n]*\|[^\n]*\n)+/m]],
  "10": [["Compute-optimal size at each budget", /^budget C \| sizes tried[^\n]*\n(?:[^\n]*\|[^\n]*\n)+/m], ["The frontier and its power law", /^C = [\d.e]+: best[^\n]*\n(?:C = [^\n]*\n)*fitted frontier[^\n]*\n/m]],
  "11": [["Int8 weights against float32", /^size: float32[^\n]*\n(?:[^\n]+\n){1,3}/m], ["Generation with a KV cache", /^\d+ tokens: without a cache[^\n]*\n/m]],
};

const backend = (summary.map((s) => /backend (\w+)/.exec(s.text)?.[1]).find(Boolean)) ?? /- backend: (\w+)/.exec(previous)?.[1] ?? "unknown";
const cpus = os.cpus();
const lines = [
  "# Results of the last notebook run",
  "",
  `Written by \`npm run notebooks\`${quick ? " --quick (quick mode: fewer steps)" : " (full mode)"} on ${new Date().toISOString().slice(0, 10)}${only ? ` (rerun: ${[...ranNames].map((n) => n.slice(0, 2)).join(", ")})` : ""}.`,
  "",
  `- machine: ${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, ${os.platform()} ${os.arch()}; load average at the start ${loadStart[0].toFixed(1)}, at the end ${os.loadavg()[0].toFixed(1)}`,
  `- backend: ${backend}; Node ${process.version}`,
  "",
  "| notebook | wall time | headline figures |",
  "| --- | --- | --- |",
];
const rows = new Map(keptRows);
const tables = new Map(keptTables);
for (const s of summary) {
  const figures = (HEADLINES[s.name.slice(0, 2)] ?? [])
    .map(([label, re]) => { const m = re.exec(s.text); return m ? `${label}: ${m.slice(1).join(" / ")}` : null; })
    .filter(Boolean);
  if (s.errors.length) figures.unshift(`**${s.errors.length} errors** (${s.errors[0].slice(0, 80)})`);
  rows.set(s.name, `| [${s.name.replace(/\.ipynb$/, "")}](${s.name}) | ${s.seconds.toFixed(0)} s | ${figures.join("; ").replace(/\|/g, "\\|") || "-"} |`);
  const found = (TABLES[s.name.slice(0, 2)] ?? []).map(([title, re]) => { const m = re.exec(s.text); return m ? `### ${title}\n\n\`\`\`\n${m[0].trimEnd()}\n\`\`\`` : null; }).filter(Boolean);
  if (found.length) tables.set(s.name, `## Tables (${s.name.replace(/\.ipynb$/, "")})\n\n${found.join("\n\n")}`);
}
const order = [...rows.keys()].sort();
for (const n of order) lines.push(rows.get(n));
const total = order.reduce((t, n) => t + Number(/\| (\d+) s \|/.exec(rows.get(n))?.[1] ?? 0), 0);
lines.push("", `Total: ${(total / 60).toFixed(1)} minutes.`, "");
for (const n of [...tables.keys()].sort()) lines.push(tables.get(n), "");
writeFileSync(join(dir, "RESULTS.md"), lines.join("\n"));
console.log(`wrote notebooks/RESULTS.md (${(total / 60).toFixed(1)} min in all)`);

// The same run for programs: notebooks/results.json (scripts/results-json.mjs says what it holds).
const jsonPath = join(dir, "results.json");
let previousJson = null;
try { previousJson = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, "utf8")) : null; } catch (e) { console.warn(`notebooks/results.json could not be read (${e.message}); only this run's notebooks are written`); }
const results = buildResults({
  summary, headlines: HEADLINES, previous: previousJson, only: !!only, quick, date: new Date().toISOString(),
  machine: { cpu: cpus[0]?.model ?? "unknown CPU", cores: cpus.length, memoryGB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.arch()}`, node: process.version },
  backend, loadStart, loadEnd: os.loadavg(),
});
writeFileSync(jsonPath, JSON.stringify(results, null, 2) + "\n");
console.log(`wrote notebooks/results.json (${Object.keys(results.notebooks).length} notebooks)`);
process.exit(run.status ?? 1);
