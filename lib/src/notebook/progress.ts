import { display, newDisplayId, updateDisplay } from "./display";
import { currentSink } from "./sink";
import { escapeXml } from "../display/escape";

export interface ProgressOptions {
  /** Number of items, when the iterable does not tell (generators). */
  total?: number;
  /** A label shown before the bar. */
  desc?: string;
  /** Least time between two redraws, in ms (notebook updates; terminal lines use 1 s). */
  minInterval?: number;
  /** Where plain lines go outside a notebook. */
  write?: (line: string) => void;
}

function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return "? it/s";
  return rate >= 1 ? `${rate.toFixed(rate >= 100 ? 0 : 2)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
}

function totalOf(source: unknown): number | undefined {
  if (typeof source === "number") return source;
  if (Array.isArray(source) || ArrayBuffer.isView(source)) return (source as { length: number }).length;
  if (source instanceof Map || source instanceof Set) return source.size;
  const len = (source as { length?: unknown } | null)?.length;
  return typeof len === "number" ? len : undefined;
}

/**
 * A progress bar over an iterable: redrawn in place in a notebook, printed as plain lines
 * (about one a second) in a terminal. Counts, rate and ETA; `set({loss})` adds fields.
 */
export class Progress<T> implements Iterable<T>, AsyncIterable<T> {
  readonly total: number | undefined;
  readonly desc: string;
  n = 0;
  private fields: Record<string, unknown> = {};
  private readonly started = performance.now();
  private lastDraw = -Infinity;
  private displayId: string | undefined;
  private closed = false;
  private readonly minInterval: number;
  private readonly write: (line: string) => void;

  constructor(private readonly source: Iterable<T> | AsyncIterable<T> | number, options: ProgressOptions = {}) {
    // a total that is not a finite count (NaN, Infinity, -1) is no total: the bar counts up
    const total = options.total ?? totalOf(source);
    this.total = typeof total === "number" && Number.isFinite(total) && total >= 0 ? total : undefined;
    this.desc = options.desc ?? "";
    const notebook = currentSink() !== undefined;
    this.minInterval = options.minInterval ?? (notebook ? 100 : 1000);
    this.write = options.write ?? ((line) => process.stdout.write(line + "\n"));
  }

  /** Extra values shown after the counts, e.g. the current loss. */
  set(fields: Record<string, unknown>): this {
    Object.assign(this.fields, fields);
    return this;
  }

  /** Advances by `n` items (for manual use without iteration). */
  update(n = 1): void {
    this.n += n;
    this.draw(false);
  }

  /**
   * Draw the bar a last time, finished; iterating with for...of closes it by itself.
   * @example const bar = progress(100); bar.update(10); bar.close();
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.draw(true);
  }

  // close() sits in finally so that a loop left early (break, an error) still draws its
  // last count instead of the last throttled one.
  *[Symbol.iterator](): Iterator<T> {
    const src = this.source;
    if (typeof src !== "number" && typeof (src as Iterable<T>)[Symbol.iterator] !== "function") {
      throw new TypeError("progress: this source is async; use `for await`");
    }
    this.draw(true);
    try {
      if (typeof src === "number") {
        for (let i = 0; i < src; i++) {
          yield i as T;
          this.update();
        }
      } else {
        for (const item of src as Iterable<T>) {
          yield item;
          this.update();
        }
      }
    } finally {
      this.close();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const src = this.source;
    if (typeof src === "object" && src !== null && Symbol.asyncIterator in src) {
      this.draw(true);
      try {
        for await (const item of src as AsyncIterable<T>) {
          yield item;
          this.update();
        }
      } finally {
        this.close();
      }
      return;
    }
    for (const item of this as Iterable<T>) yield item;
  }

  /** The bar as one line of text. */
  text(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const rate = elapsed > 0 ? this.n / elapsed : NaN;
    const extra = Object.entries(this.fields)
      .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : String(v)}`)
      .join(", ");
    const prefix = this.desc ? `${this.desc}: ` : "";
    let body: string;
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, this.n / this.total);
      const width = 24;
      const full = Math.floor(frac * width);
      const bar = "#".repeat(full) + (full < width ? "-".repeat(width - full) : "");
      const eta = rate > 0 ? (this.total - this.n) / rate : NaN;
      body = `${String(Math.floor(frac * 100)).padStart(3)}% |${bar}| ${this.n}/${this.total} [${formatTime(elapsed)}<${formatTime(eta)}, ${formatRate(rate)}]`;
    } else {
      body = `${this.n} it [${formatTime(elapsed)}, ${formatRate(rate)}]`;
    }
    return prefix + body + (extra ? ` ${extra}` : "");
  }

  private bundle(): Record<string, unknown> {
    const text = this.text();
    const frac = this.total ? Math.min(1, this.n / this.total) : 0;
    const html =
      `<div style="font-family:monospace;display:flex;align-items:center;gap:8px">` +
      (this.total
        ? `<progress value="${this.n}" max="${this.total}" style="width:240px"></progress>`
        : "") +
      `<span>${escapeXml(text)}</span></div>`;
    // the counts ride under a type of our own: JupyterLab would draw application/json as a
    // tree in place of the bar
    return { "text/plain": text, "text/html": html, "application/vnd.chainlab.progress+json": { n: this.n, total: this.total ?? null, fraction: frac } };
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < this.minInterval && !(this.total !== undefined && this.n >= this.total)) return;
    this.lastDraw = now;
    if (currentSink()) {
      if (this.displayId === undefined) {
        this.displayId = newDisplayId();
        display(this.bundle(), { raw: true, displayId: this.displayId });
      } else {
        updateDisplay(this.displayId, this.bundle(), { raw: true });
      }
    } else if (this.n > 0 || this.total === 0) {
      this.write(this.text());
    }
  }
}

/**
 * Wraps an iterable (or a count: `progress(100)` yields 0..99) in a progress bar:
 * `for (const batch of progress(loader)) { ... }`, `for await` for async sources.
 */
export function progress(source: number, options?: ProgressOptions): Progress<number>;
export function progress<T>(source: Iterable<T> | AsyncIterable<T>, options?: ProgressOptions): Progress<T>;
export function progress<T>(source: Iterable<T> | AsyncIterable<T> | number, options: ProgressOptions = {}): Progress<T> {
  return new Progress<T>(source, options);
}
