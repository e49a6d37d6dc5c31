export { tensorBundle, tensorStats, heatmapSvg, TENSOR_MIME } from "./tensor";
export { computationGraph, graphJson, GRAPH_MIME } from "./graph";
export { arrowBase64 } from "./arrow";
export { Monitor, CURVES_MIME, GRADFLOW_MIME, MONITOR_COMM_TARGET } from "./monitor";
export type { MonitorOptions } from "./monitor";
export { moduleBundle, moduleSummary, MODULE_MIME, type ModuleSummary, type ModuleRow } from "./module";
