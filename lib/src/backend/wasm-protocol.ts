// How the threads of the WebAssembly backend share a job: control words in a small shared
// buffer, the loop every thread (the caller included) claims shares with, and the source of
// a worker thread for Node (worker_threads) and for browsers (Web Workers). Kept apart from
// the ops so a host can start threads its own way.

// Control words in a small SharedArrayBuffer. A job is a table of shares (each a list of
// products run in order); every thread (the caller included) claims the next share with a
// compare-and-swap on CLAIM until none is left, so a worker that the OS is slow to
// schedule delays nothing: the caller simply runs more shares itself. CLAIM holds
// (job number << 16) | next share, so a worker that wakes up late can never claim a share
// of a job that has moved on.
export const C_WAKE = 0; // bumped (and notified) once per job
export const C_READY = 1; // workers that have started
export const C_CLAIM = 2;
export const C_TABLE = 3; // share table pointer
export const C_COUNT = 4; // shares in the table
export const C_DONE = 5; // shares finished
export const C_ERROR = 6;
export const C_SCRATCH0 = 8; // one scratch pointer per worker
export const MAX_SHARES = 0xffff;

// Claims and runs shares until the job has none left; used by the caller and the workers.
export const CLAIM_LOOP = `(c, runShare, scratch) => {
  for (;;) {
    const w = Atomics.load(c, ${C_CLAIM});
    const table = c[${C_TABLE}], count = c[${C_COUNT}];
    const i = w & 0xffff;
    if (i >= count) return;
    if (Atomics.compareExchange(c, ${C_CLAIM}, w, w + 1) !== w) continue;
    try { runShare(table, i, scratch); } catch (e) { Atomics.store(c, ${C_ERROR}, 1); }
    if (Atomics.add(c, ${C_DONE}, 1) + 1 === count) Atomics.notify(c, ${C_DONE});
  }
}`;

// Each worker instantiates the module on the shared memory, then sleeps until a job comes,
// spinning briefly first so that back-to-back GEMMs start quickly.
const WORKER_LOOP = `
const runShare = new WebAssembly.Instance(module, { env: { memory } }).exports.runShare;
const c = new Int32Array(ctrl);
const scratch = c[${C_SCRATCH0} + id];
const claim = ${CLAIM_LOOP};
let seen = 0;
Atomics.add(c, ${C_READY}, 1);
for (;;) {
  let spin = 0;
  while (Atomics.load(c, ${C_WAKE}) === seen && spin < 20000) spin++;
  if (Atomics.load(c, ${C_WAKE}) === seen) Atomics.wait(c, ${C_WAKE}, seen);
  seen = Atomics.load(c, ${C_WAKE});
  claim(c, runShare, scratch);
}
`;

/** A worker thread's source: Node hands it its data at start, a Web Worker in its first message. */
export function workerSource(host: "node" | "web"): string {
  return host === "node"
    ? `const { module, memory, ctrl, id } = require("node:worker_threads").workerData;\n${WORKER_LOOP}`
    : `self.onmessage = (e) => {\n self.onmessage = null;\n const { module, memory, ctrl, id } = e.data;\n${WORKER_LOOP}};\n`;
}

// eslint-disable-next-line no-new-func
export const claimShares = new Function(`return ${CLAIM_LOOP}`)() as (c: Int32Array, run: (t: number, i: number, s: number) => void, scratch: number) => void;
