// A V8 stack read for a learner: frames of cells in cell lines, frames of a library as one
// short line each without the machine's paths (long runs of them folded), and nothing of
// the kernel's own machinery, tslab or Node's internals.
import { realpathSync } from "node:fs";
import path from "node:path";

export interface FrameSources {
  /** Packages shown by name, e.g. chainlab → the directory it is installed in. */
  libraries: Record<string, string>;
  /** Directories whose frames are hidden (the kernel, tslab). */
  hidden: string[];
  /** The notebook's directory: its own modules are shown relative to it. */
  cwd: string;
}

/** One frame of a stack: where it runs, by cell or by file. */
type Frame =
  | { kind: "cell"; fn?: string; cell: number; line: number }
  | { kind: "library"; fn?: string; library: string; where: string }
  | { kind: "file"; fn?: string; where: string };

/** Runs longer than this are folded to their outer and inner frame. */
const foldAbove = 3;

function real(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir + path.sep);

/** `Object.matmul` → `matmul`: compiled exports carry their module object's name. */
function cleanName(fn: string | undefined): string | undefined {
  if (!fn) return undefined;
  const name = fn.replace(/^(?:Object|exports|module\.exports)\./, "");
  return /^(?:Object|exports|<anonymous>|eval)$/.test(name) ? undefined : name;
}

export class StackReader {
  private readonly libraries: [string, string][];
  private readonly hidden: string[];
  private readonly cwd: string;

  constructor(sources: FrameSources) {
    this.libraries = Object.entries(sources.libraries).map(([name, dir]) => [name, real(dir)]);
    this.hidden = sources.hidden.map(real);
    this.cwd = real(sources.cwd);
  }

  /** The frames of `stack` worth showing, innermost first (as V8 lists them). */
  frames(stack: string): Frame[] {
    const out: Frame[] = [];
    for (const raw of stack.split("\n").slice(1)) {
      const line = raw.trim();
      if (!line.startsWith("at ")) continue;
      const frame = this.frame(line);
      if (frame) out.push(frame);
    }
    return out;
  }

  private frame(line: string): Frame | undefined {
    const cell = /\bcell:(\d+):(\d+):\d+/.exec(line);
    const fn = cleanName(/^at (?:async )?(?:new )?([^\s(]+) \(/.exec(line)?.[1]);
    if (cell) return { kind: "cell", fn, cell: Number(cell[1]), line: Number(cell[2]) };
    const located = /\(?((?:\/|[A-Za-z]:\\)[^():]+):(\d+):\d+\)?$/.exec(line);
    if (!located) return undefined; // node:internal, native and <anonymous> frames
    const file = located[1];
    if (this.hidden.some((d) => inside(file, d))) return undefined;
    for (const [name, dir] of this.libraries) {
      if (inside(file, dir)) {
        const where = path.relative(dir, file).replace(/^dist[\\/]/, "").replace(/\.[cm]?js$/, "");
        return { kind: "library", fn, library: name, where: `${name}/${where.split(path.sep).join("/")}` };
      }
    }
    const pkg = /[\\/]node_modules[\\/](.+)$/.exec(file);
    if (pkg) {
      const rest = pkg[1].split(/[\\/]/);
      const name = rest[0].startsWith("@") ? rest.slice(0, 2).join("/") : rest[0];
      const where = rest.join("/").replace(/\.[cm]?js$/, "");
      return { kind: "library", fn, library: name, where };
    }
    const shown = inside(file, this.cwd) ? path.relative(this.cwd, file) : path.basename(file);
    return { kind: "file", fn, where: `${shown}:${located[2]}` };
  }
}

/**
 * Lines for frames given outermost first: runs of one library longer than `foldAbove`
 * keep their outer frame (what the code called) and inner one (where it threw).
 */
export function foldLibraryFrames(frames: Frame[], cellLine: (f: Extract<Frame, { kind: "cell" }>) => string | undefined): string[] {
  const lines: string[] = [];
  const at = (f: Frame & { where: string }) => `at ${f.fn ?? "<anonymous>"} (${f.where})`;
  for (let i = 0; i < frames.length; ) {
    const f = frames[i];
    if (f.kind !== "library") {
      const text = f.kind === "cell" ? cellLine(f) : at(f);
      if (text) lines.push(text);
      i++;
      continue;
    }
    let j = i;
    while (j < frames.length && frames[j].kind === "library" && (frames[j] as typeof f).library === f.library) j++;
    const run = frames.slice(i, j) as (typeof f)[];
    if (run.length > foldAbove) {
      lines.push(at(run[0]), `… ${run.length - 2} more frames in ${f.library}`, at(run[run.length - 1]));
    } else {
      lines.push(...run.map(at));
    }
    i = j;
  }
  return lines;
}
