// The Node globals the library and notebooks use, for the worker: process (env, pid,
// stdout and stderr, cwd, nextTick), Buffer, setImmediate and `global`. Installed before
// the library loads. `process.browser` tells TypeScript's compiler it is not in Node.
import { Buffer } from "./shims/buffer";

export interface Writer {
  write(text: string | Uint8Array): boolean;
}

/** Where process.stdout and process.stderr write: the kernel's streams once it has started. */
export const streams: { stdout: (text: string) => void; stderr: (text: string) => void } = {
  stdout: () => undefined,
  stderr: () => undefined,
};

function writer(name: "stdout" | "stderr"): Writer & { isTTY: boolean; columns: number } {
  return {
    isTTY: false,
    columns: 100,
    write(text: string | Uint8Array): boolean {
      streams[name](typeof text === "string" ? text : new TextDecoder().decode(text));
      return true;
    },
  };
}

const started = performance.now();

// setImmediate on a message channel: a timer of 0 ms is held to 4 ms once timers nest, and a
// training loop that yields every step (Monitor.poll) would wait that long each time
const immediates = new Map<number, () => void>();
let nextImmediate = 0;
let channel: MessageChannel | undefined;
function setImmediate(f: (...a: unknown[]) => void, ...args: unknown[]): number {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = (e: MessageEvent<number>) => {
      const run = immediates.get(e.data);
      immediates.delete(e.data);
      run?.();
    };
  }
  const id = ++nextImmediate;
  immediates.set(id, () => f(...args));
  channel.port2.postMessage(id);
  return id;
}

export const processShim = {
  browser: true,
  env: {} as Record<string, string | undefined>,
  argv: ["browser"],
  pid: 1,
  platform: "browser",
  arch: "wasm32",
  version: "v20.0.0",
  versions: { node: "20.0.0" } as Record<string, string>,
  stdout: writer("stdout"),
  stderr: writer("stderr"),
  cwd: (): string => "/",
  exit(code?: number): never {
    throw new Error(`process.exit(${code ?? ""}) was refused: the kernel runs on in the tab`);
  },
  on(): unknown { return processShim; },
  once(): unknown { return processShim; },
  off(): unknown { return processShim; },
  emitWarning(w: string | Error): void { streams.stderr(`Warning: ${typeof w === "string" ? w : w.message}\n`); },
  nextTick(f: (...a: unknown[]) => void, ...args: unknown[]): void { queueMicrotask(() => f(...args)); },
  hrtime: Object.assign((prev?: [number, number]): [number, number] => {
    const t = performance.now() - started;
    const s = Math.floor(t / 1000), ns = Math.floor((t % 1000) * 1e6);
    return prev ? [s - prev[0], ns - prev[1]] : [s, ns];
  }, { bigint: (): bigint => BigInt(Math.floor((performance.now() - started) * 1e6)) }),
  memoryUsage: (): { rss: number; heapUsed: number; heapTotal: number; external: number } => ({ rss: 0, heapUsed: 0, heapTotal: 0, external: 0 }),
  uptime: (): number => (performance.now() - started) / 1000,
};

/** Puts the globals in place (once, before the library is imported). */
export function installGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  g.process = processShim;
  g.Buffer = Buffer;
  g.global = globalThis;
  if (typeof g.setImmediate !== "function") {
    g.setImmediate = setImmediate;
    g.clearImmediate = (id: number) => immediates.delete(id);
  }
}
