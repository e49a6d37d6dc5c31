// Saving and loading tensors (safetensors) and training checkpoints.
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  serializeSafetensors,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  readSafetensorsHeader,
  SafetensorsError,
} from "./safetensors";
export type { SafetensorsDType, SafetensorsContents, TensorMap } from "./safetensors";
export { saveCheckpoint, loadCheckpoint, serializeCheckpoint } from "./checkpoint";
export type { Checkpoint, LoadedCheckpoint, OptimizerStateDict } from "./checkpoint";
export { writeFileAtomic } from "./atomic";
