// What the kernel in the page and the worker that runs cells say to each other
// (postMessage). The page owns the Jupyter protocol (headers, parents, replies); the worker
// only runs code and reports what it produced.

/** A Jupyter error's content. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ExecuteOutcome =
  | { status: "ok"; result?: { data: Record<string, unknown>; metadata: Record<string, unknown> } }
  | ({ status: "error" } & ErrorContent);

export interface CommContent {
  comm_id: string;
  target_name?: string;
  data: unknown;
}

/** A cell as the compiler worker hands it to the runner (see lite/worker/cell.ts). */
export interface CompiledCell {
  /** An expression: an async function of (exports, require, module) running the cell. */
  js: string;
  /** Names the cell declares at its top level (made globals before it runs). */
  names: string[];
  /** For each line of `js` (0-based), the cell line it came from, or -1. */
  lineMap: number[];
}

/** What the compiler worker is asked, and answers. */
export type ToCompiler =
  | { type: "init"; assets: string }
  | { type: "compile"; id: number; code: string; count: number }
  | { type: "complete"; id: number; code: string; cursor: number }
  | { type: "inspect"; id: number; code: string; cursor: number };

export type FromCompiler =
  | { type: "ready"; typescript: string; ms: number }
  | { type: "failed"; error: string }
  | { type: "reply"; id: number; content: CompileOutcome | CompleteReply | InspectReply };

/** Quick info at a position: the signature and its documentation, or nothing found. */
export interface InspectReply {
  found: boolean;
  signature?: string;
  docs?: string;
}

export type CompileOutcome = { ok: true; cell: CompiledCell } | { ok: false; error: ErrorContent };

export type ToWorker =
  /** First message: where the site's files are, and the environment cells see in `process.env`. */
  | { type: "init"; assets: string; env: Record<string, string>; interrupt?: SharedArrayBuffer }
  /** Stop the running cell: at its next await (and, with the shared flag, at its next loop turn). */
  | { type: "interrupt" }
  | { type: "execute"; id: number; code: string; count: number; cell: CompiledCell }
  | { type: "complete"; id: number; code: string; cursor: number }
  | { type: "comm_info"; id: number; target?: string }
  | { type: "comm"; msgType: "comm_open" | "comm_msg" | "comm_close"; content: CommContent; metadata: Record<string, unknown>; buffers: ArrayBuffer[] }
  | { type: "input_reply"; value: string };

/** IOPub messages the worker produces outside replies. */
export type OutputType = "stream" | "display_data" | "update_display_data" | "clear_output" | "comm_open" | "comm_msg" | "comm_close";

export type FromWorker =
  /** The library is loaded: on which backend and threads, after how long. */
  | { type: "ready"; backend: string; threads: number; ms: number }
  | { type: "failed"; error: string }
  | { type: "output"; msgType: OutputType; content: Record<string, unknown>; metadata?: Record<string, unknown>; buffers?: ArrayBuffer[] }
  | { type: "input_request"; prompt: string; password: boolean }
  | { type: "reply"; id: number; content: unknown };

export interface CompleteReply {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
}

export interface CommInfoReply {
  comms: Record<string, { target_name: string }>;
}
