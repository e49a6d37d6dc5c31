// A module's display bundle: one row per submodule with its own parameters, so the
// extension can draw a summary like torchinfo's, and an HTML table for other viewers.
import type { Module } from "../nn/module";
import { fmt } from "../shape";
import { escapeXml } from "./escape";

export const MODULE_MIME = "application/vnd.chainlab.module+json";

export interface ModuleRow {
  /** Dotted path from the root ("" for the root itself). */
  path: string;
  type: string;
  depth: number;
  /** Elements of the module's own parameters; a tied tensor counts where it first appears. */
  params: number;
  trainable: number;
  shapes: string[];
  extra?: string;
  outputShape?: number[];
  /** Own parameters that are the same tensor as an earlier one (weight tying). */
  tied?: { param: string; to: string }[];
}

export interface ModuleSummary {
  version: 1;
  name: string;
  total: number;
  trainable: number;
  rows: ModuleRow[];
}

/**
 * namedModules()'s order and names, with each module's depth: counting the dots of a path
 * would be wrong for a property name that holds one.
 */
function walk(m: Module, path = "", depth = 0, seen = new Set<Module>(), out: { path: string; m: Module; depth: number }[] = []) {
  if (seen.has(m)) return out;
  seen.add(m);
  out.push({ path, m, depth });
  for (const [k, c] of m.namedChildren()) walk(c, path ? `${path}.${k}` : k, depth + 1, seen, out);
  return out;
}

/** The rows, in the order namedModules() visits them (parents before children). */
export function moduleSummary(root: Module, outputShape: (m: Module) => readonly number[] | undefined = () => undefined): ModuleSummary {
  const firstName = new Map<unknown, string>();
  const rows: ModuleRow[] = [];
  let total = 0, trainable = 0;
  for (const { path, m, depth } of walk(root)) {
    const row: ModuleRow = { path, type: m.constructor.name, depth, params: 0, trainable: 0, shapes: [] };
    for (const [k, p] of m.ownParameters()) {
      row.shapes.push(fmt(p.shape));
      const earlier = firstName.get(p);
      if (earlier !== undefined) {
        (row.tied ??= []).push({ param: k, to: earlier });
        continue;
      }
      firstName.set(p, path ? `${path}.${k}` : k);
      const n = p.numel();
      row.params += n;
      if (p.requiresGrad) row.trainable += n;
    }
    total += row.params;
    trainable += row.trainable;
    const extra = m.extraRepr();
    if (extra) row.extra = extra;
    const shape = outputShape(m);
    if (shape) row.outputShape = [...shape];
    rows.push(row);
  }
  return { version: 1, name: root.constructor.name, total, trainable, rows };
}

/**
 * For viewers without the chainlab extension: the structure as text and a plain table of
 * the parameters (as PyTorch names them), every string escaped.
 */
export function moduleHtml(root: Module, s: ModuleSummary, text: string): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const rows = root.namedParameters().map(([n, p]) =>
    `<tr><td>${escapeXml(n)}</td><td>${escapeXml(fmt(p.shape))}</td><td>${count(p.numel())}</td><td>${p.requiresGrad ? "yes" : "frozen"}</td></tr>`);
  return `<details><summary>${escapeXml(s.name)}: ${count(s.total)} parameters, ${count(s.trainable)} trainable</summary>` +
    `<pre>${escapeXml(text)}</pre>` +
    `<table><thead><tr><th>name</th><th>shape</th><th>numel</th><th>trainable</th></tr></thead><tbody>${rows.join("")}</tbody></table></details>`;
}

export function moduleBundle(root: Module, outputShape?: (m: Module) => readonly number[] | undefined): Record<string, unknown> {
  const summary = moduleSummary(root, outputShape);
  const text = root.toString();
  return { "text/plain": text, "text/html": moduleHtml(root, summary, text), [MODULE_MIME]: summary };
}
