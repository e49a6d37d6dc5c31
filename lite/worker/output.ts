// stdout and stderr of the worker (console, process.stdout, process.stderr) as Jupyter
// stream messages: text is gathered and sent in few messages, before any other output so
// that everything arrives in the order it was written.
import { format } from "./format";

type Send = (name: "stdout" | "stderr", text: string) => void;

/** Longest text in one stream message: a frontend handles long output better in parts. */
const CHUNK = 100_000;

export class StreamBuffer {
  private pending: { name: "stdout" | "stderr"; text: string }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: Send, private readonly delay = 30) {}

  write(name: "stdout" | "stderr", text: string): void {
    if (!text) return;
    const last = this.pending[this.pending.length - 1];
    if (last?.name === name) last.text += text;
    else this.pending.push({ name, text });
    this.timer ??= setTimeout(() => this.flush(), this.delay);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = [];
    for (const { name, text } of pending) {
      for (let at = 0; at < text.length; at += CHUNK) this.send(name, text.slice(at, at + CHUNK));
    }
  }
}

/** A console whose output goes to the kernel's streams, formatted as Node formats it. */
export function streamConsole(write: (name: "stdout" | "stderr", text: string) => void): Console {
  const timers = new Map<string, number>();
  const counts = new Map<string, number>();
  let indent = "";
  const out = (name: "stdout" | "stderr") => (...args: unknown[]) => {
    const text = format(...args);
    write(name, (indent ? text.replace(/^/gm, indent) : text) + "\n");
  };
  const log = out("stdout"), error = out("stderr");
  const c = {
    log, info: log, debug: log, trace: error, dir: log, dirxml: log, table: log,
    error, warn: error,
    assert: (ok: unknown, ...args: unknown[]) => { if (!ok) error("Assertion failed" + (args.length ? ":" : ""), ...args); },
    group: (...args: unknown[]) => { if (args.length) log(...args); indent += "  "; },
    groupCollapsed: (...args: unknown[]) => { if (args.length) log(...args); indent += "  "; },
    groupEnd: () => { indent = indent.slice(2); },
    time: (label = "default") => { timers.set(label, performance.now()); },
    timeLog: (label = "default", ...args: unknown[]) => {
      const t = timers.get(label);
      if (t === undefined) error(`Warning: No such label '${label}' for console.timeLog()`);
      else log(`${label}: ${(performance.now() - t).toFixed(3)}ms`, ...args);
    },
    timeEnd: (label = "default") => {
      const t = timers.get(label);
      if (t === undefined) return error(`Warning: No such label '${label}' for console.timeEnd()`);
      timers.delete(label);
      log(`${label}: ${(performance.now() - t).toFixed(3)}ms`);
    },
    count: (label = "default") => { const n = (counts.get(label) ?? 0) + 1; counts.set(label, n); log(`${label}: ${n}`); },
    countReset: (label = "default") => { counts.delete(label); },
    clear: () => undefined,
  };
  return c as unknown as Console;
}
