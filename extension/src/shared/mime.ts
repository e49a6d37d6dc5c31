// The MIME types and comm target are the library's contract (lib/src/display/contract.ts),
// imported rather than restated so that the two sides cannot drift.
export { MIME, MONITOR_COMM_TARGET, BUDGETS } from "chainlab/dist/display/contract";
