// Writing a file so that a reader sees either the old contents or the new, never a torn
// mixture: write a temporary file beside the target, flush it to disk, then rename over the
// target (rename is atomic within one file system, which is why the temporary file must be
// in the same directory). A process killed mid-write leaves its temporary file behind; the
// next save to the same folder removes such leftovers once their writer is gone.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";

/** `.<target name>.<pid>.<12 hex>.tmp`: the temporary names writeFileAtomic uses. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * A leftover whose writer is gone is removed once it has not changed for this long: a
 * writer in another process namespace (a container sharing the folder), whose pid means
 * nothing here, keeps its file's time fresh with every write.
 */
export const STALE_DEAD_MS = 60_000;
/** Any leftover this old is removed, whatever its pid (which may since have been reused). */
export const STALE_ANY_MS = 24 * 3600_000;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temporary files that interrupted saves (a killed process) left in `dir`: those
 * of a process that is no longer running and untouched for STALE_DEAD_MS, and any untouched
 * for STALE_ANY_MS. A save running now in another process keeps its file: its pid is alive.
 * Returns the names removed. Best effort: a file that cannot be read or removed is skipped.
 */
export function removeStaleTemporaries(dir: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      const age = now - st.mtimeMs;
      const stale = age > STALE_ANY_MS || (age > STALE_DEAD_MS && !processAlive(Number(m[1])));
      if (!stale) continue;
      unlinkSync(path);
      removed.push(name);
    } catch {
      // gone already (another save cleaned it), or not ours to remove
    }
  }
  return removed;
}

/**
 * Write data to path all at once: to a temporary file beside it, then renamed over it, so a
 * crash leaves either the old file or the new one, never half of one.
 * @example io.writeFileAtomic("out.bin", bytes);
 */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  const target = resolve(path);
  const dir = dirname(target);
  removeStaleTemporaries(dir);
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
