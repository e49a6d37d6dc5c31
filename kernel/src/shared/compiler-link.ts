// What the main thread and the compiler thread share: the names of the hooks compiled cells
// call, the shapes of a conversion, and the requests and replies between the two threads.
// The main thread never loads TypeScript itself; only these plain types and names.
import type { MessagePort } from "node:worker_threads";

export const awaitHook = "__chainlab_await";
export const tickHook = "__chainlab_tick";

export interface Diagnostic {
  start: { offset: number; line: number; character: number };
  end: { offset: number; line: number; character: number };
  messageText: string;
  category: number;
  code: number;
  fileName?: string;
}

export interface ConvertResult {
  output?: string;
  declOutput?: string;
  diagnostics: Diagnostic[];
  lastExpressionVar?: string;
  hasToplevelAwait?: boolean;
  sideOutputs?: { path: string; data: string }[];
  /** Line of the output JavaScript (0-based) → line of the cell, or -1. */
  lineMap?: number[];
}

export interface Completion {
  start: number;
  end: number;
  candidates: string[];
}

/** Names the prelude imports, as the library's declaration files export them. */
export interface PreludeNames {
  root: string[];
  notebook: string[];
}

export interface CompilerData {
  /** Module paths for bare names the kernel provides (chainlab), as compiler `paths`. */
  modulePaths: Record<string, string[]>;
  /** Where chainlab is installed, to convert its prelude ahead of the first request. */
  libDir?: string;
  /** The port replies go out on, read synchronously by the main thread. */
  port: MessagePort;
  /** Int32 slot 0 counts replies; the main thread waits on it. */
  wake: SharedArrayBuffer;
}

export type CompilerRequest =
  | { id: number; method: "convert"; args: [prevDecl: string, src: string] }
  | { id: number; method: "inspect"; args: [prevDecl: string, src: string, position: number] }
  | { id: number; method: "complete"; args: [prevDecl: string, src: string, position: number] }
  | { id: number; method: "isCompleteCode"; args: [src: string] };

export type CompilerReply =
  | { id: number; value: unknown }
  | { id: number; error: { name: string; message: string; stack?: string } }
  /** Something the thread could not answer a request with: it is about to end. */
  | { id: 0; fatal: string };

/** Posted on the worker's own channel (delivered through the main event loop). */
export type CompilerEvent = { type: "prelude"; names: PreludeNames | undefined } | { type: "log"; text: string };
