// What cells in the tab find besides the language and the library, as the type checker sees
// it: the part of Node's and the Web's globals the worker provides (lite/worker/globals.ts).
declare var console: {
  log(...args: any[]): void;
  info(...args: any[]): void;
  debug(...args: any[]): void;
  warn(...args: any[]): void;
  error(...args: any[]): void;
  trace(...args: any[]): void;
  dir(...args: any[]): void;
  table(...args: any[]): void;
  assert(ok: unknown, ...args: any[]): void;
  group(...args: any[]): void;
  groupCollapsed(...args: any[]): void;
  groupEnd(): void;
  time(label?: string): void;
  timeLog(label?: string, ...args: any[]): void;
  timeEnd(label?: string): void;
  count(label?: string): void;
  countReset(label?: string): void;
  clear(): void;
};
declare function setTimeout(handler: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function setInterval(handler: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearInterval(id?: number): void;
declare function setImmediate(handler: (...args: any[]) => void, ...args: any[]): number;
declare function clearImmediate(id?: number): void;
declare function queueMicrotask(callback: () => void): void;
declare function structuredClone<T>(value: T): T;
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function fetch(input: string, init?: any): Promise<any>;
declare var performance: { now(): number; timeOrigin: number };
declare var crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T; randomUUID(): string };
declare var crossOriginIsolated: boolean;
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string);
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare class URL {
  constructor(url: string, base?: string);
  href: string;
  origin: string;
  pathname: string;
  search: string;
  searchParams: { get(name: string): string | null };
}
declare var process: {
  env: Record<string, string | undefined>;
  argv: string[];
  pid: number;
  platform: string;
  arch: string;
  version: string;
  versions: Record<string, string>;
  stdout: { write(text: string | Uint8Array): boolean };
  stderr: { write(text: string | Uint8Array): boolean };
  cwd(): string;
  exit(code?: number): never;
  nextTick(callback: (...args: any[]) => void, ...args: any[]): void;
  hrtime: { (previous?: [number, number]): [number, number]; bigint(): bigint };
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number; external: number };
  uptime(): number;
};
interface Buffer extends Uint8Array {
  toString(encoding?: string, start?: number, end?: number): string;
  equals(other: Uint8Array): boolean;
}
declare var Buffer: {
  from(value: string | ArrayLike<number> | ArrayBufferLike | Iterable<number>, encodingOrOffset?: string | number, length?: number): Buffer;
  alloc(size: number, fill?: number): Buffer;
  allocUnsafe(size: number): Buffer;
  isBuffer(value: unknown): value is Buffer;
  byteLength(value: string | ArrayBufferView | ArrayBuffer, encoding?: string): number;
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
};
declare function require(id: "chainlab"): typeof import("chainlab");
declare function require(id: string): any;
declare var module: { exports: any };
declare var exports: any;
declare namespace NodeJS {
  interface ErrnoException extends Error {
    code?: string;
    path?: string;
    syscall?: string;
  }
}
