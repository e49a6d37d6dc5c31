// node:fs for cells in the tab: a file system in the worker's memory, so the library's
// checkpoints and safetensors files (io/atomic.ts writes a temporary file, flushes it and
// renames it) work as they do in Node. Paths resolve against process.cwd(). What changed is
// saved to the browser's IndexedDB after each cell (persist) and read back when a kernel
// starts (restore), so a checkpoint outlives a reload.
import { Buffer } from "./buffer";
import { dirname, resolve } from "./path";

interface FileNode { kind: "file"; data: Uint8Array; mtimeMs: number }
interface DirNode { kind: "dir"; mtimeMs: number }
type Entry = FileNode | DirNode;

const entries = new Map<string, Entry>([["/", { kind: "dir", mtimeMs: Date.now() }]]);
/** Paths written or removed since the last persist(). */
const changed = new Set<string>();
const track = (p: string): void => { changed.add(p); };

const setEntry = entries.set.bind(entries);
const deleteEntry = entries.delete.bind(entries);
entries.set = (k: string, v: Entry) => (track(k), setEntry(k, v));
entries.delete = (k: string) => (track(k), deleteEntry(k));

function fail(code: string, what: string, op: string, p: string): never {
  const e = new Error(`${code}: ${what}, ${op} '${p}'`) as Error & { code: string; syscall: string; path: string };
  e.code = code;
  e.syscall = op;
  e.path = p;
  throw e;
}

function parentDir(p: string, op: string, original: string): void {
  const parent = entries.get(dirname(p));
  if (!parent) fail("ENOENT", "no such file or directory", op, original);
  if (parent.kind !== "dir") fail("ENOTDIR", "not a directory", op, original);
}

function file(p: string, op: string): FileNode {
  const e = entries.get(resolve(p));
  if (!e) fail("ENOENT", "no such file or directory", op, p);
  if (e.kind !== "file") fail("EISDIR", "illegal operation on a directory", op, p);
  return e;
}

type Data = string | ArrayBufferView | ArrayBuffer;
type Options = string | { encoding?: string | null; flag?: string; recursive?: boolean; withFileTypes?: boolean } | null | undefined;

function encodingOf(o: Options): string | null {
  return typeof o === "string" ? o : o?.encoding ?? null;
}

function bytesOf(data: Data): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
}

export function existsSync(p: string): boolean {
  return typeof p === "string" && entries.has(resolve(p));
}

export function mkdirSync(p: string, options?: { recursive?: boolean } | number): string | undefined {
  const full = resolve(p);
  const recursive = typeof options === "object" && options?.recursive;
  const e = entries.get(full);
  if (e) {
    if (recursive && e.kind === "dir") return undefined;
    fail("EEXIST", "file already exists", "mkdir", p);
  }
  if (recursive) {
    const parent = dirname(full);
    if (parent !== full && !entries.has(parent)) mkdirSync(parent, { recursive: true });
  }
  parentDir(full, "mkdir", p);
  entries.set(full, { kind: "dir", mtimeMs: Date.now() });
  return full;
}

export function readFileSync(p: string, options?: Options): string | Buffer {
  const f = file(p, "open");
  const enc = encodingOf(options);
  const b = Buffer.from(f.data);
  return enc ? b.toString(enc as never) : b;
}

export function writeFileSync(p: string, data: Data, options?: Options): void {
  const full = resolve(p);
  const e = entries.get(full);
  if (e?.kind === "dir") fail("EISDIR", "illegal operation on a directory", "open", p);
  parentDir(full, "open", p);
  const flag = typeof options === "object" ? options?.flag : undefined;
  const bytes = bytesOf(data);
  if (flag?.startsWith("a") && e?.kind === "file") {
    const joined = new Uint8Array(e.data.length + bytes.length);
    joined.set(e.data);
    joined.set(bytes, e.data.length);
    entries.set(full, { kind: "file", data: joined, mtimeMs: Date.now() });
  } else {
    entries.set(full, { kind: "file", data: bytes, mtimeMs: Date.now() });
  }
}

export function appendFileSync(p: string, data: Data): void {
  writeFileSync(p, data, { flag: "a" });
}

export function copyFileSync(from: string, to: string): void {
  writeFileSync(to, file(from, "copyfile").data);
}

class Stats {
  constructor(private readonly e: Entry) {}
  get size(): number { return this.e.kind === "file" ? this.e.data.length : 0; }
  get mtimeMs(): number { return this.e.mtimeMs; }
  get mtime(): Date { return new Date(this.e.mtimeMs); }
  isFile(): boolean { return this.e.kind === "file"; }
  isDirectory(): boolean { return this.e.kind === "dir"; }
  isSymbolicLink(): boolean { return false; }
}

export function statSync(p: string, options?: { throwIfNoEntry?: boolean }): Stats | undefined {
  const e = entries.get(resolve(p));
  if (!e) {
    if (options?.throwIfNoEntry === false) return undefined;
    fail("ENOENT", "no such file or directory", "stat", p);
  }
  return new Stats(e);
}
export const lstatSync = statSync;

export function readdirSync(p: string, options?: Options): (string | { name: string; isFile(): boolean; isDirectory(): boolean })[] {
  const full = resolve(p);
  const e = entries.get(full);
  if (!e) fail("ENOENT", "no such file or directory", "scandir", p);
  if (e.kind !== "dir") fail("ENOTDIR", "not a directory", "scandir", p);
  const prefix = full === "/" ? "/" : `${full}/`;
  const names = [...entries.keys()].filter((k) => k !== full && k.startsWith(prefix) && !k.slice(prefix.length).includes("/")).map((k) => k.slice(prefix.length)).sort();
  if (typeof options === "object" && options?.withFileTypes) {
    return names.map((name) => {
      const kind = entries.get(prefix + name)!.kind;
      return { name, isFile: () => kind === "file", isDirectory: () => kind === "dir" };
    });
  }
  return names;
}

export function renameSync(from: string, to: string): void {
  const a = resolve(from), b = resolve(to);
  const e = entries.get(a);
  if (!e) fail("ENOENT", "no such file or directory", "rename", from);
  parentDir(b, "rename", to);
  const moved = [...entries.keys()].filter((k) => k === a || k.startsWith(`${a}/`));
  for (const k of moved) {
    const v = entries.get(k)!;
    entries.delete(k);
    entries.set(b + k.slice(a.length), v);
  }
}

export function unlinkSync(p: string): void {
  file(p, "unlink");
  entries.delete(resolve(p));
}

export function rmSync(p: string, options?: { recursive?: boolean; force?: boolean }): void {
  const full = resolve(p);
  const e = entries.get(full);
  if (!e) {
    if (options?.force) return;
    fail("ENOENT", "no such file or directory", "rm", p);
  }
  if (e.kind === "dir" && !options?.recursive) fail("EISDIR", "is a directory", "rm", p);
  for (const k of [...entries.keys()]) if (k === full || k.startsWith(`${full}/`)) entries.delete(k);
}

export function rmdirSync(p: string): void {
  rmSync(p, { recursive: true });
}

// file descriptors: enough for writing a file in parts and flushing it (io/atomic.ts)
const open = new Map<number, { path: string; chunks: Uint8Array[]; writing: boolean }>();
let nextFd = 10;

export function openSync(p: string, flags: string | number = "r"): number {
  const full = resolve(p);
  const writing = typeof flags === "string" ? /[wa+]/.test(flags) : flags !== 0;
  if (writing) {
    parentDir(full, "open", p);
    if (typeof flags === "string" && flags.includes("x") && entries.has(full)) fail("EEXIST", "file already exists", "open", p);
    const keep = typeof flags === "string" && flags.startsWith("a") && entries.get(full)?.kind === "file";
    open.set(nextFd, { path: full, chunks: keep ? [(entries.get(full) as FileNode).data] : [], writing: true });
    entries.set(full, { kind: "file", data: keep ? (entries.get(full) as FileNode).data : new Uint8Array(0), mtimeMs: Date.now() });
  } else {
    open.set(nextFd, { path: full, chunks: [file(p, "open").data], writing: false });
  }
  return nextFd++;
}

function descriptor(fd: number, op: string): { path: string; chunks: Uint8Array[]; writing: boolean } {
  const d = open.get(fd);
  if (!d) fail("EBADF", "bad file descriptor", op, String(fd));
  return d;
}

export function writeSync(fd: number, data: Data, offset?: number, length?: number): number {
  const d = descriptor(fd, "write");
  let bytes = bytesOf(data);
  if (typeof data !== "string" && typeof offset === "number") bytes = bytes.subarray(offset, length === undefined ? undefined : offset + length);
  d.chunks.push(bytes.slice());
  fsyncSync(fd);
  return bytes.length;
}

export function fsyncSync(fd: number): void {
  const d = descriptor(fd, "fsync");
  if (!d.writing) return;
  const total = d.chunks.reduce((s, c) => s + c.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const c of d.chunks) data.set(c, at), (at += c.length);
  d.chunks = [data];
  entries.set(d.path, { kind: "file", data, mtimeMs: Date.now() });
}
export const fdatasyncSync = fsyncSync;

export function closeSync(fd: number): void {
  fsyncSync(fd);
  open.delete(fd);
}

export function readSync(): number {
  // stdin: there is none in the tab (prompt() goes through the frontend instead)
  return 0;
}

export function realpathSync(p: string): string {
  if (!existsSync(p)) fail("ENOENT", "no such file or directory", "realpath", p);
  return resolve(p);
}

/** Puts a file in place from outside (the kernel's start-up: data the site ships). @internal */
export function preload(p: string, data: Uint8Array): void {
  mkdirSync(dirname(resolve(p)), { recursive: true });
  entries.set(resolve(p), { kind: "file", data, mtimeMs: Date.now() });
}

// ---- persistence in IndexedDB: one record per path (a file's bytes, or "dir")

const DB = "chainlab-lite-fs";
const STORE = "entries";

function openDb(): Promise<IDBDatabase | undefined> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = idb.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(undefined);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => resolve();
    tx.onabort = () => resolve();
  });
}

/** Saves what changed since the last call; a browser without IndexedDB keeps files in memory only. */
export async function persist(): Promise<void> {
  if (!changed.size) return;
  const paths = [...changed];
  changed.clear();
  const db = await openDb();
  if (!db) return;
  const tx = db.transaction(STORE, "readwrite");
  const store = tx.objectStore(STORE);
  for (const p of paths) {
    const e = entries.get(p);
    if (!e) store.delete(p);
    else store.put(e.kind === "dir" ? { kind: "dir", mtimeMs: e.mtimeMs } : { kind: "file", data: e.data, mtimeMs: e.mtimeMs }, p);
  }
  await done(tx);
  db.close();
}

/** Reads back what earlier kernels of this site saved. */
export async function restore(): Promise<number> {
  const db = await openDb();
  if (!db) return 0;
  const tx = db.transaction(STORE, "readonly");
  const store = tx.objectStore(STORE);
  const keys = await new Promise<IDBValidKey[]>((resolve) => {
    const r = store.getAllKeys();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => resolve([]);
  });
  const values = await new Promise<Entry[]>((resolve) => {
    const r = store.getAll();
    r.onsuccess = () => resolve(r.result as Entry[]);
    r.onerror = () => resolve([]);
  });
  db.close();
  keys.forEach((k, i) => setEntry(String(k), values[i]));
  return keys.length;
}

const later = <T>(f: () => T): Promise<T> => new Promise((ok, no) => { try { ok(f()); } catch (e) { no(e); } });

export const promises = {
  readFile: (p: string, o?: Options) => later(() => readFileSync(p, o)),
  writeFile: (p: string, d: Data, o?: Options) => later(() => writeFileSync(p, d, o)),
  mkdir: (p: string, o?: { recursive?: boolean }) => later(() => mkdirSync(p, o)),
  readdir: (p: string, o?: Options) => later(() => readdirSync(p, o)),
  stat: (p: string) => later(() => statSync(p)),
  rm: (p: string, o?: { recursive?: boolean; force?: boolean }) => later(() => rmSync(p, o)),
  unlink: (p: string) => later(() => unlinkSync(p)),
  rename: (a: string, b: string) => later(() => renameSync(a, b)),
};

export const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };

export default {
  existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync, copyFileSync, statSync, lstatSync, readdirSync,
  renameSync, unlinkSync, rmSync, rmdirSync, openSync, writeSync, fsyncSync, fdatasyncSync, closeSync, readSync,
  realpathSync, promises, constants,
};
