// A module's display bundle: one row per submodule with its own parameters, so the
// extension can draw a summary like torchinfo's, and an HTML table for other viewers.
// A model of more modules than BUDGETS.moduleRows is summarised by depth: the deepest
// levels that do not fit are folded into their parents' rows, which say how many modules
// and parameters they hold, so the counts stay whole however large the model.
import type { Module } from "../nn/module";
import { fmt } from "../core/shape";
import { BUDGETS } from "./contract";
import { escapeXml } from "./escape";
import { keptRows } from "./fold-rows";

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
  /** Modules below this one left out of rows (the model was summarised), and their parameters. */
  omitted?: { modules: number; params: number; trainable: number };
}

export interface ModuleSummary {
  version: 1;
  name: string;
  total: number;
  trainable: number;
  /** Every module of the model; more than rows.length when deeper levels were folded. */
  modules: number;
  rows: ModuleRow[];
}

/**
 * namedModules()'s order and names, with each module's depth: counting the dots of a path
 * would be wrong for a property name that holds one.
 */
function walk(root: Module): { path: string; m: Module; depth: number; parent: number }[] {
  // a stack, not recursion: a chain of modules thousands deep must not overflow the stack
  const out: { path: string; m: Module; depth: number; parent: number }[] = [];
  const seen = new Set<Module>();
  const todo: { path: string; m: Module; depth: number; parent: number }[] = [{ path: "", m: root, depth: 0, parent: -1 }];
  while (todo.length) {
    const e = todo.pop()!;
    if (seen.has(e.m)) continue;
    seen.add(e.m);
    const at = out.push(e) - 1;
    const kids = [...e.m.namedChildren()];
    for (let i = kids.length - 1; i >= 0; i--) {
      const [k, c] = kids[i];
      todo.push({ path: e.path ? `${e.path}.${k}` : k, m: c, depth: e.depth + 1, parent: at });
    }
  }
  return out;
}

/**
 * Which rows to send when there are more than `budget`: every level down to the deepest one
 * that fits whole, then the first rows of the next level while the budget lasts. Each row
 * left out is counted in its nearest ancestor that is kept.
 */
function summariseRows(rows: ModuleRow[], parents: number[], budget: number): ModuleRow[] {
  if (rows.length <= budget) return rows;
  const kept = keptRows(rows.map((r) => r.depth), budget);
  // rows come parents first, so each row's nearest kept ancestor is known when it is reached
  const owner = new Array<number>(rows.length);
  rows.forEach((r, i) => {
    owner[i] = kept[i] ? i : owner[parents[i]];
    if (kept[i]) return;
    const o = (rows[owner[i]].omitted ??= { modules: 0, params: 0, trainable: 0 });
    o.modules++;
    o.params += r.params;
    o.trainable += r.trainable;
  });
  return rows.filter((_, i) => kept[i]);
}

/** The rows, in the order namedModules() visits them (parents before children). */
export function moduleSummary(root: Module, outputShape: (m: Module) => readonly number[] | undefined = () => undefined): ModuleSummary {
  const firstName = new Map<unknown, string>();
  const rows: ModuleRow[] = [];
  let total = 0, trainable = 0;
  const modules = walk(root);
  for (const { path, m, depth } of modules) {
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
  const shown = summariseRows(rows, modules.map((e) => e.parent), BUDGETS.moduleRows);
  return { version: 1, name: root.constructor.name, total, trainable, modules: rows.length, rows: shown };
}

/**
 * For viewers without the chainlab extension: the structure as text and a plain table of
 * the parameters (as PyTorch names them), every string escaped.
 */
export function moduleHtml(root: Module, s: ModuleSummary, text: string): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const named = root.namedParameters();
  const rows = named.slice(0, BUDGETS.moduleRows).map(([n, p]) =>
    `<tr><td>${escapeXml(n)}</td><td>${escapeXml(fmt(p.shape))}</td><td>${count(p.numel())}</td><td>${p.requiresGrad ? "yes" : "frozen"}</td></tr>`);
  if (named.length > BUDGETS.moduleRows) rows.push(`<tr><td colspan="4">… and ${count(named.length - BUDGETS.moduleRows)} more parameters</td></tr>`);
  return `<details><summary>${escapeXml(s.name)}: ${count(s.total)} parameters, ${count(s.trainable)} trainable</summary>` +
    `<pre>${escapeXml(text)}</pre>` +
    `<table><thead><tr><th>name</th><th>shape</th><th>numel</th><th>trainable</th></tr></thead><tbody>${rows.join("")}</tbody></table></details>`;
}

export function moduleBundle(root: Module, outputShape?: (m: Module) => readonly number[] | undefined): Record<string, unknown> {
  const summary = moduleSummary(root, outputShape);
  const text = root.toString();
  return { "text/plain": text, "text/html": moduleHtml(root, summary, text), [MODULE_MIME]: summary };
}
