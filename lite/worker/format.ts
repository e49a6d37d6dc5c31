// Text for values, as Node prints them (util.inspect, util.format) closely enough for a
// notebook: console.log's output and the text/plain of a cell's value. Objects that print
// themselves in Node (tensors, modules) do so here through the same custom-inspect symbol.
const custom = Symbol.for("nodejs.util.inspect.custom");

export interface InspectOptions {
  depth?: number;
  maxArrayLength?: number;
  breakLength?: number;
  colors?: boolean;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function quote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(new RegExp(q, "g"), `\\${q}`) + q;
}

function key(k: string | symbol): string {
  if (typeof k === "symbol") return `[${k.toString()}]`;
  return identifier.test(k) ? k : quote(k);
}

function constructorName(o: object): string | undefined {
  const proto = Object.getPrototypeOf(o);
  if (proto === null) return "[Object: null prototype]";
  const name = proto?.constructor?.name;
  return typeof name === "string" && name !== "Object" ? name : undefined;
}

function wrap(prefix: string, items: string[], open: string, close: string, breakLength: number, indent: string): string {
  if (items.length === 0) return `${prefix}${open}${close}`;
  const line = `${prefix}${open} ${items.join(", ")} ${close}`;
  if (line.length <= breakLength && !items.some((i) => i.includes("\n"))) return line;
  const inner = indent + "  ";
  return `${prefix}${open}\n${items.map((i) => inner + i.replace(/\n/g, `\n${inner}`)).join(",\n")}\n${indent}${close}`;
}

function formatValue(v: unknown, opts: Required<InspectOptions>, depth: number, seen: Set<object>, top: boolean): string {
  switch (typeof v) {
    case "string":
      return top ? quote(v) : quote(v);
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "boolean":
    case "undefined":
      return String(v);
    case "symbol":
      return v.toString();
    case "function": {
      const src = Function.prototype.toString.call(v);
      if (src.startsWith("class")) return `[class ${v.name || "(anonymous)"}]`;
      return v.name ? `[Function: ${v.name}]` : "[Function (anonymous)]";
    }
  }
  if (v === null) return "null";
  const o = v as Record<string | symbol, unknown>;
  if (typeof o[custom] === "function") {
    try {
      const out = (o[custom] as (d: number, opts: unknown) => unknown)(opts.depth - depth, opts);
      if (typeof out === "string") return out;
      if (out !== o) return formatValue(out, opts, depth, seen, false);
    } catch { /* fall through to the plain form */ }
  }
  if (seen.has(o)) return "[Circular *1]";
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  if (v instanceof RegExp) return v.toString();
  if (v instanceof Error) return v.stack ?? `${v.name}: ${v.message}`;
  if (v instanceof Promise) return "Promise { <pending> }";
  const indent = "  ".repeat(depth);
  const name = constructorName(o);
  if (depth > opts.depth) return Array.isArray(v) ? "[Array]" : `[${name ?? "Object"}]`;
  seen.add(o);
  try {
    if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      const arr = v as unknown as ArrayLike<unknown>;
      const n = Math.min(arr.length, opts.maxArrayLength);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(formatValue(arr[i], opts, depth + 1, seen, false));
      if (arr.length > n) items.push(`... ${arr.length - n} more item${arr.length - n > 1 ? "s" : ""}`);
      const prefix = Array.isArray(v) ? (name && name !== "Array" ? `${name}(${arr.length}) ` : "") : `${name}(${arr.length}) `;
      return wrap(prefix, items, "[", "]", opts.breakLength, indent);
    }
    if (v instanceof Map) {
      const items = [...v].slice(0, opts.maxArrayLength).map(([k, x]) => `${formatValue(k, opts, depth + 1, seen, false)} => ${formatValue(x, opts, depth + 1, seen, false)}`);
      return wrap(`Map(${v.size}) `, items, "{", "}", opts.breakLength, indent);
    }
    if (v instanceof Set) {
      const items = [...v].slice(0, opts.maxArrayLength).map((x) => formatValue(x, opts, depth + 1, seen, false));
      return wrap(`Set(${v.size}) `, items, "{", "}", opts.breakLength, indent);
    }
    if (v instanceof ArrayBuffer) return `ArrayBuffer { byteLength: ${v.byteLength} }`;
    const items: string[] = [];
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if (!d?.enumerable) continue;
      const shown = "value" in d ? formatValue(d.value, opts, depth + 1, seen, false) : d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
      items.push(`${key(k)}: ${shown}`);
    }
    return wrap(name ? `${name} ` : "", items, "{", "}", opts.breakLength, indent);
  } finally {
    seen.delete(o);
  }
}

/** Node's util.inspect, for the values notebooks print. */
export function inspect(v: unknown, options: InspectOptions = {}): string {
  const opts: Required<InspectOptions> = { depth: 2, maxArrayLength: 100, breakLength: 80, colors: false, ...options };
  return formatValue(v, opts, 0, new Set(), true);
}
inspect.custom = custom;

/** Node's util.format: printf-style %s %d %i %f %j %o %O %%, then the rest spaced. */
export function format(...args: unknown[]): string {
  const first = args[0];
  let rest = args.slice(1);
  let out = "";
  if (typeof first === "string") {
    let i = 0;
    out = first.replace(/%[sdifjoO%]/g, (m) => {
      if (m === "%%") return "%";
      if (i >= rest.length) return m;
      const a = rest[i++];
      switch (m) {
        case "%s": return typeof a === "string" ? a : typeof a === "object" && a !== null ? inspect(a, { depth: 1 }) : String(a);
        case "%d": return typeof a === "bigint" ? `${a}n` : String(Number(a));
        case "%i": return String(parseInt(String(a), 10));
        case "%f": return String(parseFloat(String(a)));
        case "%j": try { return JSON.stringify(a); } catch { return "[Circular]"; }
        default: return inspect(a, { depth: 4 });
      }
    });
    rest = rest.slice(i);
  } else {
    rest = args;
  }
  const tail = rest.map((a) => (typeof a === "string" ? a : inspect(a)));
  return [out, ...tail].filter((s, k) => k > 0 || typeof first === "string").join(" ");
}
