// The MIME types of the bundles the chainlab library sends (see lib/src/display).
export const MIME = {
  tensor: "application/vnd.chainlab.tensor+json",
  curves: "application/vnd.chainlab.curves+json",
  gradflow: "application/vnd.chainlab.gradflow+json",
  graph: "application/vnd.chainlab.graph+json",
  module: "application/vnd.chainlab.module+json",
  progress: "application/vnd.chainlab.progress+json",
} as const;

export const MONITOR_COMM_TARGET = "chainlab.monitor";
