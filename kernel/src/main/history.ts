// The session's input history and history_request's three access types.
interface HistoryEntry {
  count: number;
  code: string;
  output: string | null;
}

type Row = [session: number, line: number, entry: unknown];

/** A glob (`*`, `?`) as a whole-string regular expression. */
function globPattern(glob: string): RegExp {
  return new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, ".") + "$");
}

export class History {
  private readonly entries: HistoryEntry[] = [];

  add(count: number, code: string): HistoryEntry {
    const entry = { count, code, output: null };
    this.entries.push(entry);
    return entry;
  }

  /** Rows of a history_request (`tail`, `range`, `search`), with outputs when asked. */
  query(c: Record<string, unknown>): Row[] {
    const withOutput = !!c.output;
    const rows = this.entries.map((h): Row => [0, h.count, withOutput ? [h.code, h.output] : h.code]);
    const source = (row: Row) => (Array.isArray(row[2]) ? String(row[2][0]) : String(row[2]));
    switch (c.hist_access_type) {
      case "tail":
        return rows.slice(-Math.max(0, Number(c.n ?? 10)));
      case "range": {
        const start = Number(c.start ?? 0);
        const stop = c.stop == null ? Infinity : Number(c.stop);
        return rows.filter(([, n]) => n >= start && n < stop);
      }
      case "search": {
        const re = globPattern(String(c.pattern ?? "*"));
        let hits = rows.filter((row) => re.test(source(row)));
        if (c.unique) {
          // The latest occurrence of each source wins.
          const seen = new Set<string>();
          hits = hits.reverse().filter((row) => (seen.has(source(row)) ? false : (seen.add(source(row)), true))).reverse();
        }
        return c.n != null ? hits.slice(-Number(c.n)) : hits;
      }
      default:
        return [];
    }
  }
}
