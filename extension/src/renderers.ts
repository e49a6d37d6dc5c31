// The rendermime extensions: one renderer per chainlab MIME type.
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { curvesExtension } from "./curves";
import { gradflowExtension } from "./gradflow";
import { graphExtension } from "./graph";
import { moduleExtension } from "./module";
import { progressExtension } from "./progress";
import { tensorExtension } from "./tensor";

const extensions: IRenderMime.IExtension[] = [
  tensorExtension,
  curvesExtension,
  gradflowExtension,
  graphExtension,
  moduleExtension,
  progressExtension,
];

export default extensions;
