// node:worker_threads in the tab: the library's WebAssembly threads start as Web Workers
// instead (lib/src/backend/wasm-web.ts), so this is never asked to start one.
export class Worker {
  constructor() {
    throw new Error("node:worker_threads is not available in the browser tab");
  }
}
export const isMainThread = false;
export const workerData = undefined;
export default { Worker, isMainThread, workerData };
