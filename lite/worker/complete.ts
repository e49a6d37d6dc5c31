// Completion from the running worker: after `a.b.` the properties of that value (its own
// and its prototypes'), otherwise the global names (the library's among them) and keywords.
// Only property reads are evaluated, never calls.
import type { CompleteReply } from "../src/messages";

const KEYWORDS = ["async", "await", "break", "case", "catch", "class", "const", "continue", "default", "do", "else",
  "export", "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "let", "new", "null",
  "return", "switch", "this", "throw", "true", "try", "typeof", "undefined", "var", "void", "while", "yield"];

function propertyNames(value: unknown): string[] {
  const names = new Set<string>();
  let o: unknown = value;
  if (o === null || o === undefined) return [];
  if (typeof o !== "object" && typeof o !== "function") o = Object(o);
  for (let depth = 0; o && depth < 8 && o !== Object.prototype; depth++) {
    for (const k of Object.getOwnPropertyNames(o)) if (k !== "constructor" && !k.startsWith("__")) names.add(k);
    o = Object.getPrototypeOf(o);
  }
  return [...names];
}

function lookup(path: string[]): unknown {
  let v: unknown = globalThis;
  for (const part of path) {
    if (v === null || v === undefined) return undefined;
    const d = typeof v === "object" || typeof v === "function" ? findDescriptor(v as object, part) : undefined;
    // a getter could do anything: only plain values are followed
    if (d && !("value" in d)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function findDescriptor(o: object, k: string): PropertyDescriptor | undefined {
  for (let p: object | null = o; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, k);
    if (d) return d;
  }
  return undefined;
}

export function complete(code: string, cursor: number): CompleteReply {
  const before = code.slice(0, cursor);
  const m = /((?:[A-Za-z_$][\w$]*\s*\.\s*)*)([A-Za-z_$][\w$]*)?$/.exec(before);
  const prefix = m?.[2] ?? "";
  const chain = (m?.[1] ?? "").split(".").map((s) => s.trim()).filter(Boolean);
  const start = cursor - prefix.length;
  let candidates: string[];
  if (chain.length) {
    candidates = propertyNames(lookup(chain));
  } else {
    candidates = [...propertyNames(globalThis), ...KEYWORDS];
  }
  const matches = [...new Set(candidates.filter((c) => c.startsWith(prefix)))].sort((a, b) => a.localeCompare(b));
  return { matches, cursor_start: start, cursor_end: cursor };
}
