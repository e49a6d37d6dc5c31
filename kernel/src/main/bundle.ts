// The MIME bundle of a cell's result.
import { inspect } from "node:util";
import type { MimeBundle } from "chainlab";

/** text/plain always, plus the object's own bundle (Symbol.for("Jupyter.display")). */
export function bundleOf(value: unknown): MimeBundle {
  let bundle: MimeBundle = {};
  const hook =
    value !== null && (typeof value === "object" || typeof value === "function")
      ? (value as Record<symbol, unknown>)[Symbol.for("Jupyter.display")]
      : undefined;
  if (typeof hook === "function") {
    const produced = hook.call(value);
    if (produced && typeof produced === "object") bundle = { ...(produced as MimeBundle) };
  }
  if (typeof bundle["text/plain"] !== "string") {
    // Compiled modules (e.g. the F namespace) expose exports as getters; show the values.
    const shown = isModuleNamespace(value) ? Object.fromEntries(Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]])) : value;
    bundle["text/plain"] = inspect(shown, { depth: 4, maxArrayLength: 100, breakLength: 100 });
  }
  return bundle;
}

function isModuleNamespace(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  return (value as { __esModule?: unknown }).__esModule === true || Object.prototype.toString.call(value) === "[object Module]";
}
