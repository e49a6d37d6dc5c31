// Version counters of storage, as PyTorch keeps them: every in-place write bumps the
// counter of the storage it writes (shared by all views of it), and an op that keeps a
// tensor for its backward notes the version it saw. If the two differ when backward runs,
// the values the gradient needs are gone, and backward says so instead of giving a wrong
// gradient.
import { fmt } from "./shape";
import type { TensorData } from "./tensor-data";
import type { Storage } from "../backend/types";

const versions = new WeakMap<Storage, number>();

/** How many in-place writes the storage of t has seen. */
export function versionOf(t: TensorData): number {
  return versions.get(t.store) ?? 0;
}

/** Note one in-place write to t's storage (and so to every view of it). */
export function bumpVersion(t: TensorData): void {
  versions.set(t.store, (versions.get(t.store) ?? 0) + 1);
}

/** Throw PyTorch's error when t, saved at `expected`, has been written to since. */
export function checkVersion(t: TensorData, expected: number, what: string, op: string): void {
  const now = versionOf(t);
  if (now !== expected) {
    throw new Error(
      `backward(): one of the tensors needed for gradient computation has been modified by an in-place operation: ` +
        `${what} of '${op}' ${fmt(t.shape)} is at version ${now}, expected ${expected}` +
        ` — write into a clone(), or make the change after backward()`,
    );
  }
}
