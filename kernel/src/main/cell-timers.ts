// Timers started by a cell die with it once it is interrupted: setTimeout, setInterval and
// setImmediate callbacks check the cell that scheduled them before they run.
import type { AsyncLocalStorage } from "node:async_hooks";

export function guardTimers(als: AsyncLocalStorage<{ interrupted: boolean }>): void {
  const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const [name, clear] of [
    ["setTimeout", "clearTimeout"],
    ["setInterval", "clearInterval"],
    ["setImmediate", "clearImmediate"],
  ] as const) {
    const original = g[name];
    const clearer = g[clear];
    const replacement = function (this: unknown, fn: unknown, ...rest: unknown[]) {
      const ctx = als.getStore();
      if (!ctx || typeof fn !== "function") return original.call(this, fn, ...rest);
      let handle: unknown;
      const guarded = function (this: unknown, ...args: unknown[]) {
        if (ctx.interrupted) {
          clearer(handle);
          return;
        }
        return (fn as (...a: unknown[]) => unknown).apply(this, args);
      };
      handle = original.call(this, guarded, ...rest);
      return handle;
    };
    Object.assign(replacement, original);
    g[name] = replacement;
  }
}
