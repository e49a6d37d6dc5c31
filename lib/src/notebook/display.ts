import { inspect } from "node:util";
import type { AxisLabels } from "../display/tensor";
import { currentSink, type MimeBundle } from "./sink";

/** Objects that draw themselves in notebooks, as Deno's and our kernel agree. */
export const displaySymbol: unique symbol = Symbol.for("Jupyter.display") as never;

export interface DisplayOptions {
  /**
   * Keeps the output addressable, so `updateDisplay(displayId, ...)` can redraw it: a name
   * of your own, or `true` for a fresh one. display() returns it.
   */
  displayId?: string | true;
  /** Extra output metadata (e.g. image sizes). */
  metadata?: Record<string, unknown>;
  /** Treat `obj` as a ready MIME bundle instead of an object to render. */
  raw?: boolean;
  /**
   * A tensor's heatmap axes: names for its rows and columns (the last two dims) and axis
   * titles, e.g. `{rows: tokens, cols: tokens, rowTitle: "query", colTitle: "key"}`.
   */
  labels?: AxisLabels;
}

/** What display() hands an object's display hook besides the object (only a tensor reads it). */
export interface DisplayHints {
  labels?: AxisLabels;
}

export function textPlain(obj: unknown): string {
  if (typeof obj === "string") return obj;
  return inspect(obj, { depth: 4, colors: false, maxArrayLength: 100, breakLength: 100 });
}

/**
 * The MIME bundle of a value: its own `[Symbol.for("Jupyter.display")]()` bundle when it has
 * one, always with `text/plain`.
 */
export function mimeBundle(obj: unknown, hints?: DisplayHints): MimeBundle {
  let bundle: MimeBundle = {};
  const hook =
    obj !== null && (typeof obj === "object" || typeof obj === "function")
      ? (obj as Record<symbol, unknown>)[displaySymbol]
      : undefined;
  if (typeof hook === "function") {
    const produced = (hints ? hook.call(obj, hints) : hook.call(obj)) as unknown;
    if (produced && typeof produced === "object") bundle = { ...(produced as MimeBundle) };
  }
  if (typeof bundle["text/plain"] !== "string") bundle["text/plain"] = textPlain(obj);
  return bundle;
}

function hintsOf(options: DisplayOptions): DisplayHints | undefined {
  return options.labels ? { labels: options.labels } : undefined;
}

let displayCounter = 0;

/** A fresh id for a display that will be updated later. */
export function newDisplayId(): string {
  displayCounter += 1;
  return `cl-${process.pid.toString(36)}-${Date.now().toString(36)}-${displayCounter}`;
}

/**
 * Shows `obj` as an output of the running cell, with every MIME type it can render to.
 * Outside a notebook the text/plain form goes to stdout. With a `displayId` option it
 * returns the display's id, which `updateDisplay` accepts; like IPython's display(), it
 * returns nothing otherwise, so a cell that ends with display(x) shows x once.
 */
export function display(obj: unknown, options: DisplayOptions & { displayId: string | true }): string;
export function display(obj: unknown, options?: DisplayOptions): void;
export function display(obj: unknown, options: DisplayOptions = {}): string | void {
  const bundle = options.raw ? { ...(obj as MimeBundle) } : mimeBundle(obj, hintsOf(options));
  const displayId = options.displayId === true ? newDisplayId() : options.displayId;
  const sink = currentSink();
  if (sink) {
    sink.display(bundle, options.metadata ?? {}, displayId);
  } else {
    process.stdout.write(String(bundle["text/plain"] ?? textPlain(obj)) + "\n");
  }
  return displayId;
}

/**
 * Redraws the output that was shown with `displayId`. Outside a notebook nothing is printed,
 * so a loop that updates a display stays quiet in a terminal.
 */
export function updateDisplay(displayId: string, obj: unknown, options: Omit<DisplayOptions, "displayId"> = {}): void {
  const sink = currentSink();
  if (!sink) return;
  const bundle = options.raw ? { ...(obj as MimeBundle) } : mimeBundle(obj, hintsOf(options));
  sink.updateDisplay(displayId, bundle, options.metadata ?? {});
}

/** Clears the running cell's outputs; with `wait`, only when the next output arrives. */
export function clearOutput(wait = false): void {
  currentSink()?.clearOutput(wait);
}

/** True when a kernel is hosting this process (rich outputs and comms work). */
export function inNotebook(): boolean {
  return currentSink() !== undefined;
}
