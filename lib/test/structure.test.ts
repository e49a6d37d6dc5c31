// The layers hold: no runtime import cycle in the library, the kernel or the extension; in
// the library the engine (core/) imports no op and nothing built on it, and the ops (ops/)
// import only the engine, the backends and each other.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";

const repo = path.resolve(__dirname, "..", "..");

/** Runtime imports between the .ts files under dir (type-only imports are erased, so they cannot cycle). */
function importGraph(dir: string): Map<string, string[]> {
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const src = readFileSync(path.join(dir, f), "utf8");
    const deps: string[] = [];
    for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+"(\.[^"]+)"/gms)) {
      const names = m[1].trim();
      if (/^\{[^}]*\}$/s.test(names) && names.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith("type "))) continue;
      const target = path.normalize(path.join(path.dirname(f), m[2]));
      const hit = [`${target}.ts`, path.join(target, "index.ts")].find((c) => known.has(c));
      if (hit) deps.push(hit);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** The strongly connected components of more than one file: each is an import cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next++); stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test("the library has no import cycle", () => {
  expect(cycles(importGraph(path.join(repo, "lib", "src")))).toEqual([]);
});

/** Where each layer of the library may import from at run time. */
const LAYERS: [string, string[]][] = [
  ["core/", ["core/", "backend/", "display/contract.ts"]],
  ["ops/", ["ops/", "core/", "backend/"]],
];

test("the engine imports no op, and the ops import only the engine, the backends and each other", () => {
  const graph = importGraph(path.join(repo, "lib", "src"));
  const wrong: string[] = [];
  for (const [layer, allowed] of LAYERS) {
    for (const [file, deps] of graph) {
      if (!file.startsWith(layer)) continue;
      for (const d of deps) if (!allowed.some((a) => d.startsWith(a))) wrong.push(`${file} imports ${d}`);
    }
  }
  expect(wrong).toEqual([]);
});

test("the kernel and the extension have no import cycle", () => {
  expect(cycles(importGraph(path.join(repo, "kernel", "src")))).toEqual([]);
  expect(cycles(importGraph(path.join(repo, "extension", "src")))).toEqual([]);
});

test("the cycle finder finds a cycle", () => {
  expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", ["a.ts"]]]))).toEqual([["a.ts", "b.ts", "c.ts"]]);
});
