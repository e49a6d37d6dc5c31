// What a monitor's widget may say to the loop, checked before it reaches the loop, and how a
// run ends. A comm message can come from any frontend (or a hand-written client): a value
// that would break training (lr 1e308, Infinity, 0, "fast") or a message of the wrong shape
// is refused with an answer naming what was wrong, never applied and never thrown into the
// cell that is training.
import type { CellOutcome } from "../notebook/sink";
import { MONITOR_MAX_LR } from "./contract";

export { MONITOR_MAX_LR };

export type MonitorCommand = { action: "stop" | "pause" | "resume" } | { action: "lr"; lr: number };

/**
 * How a run ended: by its loop's own end ("finished"), after the widget's Stop ("stopped"),
 * by Kernel › Interrupt ("interrupted") or by an error in its cell ("failed", with the
 * error's message). `step` is the last logged step (null when nothing was logged).
 */
export interface MonitorEnd {
  outcome: "finished" | "stopped" | "interrupted" | "failed";
  step: number | null;
  message?: string;
}

/** What the widget's controls show; `optimizer: false` only when none is linked. */
export interface MonitorState {
  stopRequested: boolean;
  paused: boolean;
  lr: number | null;
  optimizer?: false;
  ended?: MonitorEnd;
}

const ACTIONS = ["stop", "pause", "resume", "lr"];

/** A short, safe description of a value for an error message: its type and a bounded text. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  switch (typeof v) {
    case "string": return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
    case "number": return String(v);
    case "object": return "an object";
    default: return typeof v;
  }
}

/**
 * Why `lr` cannot be a learning rate, or null when it can: a finite number with
 * 0 < lr ≤ MONITOR_MAX_LR. (JSON has no Infinity: 1e400 arrives as Infinity from a parser
 * that reads it, or as null from a browser that wrote it.)
 * @example lrProblem(1e308) // "lr must be a finite number with 0 < lr ≤ 10, got 1e+308"
 */
export function lrProblem(lr: unknown): string | null {
  if (typeof lr === "number" && Number.isFinite(lr) && lr > 0 && lr <= MONITOR_MAX_LR) return null;
  return `lr must be a finite number with 0 < lr ≤ ${MONITOR_MAX_LR}, got ${describeValue(lr)}`;
}

/**
 * A widget's message as a command, or a string naming what is wrong with it.
 * @example parseCommand({ action: "lr", lr: 0.01 }) // { action: "lr", lr: 0.01 }
 * @example parseCommand(null) // "a monitor command must be an object like {action: \"stop\"}, got null"
 */
export function parseCommand(data: unknown): MonitorCommand | string {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return `a monitor command must be an object like {action: "stop"}, got ${describeValue(data)}`;
  }
  const action = (data as Record<string, unknown>).action;
  if (typeof action !== "string" || !ACTIONS.includes(action)) {
    return `unknown monitor action ${describeValue(action)}: expected one of ${ACTIONS.join(", ")}`;
  }
  if (action !== "lr") return { action } as MonitorCommand;
  if (!("lr" in data)) return `the "lr" action needs a field lr (a number with 0 < lr ≤ ${MONITOR_MAX_LR})`;
  const lr = (data as Record<string, unknown>).lr;
  const problem = lrProblem(lr);
  return problem ?? { action: "lr", lr: lr as number };
}

/**
 * The monitor id a widget's comm_open names, or a string naming what is wrong with it.
 * @example parseOpen({ monitorId: 7 }) // "comm_open data needs a string monitorId, got 7"
 */
export function parseOpen(data: unknown): { monitorId: string } | string {
  const id = typeof data === "object" && data !== null ? (data as Record<string, unknown>).monitorId : undefined;
  if (typeof id !== "string" || id === "") return `comm_open data needs a string monitorId, got ${describeValue(id)}`;
  return { monitorId: id };
}

/** The end of a run whose cell ended with `outcome`. */
export function endOf(outcome: CellOutcome, stopRequested: boolean, step: number | null): MonitorEnd {
  if (outcome.status === "interrupted") return { outcome: "interrupted", step };
  if (outcome.status === "error") {
    const text = `${outcome.ename}: ${outcome.evalue}`;
    return { outcome: "failed", step, message: text.length > 200 ? text.slice(0, 199) + "…" : text };
  }
  return { outcome: stopRequested ? "stopped" : "finished", step };
}
