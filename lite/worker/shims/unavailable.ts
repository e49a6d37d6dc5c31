// The Node modules a page has no counterpart for (child_process, net...): requiring one
// works, using it says which module is missing in the tab.
export function unavailableModule(name: string): Record<string, unknown> {
  const missing = (): never => {
    throw new Error(`${name} is not available in the browser tab: cells run in a Web Worker, not in Node`);
  };
  const handler: ProxyHandler<object> = { get: (_t, k) => (k === "__esModule" || typeof k === "symbol" ? undefined : missing) };
  return new Proxy({}, handler) as Record<string, unknown>;
}

export default unavailableModule("this Node module");
