// Jupyter error content, IPython-style: type errors with every diagnostic under its cell
// line, runtime errors with the code around the failing line and the stack in cell lines.
import type { Diagnostic } from "../shared/compiler-link";
import { foldLibraryFrames, StackReader, type FrameSources } from "./stack-frames";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

interface CellRecord {
  label: string;
  lines: string[];
  /** Line of the evaluated JavaScript (0-based) → line of the cell, or -1. */
  lineMap: number[];
}

const red = (s: string) => `\x1b[31m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

export function compileError(diags: Diagnostic[], code: string, label: string): ErrorContent {
  const lines = code.split("\n");
  const traceback: string[] = [];
  for (const d of diags) {
    const where = d.fileName ? `${d.fileName}, line ${d.start.line + 1}` : `Cell ${label}, line ${d.start.line + 1}`;
    const parts = [`${bold(where)}:${d.start.character + 1} - ${red("error")} TS${d.code}: ${d.messageText}`];
    if (!d.fileName && lines[d.start.line] !== undefined) {
      const width = d.start.line === d.end.line ? Math.max(1, d.end.character - d.start.character) : 1;
      parts.push(`${String(d.start.line + 1).padStart(5)} | ${lines[d.start.line]}`);
      parts.push(`      | ${" ".repeat(d.start.character)}${red("~".repeat(width))}`);
    }
    traceback.push(parts.join("\n"));
  }
  const first = diags[0];
  return {
    ename: "CompileError",
    evalue: `line ${first.start.line + 1}: ${first.messageText}` + (diags.length > 1 ? ` (and ${diags.length - 1} more)` : ""),
    traceback,
  };
}

/** Cells evaluated so far (their code runs as `cell:<id>`), to read stacks in cell lines. */
export class Tracebacks {
  private readonly cells = new Map<number, CellRecord>();
  private readonly reader: StackReader;

  constructor(sources: FrameSources) {
    this.reader = new StackReader(sources);
  }

  record(id: number, label: string, code: string, lineMap: number[]): void {
    this.cells.set(id, { label, lines: code.split("\n"), lineMap });
  }

  /** Jupyter error content with a traceback in cell lines, for any thrown value. */
  errorContent(e: unknown, withStack = true): ErrorContent {
    const err = e instanceof Error ? e : undefined;
    const ename = err ? err.name || err.constructor?.name || "Error" : typeof e === "object" && e !== null ? (e as object).constructor?.name ?? "Error" : "Error";
    const evalue = err ? err.message : typeof e === "string" ? e : safeString(e);
    const traceback: string[] = [red("-".repeat(75)), `${red(ename.padEnd(42))}Traceback (most recent call last)`];
    let context: string | undefined;
    let lines: string[] = [];
    if (withStack && err?.stack) {
      const frames = this.reader.frames(err.stack);
      // The code around the innermost cell line, then the frames outermost first, as the
      // "most recent call last" heading says.
      for (const f of frames) {
        const loc = f.kind === "cell" ? this.mapLocation(f.cell, f.line) : undefined;
        if (f.kind === "cell" && loc) {
          context = this.codeContext(f.cell, loc.line);
          break;
        }
      }
      lines = foldLibraryFrames(frames.reverse(), (f) => {
        const loc = this.mapLocation(f.cell, f.line);
        return loc && `Cell ${loc.label}, line ${loc.line}${f.fn ? `, in ${f.fn}` : ""}`;
      });
    }
    if (context) traceback.push(context);
    if (lines.length) traceback.push(lines.map((l) => `  ${l}`).join("\n"));
    traceback.push(`${red(ename)}: ${evalue}`);
    return { ename, evalue, traceback };
  }

  /** Maps a line of `cell:<id>` to a cell line. */
  private mapLocation(id: number, line: number): { label: string; line: number } | undefined {
    const cell = this.cells.get(id);
    if (!cell) return undefined;
    const mapped = cell.lineMap[line - 1];
    // Lines without a mapping belong to the wrapper around the cell's code.
    if (mapped === undefined || mapped < 0) return cell.lineMap.length ? undefined : { label: cell.label, line };
    return { label: cell.label, line: mapped + 1 };
  }

  private codeContext(id: number, line: number): string | undefined {
    const cell = this.cells.get(id);
    if (!cell) return undefined;
    const out = [green(`Cell ${cell.label}, line ${line}`)];
    for (let l = Math.max(1, line - 2); l <= Math.min(cell.lines.length, line + 2); l++) {
      const text = `${String(l).padStart(5)} ${cell.lines[l - 1]}`;
      out.push(l === line ? green("---->") + text.slice(5) : text);
    }
    return out.join("\n");
  }
}
