// The bridge between notebook-facing functions and whatever hosts them. A kernel installs a
// sink under a global symbol at startup; the library looks it up on every call, so the
// same library build works in a notebook, in a plain Node process and in tests.

/** A Jupyter MIME bundle: MIME type to payload (strings, or JSON for `+json` types). */
export type MimeBundle = Record<string, unknown>;

/** The kernel side of a comm, as the library sees it. */
export interface CommChannel {
  readonly commId: string;
  readonly targetName: string;
  send(data: unknown, metadata?: Record<string, unknown>, buffers?: Uint8Array[]): void;
  close(data?: unknown): void;
  /** Messages from the frontend. */
  onMsg(handler: (data: unknown, msg: CommMessage) => void): void;
  onClose(handler: (data: unknown, msg: CommMessage | null) => void): void;
  readonly closed: boolean;
}

/** A message as the frontend sent it (content.data is passed separately as `data`). */
export interface CommMessage {
  header: Record<string, unknown>;
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  buffers: Uint8Array[];
}

export type CommTargetHandler = (comm: CommChannel, openMsg: CommMessage) => void;

/**
 * How a cell ended, as the kernel tells the library after each execute: a live display
 * (a training Monitor) uses it to show its final state even when the code never said so.
 */
export type CellOutcome =
  | { status: "ok" }
  | { status: "interrupted" }
  | { status: "error"; ename: string; evalue: string };

export interface NotebookSink {
  readonly kind: string;
  display(bundle: MimeBundle, metadata: Record<string, unknown>, displayId?: string): void;
  updateDisplay(displayId: string, bundle: MimeBundle, metadata: Record<string, unknown>): void;
  clearOutput(wait: boolean): void;
  openComm(targetName: string, data: unknown, metadata?: Record<string, unknown>): CommChannel;
  registerCommTarget(targetName: string, handler: CommTargetHandler): void;
  unregisterCommTarget(targetName: string): void;
  /** Blocks until the frontend answers; throws when the frontend does not accept input. */
  inputSync(prompt: string, password: boolean): string;
  input(prompt: string, password: boolean): Promise<string>;
  /**
   * Calls `handler` after every cell, before the cell's reply and idle status, with the
   * output still going to that cell. Optional: a host without cells never calls it.
   */
  onCellEnd?(handler: (outcome: CellOutcome) => void): void;
}

/**
 * The global slot (a Symbol.for key, so every copy of the library shares it) where the
 * kernel installs its NotebookSink.
 * @example (globalThis as any)[sinkKey] === currentSink()
 */
export const sinkKey: unique symbol = Symbol.for("chainlab.notebook.sink") as never;

/**
 * The sink that display(), progress() and comms write to: the kernel's, or undefined outside a notebook.
 * @example if (!currentSink()) console.log("not in a notebook");
 */
export function currentSink(): NotebookSink | undefined {
  return (globalThis as Record<symbol, NotebookSink | undefined>)[sinkKey];
}

/**
 * Install the sink that notebook output goes to (the kernel does this; tests install their
 * own to capture bundles); undefined removes it.
 * @example installSink({ display: (b) => shown.push(b), ... });
 */
export function installSink(sink: NotebookSink | undefined): void {
  (globalThis as Record<symbol, NotebookSink | undefined>)[sinkKey] = sink;
}

const hooked = new WeakMap<NotebookSink, Set<(outcome: CellOutcome) => void>>();

/**
 * Runs `handler` at the end of every cell of the current sink's host (once per sink, however
 * often it is asked); false when there is no sink or it has no cells.
 * @example whenCellEnds((o) => o.status === "error" && console.log("that cell failed"));
 */
export function whenCellEnds(handler: (outcome: CellOutcome) => void): boolean {
  const sink = currentSink();
  if (!sink?.onCellEnd) return false;
  let done = hooked.get(sink);
  if (!done) hooked.set(sink, (done = new Set()));
  if (!done.has(handler)) {
    done.add(handler);
    sink.onCellEnd(handler);
  }
  return true;
}
