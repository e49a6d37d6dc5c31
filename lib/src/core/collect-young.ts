// A young-generation collection (a scavenge) on request, for the storage pool. Node offers
// V8's collector only behind --expose-gc; set at run time, the flag gives the next new
// context a global `gc`, and it is unset at once after, so that no other context gets one.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Gc = (options: { type: "minor" }) => void;
/** null: this runtime gave no collector */
let gc: Gc | null | undefined;

function findCollector(): Gc | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as Gc;
  try {
    setFlagsFromString("--expose-gc");
    const fn: unknown = runInNewContext("gc");
    return typeof fn === "function" ? (fn as Gc) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/** Run a scavenge; false where the runtime offers none. */
export function collectYoung(): boolean {
  if (gc === undefined) gc = findCollector();
  if (!gc) return false;
  gc({ type: "minor" });
  return true;
}
