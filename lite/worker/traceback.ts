// Errors as Jupyter shows them: TypeScript's diagnostics under the cell line they point
// at, and runtime errors with the code around the failing line and the stack in cell
// lines (most recent call last), the library's own frames folded into one line.
import type { ErrorContent } from "../src/messages";
import type { Diagnostic } from "./cell";

const red = (s: string) => `\x1b[31m${s}\x1b[0m`;
const green = (s: string) => `\x1b[32m${s}\x1b[0m`;
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

/** The code of a cell and where each line of its run code came from. */
export interface CellSource {
  lines: string[];
  lineMap: number[];
}

export function syntaxErrorContent(diags: Diagnostic[], code: string, count: number): ErrorContent {
  const lines = code.split("\n");
  const traceback = diags.map((d) => {
    const parts = [`${bold(`Cell In[${count}], line ${d.line + 1}`)}:${d.character + 1} - ${red("error")} TS${d.code}: ${d.message}`];
    if (lines[d.line] !== undefined) {
      parts.push(`${String(d.line + 1).padStart(5)} | ${lines[d.line]}`);
      parts.push(`      | ${" ".repeat(d.character)}${red("~".repeat(Math.max(1, Math.min(d.length, lines[d.line].length - d.character))))}`);
    }
    return parts.join("\n");
  });
  const first = diags[0];
  return {
    ename: "CompileError",
    evalue: `line ${first.line + 1}: ${first.message}${diags.length > 1 ? ` (and ${diags.length - 1} more)` : ""}`,
    traceback,
  };
}

interface Frame {
  fn: string | undefined;
  /** The cell's execution count, or undefined for a frame outside cells. */
  cell: number | undefined;
  line: number;
}

const cellFrame = /chainlab-cell-(\d+)\.js:(\d+):\d+/;

function framesOf(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const raw of stack.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("at ")) continue;
    const fnMatch = /^at (?:async )?([^\s(]+) \(/.exec(line);
    const fn = fnMatch && fnMatch[1] !== "eval" && fnMatch[1] !== "<anonymous>" ? fnMatch[1] : undefined;
    const m = cellFrame.exec(line);
    frames.push(m ? { fn, cell: Number(m[1]), line: Number(m[2]) } : { fn, cell: undefined, line: 0 });
  }
  return frames;
}

function describe(e: unknown): { ename: string; evalue: string; stack: string | undefined } {
  if (e instanceof Error) return { ename: e.name || e.constructor?.name || "Error", evalue: e.message, stack: e.stack };
  let evalue: string;
  try {
    evalue = typeof e === "string" ? e : String(e);
  } catch {
    evalue = Object.prototype.toString.call(e);
  }
  const ename = typeof e === "object" && e !== null ? (e as object).constructor?.name ?? "Error" : "Error";
  return { ename, evalue, stack: undefined };
}

export class Tracebacks {
  private readonly cells = new Map<number, CellSource>();

  record(count: number, source: CellSource): void {
    this.cells.set(count, source);
  }

  private cellLine(count: number, jsLine: number): number | undefined {
    const c = this.cells.get(count);
    const mapped = c?.lineMap[jsLine - 1];
    return mapped === undefined || mapped < 0 ? undefined : mapped + 1;
  }

  private context(count: number, line: number): string {
    const lines = this.cells.get(count)?.lines ?? [];
    const out = [green(`Cell In[${count}], line ${line}`)];
    for (let l = Math.max(1, line - 2); l <= Math.min(lines.length, line + 2); l++) {
      out.push(l === line ? `${green("---->")} ${l} ${lines[l - 1]}` : `${String(l).padStart(5)} ${lines[l - 1]}`);
    }
    return out.join("\n");
  }

  /** Jupyter error content for anything a cell threw. */
  errorContent(e: unknown): ErrorContent {
    const { ename, evalue, stack } = describe(e);
    const traceback = [red("-".repeat(75)), `${red(ename.padEnd(42))}Traceback (most recent call last)`];
    if (stack) {
      // innermost first in the stack; shown outermost first
      const frames = framesOf(stack).reverse();
      const innermost = [...frames].reverse().find((f) => f.cell !== undefined && this.cellLine(f.cell, f.line) !== undefined);
      if (innermost) traceback.push(this.context(innermost.cell!, this.cellLine(innermost.cell!, innermost.line)!));
      const lines: string[] = [];
      let library = 0;
      const flush = () => {
        if (library) lines.push(`… ${library} frame${library > 1 ? "s" : ""} in chainlab`);
        library = 0;
      };
      for (const f of frames) {
        // the interrupt checkpoint is the kernel's, not the library's
        if (f.fn === "tick") continue;
        const line = f.cell !== undefined ? this.cellLine(f.cell, f.line) : undefined;
        if (f.cell === undefined || line === undefined) {
          if (lines.length) library++;
          continue;
        }
        flush();
        lines.push(`Cell In[${f.cell}], line ${line}${f.fn ? `, in ${f.fn}` : ""}`);
      }
      flush();
      if (lines.length) traceback.push(lines.map((l) => `  ${l}`).join("\n"));
    }
    traceback.push(`${red(ename)}: ${evalue}`);
    return { ename, evalue, traceback };
  }
}
