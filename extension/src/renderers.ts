// The rendermime extensions: one renderer per chainlab MIME type.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { curvesExtension } from "./curves/renderer";
import { gradflowExtension } from "./gradflow/renderer";
import { graphExtension } from "./graph/renderer";
import { moduleExtension } from "./module/renderer";
import { progressExtension } from "./progress/renderer";
import { tensorExtension } from "./tensor/renderer";

const extensions: IRenderMime.IExtension[] = [
  tensorExtension,
  curvesExtension,
  gradflowExtension,
  graphExtension,
  moduleExtension,
  progressExtension,
];

export default extensions;
