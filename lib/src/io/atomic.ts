// Writing a file so that a reader sees either the old contents or the new, never a torn
// mixture: write a temporary file beside the target, flush it to disk, then rename over the
// target (rename is atomic within one file system, which is why the temporary file must be
// in the same directory).
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";

/** The temporary names writeFileAtomic uses, so that leftovers can be recognised. */
export function isTemporaryName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(name);
}

/**
 * Write data to path all at once: to a temporary file beside it, then renamed over it, so a
 * crash leaves either the old file or the new one, never half of one.
 * @example io.writeFileAtomic("out.bin", bytes);
 */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const target = resolve(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "wx");
    for (let at = 0; at < data.byteLength; ) {
      at += writeSync(fd, data, at, data.byteLength - at);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // the write already failed; that error is the one worth reporting
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
  // Persist the rename itself; not every platform lets a directory be opened for this.
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // best effort
  }
}
