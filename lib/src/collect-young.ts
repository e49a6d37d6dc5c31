// A young-generation collection (a scavenge) on request, for the storage pool. Node offers
// V8's collector only behind --expose-gc; set at run time, the flag gives the next new
// context a global `gc`, and it is unset at once after, so that no other context gets one.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Gc = (options: { type: "minor" }) => void;
let gc: Gc | undefined;

export function collectYoung(): void {
  if (!gc) {
    gc = (globalThis as { gc?: Gc }).gc;
    if (!gc) {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as Gc;
      setFlagsFromString("--no-expose-gc");
    }
  }
  gc({ type: "minor" });
}
