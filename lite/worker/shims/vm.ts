// node:vm in the tab: no contexts; callers that try one get an error they already handle.
export function runInNewContext(): never {
  throw new Error("node:vm is not available in the browser tab");
}
export default { runInNewContext };
